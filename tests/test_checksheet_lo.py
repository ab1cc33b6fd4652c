"""The live 校验 sheet agrees with `wbtool validate`: faulty workbooks of every shipped spec, recalculated by LibreOffice.

For every check the catalogue declares live, the set of (check, cell) the sheet flags after LibreOffice's
recalculation equals the set validate reports on the same (recalculated) file; the counts of open 强制性 /
提示性 problems equal validate's errors and unexplained warnings of those checks; clean files show 0 and 0.
All files go through one soffice call (lo_recalc.recalc_files).
"""
from __future__ import annotations

import random
from pathlib import Path

import openpyxl
import pytest

from faults import consistent, excel_recalc, set_cell, typed_over
from lo_recalc import _XCU, recalc_files, run_soffice, soffice_path
from randomfill import random_values

from workbook_tools.catalogue import CATALOGUE, ERROR, WARNING
from workbook_tools.checks.validate import validate_workbook
from workbook_tools.model.checksheet import SHEET_CHECK, SHEET_DETAIL
from workbook_tools.model.layout import EXPLAIN_ROWS, layout_for
from workbook_tools.model.spec import list_specs
from workbook_tools.files.specsheet import load_spec

pytestmark = pytest.mark.skipif(soffice_path() is None, reason="LibreOffice not installed")

PER_SPEC = int(__import__("os").environ.get("WBTOOL_LIVE_N", "70"))           # × 3 shipped specs = 210 faulty workbooks
ODD_TEXT = ["请填写", "无", "-", "（示例）说明", "n/a", "原因：资金到位晚", "  ", "１２", "不适用", "XXX"]


def _faulty(spec, rng: random.Random) -> tuple[bytes, bool]:
    """A random fill (valid, odd and absurd values) with one or two careless edits on top; True when a value was
    typed over a formula (the file's other values are then LibreOffice's to give: it is validated as LO saves it)."""
    L = layout_for(spec)
    data = consistent(spec, random_values(spec, rng, absurd=rng.choice([0.02, 0.1, 0.25])))
    # hidden helper cells (the target rows' reading, model/targetvalue) are not typed over: the sheet reads them as
    # they stand where validate recomputes them (a helper typed over is formula-overwritten, validate only)
    formulas = [c for c in L.by_role("formula") if c.kind != "helper"]
    inputs = [c for c in L.by_role("input") if not c.key.startswith("explain.")]
    over = False
    for _ in range(rng.randint(1, 2)):
        if rng.random() < 0.25:     # a value typed over a formula (the rules' value is what validate uses)
            c = rng.choice(formulas)
            data = typed_over(data, spec, c.key, rng.choice([0, 1, 95, 0.5, "已完成"]))
            over = True
        else:                       # odd text typed into an input cell: placeholders, dashes, full-width digits
            c = rng.choice(inputs)
            data = set_cell(data, c.sheet, c.coord, rng.choice(ODD_TEXT + [-3, 7.123456, 1e6]))
            data = excel_recalc(data, spec)      # saved by Excel: the formulas' values follow the typed cell
    return data, over


def _explain(spec, path: Path, rng: random.Random) -> bytes:
    """Explain some of validate's warnings in 情况说明 (by code or title, by full cell or coordinate)."""
    L = layout_for(spec)
    rep = validate_workbook(path)
    data = path.read_bytes()
    warnings = [f for f in rep.findings if f.severity == WARNING and CATALOGUE[f.code].live]
    rng.shuffle(warnings)
    for n, f in enumerate(warnings[:min(EXPLAIN_ROWS, 6)], 1):
        code = rng.choice([f.code, f.entry.title_zh])
        cell = rng.choice([f.cell, f.coord])
        text = rng.choice(["已核实：年中追加预算所致", "无", "请填写"])      # only the first explains it
        for k, v in (("code", code), ("cell", cell), ("text", text)):
            c = L[f"explain.{n}.{k}"]
            data = set_cell(data, c.sheet, c.coord, v)
    return data


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    """{file name: (spec id, workbook to validate, its 校验明细 table after LibreOffice's recalculation)} — ≥ 200
    faulty workbooks plus a clean one for each spec we have clean figures for.

    Files whose formula cells carry the engine's values (as Excel saves them) are validated as they are, and
    LibreOffice writes only their 校验明细 sheet, as CSV (fast). Files with a value typed over a formula are
    validated as LibreOffice saves them (xlsx), so both sides see LibreOffice's figures. One soffice call per spec
    and output kind, run in parallel."""
    from concurrent.futures import ThreadPoolExecutor
    src = tmp_path_factory.mktemp("in")
    out = tmp_path_factory.mktemp("out")
    rng = random.Random(17)
    files: dict[tuple[str, str], list[Path]] = {}
    for sid in list_specs():
        spec = load_spec(sid)
        for i in range(PER_SPEC):
            p = src / f"{sid}-{i:03d}.xlsx"
            data, over = _faulty(spec, rng)
            p.write_bytes(data)
            if i % 4 == 0:
                p.write_bytes(_explain(spec, p, rng))
            files.setdefault((sid, "xlsx" if over else "csv"), []).append(p)
    for sid, values in _clean_values().items():
        p = src / f"{sid}-clean.xlsx"
        p.write_bytes(consistent(load_spec(sid), values))
        files.setdefault((sid, "csv"), []).append(p)
        if sid == "gd-dept-overall-2023":     # spent a tenth, no reason: the spec makes that 强制性
            p = src / f"{sid}-lowrate.xlsx"
            p.write_bytes(consistent(load_spec(sid), {**values, "funds.0.actual": 10, "funds.low_rate_reason": None}))
            files[(sid, "csv")].append(p)

    def convert(group):
        sid, kind = group
        if kind == "xlsx":
            recalc_files(files[group], out / "xlsx", timeout=900)
            return
        sheets = openpyxl.load_workbook(files[group][0], read_only=True).sheetnames
        n = sheets.index(SHEET_DETAIL) + 1
        filt = f"csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,{n}"
        rc, so, se = run_soffice(["--calc", "--convert-to", filt, "--outdir", str(out), *map(str, files[group])],
                                 900, _XCU.format(mode=0))
        assert rc == 0, se
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(convert, files))
    result = {}
    for (sid, kind), paths in files.items():
        for p in paths:
            if kind == "xlsx":
                saved = out / "xlsx" / p.name
                assert saved.exists(), f"LibreOffice did not convert {p.name}"
                result[p.name] = (sid, saved, _xlsx_table(saved))
                continue
            csv_path = out / f"{p.stem}-{SHEET_DETAIL}.csv"
            assert csv_path.exists(), f"LibreOffice did not convert {p.name}"
            result[p.name] = (sid, p, _table(csv_path))
    return result


def _xlsx_table(path: Path) -> list[tuple]:
    wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    out = []
    for row in wb[SHEET_DETAIL].iter_rows(min_row=3, max_col=6, values_only=True):
        if not row[0]:
            break
        out.append((row[0], row[1], _s(row[2]), _s(row[3]), row[5]))
    return out


def _s(v) -> str:
    return str(int(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) and v == int(v) else str(v)


def _table(path: Path) -> list[tuple]:
    """(code, severity, flag, open, cell) of every row of a 校验明细 CSV."""
    import csv
    rows = list(csv.reader(path.read_text("utf-8").splitlines()))
    out = []
    for row in rows[2:]:
        if not row or not row[0]:
            break
        out.append((row[0], row[1], row[2], row[3], row[5]))
    return out


def _clean_values() -> dict[str, dict]:
    from projectfill import project_values
    from workbook_tools.model.answers import answers_to_values, load_answers
    from conftest import SAMPLE_ANSWERS
    gd = load_spec("gd-dept-overall-2023")
    proj = load_spec("national-project-2020")
    return {gd.id: answers_to_values(gd, load_answers(SAMPLE_ANSWERS)),
            proj.id: project_values(proj, random.Random(3), 1)[0]}


def sheet_state(table) -> tuple[set, int, int]:
    """(code, cell) pairs the table flags, and its open 强制性 / 提示性 problems (what 校验!C4 and C5 count)."""
    flagged = set()
    errors = warnings = 0
    for code, sev, flag, is_open, cell in table:
        assert flag in ("0", "1") and is_open in ("0", "1"), (code, cell, flag, is_open)    # never an error value
        if flag == "1":
            flagged.add((code, cell))
        if is_open == "1":
            errors += sev == "强制性"
            warnings += sev == "提示性"
    return flagged, errors, warnings


def test_sheet_flags_what_validate_reports(recalculated):
    assert sum(1 for n in recalculated if n[-8:-5].isdigit()) >= min(200, 3 * PER_SPEC)
    codes_seen: set[str] = set()
    bad = []
    for name, (sid, path, table) in sorted(recalculated.items()):
        rep = validate_workbook(path)
        assert rep.readable, name
        live = [f for f in rep.findings if CATALOGUE[f.code].live]
        want = {(f.code, f.cell) for f in live}
        got, errors, warnings = sheet_state(table)
        codes_seen |= {c for c, _ in want}
        if got != want:
            bad.append(f"{name}: validate only {sorted(want - got)}; sheet only {sorted(got - want)}")
            continue
        open_errors = sum(1 for f in live if f.severity == ERROR)
        open_warnings = sum(1 for f in live if f.severity == WARNING and not f.explained)
        if (errors, warnings) != (open_errors, open_warnings):
            bad.append(f"{name}: sheet shows {errors}/{warnings}, validate {open_errors}/{open_warnings}")
    assert not bad, "\n".join(bad[:20])
    # the corpus exercises most live checks (a generator that never fires proves nothing)
    live_codes = {c for c, e in CATALOGUE.items() if e.live}
    assert len(codes_seen) >= 0.7 * len(live_codes), sorted(live_codes - codes_seen)


def test_clean_files_show_zero_and_zero(recalculated, tmp_path):
    clean = {n: v for n, v in recalculated.items() if "clean" in n}
    assert len(clean) == 2
    for name, (sid, path, table) in clean.items():
        assert validate_workbook(path).errors == [], name
        assert sheet_state(table) == (set(), 0, 0), name
    # and the visible sheet says so (one full xlsx round trip)
    done = recalc_files([path for _, path, _ in clean.values()], tmp_path)
    for path in done.values():
        ws = openpyxl.load_workbook(path, data_only=True)[SHEET_CHECK]
        assert (ws["C4"].value, ws["C5"].value, ws["C6"].value) == (0, 0, "未发现表内可检查的问题")
        assert ws["A9"].value in (None, "") and ws["C9"].value in (None, "")


def test_severity_overrides_of_the_spec_are_respected(recalculated):
    """gd-dept-overall-2023 makes low-exec-rate an error: the sheet counts it with the 强制性 ones."""
    spec = load_spec("gd-dept-overall-2023")
    assert spec.severities.get("low-exec-rate") == "error"
    seen = 0
    for name, (sid, path, table) in recalculated.items():
        for code, sev, flag, is_open, cell in table:
            if code == "low-exec-rate":
                assert sev == ("强制性" if sid == spec.id else "提示性")
                seen += sid == spec.id and flag == "1"
    assert seen > 0


def test_unit_types_a_deduction_without_reason_and_then_the_reason(tmp_path, gd_spec, seed_values):
    """Done when (issue 17): the shipped template filled in, one score lowered without a reason: LibreOffice shows
    强制性问题 1 with the cell (a link) and the fix; the reason typed in: 0."""
    from randomfill import fill_bytes
    from conftest import ROOT
    L = layout_for(gd_spec)
    leaf = "2.1.1"                                      # 新增预算项目事前绩效评估, 3 points, full marks in the seed
    score, reason = L[f"node.{leaf}.score"], L[f"node.{leaf}.reason"]
    template = (ROOT / "templates" / "self_eval_template.xlsx").read_bytes()
    base = dict(seed_values)
    assert base[f"node.{leaf}.score"] == 3 and not base.get(f"node.{leaf}.reason")
    typed = {**base, f"node.{leaf}.score": 2}
    (tmp_path / "no_reason.xlsx").write_bytes(fill_bytes(template, gd_spec, typed))
    (tmp_path / "with_reason.xlsx").write_bytes(
        fill_bytes(template, gd_spec, {**typed, f"node.{leaf}.reason": "事前绩效评估报告未按期完成"}))
    done = recalc_files([tmp_path / "no_reason.xlsx", tmp_path / "with_reason.xlsx"], tmp_path / "out")
    wb = openpyxl.load_workbook(done[tmp_path / "no_reason.xlsx"], data_only=True)
    ws = wb[SHEET_CHECK]
    assert (ws["C4"].value, ws["C5"].value) == (1, 0)
    assert ws["C6"].value == "有强制性问题，须修改后报送"
    assert ws["A9"].value == 1 and ws["B9"].value == "强制性"
    assert ws["C9"].value == reason.addr == "评分表!K11"
    assert "扣分未说明原因" in ws["D9"].value and leaf in ws["D9"].value
    assert ws["E9"].value == CATALOGUE["deduction-without-reason"].fix
    assert ws["A10"].value in (None, "")
    formulas = openpyxl.load_workbook(tmp_path / "no_reason.xlsx")[SHEET_CHECK]
    assert formulas["C9"].value.startswith('=IF($G9="","",HYPERLINK(')
    assert validate_workbook(done[tmp_path / "no_reason.xlsx"]).errors[0].cell == reason.addr
    ws = openpyxl.load_workbook(done[tmp_path / "with_reason.xlsx"], data_only=True)[SHEET_CHECK]
    assert (ws["C4"].value, ws["C5"].value, ws["C6"].value) == (0, 0, "未发现表内可检查的问题")
    assert score.addr == "评分表!J11"

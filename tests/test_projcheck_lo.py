"""The live 校验 sheet of project workbooks agrees with `wbtool validate`: faulty project workbooks, LibreOffice.

Each workbook holds several projects, some filled as a careful unit would (tests/projectfill.py), others with random
faults on top (absurd and odd values from tests/randomfill.py, values typed over formulas, explanations in 情况说明
by code or title, by full cell or coordinate). All files are recalculated by LibreOffice in one soffice call and
validated as LibreOffice saved them (both sides see the same figures). For every live check the set of
(check, cell) the 校验明细 grid flags equals validate's set; the open 强制性 / 提示性 counts on 校验 equal
validate's errors and unexplained warnings; the list shows the first open problems; clean files show 0 and 0; a
spec's `severities:` moves a check between the counts.
"""
from __future__ import annotations

import io
import os
import random
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from lo_recalc import recalc_files, soffice_path
from projectfill import project_values
from randomfill import random_values

from workbook_tools.cells import CellWrite
from workbook_tools.catalogue import CATALOGUE, ERROR, WARNING
from workbook_tools.checks.validate import validate_workbook
from workbook_tools.files.specsheet import load_spec
from workbook_tools.files.xlsxfile import FileBook
from workbook_tools.model.checksheet import LIST_ROWS, LIST_TOP, SHEET_CHECK, SHEET_DETAIL, candidates
from workbook_tools.model.layout import EXPLAIN_ROWS
from workbook_tools.model.projectbook import LIST_FIRST, form_base, project_sheet_name, projects_layout
from workbook_tools.model.projectcheck import FIRST_CAND, GRID_COL, ROW_ERR, ROW_SHEET, ROW_WARN
from workbook_tools.model.template import build_projects_template

pytestmark = pytest.mark.skipif(soffice_path() is None, reason="LibreOffice not installed")

N_FILES = int(os.environ.get("WBTOOL_PROJ_LIVE_N", "24"))     # faulty workbooks of the shipped project spec
N_PROJECTS = 4
ODD = ["请填写", "无", "-", "n/a", "  ", "１２", "不适用", "XXX", -3, 7.123456, 1e6, "12%"]
STRICT = {"overspend": "error", "target-missed-without-reason": "error"}


def _strict_spec(tmp: Path):
    """The shipped project spec with two warnings made errors (a province's own `severities:`)."""
    import workbook_tools
    src = (Path(workbook_tools.__file__).parent / "specs" / "national-project-2020.yaml").read_text("utf-8")
    text = src.replace("id: national-project-2020", "id: national-project-2020-strict", 1)
    text += "\nseverities:\n" + "".join(f"  {k}: {v}\n" for k, v in STRICT.items())
    p = tmp / "national-project-2020-strict.yaml"
    p.write_text(text, "utf-8")
    return load_spec(str(p))


def _faulty_values(spec, rng: random.Random, F) -> dict:
    """One project: valid figures, then a handful of random, odd or absurd values on top."""
    vals = project_values(spec, rng, 1)[0]
    inputs = [c for c in F.cells.values() if c.role == "input" and c.sheet == F.form]
    wild = random_values(spec, rng, absurd=rng.choice([0.05, 0.2, 0.4]))
    wild = {k: v for k, v in wild.items() if k in F.cells and F[k].role == "input" and F[k].sheet == F.form}
    for k in rng.sample(sorted(wild), min(len(wild), rng.randint(2, 12))):
        vals[k] = wild[k]
    for _ in range(rng.randint(0, 3)):
        vals[rng.choice(inputs).key] = rng.choice(ODD)
    return vals


def _workbook(template: bytes, spec, P, values: list[dict], rng: random.Random, faulty: bool) -> bytes:
    book = FileBook("projects.xlsx", template)
    writes = []
    for F, vals in zip(P.forms, values):
        writes += [CellWrite(F[k].sheet, F[k].coord, v) for k, v in vals.items() if v is not None]
        if faulty and rng.random() < 0.25:           # a value typed over one of the form's formulas
            c = rng.choice([c for c in F.cells.values() if c.role == "formula" and c.sheet == F.form])
            writes.append(CellWrite(c.sheet, c.coord, rng.choice([0, 1, 95, 0.5, "已完成"])))
    book.write_cells(writes)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _explain(path: Path, P, rng: random.Random) -> bytes:
    """Explain some of validate's live warnings in 情况说明: by code or title, by full cell or coordinate."""
    rep = validate_workbook(path)
    warnings = [f for f in rep.findings if f.severity == WARNING and CATALOGUE[f.code].live]
    rng.shuffle(warnings)
    book = FileBook(path.name, path.read_bytes())
    writes = []
    for n, f in enumerate(warnings[:min(EXPLAIN_ROWS, 5)], 1):
        code = rng.choice([f.code, f.entry.title_zh, f.entry.title_en])
        cell = rng.choice([f.cell, f.coord, f.cell.replace("!", "!$")])
        text = rng.choice(["已核实：年中追加预算所致", "无", "核实"])      # "无" explains nothing
        for k, v in (("code", code), ("cell", cell), ("text", text)):
            c = P.shared[f"explain.{n}.{k}"]
            writes.append(CellWrite(c.sheet, c.coord, v))
    book.write_cells(writes)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    """{file name: (spec, LibreOffice's xlsx)} — N_FILES faulty workbooks (a quarter of the strict spec), a clean one."""
    src, out = tmp_path_factory.mktemp("in"), tmp_path_factory.mktemp("out")
    rng = random.Random(1717)
    specs = [load_spec("national-project-2020"), _strict_spec(src)]
    sheets = [project_sheet_name(i) for i in range(1, N_PROJECTS + 1)]
    P = {s.id: projects_layout(s, sheets) for s in specs}
    template = {s.id: build_projects_template(s, [{} for _ in sheets]) for s in specs}
    files: dict[Path, object] = {}
    for i in range(N_FILES):
        spec = specs[1] if i % 4 == 3 else specs[0]
        Pi = P[spec.id]
        values = [(_faulty_values(spec, rng, F) if rng.random() < 0.6 else project_values(spec, rng, 1)[0])
                  for F in Pi.forms]
        p = src / f"faulty-{i:03d}.xlsx"
        p.write_bytes(_workbook(template[spec.id], spec, Pi, values, rng, faulty=True))
        if i % 3 == 0:
            p.write_bytes(_explain(p, Pi, rng))
        files[p] = spec
    clean = src / "clean.xlsx"
    clean.write_bytes(_workbook(template[specs[0].id], specs[0], P[specs[0].id],
                                project_values(specs[0], random.Random(3), N_PROJECTS), rng, faulty=False))
    files[clean] = specs[0]
    done = recalc_files(list(files), out, timeout=900)
    return {p.name: Recalculated(spec, done[p], validate_workbook(done[p]), *grid_state(done[p]))
            for p, spec in files.items()}


@dataclass
class Recalculated:
    """One workbook as LibreOffice saved it: validate's report and what the 校验 sheets show."""
    spec: object
    path: Path
    rep: object
    flagged: set
    errors: int
    warnings: int
    top: dict


def grid_state(path: Path) -> tuple[set, int, int, dict]:
    """(check, cell) pairs the 校验明细 grid flags, the open 强制性 / 提示性 it counts, and the 校验 sheet's cells."""
    wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    rows = list(wb[SHEET_DETAIL].iter_rows(values_only=True))
    sheets = [v for v in rows[ROW_SHEET - 1][GRID_COL - 1:] if v]
    n = len(sheets)
    flagged = set()
    for row in rows[FIRST_CAND - 1:]:
        if not row or not row[0]:
            break
        code, coord = row[0], row[2]
        for k, (sheet, v) in enumerate(zip(sheets, row[GRID_COL - 1:GRID_COL - 1 + n])):
            assert isinstance(v, (int, float)) and not isinstance(v, bool), (sheet, code, coord, v)   # no error value
            assert v * 2 == int(v * 2), (sheet, code, coord, v)
            if v != int(v):
                flagged.add((code, f"{sheet}!{coord}"))
    errors = sum(rows[ROW_ERR - 1][GRID_COL - 1:GRID_COL - 1 + n])
    warnings = sum(rows[ROW_WARN - 1][GRID_COL - 1:GRID_COL - 1 + n])
    ws = wb[SHEET_CHECK]
    top = {(r, c): v for r, row in enumerate(ws.iter_rows(max_row=LIST_TOP + LIST_ROWS, max_col=6, values_only=True), 1)
           for c, v in enumerate(row, 1)}
    return flagged, errors, warnings, top


def test_project_sheet_flags_what_validate_reports(recalculated):
    codes_seen, bad = set(), []
    for name, w in sorted(recalculated.items()):
        assert w.rep.readable, name
        live = [f for f in w.rep.findings if CATALOGUE[f.code].live]
        want = {(f.code, f.cell) for f in live}
        codes_seen |= {c for c, _ in want}
        if w.flagged != want:
            bad.append(f"{name}: validate only {sorted(want - w.flagged)[:6]}; sheet only {sorted(w.flagged - want)[:6]}")
            continue
        open_errors = sum(1 for f in live if f.severity == ERROR)
        open_warnings = sum(1 for f in live if f.severity == WARNING and not f.explained)
        shown = (w.top[4, 3], w.top[5, 3])
        if (w.errors, w.warnings) != (open_errors, open_warnings) or shown != (w.errors, w.warnings):
            bad.append(f"{name}: sheet shows {shown} (grid {w.errors}/{w.warnings}), validate {open_errors}/{open_warnings}")
            continue
        # the list: the first open problems, each a cell validate reports there
        open_cells = {f.cell for f in live if f.severity == ERROR or not f.explained}
        listed = [w.top[LIST_TOP + i, 4] for i in range(LIST_ROWS) if w.top.get((LIST_TOP + i, 1)) not in (None, "")]
        if len(listed) != min(w.errors + w.warnings, LIST_ROWS) or not set(listed) <= open_cells:
            bad.append(f"{name}: list shows {len(listed)} rows, {sorted(set(listed) - open_cells)[:4]} not open")
    assert not bad, "\n".join(bad[:20])
    assert sum(1 for n in recalculated if n.startswith("faulty")) == N_FILES
    assert sum(1 for w in recalculated.values() if w.rep.findings and any(f.explained for f in w.rep.findings)) > 0
    # the corpus exercises most live checks a project form has (a generator that never fires proves nothing)
    form_codes = {c.code for c in candidates(form_base(load_spec("national-project-2020")))}
    assert len(codes_seen) >= 0.75 * len(form_codes), sorted(form_codes - codes_seen)


def test_clean_project_workbook_shows_zero_and_zero(recalculated):
    w = recalculated["clean.xlsx"]
    assert w.rep.errors == []
    assert (w.flagged, w.errors, w.warnings) == (set(), 0, 0)
    assert (w.top[4, 3], w.top[5, 3], w.top[6, 3]) == (0, 0, "未发现表内可检查的问题")
    assert w.top[LIST_TOP, 1] in (None, "") and w.top[LIST_TOP, 4] in (None, "")


def test_spec_severities_move_checks_between_the_counts(recalculated):
    strict = [(n, w) for n, w in recalculated.items() if w.spec.id.endswith("-strict")]
    assert strict
    seen = 0
    for name, w in strict:
        wb = openpyxl.load_workbook(w.path, data_only=True, read_only=True)
        sev = {row[0]: row[1] for row in wb[SHEET_DETAIL].iter_rows(min_row=FIRST_CAND, max_col=2, values_only=True)
               if row[0]}
        assert sev["overspend"] == sev["target-missed-without-reason"] == "强制性", name
        assert sev["low-exec-rate"] == "提示性"
        seen += sum(1 for f in w.rep.errors if f.code in STRICT)
    assert seen > 0           # the strict files do count such problems with the 强制性 ones (checked above)


def test_list_names_the_project_and_links_to_its_cell(recalculated):
    """The list names the project, links to its sheet's cell, and says what is wrong and how to fix it."""
    for name, w in sorted(recalculated.items()):
        if not w.errors + w.warnings:
            continue
        top = w.top
        sheet = top[LIST_TOP, 4].split("!")[0]
        assert top[LIST_TOP, 1] == 1 and top[LIST_TOP, 2] in ("强制性", "提示性")
        wb = openpyxl.load_workbook(w.path, data_only=True, read_only=True)
        listed_name = wb["项目清单"].cell(LIST_FIRST + int(sheet[2:]) - 1, 4).value
        assert top[LIST_TOP, 3] == (listed_name or sheet)
        assert top[LIST_TOP, 6] in {e.fix for e in CATALOGUE.values()}
        assert top[LIST_TOP, 5].split("：")[0] in {e.title_zh for e in CATALOGUE.values()}
        formulas = openpyxl.load_workbook(w.path, read_only=True)[SHEET_CHECK]
        assert "HYPERLINK(" in formulas.cell(LIST_TOP, 4).value
        return
    pytest.fail("no workbook with an open problem")

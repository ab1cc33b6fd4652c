"""A 225-project workbook with valid random figures: validate, fill, and LibreOffice agreeing with the engine.

Every formula cell of every project sheet, of its 项目清单 row and the 项目清单 totals is recalculated by
LibreOffice (forced full recalculation) in the file as typed (stale caches) and in the filled file, and
compared with ``compute`` per form and ``tally_projects`` for the totals; the filled file's stored values
must be LibreOffice's too.
"""
import os
import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from lo_recalc import recalc_files, soffice_path, same_as_lo
from projectfill import fund_mix, self_evaluated_counts, write_project_workbook, project_values

from workbook_tools.checks.consistency import code_for
from workbook_tools.model.engine import compute, tally_projects
from workbook_tools.files.fill import fill_workbook
from workbook_tools.model.projectbook import fund_types, project_sheet_name, projects_layout
from workbook_tools.files.specsheet import load_spec
from workbook_tools.checks.validate import validate_workbook
from workbook_tools.files.xlsxfile import FileBook

pytestmark = [pytest.mark.lo, pytest.mark.skipif(soffice_path() is None and not os.environ.get("CI"),
                                                 reason="LibreOffice not installed (CI installs it)")]

N = 225


_same = same_as_lo


def _cached(path: Path) -> dict[str, list[list]]:
    """Every sheet's cached cell values as a grid from A1 (python-calamine: a reader independent of wbtool)."""
    from python_calamine import CalamineWorkbook
    wb = CalamineWorkbook.from_path(str(path))
    return {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names}


def _at(grid: dict, sheet: str, row: int, col: int):
    rows = grid.get(sheet, [])
    if row - 1 >= len(rows) or col - 1 >= len(rows[row - 1]):
        return None
    v = rows[row - 1][col - 1]
    return None if v == "" else v


def _formula_cells(path: Path, sheets) -> set[tuple[str, str]]:
    book = FileBook(path)
    return {(s, coord) for s in sheets for coord, d in book.read_sheet(s).items() if d.formula}


@pytest.fixture(scope="module")
def spec():
    return load_spec("national-project-2020")


@pytest.fixture(scope="module")
def book225(spec, tmp_path_factory):
    """The workbook as typed (stale formula caches), its values per project, and the filled copy."""
    tmp = tmp_path_factory.mktemp("projects225")
    values = project_values(spec, random.Random("projects-225-2024"), N)
    t = time.perf_counter()
    unfilled = write_project_workbook(tmp / "typed.xlsx", spec, values)
    t_build = time.perf_counter() - t
    filled = tmp / "filled.xlsx"
    t = time.perf_counter()
    report = fill_workbook(unfilled, filled)
    t_fill = time.perf_counter() - t
    print(f"\nbuild+write {t_build:.1f}s, fill {t_fill:.1f}s")
    return {"tmp": tmp, "values": values, "unfilled": unfilled, "filled": filled, "fill": report}


def test_generator_is_seeded_and_valid_by_construction(spec):
    a = project_values(spec, random.Random(5), N)
    assert a == project_values(spec, random.Random(5), N)
    assert Counter(v["cover.fundType"] for v in a) == Counter(fund_mix(spec, N)) == {
        "一般公共预算": 141, "政府性基金预算": 83, "其他": 1}
    assert len({v["cover.projectCode"] for v in a}) == N
    for v in a:
        for leaf in spec.leaves():
            if leaf.rule.type != "target_completion" or v.get(f"node.{leaf.id}.applicable") == "不适用":
                continue
            kind = leaf.rule.params["kind"]
            ws = [Decimal(repr(v[k])) for k in v if k.startswith(f"target.{kind}.") and k.endswith(".weight")]
            assert sum(ws) == leaf.weight, (v["cover.projectCode"], kind, ws)
    assert any(v.get("node.3.applicable") == "不适用" for v in a)
    assert any("funds.low_rate_reason" in v for v in a)
    directions = Counter(v[k] for v in a for k in v if k.endswith(".direction"))
    assert set(directions) == {"≥", "≤", "=", "定性"}, directions


def test_validate_and_fill_225_projects(spec, book225):
    values, unfilled, filled = book225["values"], book225["unfilled"], book225["filled"]
    expected_counts = self_evaluated_counts(spec, values)
    assert expected_counts == dict(Counter(v["cover.fundType"] for v in values))

    t = time.perf_counter()
    rep = validate_workbook(unfilled)
    print(f"\nvalidate (typed, stale caches) {time.perf_counter() - t:.1f}s")
    assert rep.readable
    s = rep.summary
    assert s["kind"] == "projects" and s["project_count"] == N and len(s["projects"]) == N
    assert s["counts"] == expected_counts and s["evaluated"] == sum(expected_counts.values())
    # Only the stored caches are wrong in the typed file: every error is a formula cell's stored value
    # (LibreOffice / Excel would recalculate them); nothing a unit typed is an error.
    P = projects_layout(spec, [project_sheet_name(i) for i in range(1, N + 1)])
    stale_code = {c.addr: code_for(SimpleNamespace(spec=spec), c.key) for F in P.forms for c in F.by_role("formula")}
    typed_errors = [f for f in rep.findings if f.severity == "error" and stale_code.get(f.cell) != f.code]
    assert not typed_errors, [(f.cell, f.code, f.message()) for f in typed_errors[:20]]

    fr = book225["fill"]
    assert len(fr.results) == N
    assert fr.tally.counts == expected_counts
    rep2 = validate_workbook(filled)
    assert rep2.readable
    # valid figures, filled: not an error, not even a warning
    assert not rep2.findings, [(f.cell, f.code, f.message()) for f in rep2.findings[:20]]
    assert rep2.exit_code() == 0
    assert rep2.summary["counts"] == expected_counts and rep2.summary["project_count"] == N
    assert rep2.summary["average"] == pytest.approx(float(fr.tally.average))
    # the validator's per-project totals are the engine's, project by project
    for row, vals in zip(rep2.summary["projects"], values):
        assert row["projectCode"] == vals["cover.projectCode"] and row["fundType"] == vals["cover.fundType"]
        assert row["total"] == pytest.approx(float(compute(spec, vals).total), abs=1e-9)


def test_libreoffice_agrees_with_engine_on_every_form(spec, book225):
    values, unfilled, filled, tmp = book225["values"], book225["unfilled"], book225["filled"], book225["tmp"]
    P = projects_layout(spec, [project_sheet_name(i) for i in range(1, N + 1)])
    results = [compute(spec, vals) for vals in values]
    tally = tally_projects(fund_types(spec), [r.values for r in results])

    expected: dict[tuple[str, str], tuple[str, object]] = {}      # (sheet, coord) → (key, engine value)
    for F, res in zip(P.forms, results):
        for c in F.by_role("formula"):
            expected[(c.sheet, c.coord)] = (c.key, res.values.get(c.key))
    for key in P.totals:
        c = P.shared[key]
        expected[(c.sheet, c.coord)] = (key, tally.values[key])
    numeric = sum(isinstance(v, Decimal) for _, v in expected.values())
    assert numeric >= N * 20, numeric          # not a comparison of blanks
    # "every formula cell": the layout knows each formula cell the file holds, and no more
    assert _formula_cells(unfilled, P.sheets) == set(expected)
    assert _formula_cells(filled, P.sheets) == set(expected)

    t = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        outs = list(pool.map(lambda p: recalc_files([p], tmp / f"lo-{p.stem}")[p], [unfilled, filled]))
    print(f"\nLibreOffice recalculation of 2 × {len(P.sheets)} sheets (2 in parallel): {time.perf_counter() - t:.1f}s")

    bad = []
    lo_values = {}
    for src, out in zip((unfilled, filled), outs):
        grid = _cached(out)
        lo_values[src] = grid
        for (sheet, coord), (key, mine) in expected.items():
            row, col = _rc(coord)
            lo = _at(grid, sheet, row, col)
            if not _same(mine, lo):
                bad.append(f"{src.name} {sheet}!{coord} {key}: engine {mine!r} LibreOffice {lo!r}")
    stored = _cached(filled)
    for (sheet, coord), (key, _) in expected.items():
        row, col = _rc(coord)
        have, lo = _at(stored, sheet, row, col), _at(lo_values[filled], sheet, row, col)
        if not (have == lo or (isinstance(have, (int, float)) and isinstance(lo, (int, float))
                               and abs(have - lo) <= 1e-9 * max(1.0, abs(lo)))):
            bad.append(f"filled.xlsx stored {sheet}!{coord} {key}: fill {have!r} LibreOffice {lo!r}")
    assert not bad, f"{len(bad)} mismatches:\n" + "\n".join(bad[:40])
    # the typed file as a spreadsheet saves it once recalculated: valid, nothing to report
    rep = validate_workbook(outs[0])
    assert rep.readable and not rep.findings, [(f.cell, f.code, f.message()) for f in rep.findings[:20]]
    assert rep.summary["counts"] == self_evaluated_counts(spec, values)
    # collected: the bureau's record and summary carry, for every sheet, the total LibreOffice computes
    import sqlite3

    import openpyxl

    from workbook_tools.bureau.collect import run_collect
    inbox = tmp / "inbox"
    inbox.mkdir(exist_ok=True)
    (inbox / "unit.xlsx").write_bytes(outs[0].read_bytes())        # the typed file as LibreOffice saved it
    res = run_collect([inbox], tmp / "summary.xlsx")
    assert res["ok"], res
    db = sqlite3.connect(tmp / "summary.db")
    rows = dict(db.execute("SELECT sheet, display FROM projects"))
    assert len(rows) == N
    for F in P.forms:
        c = F["summary.display"]
        assert rows[F.form] == pytest.approx(_at(lo_values[unfilled], c.sheet, c.row, c.col), abs=1e-9), F.form
    ws = openpyxl.load_workbook(tmp / "summary.xlsx", read_only=True)["项目汇总"]
    head = next(i for i, r in enumerate(ws.iter_rows(values_only=True)) if r and "工作表" in r)
    table = list(ws.iter_rows(values_only=True))
    cols = table[head]
    got = {r[cols.index("工作表")]: r[cols.index("总分")] for r in table[head + 1:] if r[cols.index("工作表")]}
    assert got == pytest.approx({sheet: total for sheet, total in rows.items()})
    # the totals are what the generator's inputs give
    lst = lo_values[filled]
    for j, t_ in enumerate(fund_types(spec)):
        c = P.shared[f"plist.count.{j}"]
        assert _at(lst, c.sheet, c.row, c.col) == self_evaluated_counts(spec, values)[t_]


def _rc(coord: str) -> tuple[int, int]:
    from openpyxl.utils.cell import coordinate_from_string, column_index_from_string
    col, row = coordinate_from_string(coord)
    return row, column_index_from_string(col)

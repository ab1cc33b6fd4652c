"""The words and rule shapes in LibreOffice: random workbooks of the words-and-shapes form (scales on target kinds
and rules; graded, coefficient, deduct_per_point_below, ratio_bands) recalculated by Calc agree with the engine in
every formula cell, and their live 校验 sheet flags exactly what `wbtool validate` reports (the new findings
unknown-scale-word and coefficient-out-of-range among them). One soffice call for all files."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from faults import consistent
from lo_recalc import recalc_files, soffice_path
from randomfill import fill_bytes, random_values
from test_checksheet_lo import _faulty, _xlsx_table, sheet_state
from test_lo_agreement import _exercised, _mismatches

from workbook_tools.catalogue import CATALOGUE, ERROR, WARNING
from workbook_tools.checks.validate import validate_workbook
from workbook_tools.files.specsheet import load_spec
from workbook_tools.model.template import build_template

pytestmark = pytest.mark.skipif(soffice_path() is None, reason="LibreOffice not installed")
SPEC_PATH = Path(__file__).resolve().parent / "specs" / "words-and-shapes.yaml"
NEW_RULES = ("graded", "coefficient", "deduct_per_point_below", "ratio_bands", "qualitative", "target_completion")
N_RANDOM, N_FAULTY = 12, 18


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    """{path: (kind, values or None, LibreOffice's saved copy)} for random fills and faulty files."""
    spec = load_spec(str(SPEC_PATH))
    src, out = tmp_path_factory.mktemp("in"), tmp_path_factory.mktemp("out")
    template = build_template(spec)
    rng = random.Random("words-and-shapes")
    files: dict[Path, tuple] = {}
    for i in range(N_RANDOM):
        values = random_values(spec, rng, absurd=0.1 if i % 3 else 0.02)
        if i % 2:       # 系数 within its bounds (0.5–1) more often than the generic numbers fall there
            values["node.2.3.basis"] = rng.choice([0.5, 0.72, 0.85, 1])
        p = src / f"random-{i:02d}.xlsx"
        p.write_bytes(fill_bytes(template, spec, values))
        files[p] = ("random", values)
    for i in range(N_FAULTY):
        p = src / f"faulty-{i:02d}.xlsx"
        p.write_bytes(_faulty(spec, rng)[0])
        files[p] = ("faulty", None)
    p = src / "words-wrong.xlsx"          # the two new findings for certain, beside the random ones
    p.write_bytes(consistent(spec, {"target.output.1.direction": "定性", "target.output.1.name": "a",
                                    "target.output.1.actual": "达成", "node.2.3.basis": 1.5}))
    files[p] = ("faulty", None)
    saved = recalc_files(list(files), out, timeout=900)
    return spec, {p: (*files[p], saved[p]) for p in files}


def test_engine_agrees_with_calc_and_every_new_rule_is_scored(recalculated):
    spec, files = recalculated
    cover, bad = {}, []
    for p, (kind, values, saved) in files.items():
        if kind == "random":
            _exercised(spec, values, cover)
            bad += _mismatches(spec, values, p, saved)
    assert not bad, f"{len(bad)} mismatches:\n" + "\n".join(bad[:30])
    assert all(cover.get(r, 0) >= 5 for r in NEW_RULES), cover


def test_live_sheet_flags_what_validate_reports(recalculated):
    spec, files = recalculated
    seen, bad = set(), []
    for p, (kind, _, saved) in sorted(files.items()):
        if kind != "faulty":
            continue
        rep = validate_workbook(saved, spec=spec)
        assert rep.readable, p.name
        live = [f for f in rep.findings if CATALOGUE[f.code].live]
        want = {(f.code, f.cell) for f in live}
        got, errors, warnings = sheet_state(_xlsx_table(saved))
        seen |= {c for c, _ in got}
        if got != want:
            bad.append(f"{p.name}: validate only {sorted(want - got)}; sheet only {sorted(got - want)}")
            continue
        open_errors = sum(1 for f in live if f.severity == ERROR)
        open_warnings = sum(1 for f in live if f.severity == WARNING and not f.explained)
        if (errors, warnings) != (open_errors, open_warnings):
            bad.append(f"{p.name}: sheet shows {errors}/{warnings}, validate {open_errors}/{open_warnings}")
    assert not bad, "\n".join(bad[:20])
    assert {"unknown-scale-word", "coefficient-out-of-range", "invalid-choice", "qualitative-band"} <= seen, seen

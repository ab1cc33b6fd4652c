"""LibreOffice agrees with the engine on target rows written as forms write them (issue 14 item 3): ≥90%, =100 with
unit %, ≤3%, 5次, 20集, 0, in one cell or split; the hidden helper cells, ratios, scores and deviation flags after
LibreOffice's recalculation are the engine's, and the live 校验 sheet flags what validate reports (unreadable values
among them). One soffice call for both files."""
from __future__ import annotations

import random

import openpyxl
import pytest

from faults import consistent
from lo_recalc import recalc_files, same_as_lo, soffice_path
from test_checksheet_lo import _xlsx_table, sheet_state

from workbook_tools.catalogue import CATALOGUE
from workbook_tools.checks.validate import validate_workbook
from workbook_tools.model.engine import compute
from workbook_tools.model.layout import layout_for
from workbook_tools.files.specsheet import load_spec
from formvalues import with_form_values

pytestmark = pytest.mark.skipif(soffice_path() is None, reason="LibreOffice not installed")

# (方向, 指标值, 度量单位, 实际完成值, 偏差原因)
ROWS = [
    (None, "≥90%", None, 96, None), (None, "≥90%", "%", 0.85, "进度滞后"), (None, "=100", "%", 98, "个别未完成"),
    (None, "≤3%", None, "2%", None), (None, "5次", "次", "4次", "疫情影响"), (None, "20集", None, 20, None),
    (None, 0, "起", 0, None), (None, 0, "起", 1, "发生一起"), (None, ">= 95", None, "96", None),
    ("≥", "约5次", None, 3, None), (None, "＜＝0.5 %", "%", 0.3, None), ("≥", 90, "%", 92, None),
    ("≥", "1,200", None, "1,100元", "说明"), (None, "＞=80", None, "８０", None), (None, "≥90%", None, "  ", None),
    (None, "＝100", None, "100%", None), (None, "≥.5", None, "0.6", None), ("≤", "≥1.2.3", None, 1, None),
    (None, "123456789012345678", None, 5, None), (None, "≥90%", None, "达成", None),
    ("=", "100", "%", 105, "超额"), (None, "≤ 5 ％", None, 0.06, None), ("定性", "有效提升", None, "部分达成", "x"),
]


def _rows(values: dict, kind, rows, weight=None) -> dict:
    for n in range(1, kind.rows + 1):
        b = f"target.{kind.key}.{n}"
        for k in ("category", "name", "direction", "value", "unit", "actual", "reason", "weight"):
            values.pop(f"{b}.{k}", None)
    for n, (d, e, u, g, why) in enumerate(rows, 1):
        b = f"target.{kind.key}.{n}"
        values.update({f"{b}.category": kind.categories[0], f"{b}.name": f"指标{n}", f"{b}.direction": d,
                       f"{b}.value": e, f"{b}.unit": u, f"{b}.actual": g, f"{b}.reason": why})
        if kind.scored:
            values[f"{b}.weight"] = weight
    return values


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory, seed_values):
    from projectfill import project_values
    src, out = tmp_path_factory.mktemp("in"), tmp_path_factory.mktemp("out")
    gd = with_form_values("gd-dept-overall-2023")          # the shipped forms, reading ≥90%, 5次
    proj = with_form_values("national-project-2020")
    gd_vals = _rows(dict(seed_values), gd.targets.kind("output"), ROWS[:30])
    pv = project_values(proj, random.Random(5), 1)[0]
    pv = _rows(pv, proj.targets.kind("output"), ROWS[:8], 6.25)
    pv = _rows(pv, proj.targets.kind("benefit"), ROWS[8:14], 5)
    from test_target_weights import SPEC as SICHUAN, sichuan_values
    from test_target_rowscore import SPEC as JUDGED, judged_values
    from test_target_adjusted import SPEC as ADJUSTED, adjusted_values
    sc, jr, aj = load_spec(str(SICHUAN)), load_spec(str(JUDGED)), load_spec(str(ADJUSTED))
    adjusted = adjusted_values(**{"target.output.1.initial": "约10次", "target.output.2.initial": "约95%",
                                  "target.output.2.direction": "≥", "target.output.5.name": "x",
                                  "target.output.5.initial": 90, "target.output.5.actual": "≥95%"})
    faulty = judged_values(**{"target.output.1.coef": 1.2, "target.benefit.1.score": 16, "target.output.2.reason": None,
                              "target.benefit.2.reason": "无", "target.output.3.name": "新增", "target.output.3.value": 3,
                              "target.benefit.1.x_core": "Y"})
    files = {}
    for spec, vals in ((gd, gd_vals), (proj, pv), (sc, sichuan_values((20, 20, 10, 15, 20))), (jr, faulty),
                       (aj, adjusted)):
        p = src / f"{spec.id}.xlsx"
        p.write_bytes(consistent(spec, vals))
        files[spec.id] = (spec, vals, p)
    done = recalc_files([p for _, _, p in files.values()], out)
    return {sid: (spec, vals, p, done[p]) for sid, (spec, vals, p) in files.items()}


@pytest.mark.parametrize("sid", ["gd-dept-overall-2023-forms", "national-project-2020-forms", "sichuan-rows-test",
                                 "judged-rows-test", "adjusted-values-test"])
def test_target_rows_agree_with_libreoffice(recalculated, sid):
    spec, vals, _, saved = recalculated[sid]
    L = layout_for(spec)
    mine = compute(spec, vals).values
    wb = openpyxl.load_workbook(saved, data_only=True)
    checked, bad = 0, []
    for c in L.by_role("formula"):
        if not c.key.startswith(("target.", "node.", "summary.")):
            continue
        lo = wb[c.sheet][c.coord].value
        checked += 1
        if not same_as_lo(mine.get(c.key), lo):
            bad.append(f"{c.key} {c.addr}: engine {mine.get(c.key)!r}, LibreOffice {lo!r}")
    assert checked > 70 and not bad, "\n".join(bad)
    if sid in ("sichuan-rows-test", "judged-rows-test", "adjusted-values-test"):
        return
    # the rows are read, not dropped: every readable quantitative row has a ratio
    out = spec.targets.kind("output")
    ratios = [mine[f"target.output.{n}.ratio"] for n in range(1, min(out.rows, len(ROWS)) + 1)]
    assert sum(r is not None for r in ratios) >= min(out.rows, len(ROWS)) - 6


def test_live_sheet_flags_unreadable_values_as_validate_does(recalculated):
    spec, _, _, saved = recalculated["gd-dept-overall-2023-forms"]
    rep = validate_workbook(saved)
    want = {(f.code, f.cell) for f in rep.findings if CATALOGUE[f.code].live}
    got, _, _ = sheet_state(_xlsx_table(saved))
    assert got == want
    unreadable = {cell for code, cell in want if code == "target-value-unreadable"}
    L = layout_for(spec)
    expect = {L[f"target.output.{n}.{part}"].addr for n, part in
              ((10, "value"), (14, "actual"), (15, "actual"), (18, "value"), (20, "actual"))}
    assert unreadable == expect


def test_live_sheet_checks_the_row_weights_of_several_kinds(recalculated):
    """绩效指标 90 over 产出 · 效益 · 满意度 rows typed 85 in all: the sheet flags it where validate does."""
    spec, _, _, saved = recalculated["sichuan-rows-test"]
    rep = validate_workbook(saved)
    want = {(f.code, f.cell) for f in rep.findings if CATALOGUE[f.code].live}
    got, errors, _ = sheet_state(_xlsx_table(saved))
    assert got == want and errors >= 1
    assert ("target-weight-sum", layout_for(spec)["target.output.1.weight"].addr) in got


def test_live_sheet_checks_the_rows_the_unit_scores(recalculated):
    """得分系数 above its bound, a typed 得分 above the row's 分值, below full without a reason, a row without its
    系数: the sheet flags each where validate does."""
    spec, _, _, saved = recalculated["judged-rows-test"]
    rep = validate_workbook(saved)
    want = {(f.code, f.cell) for f in rep.findings if CATALOGUE[f.code].live}
    got, _, _ = sheet_state(_xlsx_table(saved))
    assert got == want
    L = layout_for(spec)
    assert {("target-row-score-out-of-range", L["target.output.1.coef"].addr),
            ("target-row-score-out-of-range", L["target.benefit.1.score"].addr),
            ("target-row-below-full-without-reason", L["target.output.2.reason"].addr),
            ("target-row-below-full-without-reason", L["target.benefit.2.reason"].addr),
            ("target-incomplete", L["target.output.3.actual"].addr),
            ("invalid-choice", L["target.benefit.1.x_core"].addr)} <= got       # extra_columns: a dropdown


def test_live_sheet_reads_the_value_used_of_initial_and_adjusted(recalculated):
    """年初 / 调整后指标值: the sheet flags a missing 年初 value and an unreadable value in use, as validate does."""
    spec, _, _, saved = recalculated["adjusted-values-test"]
    rep = validate_workbook(saved)
    want = {(f.code, f.cell) for f in rep.findings if CATALOGUE[f.code].live}
    got, _, _ = sheet_state(_xlsx_table(saved))
    assert got == want
    L = layout_for(spec)
    assert {("target-incomplete", L["target.output.4.initial"].addr),
            ("target-value-unreadable", L["target.output.2.initial"].addr)} <= got
    assert ("target-value-unreadable", L["target.output.1.initial"].addr) not in got

"""One seeded fault per check: the exact (code, cell) pairs the validator reports."""
import pytest
from faults import (add_part, consistent, drop_defined_name, edit_part, set_cell, stale, typed_over)

from workbook_tools.model.answers import answers_to_values, load_answers
from workbook_tools.catalogue import CATALOGUE
from workbook_tools.files.specsheet import load_spec
from workbook_tools.checks.validate import validate_workbook

from conftest import ROOT, SAMPLE_ANSWERS

GD = load_spec("gd-dept-overall-2023")
BASE = answers_to_values(GD, load_answers(SAMPLE_ANSWERS))
_OK = {}


def ok() -> bytes:
    if "gd" not in _OK:
        _OK["gd"] = consistent(GD, BASE)
    return _OK["gd"]


def inputs(**changes):
    vals = dict(BASE)
    vals.update(changes)
    return consistent(GD, vals)


def forms_inputs(**changes):
    """The gd form with targets.form_values (≥90%, 5次 read): the same sample with ``changes``."""
    from formvalues import with_form_values
    return consistent(with_form_values("gd-dept-overall-2023"), {**BASE, **changes})


def without(prefix):
    return consistent(GD, {k: v for k, v in BASE.items() if not k.startswith(prefix)})


CASES = {
    "clean": (lambda: ok(), set()),
    "cover": (lambda: inputs(**{"cover.unitName": None, "cover.agencyCode": "12/34", "cover.phone": "12345",
                                "cover.fillDate": "明天", "cover.fiscalYear": "2023"}),
              {("cover-missing", "封面!B3"), ("cover-format", "封面!B4"), ("cover-format", "封面!B9"),
               ("cover-date-invalid", "封面!B10"), ("number-as-text", "封面!B7")}),
    "cover-year": (lambda: inputs(**{"cover.fiscalYear": 1999}), {("cover-format", "封面!B7")}),
    "date-as-text": (lambda: inputs(**{"cover.fillDate": "2024年3月15日", "cover.mofDivCode": 440117}),
                     {("cover-date-text", "封面!B10")}),
    "placeholder": (lambda: inputs(**{"node.2.5.5.reason": "结合自评情况，说明扣分原因"}),
                    {("placeholder-text", "评分表!K29"), ("deduction-without-reason", "评分表!K29")}),
    "number-as-text": (lambda: inputs(**{"funds.0.actual": "28598.17"}),
                       {("number-as-text", "收支情况!D4"), ("low-exec-rate", "收支情况!B11")}),
    "types": (lambda: inputs(**{"funds.1.adjusted": "约一万", "funds.0.mid_actual": -5, "funds.0.projects": 1.5}),
              {("not-a-number", "收支情况!C5"), ("negative-money", "收支情况!G4"), ("count-invalid", "收支情况!I4"),
               ("full-score-with-reason", "评分表!K8")}),   # 政府性基金 budget no longer counts: rate > 100%
    "percent": (lambda: inputs(**{"target.benefit.5.value": 90, "target.benefit.5.actual": 92}),
                {("percent-as-number", "绩效目标!E43"), ("percent-as-number", "绩效目标!G43")}),
    "percent-vs-text": (lambda: forms_inputs(**{"target.benefit.5.value": "≥90%", "target.benefit.5.actual": 92}), set()),
    "text-in-number": (lambda: inputs(**{"target.output.1.actual": "约5次", "target.output.2.value": "较上年提高"}),
                       {("not-a-number", "绩效目标!G6"), ("not-a-number", "绩效目标!E7")}),   # no form_values
    "target-unreadable": (lambda: forms_inputs(**{"target.output.1.actual": "约5次", "target.output.2.value": "较上年提高"}),
                          {("target-value-unreadable", "绩效目标!G6"), ("target-value-unreadable", "绩效目标!E7")}),
    "magnitude": (lambda: inputs(**{"funds.1.actual": 111808900}),
                  {("money-magnitude", "收支情况!D5"), ("overspend", "收支情况!D5"),
                   ("full-score-with-reason", "评分表!K8")}),
    "row-in-yuan": (lambda: inputs(**{"funds.0.initial": 268000000, "funds.0.adjusted": 286503200,
                                      "funds.0.actual": 285981700, "funds.0.mid_budget": 186000000,
                                      "funds.0.mid_actual": 128103500, "funds.low_rate_reason": "x"}),
                    {("funds-row-scale", "收支情况!C4")}),
    "form-in-yuan": (lambda: inputs(**{f"funds.{i}.{k}": BASE[f"funds.{i}.{k}"] * 10000 for i in range(4)
                                       for k in ("initial", "adjusted", "actual", "mid_budget", "mid_actual")}),
                     {("funds-implausible-total", "收支情况!C8")}),
    "direction": (lambda: inputs(**{"target.output.1.direction": ">="}), {("invalid-choice", "绩效目标!D6")}),
    "scores": (lambda: inputs(**{"node.2.6.4.score": 1.00001, "node.2.1.1.score": 4, "node.2.2.1.score": None,
                                 "node.2.2.2.reason": "已按规定执行"}),
               {("score-precision", "评分表!J35"), ("score-out-of-range", "评分表!J11"),
                ("score-missing", "评分表!J13"), ("full-score-with-reason", "评分表!K14")}),
    "reasons": (lambda: inputs(**{"node.2.5.5.reason": None, "item.2.4.1.2.met": None}),
                {("deduction-without-reason", "评分表!K29"), ("checklist-item-missing", "评分表!H21")}),
    "funds-missing": (lambda: inputs(**{"funds.0.adjusted": None, "funds.1.adjusted": None, "funds.3.adjusted": None}),
                      {("funds-missing", "收支情况!C8"), ("funds-row-incomplete", "收支情况!C4"),
                       ("funds-row-incomplete", "收支情况!C5"), ("funds-row-incomplete", "收支情况!C7")}),
    "funds": (lambda: inputs(**{"funds.3.initial": None, "funds.3.actual": 250, "funds.1.mid_budget": 20000}),
              {("funds-row-incomplete", "收支情况!B7"), ("overspend", "收支情况!D7"),
               ("midyear-over-annual", "收支情况!F5")}),
    "low-rate": (lambda: inputs(**{"funds.0.actual": 10000, "funds.adjust_reason": None}),
                 {("low-exec-rate", "收支情况!B11"), ("budget-adjusted-without-reason", "收支情况!C8")}),
    "low-rate-explained": (lambda: inputs(**{"funds.0.actual": 10000,
                                             "funds.low_rate_reason": "重大项目延期至次年实施，资金已结转。"}), set()),
    "targets-missing": (lambda: without("target.output"), {("targets-missing", "评分表!H6")}),
    "targets": (lambda: inputs(**{"target.output.1.actual": None, "target.benefit.1.reason": None}),
                {("target-incomplete", "绩效目标!G6"), ("target-missed-without-reason", "绩效目标!I39")}),
    "not-applicable": (lambda: inputs(**{"node.2.1.1.applicable": "不适用"}),
                       {("not-applicable-without-reason", "评分表!K11")}),
    "not-applicable-explained": (lambda: inputs(**{"node.2.1.1.applicable": "不适用",
                                                   "node.2.1.1.reason": "本年度无新增预算项目"}), set()),
    "typed-over": (lambda: typed_over(ok(), GD, "node.1.1.3.score", 10),
                   {("formula-overwritten", "评分表!J8"), ("rule-score-mismatch", "评分表!J8"),
                    ("full-score-with-reason", "评分表!K8")}),
    "deleted": (lambda: typed_over(ok(), GD, "summary.grade", None),
                {("formula-deleted", "汇总!D18"), ("grade-mismatch", "汇总!D18")}),
    "stale-score": (lambda: stale(ok(), GD, "node.1.1.3.score", 10),
                    {("rule-score-mismatch", "评分表!J8"), ("full-score-with-reason", "评分表!K8")}),
    "stale-subtotal": (lambda: stale(ok(), GD, "node.1.score", 50), {("subtotal-mismatch", "评分表!J4")}),
    "stale-total": (lambda: stale(ok(), GD, "summary.total", 99), {("total-mismatch", "汇总!D16")}),
    "stale-grade": (lambda: stale(ok(), GD, "summary.grade", "良"), {("grade-mismatch", "汇总!D18")}),
    "stale-fund": (lambda: stale(ok(), GD, "funds.total.adjusted", 1), {("fund-total-mismatch", "收支情况!C8")}),
    "stale-rate": (lambda: stale(ok(), GD, "funds.exec_rate", 0.5), {("exec-rate-mismatch", "收支情况!B11")}),
    "stale-midyear": (lambda: stale(ok(), GD, "funds.mid_progress", 0.5), {("midyear-mismatch", "收支情况!B12")}),
    "stale-ratio": (lambda: stale(ok(), GD, "target.output.1.ratio", 0.5), {("target-ratio-mismatch", "绩效目标!H6")}),
    "stale-hint": (lambda: stale(ok(), GD, "node.2.1.1.hint", "x"), {("stale-value", "评分表!L11")}),
    "label": (lambda: set_cell(ok(), "评分表", "D8", "部门预算支出率"), {("label-changed", "评分表!D8")}),
    "weight": (lambda: set_cell(ok(), "评分表", "E8", 15), {("weight-changed", "评分表!E8")}),
    "header": (lambda: set_cell(ok(), "评分表", "J3", "得分"), {("header-changed", "评分表!J3")}),
    "fingerprint": (lambda: set_cell(ok(), "_wbtool", "B3", "0000"), {("fingerprint-mismatch", "_wbtool!B3")}),
    "name": (lambda: edit_part(ok(), "xl/workbook.xml", drop_defined_name("wb_summary_total")),
             {("name-broken", "汇总!D16")}),
    "macros": (lambda: add_part(ok(), "xl/vbaProject.bin", b"vba"), {("macros-present", "")}),
    "narrative": (lambda: inputs(**{"narrative.duties": None, "narrative.problems": "无"}),
                  {("narrative-missing", "文字说明!A5"), ("narrative-missing", "文字说明!A17")}),
    "narrative-placeholder": (lambda: inputs(**{"narrative.measures": "请填写下一步改进措施"}),
                              {("placeholder-text", "文字说明!A20"), ("narrative-missing", "文字说明!A20")}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_seeded_fault(tmp_path, case):
    build, expected = CASES[case]
    path = tmp_path / f"{case}.xlsx"
    path.write_bytes(build())
    rep = validate_workbook(path)
    got = {(f.code, f.cell) for f in rep.findings}
    assert got == expected, "\n".join(f"{f.code} {f.cell} {f.message()}" for f in rep.findings)
    for f in rep.findings:             # every message is rendered in both languages, no template holes
        assert "{" not in f.message("zh") and "{" not in f.message("en"), f.code


KS = load_spec(str(ROOT / "tests" / "specs" / "kitchen-sink.yaml"))
KS_BASE = {
    "funds.0.initial": 100, "funds.0.adjusted": 100, "funds.0.actual": 95, "funds.0.mid_budget": 50,
    "funds.0.mid_actual": 30,
    "target.output.1.direction": "≥", "target.output.1.name": "a", "target.output.1.value": 10,
    "target.output.1.actual": 10, "target.output.1.category": "数量指标", "target.output.1.unit": "个",
    "target.benefit.1.direction": "定性", "target.benefit.1.name": "b", "target.benefit.1.value": "提升",
    "target.benefit.1.actual": "达成", "target.benefit.1.weight": 20, "target.benefit.1.category": "社会效益指标",
    "node.2.1.basis": 150, "node.2.2.basis": 40, "node.2.3.basis": 0, "node.2.4.basis": 1, "node.2.5.basis": 1,
    "node.2.6.basis": 0, "node.2.7.basis": "达成", "node.2.7.score": 8, "item.2.8.1.met": "是",
    "item.2.8.2.met": "是", "node.2.9.score": 10, "node.1.3.reason": "少量结转",
}
KS_CASES = {
    "clean": ({}, set()),
    "basis-missing": ({"node.2.1.basis": None}, {("basis-missing", "评分表!G9")}),
    "qualitative-band": ({"node.2.7.basis": "部分达成", "node.2.7.score": 7.9, "node.2.7.reason": "部分完成"},
                         {("qualitative-band", "评分表!I15")}),
    "target-weights": ({"target.benefit.1.weight": 15},   # and 1.2 now scores 15 of 20 with no reason
                       {("target-weight-sum", "绩效目标!H15"), ("deduction-without-reason", "评分表!J6")}),
}


@pytest.mark.parametrize("case", sorted(KS_CASES))
def test_kitchen_sink_rule_checks(tmp_path, case):
    changes, expected = KS_CASES[case]
    path = tmp_path / f"{case}.xlsx"
    path.write_bytes(consistent(KS, {**KS_BASE, **changes}))
    rep = validate_workbook(path, spec=KS)
    got = {(f.code, f.cell) for f in rep.findings}
    assert got == expected, "\n".join(f"{f.code} {f.cell} {f.message()}" for f in rep.findings)


def test_every_readable_check_has_a_case():
    """The fixtures exercise every code of the catalogue except file-level ones (see test_bad_input)."""
    seen = set()
    for _, expected in CASES.values():
        seen |= {c for c, _ in expected}
    for _, expected in KS_CASES.values():
        seen |= {c for c, _ in expected}
    # file-level, ledger (test_crosscheck*) and project links (test_projects) have their own exact-case tests
    # …and foreign forms' re-scoring (category rescore): exact cases in test_foreign
    file_level = {c for c, e in CATALOGUE.items()
                  if e.category in ("file", "ledger", "links", "roster", "rescore")} | {"spec-unexpected"}
    file_level |= {"funds-scale-vs-last-year", "values-not-calculated"}     # collect / whole-file: test_verdicts
    file_level |= {"target-not-applicable-without-reason",     # project forms only: exact cases in test_projects
                   "project-sheet-unlisted"}
    file_level |= {"number-out-of-range", "outside-form"}        # patched-XML files: exact cases in test_robust
    file_level |= {"spec-embedded-mismatch"}           # a workbook's own spec vs the bureau's: test_speclib
    file_level |= {"unknown-scale-word", "coefficient-out-of-range"}   # words and rule shapes: test_scales

    file_level |= {"target-row-score-out-of-range",      # rows the unit scores (row_score): test_target_rowscore
                   "target-row-below-full-without-reason"}
    assert set(CATALOGUE) - file_level - seen == set()

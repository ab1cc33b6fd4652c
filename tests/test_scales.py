"""The words and rule shapes of real forms: scales (named word lists) for 定性 targets and rules, and the rule types
graded, coefficient, deduct_per_point_below and ratio_bands — spec checks, engine, workbook cells and findings."""
from __future__ import annotations

import copy
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from faults import consistent

from workbook_tools.checks.validate import validate_workbook
from workbook_tools.cli import main
from workbook_tools.errors import SpecError
from workbook_tools.files.specsheet import load_spec
from workbook_tools.model.engine import compute
from workbook_tools.model.layout import layout_for
from workbook_tools.model.spec import parse_spec
from workbook_tools.model.template import build_template

HERE = Path(__file__).resolve().parent
WS_PATH = HERE / "specs" / "words-and-shapes.yaml"
WS_DATA = yaml.safe_load(WS_PATH.read_text(encoding="utf-8"))
WS = load_spec(str(WS_PATH))


def _problems(data) -> dict:
    with pytest.raises(SpecError) as e:
        parse_spec(data)
    return dict(e.value.problems)


def _edit(**changes):
    d = copy.deepcopy(WS_DATA)
    for path, value in changes.items():
        node = d
        keys = path.split("/")
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node[k]
        if value is None:
            del node[keys[-1]]
        elif isinstance(node, list):
            node[int(keys[-1])] = value
        else:
            node[keys[-1]] = value
    return d


# ---------------------------------------------------------------- specs --check

def test_an_unused_scale_is_rejected_at_its_path():
    d = _edit(**{"scales/空词表": {"是": 1, "否": 0}})
    probs = _problems(d)
    assert list(probs) == ["scales.空词表"]
    assert "没有目标类别" in probs["scales.空词表"]


def test_a_scale_used_only_by_a_kind_or_only_by_a_rule_counts_as_used():
    d = _edit(**{"tree/1/children/1/rule": {"type": "graded"}})     # 完成度 no longer used
    assert list(_problems(d)) == ["scales.完成度"]
    d["scales"].pop("完成度")
    assert parse_spec(d).node("2.2").rule.params["words"] == {"达成": 1, "部分达成": D("0.7"), "未达成": D("0.3")}


def test_unknown_scale_names_get_a_did_you_mean():
    d = _edit(**{"targets/kinds/0/scale": "达成率", "tree/1/children/1/rule": {"type": "graded", "scale": "完成"}})
    probs = _problems(d)
    assert "您是否想写 `达成度`" in probs["targets.kinds[0].scale"]
    assert "您是否想写 `完成度`" in probs["tree[1].children[1].rule.scale"]


def test_bands_must_name_the_scales_words_every_one_of_them():
    rule = {"type": "qualitative", "scale": "好差", "bands": {"好": [0.9, 1], "较好的": [0.75, 0.9], "一般": [0.6, 0.75]}}
    probs = _problems(_edit(**{"tree/1/children/0/rule": rule}))
    assert "您是否想写 `较好`" in probs["tree[1].children[0].rule.bands.较好的"]
    assert "较好、差" in probs["tree[1].children[0].rule.bands"]
    rule = {"type": "qualitative", "bands": {"优秀": [0.9, 1]}}      # no scale: the default grades
    probs = _problems(_edit(**{"tree/1/children/0/rule": rule}))
    assert "达成 / 部分达成 / 未达成" in probs["tree[1].children[0].rule.bands.优秀"]


@pytest.mark.parametrize("words,fragment", [
    ({"好,很好": 1, "差": 0}, "逗号"),
    ({" 好": 1, "差": 0}, "空格"),
    ({"好": 1.2, "差": 0}, "0–1"),
    ({f"第{i}档评价等级说明文字": 1 for i in range(30)}, "255"),
])
def test_words_must_fit_a_dropdown(words, fragment):
    probs = _problems(_edit(**{"scales/好差": words}))
    assert any(fragment in m for p, m in probs.items() if p.startswith("scales.好差")), probs


def test_shape_errors_of_the_new_keys_are_messages_not_crashes():
    probs = _problems(_edit(**{"scales/好差": ["好", "差"], "targets/kinds/0/scale": 3}))
    assert "scales.好差" in probs and "targets.kinds[0].scale" in probs
    probs = _problems(_edit(**{"tree/1/children/4/rule": {"type": "ratio_bands", "target": 0,
                                                          "bands": [{"within": 0.1, "point": 5}]}}))
    assert "您是否想写 `points`" in probs["tree[1].children[4].rule.bands[0].point"]
    probs = _problems(_edit(**{"tree/1/children/4/rule": {"type": "ratio_bands", "target": 0,
                                                          "bands": [{"within": 0.1, "points": 9}]}}))
    assert set(probs) == {"tree[1].children[4].rule.target", "tree[1].children[4].rule.bands[0].points"}
    probs = _problems(_edit(**{"tree/1/children/3/rule": {"type": "deduct_per_point_below", "target": 0.95,
                                                          "step": 0, "points": 1}}))
    assert "step" in probs["tree[1].children[3].rule.step"]
    probs = _problems(_edit(**{"tree/1/children/2/rule": {"type": "coefficient", "min": 0.8, "max": 0.5}}))
    assert "min ≤ max" in probs["tree[1].children[2].rule"]


def test_specs_check_cli_names_the_path(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(_edit(**{"scales/空词表": {"是": 1, "否": 0}}), allow_unicode=True), encoding="utf-8")
    r = CliRunner().invoke(main, ["specs", "--check", str(p)])
    assert r.exit_code != 0 and "scales.空词表" in r.output


# ---------------------------------------------------------------- engine

@pytest.mark.parametrize("leaf,basis,score", [
    ("2.2", "完成", D(10)), ("2.2", "未完成", D(0)), ("2.2", "基本完成", None), ("2.2", 1, None),
    ("2.6", "部分达成", D("3.5")), ("2.6", "达成预期指标", None),          # the default scale: qualitative_ratios
    ("2.3", D("0.85"), D("8.5")), ("2.3", D("0.5"), D(5)), ("2.3", D("0.4"), None), ("2.3", D("1.01"), None),
    ("2.4", D("0.95"), D(10)), ("2.4", D("0.83"), D("7.6")), ("2.4", D("0.90"), D(9)), ("2.4", D(0), D(0)),
    ("2.5", D(110), D(5)), ("2.5", D(90), D(5)), ("2.5", D("110.01"), D(3)), ("2.5", D(80), D(3)),
    ("2.5", D(121), D(1)), ("2.5", D(-100), D(1)),
])
def test_rule_scores(leaf, basis, score):
    got = compute(WS, {f"node.{leaf}.basis": basis}).rule_scores[leaf]
    assert got == score


def test_deduct_per_point_below_ceil_counts_a_started_step():
    d = _edit(**{"tree/1/children/3/rule": {"type": "deduct_per_point_below", "target": 1, "step": 0.01,
                                            "points": 0.2, "rounding": "ceil"}})
    spec = parse_spec(d)
    assert compute(spec, {"node.2.4.basis": D("0.975")}).rule_scores["2.4"] == D("9.4")      # 2.5 points → 3
    assert compute(spec, {"node.2.4.basis": D("0.97")}).rule_scores["2.4"] == D("9.4")
    assert compute(spec, {"node.2.4.basis": D("0.5")}).rule_scores["2.4"] == D(0)          # floor 0


def test_target_rows_use_their_kinds_scale():
    v = compute(WS, {"target.output.1.direction": "定性", "target.output.1.actual": "部分达成",
                     "target.output.2.direction": "定性", "target.output.2.actual": "达成",      # not a 达成度 word
                     "target.benefit.1.direction": "定性", "target.benefit.1.actual": "基本满意",
                     "target.benefit.1.weight": 20,
                     "target.cost.1.direction": "定性", "target.cost.1.actual": "达成"}).values
    assert v["target.output.1.ratio"] == D("0.6") and v["target.output.2.ratio"] is None
    assert v["target.benefit.1.score"] == D(12) and v["target.cost.1.ratio"] == D(1)


# ---------------------------------------------------------------- the workbook

def test_words_are_dropdowns_and_prompts(tmp_path):
    out = tmp_path / "t.xlsx"
    build_template(WS, out)
    L = layout_for(WS)
    ws = openpyxl.load_workbook(out)["评分表"]
    lists = {str(c): dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"
             for c in dv.sqref.ranges}
    assert lists[L["node.2.1.basis"].coord] == '"好,较好,一般,差"'
    assert lists[L["node.2.2.basis"].coord] == '"完成,未完成"'
    assert lists[L["node.2.6.basis"].coord] == '"达成,部分达成,未达成"'
    coef = [dv for dv in ws.data_validations.dataValidation if L["node.2.3.basis"].coord in str(dv.sqref)]
    assert coef and (coef[0].type, coef[0].formula1, coef[0].formula2) == ("decimal", "0.5", "1")
    actual = L["target.benefit.1.actual"]
    assert '="很满意"' in actual.custom and "基本满意" in actual.prompt


# ---------------------------------------------------------------- findings

BASE = {"funds.0.initial": 100, "funds.0.adjusted": 100, "funds.0.actual": 95,
        "target.output.1.direction": "定性", "target.output.1.name": "a", "target.output.1.value": "完成建设",
        "target.output.1.actual": "达成预期指标", "target.output.1.category": "数量指标",
        "target.benefit.1.direction": "定性", "target.benefit.1.name": "b", "target.benefit.1.value": "满意",
        "target.benefit.1.actual": "很满意", "target.benefit.1.weight": 20, "target.benefit.1.category": "满意度指标",
        "target.cost.1.direction": "≤", "target.cost.1.name": "c", "target.cost.1.value": 10,
        "target.cost.1.actual": 9, "target.cost.1.category": "成本指标",
        "node.2.1.basis": "较好", "node.2.1.score": 8, "node.2.1.reason": "部分宣传未到位",
        "node.2.2.basis": "完成", "node.2.3.basis": 1, "node.2.4.basis": 0.96, "node.2.5.basis": 100,
        "node.2.6.basis": "达成"}
CASES = {
    "clean": ({}, set()),
    "word-not-in-the-kinds-scale": ({"target.output.1.actual": "达成", "target.output.1.reason": "原因"},
                                    {("unknown-scale-word", "绩效目标!G6")}),
    "number-in-a-qualitative-row": ({"target.benefit.1.actual": 1, "node.1.2.reason": "满意度未测评"},
                                    {("unknown-scale-word", "绩效目标!G13")}),
    "coefficient-out-of-range": ({"node.2.3.basis": 1.2}, {("coefficient-out-of-range", "评分表!G11")}),
    "graded-word-outside": ({"node.2.2.basis": "基本完成"}, {("invalid-choice", "评分表!G10")}),
    "qualitative-band": ({"node.2.1.score": 9.5}, {("qualitative-band", "评分表!I9")}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_findings(tmp_path, case):
    changes, expected = CASES[case]
    path = tmp_path / f"{case}.xlsx"
    path.write_bytes(consistent(WS, {**BASE, **changes}))
    rep = validate_workbook(path, spec=WS)
    got = {(f.code, f.cell) for f in rep.findings if f.code not in ("cover-missing",)}
    assert got == expected, "\n".join(f"{f.code} {f.cell} {f.message()}" for f in rep.findings)
    for f in rep.findings:
        assert "{" not in f.message("zh") and "{" not in f.message("en"), f.code


def test_a_long_scale_keeps_the_validation_formula_within_excels_limit():
    words = {f"第{i}档评价{'等' * 8}": round(1 - i / 12, 2) for i in range(12)}
    spec = parse_spec(_edit(**{"scales/达成度": words}))
    L = layout_for(spec)
    actual = L["target.output.1.actual"]
    assert len(actual.custom) <= 255 and "ISTEXT(G6)" in actual.custom
    assert len(",".join(words)) <= 255 and L["target.benefit.1.actual"].custom.count('="') == 5   # short: each word
    v = compute(spec, {"target.output.1.direction": "定性", "target.output.1.actual": "第3档评价等等等等等等等等"}).values
    assert v["target.output.1.ratio"] == D("0.75")


def test_the_published_schema_knows_scales():
    import json
    import jsonschema
    schema = json.loads((HERE.parent / "docs" / "spec.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(WS_DATA, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_edit(**{"scales/好差": ["好", "差"]}), schema)


def test_a_graded_word_outside_its_scale_leaves_the_form_ungraded():
    res = compute(WS, {"node.2.2.basis": "基本完成"})
    assert res.values["node.2.2.hint"] == "未评分" and res.grade == "未完成"

from decimal import Decimal as D

import pytest

from workbook_tools.model.engine import compute, target_ratio
from workbook_tools.model.spec import parse_spec
from workbook_tools.files.specsheet import load_spec


def test_seed_golden_numbers(gd_spec, seed_values):
    r = compute(gd_spec, seed_values)
    v = r.values
    assert v["funds.exec_rate"] == D("0.9974")
    assert v["node.1.1.3.score"] == D("9.974")
    assert v["node.1.1.1.score"] == D(20)
    assert v["node.1.1.2.score"] == D("19.8894")
    assert v["node.1.score"] == D("49.8634")
    assert v["node.2.4.1.score"] == D(3)
    assert r.total == D("95.8634") and r.display == D("95.86") and r.grade == "优"
    assert v["funds.mid_progress"] == D("0.679") and v["funds.mid_gap"] == D("17.9")
    assert v["funds.total.adjusted"] == D("40082.65") and v["funds.total.actual"] == D("39979.06")
    assert v["node.2.5.5.hint"] == "" and v["node.2.1.1.hint"] == ""


def test_missing_reason_and_bad_scores_give_live_hints(gd_spec, seed_values):
    vals = dict(seed_values)
    vals["node.2.5.5.reason"] = None
    vals["node.2.1.1.score"] = 4
    vals["node.2.2.1.score"] = "2"
    vals["node.2.2.2.score"] = None
    v = compute(gd_spec, vals).values
    assert v["node.2.5.5.hint"] == "请填写扣分原因"
    assert v["node.2.1.1.hint"] == "得分超过分值"
    assert v["node.2.2.1.hint"] == "得分应为数字"
    assert v["node.2.2.2.hint"] == "未评分"


@pytest.mark.parametrize("direction,value,actual,expected", [
    ("≥", 10, 12, "1"), ("≥", 20000, 19447, "0.97235"), ("≥", 0, 0, "1"), ("≥", 10, -1, "0"),
    ("≤", 60, 52.3, "1"), ("≤", 3, 4, "0.75"), ("≤", -1, 0, "0"),
    ("=", 0, 0, "1"), ("=", 0, 1, "0"), ("=", 100, 90, "0.9"), ("=", 100, 250, "0"),
    ("定性", "有效提升", "达成", "1"), ("定性", "x", "部分达成", "0.7"), ("定性", "x", "未达成", "0.3"),
    ("定性", "x", "很好", None), ("≥", "10", 5, None), ("", 1, 1, None), ("≥", 10, None, None),
        # without targets.form_values numbers are read as typed (with it: tests/test_targetvalue.py)
    (">=", 10, 10, None),
])
def test_target_ratio_by_direction(gd_spec, direction, value, actual, expected):
    got = target_ratio(gd_spec, direction, value, actual)
    assert got == (D(expected) if expected is not None else None)


RULES_DOC = {
    "id": "rules", "version": "1", "title": "rules", "total_weight": 70,
    "targets": {"kinds": [{"key": "out", "rows": 3}]},
    "tree": [
        {"id": "p", "name": "正向", "weight": 10, "rule": {"type": "proportional", "target": 200}},
        {"id": "r", "name": "反向", "weight": 10, "rule": {"type": "reverse_proportional", "target": 50}},
        {"id": "b", "name": "区间", "weight": 3, "rule": {"type": "bands", "bands": [
            {"eq": 0, "points": 3}, {"gt": 0, "le": 0.1, "points": 2}, {"gt": 0.1, "le": 0.2, "points": 1}]}},
        {"id": "o", "name": "超限", "weight": 6, "rule": {"type": "deduct_per_point_over", "limit": 1, "per_point": 1}},
        {"id": "oc", "name": "超限取整", "weight": 6,
         "rule": {"type": "deduct_per_point_over", "limit": 1, "per_point": 1, "rounding": "ceil"}},
        {"id": "c", "name": "按例", "weight": 5, "rule": {"type": "deduct_per_case", "per_case": 1}},
        {"id": "q", "name": "定性", "weight": 10, "rule": {"type": "qualitative"}},
        {"id": "k", "name": "清单", "weight": 5, "rule": {"type": "checklist", "items": [
            {"name": "甲", "points": 2}, {"name": "乙", "points": 3}]}},
        {"id": "t", "name": "目标", "weight": 15, "rule": {"type": "target_completion", "kind": "out"}},
    ]}


@pytest.mark.parametrize("leaf,basis,expected", [
    ("p", 150, "7.5"), ("p", 300, "10"), ("p", "150", None), ("p", -5, "0"),
    ("r", 40, "10"), ("r", 100, "5"), ("r", 0, "10"),
    ("b", 0, "3"), ("b", 0.05, "2"), ("b", 0.1, "2"), ("b", 0.15, "1"), ("b", 0.25, "0"),
    ("o", 1.0, "6"), ("o", 1.03, "3"), ("o", 1.025, "3.5"), ("o", 1.2, "0"),
    ("oc", 1.025, "3"), ("oc", 1.03, "3"),
    ("c", 0, "5"), ("c", 2, "3"), ("c", 9, "0"), ("c", -1, "5"),
])
def test_rule_types_from_basis(leaf, basis, expected):
    spec = parse_spec(RULES_DOC)
    r = compute(spec, {f"node.{leaf}.basis": basis})
    assert r.rule_scores[leaf] == (D(expected) if expected is not None else None)


def test_checklist_qualitative_and_target_completion():
    spec = parse_spec(RULES_DOC)
    vals = {"item.k.1.met": "是", "item.k.2.met": "否", "node.q.basis": "部分达成", "node.q.score": 7,
            "target.out.1.direction": "≥", "target.out.1.value": 4, "target.out.1.actual": 3,
            "target.out.2.direction": "≤", "target.out.2.value": 1, "target.out.2.actual": 1}
    r = compute(spec, vals)
    assert r.rule_scores["k"] == 2
    assert r.leaf_scores["q"] == 7 and r.rule_scores["q"] is None
    assert r.values["node.t.basis"] == D("0.875") and r.leaf_scores["t"] == D("13.125")


def _form_rules_spec(**rules):
    doc = {"id": "fr", "version": "1", "title": "fr", "total_weight": 100,
           "funds": {"sources": ["一般公共预算"]},
           "targets": {"kinds": [{"key": "out", "rows": 4}]},
           "form_rules": rules,
           "tree": [{"id": "1", "name": "产出", "weight": 50, "rule": {"type": "target_completion", "kind": "out"}},
                    {"id": "2", "name": "执行", "weight": 10, "rule": {"type": "execution_rate"}},
                    {"id": "3", "name": "其他", "weight": 40}]}
    return parse_spec(doc)


CAP = {"execution_cap": {"bands": [{"below": 0.5, "max_total": 59}, {"below": 0.6, "max_total": 69},
                                   {"below": 0.7, "max_total": 79}, {"below": 0.8, "max_total": 89}]}}


@pytest.mark.parametrize("actual,cap,total", [
    (95, 100, "99.5"), (75, 89, "89"), (65, 79, "79"), (55, 69, "69"), (45, 59, "59"), (80, 100, "98")])
def test_execution_rate_caps_the_total(actual, cap, total):
    spec = _form_rules_spec(**CAP)
    vals = {"funds.0.adjusted": 100, "funds.0.actual": actual, "node.3.score": 40,
            "target.out.1.direction": "≥", "target.out.1.value": 1, "target.out.1.actual": 1}
    r = compute(spec, vals)
    assert r.values["summary.cap"] == cap
    assert r.total == D(total)


def test_target_deviation_penalty():
    spec = _form_rules_spec(target_deviation_penalty={"threshold": 0.3, "points": 2, "max_total": 3})
    vals = {"funds.0.adjusted": 100, "funds.0.actual": 100, "node.3.score": 40,
            "target.out.1.direction": "≥", "target.out.1.value": 100, "target.out.1.actual": 70,   # missed by 30%
            "target.out.2.direction": "≥", "target.out.2.value": 100, "target.out.2.actual": 131,  # exceeded 31%
            "target.out.3.direction": "≤", "target.out.3.value": 100, "target.out.3.actual": 129}  # 29%: no
    r = compute(spec, vals)
    assert [r.values[f"target.out.{n}.dev"] for n in (1, 2, 3, 4)] == [1, 1, 0, 0]
    assert r.values["summary.penalty"] == 3           # 2 × 2 = 4, capped at 3
    # 50 × (0.7 + 1 + 100/129)/3 = 41.2532; + 10 + 40
    assert r.values["summary.raw"] == D("91.2532")
    assert r.total == D("88.2532")


def test_national_project_worked_example_and_rescale():
    """A 2022 town project form: 产出 8+8+8+8+8+10, 效益 10+10+10, 执行率 89.974/89.974."""
    spec = load_spec("national-project-2020")
    vals = {"funds.0.adjusted": 89.974, "funds.0.actual": 89.974}
    for n, w in enumerate([8, 8, 8, 8, 8, 10], 1):
        vals |= {f"target.output.{n}.direction": "≥", f"target.output.{n}.value": 1,
                 f"target.output.{n}.actual": 1, f"target.output.{n}.weight": w}
    for n in (1, 2, 3):
        vals |= {f"target.benefit.{n}.direction": "定性", f"target.benefit.{n}.value": "有效",
                 f"target.benefit.{n}.actual": "达成", f"target.benefit.{n}.weight": 10}
    vals |= {"target.satisfaction.1.direction": "≥", "target.satisfaction.1.value": 0.9,
             "target.satisfaction.1.actual": 0.95, "target.satisfaction.1.weight": 10}
    r = compute(spec, vals)
    assert r.values["node.4.basis"] == 1 and r.leaf_scores["4"] == 10
    assert r.leaf_scores["1"] == 50 and r.leaf_scores["2"] == 30 and r.leaf_scores["3"] == 10
    assert r.total == 100 and r.grade == "优"
    # no satisfaction survey: 满意度 is 不适用, the other 90 points are rescaled to 100
    vals2 = {k: v for k, v in vals.items() if not k.startswith("target.satisfaction")}
    vals2["target.output.1.actual"] = 0.5        # 8 × 0.5 = 4 lost
    vals2["node.3.applicable"] = "不适用"
    r2 = compute(spec, vals2)
    assert r2.values["summary.raw"] == D(86)
    assert r2.values["summary.applicable_weight"] == D(90)
    assert r2.total == D("95.5556") and r2.display == D("95.56")

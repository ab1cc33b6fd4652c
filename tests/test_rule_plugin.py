"""Adding a rule type is one new module of workbook_tools/model/rules/: spec contract, schema, docs, template and
engine pick it up from the registry (LibreOffice agreement for it: test_lo_agreement)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from rule_examples import example_spec, new_rule_installed

from workbook_tools.docs import rules_markdown
from workbook_tools.errors import SpecError
from workbook_tools.model.engine import compute
from workbook_tools.model.layout import layout_for
from workbook_tools.model.rules import RULES, RuleType
from workbook_tools.model.spec import parse_spec
from workbook_tools.model.specformat import json_schema
from workbook_tools.model.template import build_template


def _doc(rule):
    return {"id": "t", "version": "1", "title": "t", "total_weight": 10,
            "tree": [{"id": "1", "name": "a", "weight": 10, "children": [
                {"id": "1.1", "name": "完成率", "weight": 5, "rule": rule}, {"id": "1.2", "name": "b", "weight": 5}]}]}


RULE = {"type": "bonus_per_case", "per_case": 0.8, "cap_cases": 5}


def test_a_new_rule_module_is_all_a_new_rule_needs(tmp_path):
    with new_rule_installed(tmp_path) as rt:
        spec = parse_spec(_doc(RULE))
        leaf = spec.node("1.1")
        assert leaf.rule.impl is rt and leaf.rule.label == "按例加分"
        assert leaf.rule.params == {"per_case": Decimal("0.8"), "cap_cases": Decimal("5")}
        # the contract knows its parameters
        with pytest.raises(SpecError) as e:
            parse_spec(_doc({"type": "bonus_per_case", "per_case": 0.8, "cap_case": 1}))
        probs = dict(e.value.problems)
        assert "您是否想写 `cap_cases`" in probs["tree[0].children[0].rule.cap_case"]
        assert "缺少参数 cap_cases" in probs["tree[0].children[0].rule.cap_cases"]
        # the schema, the docs and the example form carry it
        assert "bonus_per_case" in str(json_schema())
        assert "`bonus_per_case`" in rules_markdown() and rt.examples[0] in rules_markdown()
        assert "bonus_per_case" in {leaf.rule.type for leaf in example_spec().leaves()}
        # the workbook has its 评分依据 input and its formula; the engine scores it
        L = layout_for(spec)
        assert L["node.1.1.basis"].role == "input"
        assert "ROUND(MIN(5,0.8*MIN(5,MAX(0," in L["node.1.1.score"].formula
        assert build_template(spec)[:2] == b"PK"
        res = compute(spec, {"node.1.1.basis": Decimal("3"), "node.1.2.score": Decimal(5)})
        assert res.rule_scores["1.1"] == Decimal("2.4000") and res.total == Decimal("7.4000")
        assert compute(spec, {"node.1.1.basis": Decimal("9")}).rule_scores["1.1"] == Decimal(4)
    assert "bonus_per_case" not in RULES
    with pytest.raises(SpecError) as e:
        parse_spec(_doc(RULE))
    assert "未知的计分规则" in dict(e.value.problems)["tree[0].children[0].rule.type"]


def test_every_registered_rule_is_complete():
    """What the registry asks of a rule: a label, docs, an example that loads, and a formula for computed scores."""
    for name, r in RULES.items():
        assert r.name == name and r.label and r.summary and r.examples, name
        for k, f in r.params.items():
            assert f.doc, f"{name}.{k} has no doc"
        if not r.manual_score:
            assert type(r).formula is not RuleType.formula, f"{name} computes a score without a formula"
            assert type(r).compute is not RuleType.compute, f"{name} has a formula without a Python twin"
    covered = {leaf.rule.type for leaf in example_spec().leaves()}
    assert covered == set(RULES)

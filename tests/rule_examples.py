"""A spec built from every registered rule type's documented YAML examples: a new rule is in it by construction."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import yaml

from workbook_tools.model.rules import RULES
from workbook_tools.model.spec import Spec, parse_spec


def example_leaves() -> list[tuple[str, dict]]:
    """(rule name, leaf mapping) for every example of every registered rule."""
    return [(name, yaml.safe_load(ex)) for name, r in RULES.items() for ex in r.examples]


def example_spec_data(inapplicable: str = "full_marks") -> dict:
    kinds: dict[str, dict] = {}
    for r in RULES.values():
        for k in (r.example_context.get("targets") or {}).get("kinds", []):
            kinds.setdefault(k["key"], k)
    leaves = []
    for i, (_, leaf) in enumerate(example_leaves(), 1):
        leaves.append({**leaf, "id": f"1.{i}"})        # examples reuse ids; the form needs them unique
    total = sum(leaf["weight"] for leaf in leaves)
    return {"id": f"rule-examples-{inapplicable.replace('_', '-')}", "version": "1", "title": "全部计分规则示例表",
            "total_weight": total, "inapplicable": inapplicable,
            "funds": {"sources": ["一般公共预算", "其他资金"], "midyear": {"label": "1-6月", "target_progress": 0.5}},
            "targets": {"kinds": list(kinds.values())},
            "tree": [{"id": "1", "name": "全部规则", "weight": total, "children": leaves}]}


def example_spec(inapplicable: str = "full_marks") -> Spec:
    return parse_spec(example_spec_data(inapplicable), source=f"rule examples ({inapplicable})")


# ------------------------------------------------------------------ a new rule type, in one file

NEW_RULE_MODULE = '''"""deduct_per_point_below: full marks at or above a target, minus k per percentage point below it."""
from workbook_tools.model.contract import Field, Num
from workbook_tools.model.rules.base import BasisInput, RuleType
from workbook_tools.numbers import ZERO, round_half_up


class DeductPerPointBelow(RuleType):
    name = "deduct_per_point_below"
    label = "低于目标扣分"
    summary = "分值 − per_point × percentage points of 评分依据 below `target`, floor 0"
    params = {"target": Field(Num(), required=True, doc="the target ratio (90% → 0.9)"),
              "per_point": Field(Num(), required=True, doc="points deducted per percentage point below it")}
    examples = ('{id: "9", name: 完成率, weight: 5, rule: {type: deduct_per_point_below, target: 0.9, per_point: 0.2}}',)
    basis = BasisInput("number", "实际完成率（百分比）", "实际值")

    def formula(self, f):
        below = f"MAX(0,ROUND(({f.n(f.p['target'])}-{f.H})*100,6))"
        return f'IF(ISNUMBER({f.H}),ROUND(MAX(0,{f.w}-{f.n(f.p["per_point"])}*{below}),4),"")'

    def compute(self, e):
        h = e.basis_input()
        if h is None:
            return None
        below = max(ZERO, round_half_up((e.p["target"] - h) * 100, 6))
        return round_half_up(max(ZERO, e.w - e.p["per_point"] * below), 4)
'''


@contextmanager
def new_rule_installed(folder: Path):
    """The rule above as one new module of workbook_tools.model.rules (in ``folder``), registered; removed after."""
    import workbook_tools.model.rules as rules
    (folder / "deduct_per_point_below.py").write_text(NEW_RULE_MODULE, encoding="utf-8")
    rules.__path__.append(str(folder))
    try:
        rules.refresh()
        yield rules.RULES["deduct_per_point_below"]
    finally:
        rules.__path__.remove(str(folder))
        sys.modules.pop("workbook_tools.model.rules.deduct_per_point_below", None)
        rules.refresh()

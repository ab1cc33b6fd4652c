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
    scales: dict[str, dict] = {}
    for r in RULES.values():
        for k in (r.example_context.get("targets") or {}).get("kinds", []):
            kinds.setdefault(k["key"], k)
        scales.update(r.example_context.get("scales") or {})
    leaves = []
    for i, (_, leaf) in enumerate(example_leaves(), 1):
        leaves.append({**leaf, "id": f"1.{i}"})        # examples reuse ids; the form needs them unique
    total = sum(leaf["weight"] for leaf in leaves)
    return {"id": f"rule-examples-{inapplicable.replace('_', '-')}", "version": "1", "title": "全部计分规则示例表",
            "total_weight": total, "inapplicable": inapplicable,
            "funds": {"sources": ["一般公共预算", "其他资金"], "midyear": {"label": "1-6月", "target_progress": 0.5}},
            "targets": {"kinds": list(kinds.values())}, **({"scales": scales} if scales else {}),
            "tree": [{"id": "1", "name": "全部规则", "weight": total, "children": leaves}]}


def example_spec(inapplicable: str = "full_marks") -> Spec:
    return parse_spec(example_spec_data(inapplicable), source=f"rule examples ({inapplicable})")


# ------------------------------------------------------------------ a new rule type, in one file

NEW_RULE_MODULE = '''"""bonus_per_case (test only): per_case points for each case typed in 评分依据, up to 分值."""
from workbook_tools.model.contract import Field, Num
from workbook_tools.model.rules.base import BasisInput, RuleType
from workbook_tools.numbers import ZERO, round_half_up


class BonusPerCase(RuleType):
    name = "bonus_per_case"
    label = "按例加分"
    summary = "MIN(分值, per_case × the number of cases typed in 评分依据), floor 0"
    params = {"per_case": Field(Num(), required=True, doc="points per case"),
              "cap_cases": Field(Num(), required=True, doc="cases counted at most")}
    examples = ('{id: "9", name: 典型案例报送, weight: 5, rule: {type: bonus_per_case, per_case: 0.8, cap_cases: 5}}',)
    basis = BasisInput("count", "报送的典型案例数（整数）", "案例数")

    def formula(self, f):
        cases = f"MIN({f.n(f.p['cap_cases'])},MAX(0,{f.H}))"
        return f'IF(ISNUMBER({f.H}),ROUND(MIN({f.w},{f.n(f.p["per_case"])}*{cases}),4),"")'

    def compute(self, e):
        h = e.basis_input()
        if h is None:
            return None
        cases = min(e.p["cap_cases"], max(ZERO, h))
        return round_half_up(min(e.w, e.p["per_case"] * cases), 4)
'''


@contextmanager
def new_rule_installed(folder: Path):
    """The rule above as one new module of workbook_tools.model.rules (in ``folder``), registered; removed after."""
    import workbook_tools.model.rules as rules
    (folder / "bonus_per_case.py").write_text(NEW_RULE_MODULE, encoding="utf-8")
    rules.__path__.append(str(folder))
    try:
        rules.refresh()
        yield rules.RULES["bonus_per_case"]
    finally:
        rules.__path__.remove(str(folder))
        sys.modules.pop("workbook_tools.model.rules.bonus_per_case", None)
        rules.refresh()

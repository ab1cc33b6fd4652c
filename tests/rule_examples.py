"""A spec built from every registered rule type's documented YAML examples: a new rule is in it by construction."""
from __future__ import annotations

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

"""checklist: items answered 是 / 否 below the indicator; the score is the points of the items met."""
from __future__ import annotations

from decimal import Decimal

from workbook_tools.model.contract import Field, ListOf, Num, Record, Str
from workbook_tools.model.rules.base import RuleType, to_decimal
from workbook_tools.numbers import ZERO, round_half_up

ITEM = Record({"name": Field(Str(), required=True, doc="what must be met"),
               "points": Field(Num(), required=True, doc="its points")},
              doc="one item of the checklist", missing_zh="清单项需要 name 和 points（缺少 {k}）",
              missing_en="a checklist item needs name and points ({k} is missing)")


class Checklist(RuleType):
    name = "checklist"
    label = "清单计分"
    order = 90
    summary = "the points of the items answered 是 (the items' points add up to 分值)"
    params = {"items": Field(ListOf(ITEM), required=True, doc="`[{name, points}, …]`, points adding up to 分值")}
    examples = ('''id: "2.8"
name: 绩效管理制度建设
weight: 5
rule:
  type: checklist
  items: [{name: 已制定本部门绩效管理办法, points: 2}, {name: 办法已正式印发（非征求意见稿）, points: 3}]''',)

    def validate(self, p, raw, path, weight, probs, targets):
        items = []
        given = raw.get("items")
        for i, it in enumerate(given if isinstance(given, list) else []):
            if not isinstance(it, dict) or "name" not in it or "points" not in it:
                probs.add(f"{path}.items[{i}]", "清单项需要 name 和 points", "a checklist item needs name and points")
                continue
            items.append((str(it["name"]), to_decimal(it["points"], f"{path}.items[{i}].points", probs) or Decimal(0)))
        if items and sum(p for _, p in items) != weight:
            probs.add(f"{path}.items", f"清单项分值合计 {sum(p for _, p in items)} ≠ 指标分值 {weight}",
                      f"the items' points add up to {sum(p for _, p in items)} ≠ the weight {weight}")
        if not items and "items" in raw:
            probs.add(f"{path}.items", "清单至少需要一项", "a checklist needs at least one item")
        p["items"] = items
        return p

    def items(self, p):
        return p["items"]

    def formula(self, f):
        parts = [f'IF({f.item(j)}="{f.YES}",{f.n(pts)},0)' for j, (_, pts) in enumerate(f.p["items"], 1)]
        return f"ROUND({'+'.join(parts)},4)"

    def compute(self, e):
        return round_half_up(sum((pts for j, (_, pts) in enumerate(e.p["items"], 1) if e.item_met(j)), ZERO), 4)

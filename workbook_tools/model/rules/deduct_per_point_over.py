"""deduct_per_point_over: full marks up to a limit, minus k per percentage point over it, floor 0."""
from __future__ import annotations

from workbook_tools.model.contract import Enum, Field, Num
from workbook_tools.model.rules.base import BasisInput, RuleType
from workbook_tools.numbers import ZERO, round_half_up, round_up


class DeductPerPointOver(RuleType):
    name = "deduct_per_point_over"
    label = "超限扣分"
    order = 60
    summary = "分值 − per_point × percentage points of 评分依据 over `limit`, floor 0"
    params = {"limit": Field(Num(), required=True, doc="the ratio up to which the score is full (100% → 1)"),
              "per_point": Field(Num(), required=True, doc="points deducted per percentage point over the limit"),
              "rounding": Field(Enum(("exact", "ceil")), doc="exact: fractions of a point count; "
                                                              "ceil: a started point counts as a whole one")}
    defaults = {"rounding": "exact"}
    examples = ('{id: "2.4", name: "“三公”经费控制率", weight: 6, '
                'rule: {type: deduct_per_point_over, limit: 1, per_point: 1, rounding: ceil}}',)
    basis = BasisInput("number", "评分依据数值（比例填百分比）", "实际比率")

    def formula(self, f):
        over = f"MAX(0,ROUND(({f.H}-{f.n(f.p['limit'])})*100,6))"
        if f.p["rounding"] == "ceil":
            over = f"ROUNDUP({over},0)"
        return f'IF(ISNUMBER({f.H}),ROUND(MAX(0,{f.w}-{f.n(f.p["per_point"])}*{over}),4),"")'

    def compute(self, e):
        h, p = e.basis_input(), e.p
        if h is None:
            return None
        over = max(ZERO, round_half_up((h - p["limit"]) * 100, 6))
        if p["rounding"] == "ceil":
            over = round_up(over, 0)
        return round_half_up(max(ZERO, e.w - p["per_point"] * over), 4)

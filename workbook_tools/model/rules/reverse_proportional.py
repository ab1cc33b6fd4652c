"""reverse_proportional (反向, 指标值 "≤ A"): full marks up to A, above it A ÷ B × 分值."""
from __future__ import annotations

from workbook_tools.model.contract import Field, Num
from workbook_tools.model.rules.base import BasisInput, RuleType
from workbook_tools.numbers import ZERO, round_half_up


class ReverseProportional(RuleType):
    name = "reverse_proportional"
    label = "反向比例计分"
    order = 40
    summary = "B ≤ A: 分值; else A ÷ B × 分值 (B typed in 评分依据)"
    params = {"target": Field(Num(), required=True, doc="the limit A the actual value B should not exceed")}
    examples = ('{id: "2.2", name: 公用经费控制率, weight: 2, rule: {type: reverse_proportional, target: 1}}',)
    basis = BasisInput("number", "评分依据数值（比例填百分比）", "实际值")

    def formula(self, f):
        a = f.n(f.p["target"])
        return f'IF(ISNUMBER({f.H}),IF({f.H}<={a},{f.w},IF({f.H}>0,ROUND(MAX(0,{a}/{f.H})*{f.w},4),0)),"")'

    def compute(self, e):
        h, a, w = e.basis_input(), e.p["target"], e.w
        if h is None:
            return None
        if h <= a:
            return w
        return round_half_up(max(ZERO, a / h) * w, 4) if h > 0 else ZERO

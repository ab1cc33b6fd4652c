"""proportional (正向, 指标值 "≥ A"): MIN(B ÷ A, 1) × 分值, B typed in 评分依据."""
from __future__ import annotations

from workbook_tools.model.contract import Field, Num
from workbook_tools.model.rules.base import BasisInput, RuleType
from workbook_tools.numbers import ONE, ZERO, round_half_up


class Proportional(RuleType):
    name = "proportional"
    label = "正向比例计分"
    order = 30
    summary = "MIN(B ÷ A, 1) × 分值, B typed in 评分依据 (A ≤ 0: 分值 when B ≥ A, else 0)"
    params = {"target": Field(Num(), required=True, doc="the target value A (a ratio as a decimal: 95% → 0.95)")}
    examples = ('{id: "2.1", name: 固定资产利用率, weight: 2, rule: {type: proportional, target: 0.95}}',)
    basis = BasisInput("number", "评分依据数值（比例填百分比）", "实际值")

    def formula(self, f):
        a = f.p["target"]
        body = (f"ROUND(MIN(1,MAX(0,{f.H}/{f.n(a)}))*{f.w},4)" if a > 0 else f"IF({f.H}>={f.n(a)},{f.w},0)")
        return f'IF(ISNUMBER({f.H}),{body},"")'

    def compute(self, e):
        h, a, w = e.basis_input(), e.p["target"], e.w
        if h is None:
            return None
        if a > 0:
            return round_half_up(min(ONE, max(ZERO, h / a)) * w, 4)
        return w if h >= a else ZERO

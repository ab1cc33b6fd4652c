"""deduct_per_case: full marks minus k per recorded case, floor 0."""
from __future__ import annotations

from workbook_tools.model.contract import Field, Num
from workbook_tools.model.rules.base import BasisInput, RuleType
from workbook_tools.numbers import ZERO, round_half_up


class DeductPerCase(RuleType):
    name = "deduct_per_case"
    label = "按例扣分"
    order = 70
    summary = "分值 − per_case × the number of cases typed in 评分依据, floor 0"
    params = {"per_case": Field(Num(), required=True, doc="points deducted per case")}
    examples = ('{id: "2.6", name: 合同备案时效性, weight: 1, rule: {type: deduct_per_case, per_case: 0.5}}',)
    basis = BasisInput("count", "违规或问题例数（整数）", "例数")

    def formula(self, f):
        return f'IF(ISNUMBER({f.H}),ROUND(MIN({f.w},MAX(0,{f.w}-{f.n(f.p["per_case"])}*{f.H})),4),"")'

    def compute(self, e):
        h = e.basis_input()
        if h is None:
            return None
        return round_half_up(min(e.w, max(ZERO, e.w - e.p["per_case"] * h)), 4)

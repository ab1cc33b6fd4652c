"""execution_rate: the budget execution rate (rounded to a 2-decimal percent) times the weight."""
from __future__ import annotations

from workbook_tools.model.contract import Enum, Field
from workbook_tools.model.rules.base import RuleType
from workbook_tools.numbers import ONE, ZERO, round_half_up


class ExecutionRate(RuleType):
    name = "execution_rate"
    label = "预算执行率计分"
    order = 10
    summary = "rate = ROUND(实际支出 ÷ 预算, 4) (a 2-decimal percent); score = MIN(rate, 1) × 分值"
    params = {"budget": Field(Enum(("adjusted", "initial")),
                              doc="which budget divides the actual spending: 全年预算数 (adjusted) or 年初预算数 (initial)")}
    defaults = {"budget": "adjusted"}
    examples = ('{id: "1.3", name: 部门预算资金支出率, weight: 10, rule: {type: execution_rate}}',)

    def _budget(self, p) -> str:
        return "funds.total.adjusted" if p["budget"] == "adjusted" else "funds.total.initial"

    def formula(self, f):
        b, a = f.ref(self._budget(f.p)), f.ref("funds.total.actual")
        f.put_basis(f'=IF({b}>0,ROUND({a}/{b},4),"")', fmt="ratio", label="预算执行率")
        return f'IF(ISNUMBER({f.H}),ROUND(MIN(1,MAX(0,{f.H}))*{f.w},4),"")'

    def compute(self, e):
        a, b = e.number("funds.total.actual"), e.number(self._budget(e.p))
        basis = e.set_basis(round_half_up(a / b, 4) if a is not None and b is not None and b > 0 else None)
        return round_half_up(min(ONE, max(ZERO, basis)) * e.w, 4) if basis is not None else None

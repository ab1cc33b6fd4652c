"""coefficient: the unit types a 得分系数 in 评分依据, within the spec's bounds; score = ROUND(系数 × 分值, 4)."""
from __future__ import annotations

from decimal import Decimal

from workbook_tools.model.contract import Field, Num
from workbook_tools.model.rules.base import BasisInput, RuleType
from workbook_tools.numbers import round_half_up


class Coefficient(RuleType):
    name = "coefficient"
    label = "系数计分"
    order = 88
    summary = ("ROUND(得分系数 × 分值, 4), the 系数 typed in 评分依据 within [min, max]; a 系数 outside them scores "
               "nothing and is a finding at its cell")
    params = {"min": Field(Num(), doc="the lowest 得分系数 allowed"),
              "max": Field(Num(), doc="the highest 得分系数 allowed (a 系数 above 1 gives more than 分值: keep it ≤ 1)")}
    defaults = {"min": Decimal(0), "max": Decimal(1)}
    examples = ('{id: "4", name: 资金到位率, weight: 5, rule: {type: coefficient, min: 0, max: 1}}',)
    basis = BasisInput("number", "得分系数", "得分系数")

    def validate(self, p, raw, path, weight, probs, targets):
        if not (0 <= p["min"] <= p["max"] <= 1):
            probs.add(path, f"得分系数的范围应满足 0 ≤ min ≤ max ≤ 1，实际为 {p['min']}–{p['max']}",
                      f"the bounds need 0 ≤ min ≤ max ≤ 1, found {p['min']}–{p['max']}")
        return p

    def basis_bounds(self, p):
        return p["min"], p["max"]

    def basis_prompt(self, p):
        return f"得分系数，{p['min']} 至 {p['max']}（得分 = 系数 × 分值）"

    def formula(self, f):
        h = f.H
        return (f'IF(ISNUMBER({h}),IF(AND({h}>={f.n(f.p["min"])},{h}<={f.n(f.p["max"])}),'
                f'ROUND({h}*{f.w},4),""),"")')

    def compute(self, e):
        h = e.basis_input()
        if h is None or not (e.p["min"] <= h <= e.p["max"]):
            return None
        return round_half_up(h * e.w, 4)

"""deduct_per_point_below: full marks at or above a target, minus `points` per `step` below it, floor 0."""
from __future__ import annotations

from workbook_tools.model.contract import Enum, Field, Num
from workbook_tools.model.rules.base import BasisInput, RuleType
from workbook_tools.numbers import ZERO, round_half_up, round_up


class DeductPerPointBelow(RuleType):
    name = "deduct_per_point_below"
    label = "低于目标扣分"
    order = 65
    summary = ("分值 − points × (target − 评分依据) ÷ step (每低于 target `step` 扣 `points` 分), floor 0; "
               "at or above target full marks")
    params = {"target": Field(Num(), required=True, doc="the ratio at or above which the score is full (95% → 0.95)"),
              "step": Field(Num(), required=True, doc="how far below counts as one step (5 个百分点 → 0.05, "
                                                      "每个百分点 → 0.01)"),
              "points": Field(Num(), required=True, doc="points deducted per step below the target"),
              "rounding": Field(Enum(("exact", "ceil")), doc="exact: fractions of a step count; "
                                                              "ceil: a started step counts as a whole one")}
    defaults = {"rounding": "exact"}
    examples = ('''id: "5"
name: 绩效目标完成率
weight: 5
rule:                  # "完成率 ≥ 95% 得满分，每低 5 个百分点扣 1 分，扣完为止"
  type: deduct_per_point_below
  target: 0.95
  step: 0.05
  points: 1''',
                '{id: "5.1", name: 项目完工率, weight: 4, '
                'rule: {type: deduct_per_point_below, target: 1, step: 0.01, points: 0.2, rounding: ceil}}')
    basis = BasisInput("number", "评分依据数值（比例填百分比）", "实际比率")

    def validate(self, p, raw, path, weight, probs, targets):
        if "step" in raw and p["step"] <= 0:
            probs.add(f"{path}.step", "step 应大于 0（如 5 个百分点写 0.05）", "step must be above 0 (5 points: 0.05)")
        if "points" in raw and p["points"] < 0:
            probs.add(f"{path}.points", "扣分不能为负", "points cannot be negative")
        return p

    def formula(self, f):
        below = f"MAX(0,ROUND(({f.n(f.p['target'])}-{f.H})/{f.n(f.p['step'])},6))"
        if f.p["rounding"] == "ceil":
            below = f"ROUNDUP({below},0)"
        return f'IF(ISNUMBER({f.H}),ROUND(MAX(0,{f.w}-{f.n(f.p["points"])}*{below}),4),"")'

    def compute(self, e):
        h, p = e.basis_input(), e.p
        if h is None or p["step"] <= 0:
            return None
        below = max(ZERO, round_half_up((p["target"] - h) / p["step"], 6))
        if p["rounding"] == "ceil":
            below = round_up(below, 0)
        return round_half_up(max(ZERO, e.w - p["points"] * below), 4)

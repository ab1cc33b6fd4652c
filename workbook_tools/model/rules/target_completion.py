"""target_completion: the completion of a kind's target rows (average ratio, or the sum of scored rows)."""
from __future__ import annotations

from workbook_tools.model.contract import Enum, Field, Str
from workbook_tools.model.rules.base import RuleType
from workbook_tools.numbers import ZERO, round_half_up


class TargetCompletion(RuleType):
    name = "target_completion"
    label = "目标完成率计分"
    order = 20
    summary = ("average: the mean completion ratio of the kind's target rows × 分值; "
               "sum_scores: the sum of the rows' scores (ratio × row 分值)")
    params = {"kind": Field(Str(), required=True, doc="the `targets.kinds` key whose rows are scored"),
              "method": Field(Enum(("average", "sum_scores")), doc="average of ratios, or sum of the rows' scores "
                                                                    "(a scored kind with a 分值 per row)")}
    defaults = {"method": "average"}
    examples = ('{id: "1.1", name: 产出指标完成情况, weight: 20, rule: {type: target_completion, kind: output}}',
                '{id: "1.2", name: 效益指标, weight: 30, rule: {type: target_completion, kind: benefit, method: sum_scores}}')
    example_context = {"targets": {"kinds": [
        {"key": "output", "label": "产出指标", "rows": 4, "categories": ["数量指标", "质量指标"]},
        {"key": "benefit", "label": "效益指标", "rows": 3, "scored": True, "categories": ["社会效益指标"]}]}}

    def validate(self, p, raw, path, weight, probs, targets):
        if "kind" in raw and not targets.kind(p["kind"]):
            probs.add(f"{path}.kind", f"没有名为 {p['kind']} 的目标类别",
                      f"no target kind named {p['kind']} (targets.kinds)")
        return p

    def na_rows_kind(self, p):
        return p["kind"] if p["method"] == "sum_scores" else None

    def formula(self, f):
        if f.p["method"] == "average":
            rng = f.range(f.p["kind"], "ratio")
            f.put_basis(f'=IF(COUNT({rng})=0,"",AVERAGE({rng}))', fmt="ratio", label="平均完成比例")
            return f'IF(ISNUMBER({f.H}),ROUND({f.H}*{f.w},4),"")'
        rng = f.range(f.p["kind"], "score")
        f.put_basis(f'=IF(COUNT({rng})=0,"",SUM({rng}))', fmt="score", label="指标行得分合计")
        return f'IF(ISNUMBER({f.H}),ROUND({f.H},4),"")'

    def compute(self, e):
        if e.p["method"] == "average":
            vals = e.column(e.p["kind"], "ratio")
            basis = e.set_basis(sum(vals, ZERO) / len(vals) if vals else None)
            return round_half_up(basis * e.w, 4) if basis is not None else None
        vals = e.column(e.p["kind"], "score")
        basis = e.set_basis(sum(vals, ZERO) if vals else None)
        return round_half_up(basis, 4) if basis is not None else None

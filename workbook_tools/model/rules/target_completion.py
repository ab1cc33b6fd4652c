"""target_completion: the completion of target rows of one or more kinds (average ratio, or the sum of row scores)."""
from __future__ import annotations

from workbook_tools.model.contract import AnyOf, Enum, Field, ListOf, Str, suggest
from workbook_tools.model.rules.base import RuleType
from workbook_tools.numbers import ZERO, round_half_up


def kinds_of(p) -> tuple[str, ...]:
    """The target kinds a target_completion rule scores (``kind:`` a key or a list of keys)."""
    k = p.get("kind")
    return tuple(str(x) for x in k) if isinstance(k, (list, tuple)) else ((str(k),) if k is not None else ())


class TargetCompletion(RuleType):
    name = "target_completion"
    label = "目标完成率计分"
    order = 20
    summary = ("average: the mean completion ratio of the kinds' target rows × 分值; "
               "sum_scores: the sum of the rows' scores (ratio × row 分值), the rows' typed 分值 adding up to 分值")
    params = {"kind": Field(AnyOf((Str(), ListOf(Str()))), required=True,
                            doc="the `targets.kinds` key whose rows are scored, or a list of keys (rows of all of them)"),
              "method": Field(Enum(("average", "sum_scores")), doc="average of ratios, or sum of the rows' scores "
                                                                    "(a scored kind with a 分值 per row)")}
    defaults = {"method": "average"}
    examples = ('{id: "1.1", name: 产出指标完成情况, weight: 20, rule: {type: target_completion, kind: output}}',
                '{id: "1.2", name: 效益指标, weight: 30, rule: {type: target_completion, kind: benefit, method: sum_scores}}',
                '{id: "2", name: 绩效指标, weight: 90, rule: {type: target_completion, kind: [benefit, satisfaction], '
                'method: sum_scores}}')
    example_context = {"targets": {"kinds": [
        {"key": "output", "label": "产出指标", "rows": 4, "categories": ["数量指标", "质量指标"]},
        {"key": "benefit", "label": "效益指标", "rows": 3, "scored": True, "categories": ["社会效益指标"]},
        {"key": "satisfaction", "label": "满意度指标", "rows": 2, "scored": True, "categories": ["满意度指标"]}]}}

    def validate(self, p, raw, path, weight, probs, targets):
        kinds = kinds_of(p)
        if "kind" in raw and not kinds:
            probs.add(f"{path}.kind", "目标类别列表不能为空", "the list of target kinds is empty")
        if len(set(kinds)) != len(kinds):
            probs.add(f"{path}.kind", "目标类别重复", "a target kind is listed twice")
        for k in kinds:
            if not targets.kind(k):
                guess = suggest(k, [t.key for t in targets.kinds])
                probs.add(f"{path}.kind", f"没有名为 {k} 的目标类别" + (f"；您是否想写 `{guess}`？" if guess else ""),
                          f"no target kind named {k} (targets.kinds)" + (f"; did you mean `{guess}`?" if guess else ""))
            elif p.get("method") == "sum_scores" and len(kinds) > 1 and not targets.kind(k).scored:
                probs.add(f"{path}.kind", f"按行得分合计时目标类别 {k} 应设 scored: true（每行有分值）",
                          f"with sum_scores the target kind {k} needs scored: true (a 分值 per row)")
        return p

    def na_rows_kinds(self, p):
        return kinds_of(p) if p["method"] == "sum_scores" else ()

    def formula(self, f):
        kinds = kinds_of(f.p)
        if f.p["method"] == "average":
            rng = ",".join(f.range(k, "ratio") for k in kinds)
            f.put_basis(f'=IF(COUNT({rng})=0,"",AVERAGE({rng}))', fmt="ratio", label="平均完成比例")
            return f'IF(ISNUMBER({f.H}),ROUND({f.H}*{f.w},4),"")'
        rng = ",".join(f.range(k, "score") for k in kinds)
        f.put_basis(f'=IF(COUNT({rng})=0,"",SUM({rng}))', fmt="score", label="指标行得分合计")
        return f'IF(ISNUMBER({f.H}),ROUND({f.H},4),"")'

    def compute(self, e):
        vals = [x for k in kinds_of(e.p) for x in e.column(k, "ratio" if e.p["method"] == "average" else "score")]
        if e.p["method"] == "average":
            basis = e.set_basis(sum(vals, ZERO) / len(vals) if vals else None)
            return round_half_up(basis * e.w, 4) if basis is not None else None
        basis = e.set_basis(sum(vals, ZERO) if vals else None)
        return round_half_up(basis, 4) if basis is not None else None

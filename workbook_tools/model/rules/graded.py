"""graded: staff choose a word of a scale in 评分依据; the score is that word's ratio × 分值 (computed)."""
from __future__ import annotations

from workbook_tools.model.contract import Field, Str
from workbook_tools.model.rules.base import QUAL_GRADES, BasisInput, RuleType
from workbook_tools.numbers import round_half_up


class Graded(RuleType):
    name = "graded"
    label = "等级计分"
    order = 85
    summary = ("ROUND(the ratio of the word chosen in 评分依据 × 分值, 4); a word outside the scale scores nothing "
               "and is a finding at its cell")
    params = {"scale": Field(Str(), doc="the `scales:` word list (default: `targets.qualitative_ratios`, "
                                        "达成 / 部分达成 / 未达成)")}
    examples = ('''id: "3"
name: 项目完成情况
weight: 5
rule: {type: graded, scale: 完成度}     # 完成 5 分，基本完成 4 分，未完成 0 分''',)
    example_context = {"scales": {"完成度": {"完成": 1, "基本完成": 0.8, "未完成": 0}}}
    basis = BasisInput("choice", "从下拉列表选择评价词", "评价等级", QUAL_GRADES)

    def validate(self, p, raw, path, weight, probs, targets):
        from workbook_tools.model.scales import scale_ref   # scales imports rules.base: no cycle at import time
        if "scale" in raw:
            p["words"] = scale_ref(raw["scale"], targets.scales, f"{path}.scale", probs) or {}
        else:
            p["words"] = dict(targets.qualitative_ratios)
        return p

    def choices(self, p):
        return tuple(p["words"])

    def formula(self, f):
        from workbook_tools.model.scales import excel_lookup
        ratio = excel_lookup(f.H, f.p["words"], f.n)
        return f'IF(ISNUMBER({ratio}),ROUND({ratio}*{f.w},4),"")'

    def compute(self, e):
        from workbook_tools.model.scales import word_of
        word = word_of(e.raw(f"{e.base}.basis"), e.p["words"])
        return round_half_up(e.p["words"][word] * e.w, 4) if word is not None else None

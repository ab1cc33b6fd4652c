"""manual: staff type the score; the tool only checks it lies within 0..分值 and that a deduction has a reason."""
from __future__ import annotations

from workbook_tools.model.rules.base import RuleType


class Manual(RuleType):
    name = "manual"
    label = "人工评分"
    order = 100
    summary = "typed by staff; bounds-checked (0 ≤ 得分 ≤ 分值, a reason for every deduction). The default rule"
    examples = ('{id: "2.9", name: 财务管理合规性, weight: 2, rule: manual}',)
    manual_score = True

"""Report narrative (文字说明 sheet): every required field holds real text."""
from __future__ import annotations

from workbook_tools.model.layout import narrative_keys, narrative_text
from workbook_tools.checks.explanations import is_real_text


def check(ctx):
    for f in ctx.spec.narrative:
        if f.required and not is_real_text(narrative_text(ctx.ret.inputs, f), ctx.spec.placeholders):
            yield ctx.finding("narrative-missing", narrative_keys(f)[0])

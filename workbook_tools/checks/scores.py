"""Scores: entered, within 0..weight, deductions explained, rule-based scores equal to their rule."""
from __future__ import annotations

from workbook_tools.model.engine import blank, effective_weight, text_is
from workbook_tools.model.layout import NA
from workbook_tools.numbers import num
from workbook_tools.checks.context import same
from workbook_tools.checks.entries import real_text
from workbook_tools.model.rules import RULES

BASIS_LABEL = {name: r.basis.what for name, r in RULES.items() if r.basis is not None}   # kept for callers


def check(ctx):
    spec, inputs = ctx.spec, ctx.ret.inputs
    for leaf in spec.leaves():
        b, rule, w = f"node.{leaf.id}", leaf.rule, leaf.weight
        reason = inputs.get(f"{b}.reason")
        if text_is(inputs.get(f"{b}.applicable"), NA):   # only forms that allow it have the column
            if not real_text(ctx, reason):
                yield ctx.finding("not-applicable-without-reason", f"{b}.reason")
            continue
        if rule.impl.basis is not None and blank(inputs.get(f"{b}.basis")):
            yield ctx.finding("basis-missing", f"{b}.basis", basis=rule.impl.basis.what)
        bounds, basis = rule.impl.basis_bounds(rule.params), num(inputs.get(f"{b}.basis"))
        if bounds and basis is not None and not bounds[0] <= basis <= bounds[1]:
            yield ctx.finding("coefficient-out-of-range", f"{b}.basis", found=inputs.get(f"{b}.basis"),
                              lo=bounds[0], hi=bounds[1])
        if rule.impl.items(rule.params):
            unanswered = [(j, item) for j, (item, _) in enumerate(rule.impl.items(rule.params), 1)
                          if blank(inputs.get(f"item.{leaf.id}.{j}.met"))]
            for j, item in unanswered:
                yield ctx.finding("checklist-item-missing", f"item.{leaf.id}.{j}.met", indicator=leaf.id, item=item)
            if unanswered:
                continue       # its score is not final yet
        stored = ctx.stored(f"{b}.score")
        if rule.manual_score:
            if blank(stored) or (isinstance(stored, str) and not stored.strip()):
                yield ctx.finding("score-missing", f"{b}.score")
                continue
        s = num(stored)
        if s is None:
            continue           # text in a score cell: reported as number-as-text / not-a-number
        if not rule.manual_score and not same(stored, ctx.rules.values.get(f"{b}.score")):
            yield ctx.finding("rule-score-mismatch", f"{b}.score", found=stored, expected=ctx.rules.values.get(f"{b}.score"))
        full = effective_weight(spec, leaf, inputs.get)     # 不适用 target rows are not points lost
        if s < 0 or s > w:
            yield ctx.finding("score-out-of-range", f"{b}.score", found=stored, expected=w)
        elif s < full and not real_text(ctx, reason):
            yield ctx.finding("deduction-without-reason", f"{b}.reason", found=stored, expected=full)
        elif s == full and not blank(reason) and real_text(ctx, reason):
            yield ctx.finding("full-score-with-reason", f"{b}.reason", found=reason)
        grade = inputs.get(f"{b}.basis")
        band = rule.impl.score_band(rule.params, grade)
        if band is not None:
            lo, hi = band
            if not (lo * w <= s <= hi * w):
                yield ctx.finding("qualitative-band", f"{b}.score", found=stored, grade=grade, lo=lo * w, hi=hi * w)

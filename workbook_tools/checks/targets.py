"""Performance targets: rows complete, missed targets explained, weights adding up, targets present."""
from __future__ import annotations

from workbook_tools.model.engine import blank, text_is
from workbook_tools.model.layout import JUDGED, NA, content_parts, required_parts, row_na
from workbook_tools.model.rules.target_completion import kinds_of
from workbook_tools.model.scales import word_of
from workbook_tools.numbers import ZERO, num, plain
from workbook_tools.checks.entries import real_text

def _has_content(ctx, b) -> bool:
    return any(not blank(ctx.ret.inputs.get(f"{b}.{k}")) for k in content_parts(ctx.spec))


def _part(ctx, b: str, k: str):
    """A part of the row as checked: the direction is the one the row reads (方向 column, else the value's sign)."""
    if k == "direction" and ctx.spec.targets.form_values:
        return ctx.rules.values.get(f"{b}.dir")
    return ctx.ret.inputs.get(f"{b}.{k}")


def check(ctx):
    spec, inputs = ctx.spec, ctx.ret.inputs
    weights = {}
    for kind in spec.targets.kinds:
        weights[kind.key] = ZERO
        for n in range(1, kind.rows + 1):
            b = f"target.{kind.key}.{n}"
            if not _has_content(ctx, b):
                continue
            yield from _row(ctx, kind, n, b)
            w = num(inputs.get(f"{b}.weight")) if kind.scored else None
            weights[kind.key] += w or ZERO
    yield from _leaves(ctx, weights)


def _row(ctx, kind, n: int, b: str):
    """One target row with content: complete, 不适用 explained, a missed target explained."""
    spec, inputs = ctx.spec, ctx.ret.inputs
    name = inputs.get(f"{b}.name") or f"第{n}行"
    parts = required_parts(spec) + ([("weight", "分值")] if kind.scored else []) + JUDGED.get(kind.row_score, [])
    if row_na(spec, kind) and text_is(inputs.get(f"{b}.actual"), NA):
        # a dropped row: named and weighted (the weights still add up), and the reason given
        parts = [(k, lab) for k, lab in parts if k in ("name", "weight")]
        if not real_text(ctx, inputs.get(f"{b}.reason")):
            yield ctx.finding("target-not-applicable-without-reason", f"{b}.reason", kind=kind.label,
                              row=n, name=name)
    yield from _scale_word(ctx, kind, n, b, name)
    missing = [(k, lab) for k, lab in parts if blank(_part(ctx, b, k))]
    if missing:
        yield ctx.finding("target-incomplete", f"{b}.{missing[0][0]}", kind=kind.label, row=n, name=name,
                          missing="、".join(lab for _, lab in missing))
    if kind.scored and kind.row_score != "ratio":
        yield from _judged(ctx, kind, n, b, name)
        return
    ratio = ctx.rules.values.get(f"{b}.ratio")
    if ratio is not None and ratio < 1 and not real_text(ctx, inputs.get(f"{b}.reason")):
        yield ctx.finding("target-missed-without-reason", f"{b}.reason", kind=kind.label, row=n, name=name,
                          found=f"{plain(round(ratio * 100, 2))}%")


def _judged(ctx, kind, n: int, b: str, name):
    """A row the unit scores (得分系数 or 得分): within bounds, and a reason when below the row's 分值."""
    inputs = ctx.ret.inputs
    w = num(inputs.get(f"{b}.weight"))
    if kind.row_score == "coefficient":
        c = num(inputs.get(f"{b}.coef"))
        lo, hi = kind.coefficient
        if c is not None and not lo <= c <= hi:
            yield ctx.finding("target-row-score-out-of-range", f"{b}.coef", found=c, lo=lo, hi=hi)
    else:
        s = num(inputs.get(f"{b}.score"))
        if s is not None and w is not None and not 0 <= s <= w:
            yield ctx.finding("target-row-score-out-of-range", f"{b}.score", found=s, lo=0, hi=w)
    score = ctx.rules.values.get(f"{b}.score")
    if score is not None and w is not None and score < w and not real_text(ctx, inputs.get(f"{b}.reason")):
        yield ctx.finding("target-row-below-full-without-reason", f"{b}.reason", kind=kind.label, row=n, name=name,
                          found=score, expected=w)


def _leaves(ctx, weights: dict):
    """Each target_completion indicator: its kinds have rows; with sum_scores their row 分值 add up to its weight."""
    spec, inputs = ctx.spec, ctx.ret.inputs
    for leaf in spec.leaves():
        r = leaf.rule
        if r.type != "target_completion" or text_is(inputs.get(f"node.{leaf.id}.applicable"), NA):
            continue
        kinds = [spec.targets.kind(k) for k in kinds_of(r.params)]
        label = "、".join(k.label for k in kinds)
        if not any(_has_content(ctx, f"target.{k.key}.{n}") for k in kinds for n in range(1, k.rows + 1)):
            yield ctx.finding("targets-missing", f"node.{leaf.id}.basis", kind=label)
        elif r.params["method"] == "sum_scores" and sum(weights[k.key] for k in kinds) != leaf.weight:
            cells = "、".join(_weight_cells(ctx, k) for k in kinds if k.scored)
            yield ctx.finding("target-weight-sum", f"target.{kinds[0].key}.1.weight", kind=label, cells=cells,
                              found=sum(weights[k.key] for k in kinds), expected=leaf.weight)


def _weight_cells(ctx, kind) -> str:
    first, last = ctx.L[f"target.{kind.key}.1.weight"], ctx.L[f"target.{kind.key}.{kind.rows}.weight"]
    return f"{first.sheet}!{first.coord}:{last.coord}"


def _scale_word(ctx, kind, n, b, name):
    """A 定性 row's 实际完成值 must be a word of the kind's scale: anything else would count as nothing, silently."""
    inputs = ctx.ret.inputs
    actual = inputs.get(f"{b}.actual")
    if not text_is(inputs.get(f"{b}.direction"), "定性") or blank(actual):
        return
    if row_na(ctx.spec, kind) and text_is(actual, NA):
        return
    words = ctx.spec.targets.words(kind)
    if word_of(actual, words) is None:
        yield ctx.finding("unknown-scale-word", f"{b}.actual", kind=kind.label, row=n, name=name, found=actual,
                          words="/".join(words))

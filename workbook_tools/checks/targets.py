"""Performance targets: rows complete, missed targets explained, weights adding up, targets present."""
from __future__ import annotations

from workbook_tools.model.engine import blank, text_is
from workbook_tools.model.layout import NA, row_na
from workbook_tools.model.scales import word_of
from workbook_tools.numbers import ZERO, num, plain
from workbook_tools.checks.entries import real_text

PARTS = (("name", "指标名称"), ("direction", "方向"), ("value", "指标值"), ("actual", "实际完成值"))


def _has_content(ctx, b) -> bool:
    return any(not blank(ctx.ret.inputs.get(f"{b}.{k}")) for k, _ in PARTS)


def check(ctx):
    spec, inputs = ctx.spec, ctx.ret.inputs
    for kind in spec.targets.kinds:
        weights = ZERO
        for n in range(1, kind.rows + 1):
            b = f"target.{kind.key}.{n}"
            if not _has_content(ctx, b):
                continue
            name = inputs.get(f"{b}.name") or f"第{n}行"
            parts = list(PARTS) + ([("weight", "分值")] if kind.scored else [])
            if row_na(spec, kind) and text_is(inputs.get(f"{b}.actual"), NA):
                # a dropped row: named and weighted (the weights still add up), and the reason given
                parts = [(k, lab) for k, lab in parts if k in ("name", "weight")]
                if not real_text(ctx, inputs.get(f"{b}.reason")):
                    yield ctx.finding("target-not-applicable-without-reason", f"{b}.reason", kind=kind.label,
                                      row=n, name=name)
            yield from _scale_word(ctx, kind, n, b, name)
            missing = [(k, lab) for k, lab in parts if blank(inputs.get(f"{b}.{k}"))]
            if missing:
                yield ctx.finding("target-incomplete", f"{b}.{missing[0][0]}", kind=kind.label, row=n, name=name,
                                  missing="、".join(lab for _, lab in missing))
            w = num(inputs.get(f"{b}.weight")) if kind.scored else None
            weights += w or ZERO
            ratio = ctx.rules.values.get(f"{b}.ratio")
            if ratio is not None and ratio < 1 and not real_text(ctx, inputs.get(f"{b}.reason")):
                yield ctx.finding("target-missed-without-reason", f"{b}.reason", kind=kind.label, row=n, name=name,
                                  found=f"{plain(round(ratio * 100, 2))}%")
        for leaf in spec.leaves():
            r = leaf.rule
            if r.type != "target_completion" or r.params["kind"] != kind.key:
                continue
            if text_is(inputs.get(f"node.{leaf.id}.applicable"), NA):
                continue
            if not any(_has_content(ctx, f"target.{kind.key}.{n}") for n in range(1, kind.rows + 1)):
                yield ctx.finding("targets-missing", f"node.{leaf.id}.basis", kind=kind.label)
            elif r.params["method"] == "sum_scores" and weights != leaf.weight:
                yield ctx.finding("target-weight-sum", f"target.{kind.key}.1.weight", kind=kind.label,
                                  found=weights, expected=leaf.weight)


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

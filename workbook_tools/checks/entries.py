"""What staff typed: cover completeness and formats, numbers where numbers belong, choices, placeholders."""
from __future__ import annotations

import datetime as dt
import re

from workbook_tools.model.engine import blank, text_is
from workbook_tools.model.layout import NA, row_na
from workbook_tools.numbers import num, parse_number_text
from workbook_tools.files.reader import as_date
from workbook_tools.checks.explanations import is_real_text

PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|\(0\d{2,3}\)\d{7,8}|\d{7,8})$")


def check(ctx):
    yield from _cover(ctx)
    for c in ctx.L.by_role("input"):
        if c.key.startswith("cover.") or c.key.startswith("explain."):
            continue
        raw = ctx.ret.inputs.get(c.key)
        if blank(raw):
            continue
        yield from _typed(ctx, c, raw)


def _is_blank(raw) -> bool:
    return blank(raw) or (isinstance(raw, str) and not raw.strip())


def _cover(ctx):
    for f in ctx.spec.cover:
        key = f"cover.{f.key}"
        raw = ctx.ret.inputs.get(key)
        if _is_blank(raw):
            if f.required:
                yield ctx.finding("cover-missing", key, label=f.label)
            continue
        n = num(raw) if not isinstance(raw, (dt.date, dt.datetime)) else None
        text = str(int(n)) if n is not None and n == int(n) else str(raw).strip()
        if f.type == "date":
            d = as_date(raw)
            if not isinstance(d, dt.date) or not 2000 <= d.year <= 2100:
                yield ctx.finding("cover-date-invalid", key, found=raw, label=f.label)
            elif isinstance(raw, str):
                yield ctx.finding("cover-date-text", key, found=raw, expected=d.isoformat(), label=f.label)
        elif f.type == "year":
            if isinstance(raw, str):
                code = "number-as-text" if parse_number_text(raw) is not None else "not-a-number"
                yield ctx.finding(code, key, found=raw, label=f.label)
            elif num(raw) is None or num(raw) != int(num(raw)) or not 2000 <= num(raw) <= 2100:
                yield ctx.finding("cover-format", key, found=raw, label=f.label, rule="四位年份，如 2023")
        elif f.type == "phone":
            if not PHONE.match(re.sub(r"\s", "", text).replace("（", "(").replace("）", ")")):
                yield ctx.finding("cover-format", key, found=raw, label=f.label, rule="手机 11 位或带区号的固定电话")
        elif f.type == "choice":
            if text not in f.choices:
                yield ctx.finding("invalid-choice", key, found=raw, label=f.label, choices="/".join(f.choices))
        if f.pattern and f.type in ("code", "text") and not re.match(f.pattern, text):
            yield ctx.finding("cover-format", key, found=raw, label=f.label, rule=f.hint or f"格式 {f.pattern}")
        if isinstance(raw, str) and f.type in ("text", "code") and _placeholder(ctx, raw):
            yield ctx.finding("placeholder-text", key, found=raw, label=f"封面“{f.label}”")


def _placeholder(ctx, raw) -> bool:
    return isinstance(raw, str) and any(p in raw for p in ctx.spec.placeholders)


NUMERIC = {"money", "count", "number", "score", "year"}


def _typed(ctx, c, raw):
    if c.kind in NUMERIC:
        if isinstance(raw, bool) or num(raw) is None:
            code = "number-as-text" if parse_number_text(raw) is not None else "not-a-number"
            yield ctx.finding(code, c.key, found=raw)
            return
        x = num(raw)
        if c.kind == "money" and x < 0:
            yield ctx.finding("negative-money", c.key, found=raw)
        if c.kind == "count" and (x < 0 or x != int(x)):
            yield ctx.finding("count-invalid", c.key, found=raw)
        if c.kind == "score" and x.as_tuple().exponent < -4:
            yield ctx.finding("score-precision", c.key, found=raw)
    elif c.kind == "choice":
        if not isinstance(raw, str) or raw not in c.choices:
            yield ctx.finding("invalid-choice", c.key, found=raw, choices="/".join(c.choices))
    elif c.kind == "target":
        yield from _target_value(ctx, c, raw)
    elif c.kind == "text" and _placeholder(ctx, raw):
        yield ctx.finding("placeholder-text", c.key, found=raw)


def _target_value(ctx, c, raw):
    """指标值 / 实际完成值: a number as forms write it (≥90%, =100, 5次: model/targetvalue) for quantitative rows,
    text for 定性; the direction is the one the row reads (方向 column, else the value's sign)."""
    if not ctx.spec.targets.form_values:
        yield from _typed_target_value(ctx, c, raw)
        return
    base, part = c.key.rsplit(".", 1)
    direction = ctx.rules.values.get(f"{base}.dir")
    if part == "actual" and text_is(raw, NA) and row_na(ctx.spec, ctx.spec.targets.kind(base.split(".")[1])):
        return                   # a 不适用 row (checked with the targets)
    if direction == "定性" or num(raw) is not None:
        other = _other(ctx, base, part)
        if num(raw) is not None and not isinstance(other, str):     # against a text (≥90%) the scale is read
            unit = ctx.ret.inputs.get(f"{base}.unit")
            if isinstance(unit, str) and ("%" in unit or "％" in unit) and abs(num(raw)) > 10:
                yield ctx.finding("percent-as-number", c.key, found=raw)
        return
    if direction in ("≥", "≤", "="):
        if part == "initial" and not blank(ctx.ret.inputs.get(f"{base}.value")):
            return                  # 年初指标值 superseded by the 调整后 one: not read
        if ctx.rules.values.get(f"{base}.{'an' if part == 'actual' else 'vn'}") is None:
            yield ctx.finding("target-value-unreadable", c.key, found=raw)
    elif _placeholder(ctx, raw):
        yield ctx.finding("placeholder-text", c.key, found=raw)


def _other(ctx, base: str, part: str):
    """The other side of a row: the actual for a 指标值, the 指标值 used (调整后, else 年初) for the actual."""
    inputs = ctx.ret.inputs
    if part != "actual":
        return inputs.get(f"{base}.actual")
    v = inputs.get(f"{base}.value")
    return inputs.get(f"{base}.initial") if ctx.spec.targets.adjusted and blank(v) else v


def _typed_target_value(ctx, c, raw):
    """指标值 / 实际完成值 of a form without ``form_values``: numbers for quantitative rows, text for 定性."""
    base, part = c.key.rsplit(".", 1)
    direction = ctx.ret.inputs.get(f"{base}.direction")
    if part == "actual" and text_is(raw, NA) and row_na(ctx.spec, ctx.spec.targets.kind(base.split(".")[1])):
        return                   # a 不适用 row (checked with the targets)
    if part == "initial" and not blank(ctx.ret.inputs.get(f"{base}.value")):
        return                   # 年初指标值 superseded by the 调整后 one: not read
    if direction == "定性" or num(raw) is not None:
        if num(raw) is not None:
            unit = ctx.ret.inputs.get(f"{base}.unit")
            if isinstance(unit, str) and ("%" in unit or "％" in unit) and abs(num(raw)) > 10:
                yield ctx.finding("percent-as-number", c.key, found=raw)
        return
    if direction in ("≥", "≤", "="):
        code = "number-as-text" if parse_number_text(raw) is not None else "not-a-number"
        yield ctx.finding(code, c.key, found=raw)
    elif _placeholder(ctx, raw):
        yield ctx.finding("placeholder-text", c.key, found=raw)


def real_text(ctx, raw) -> bool:
    return is_real_text(raw, ctx.spec.placeholders)

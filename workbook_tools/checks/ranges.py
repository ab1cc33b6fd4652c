"""Bounds: numbers no arithmetic may see, and whatever lies outside the form's rows and columns."""
from __future__ import annotations


def check(ctx):
    for key, raw in ctx.ret.out_of_range.items():
        yield ctx.finding("number-out-of-range", key, found=_show(raw))
    outside = getattr(ctx.ret.book, "outside", None) or {}
    if not outside:
        return
    mine = {c.sheet for c in ctx.L.cells.values()}
    bounds = getattr(ctx.ret.book, "bounds", {})
    for sheet, out in outside.items():
        if sheet not in mine:
            continue
        rows, cols = bounds.get(sheet, (0, 0))
        if out.first:
            what, what_en = f"还有内容（从 {sheet}!{out.first} 起）", f"content (from {sheet}!{out.first})"
        else:
            what, what_en = f"填充了大量空行或空单元格（{out.rows} 行以上）", f"masses of empty rows or cells ({out.rows}+ rows)"
        cell = f"{sheet}!{out.first}" if out.first and out.first[0] != "?" else f"{sheet}!A{rows + 1}"
        yield ctx.finding("outside-form", cell=cell, sheet=sheet, rows=rows, cols=cols, what=what, what_en=what_en)


def _show(v) -> str:
    return repr(v) if isinstance(v, float) else str(v)

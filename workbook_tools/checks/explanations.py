"""Explanations of warnings, written by the unit in the 情况说明 sheet, keyed by check code and cell."""
from __future__ import annotations

from workbook_tools.catalogue import WARNING
from workbook_tools.model.layout import EXPLAIN_ROWS

_EMPTY = {"", "无", "/", "-", "—", "略", "见上", "同上", "n/a", "na"}


def is_real_text(text, placeholders) -> bool:
    """Text that says something: not blank, not a dash, not template placeholder text."""
    if not isinstance(text, str):
        return text is not None and not isinstance(text, bool) and str(text).strip() != ""
    t = text.strip()
    if t.lower() in _EMPTY or len(t) < 2:
        return False
    return not any(p in t for p in placeholders)


def read_explanations(ret) -> dict[tuple[str, str], str]:
    out = {}
    for n in range(1, EXPLAIN_ROWS + 1):
        code = ret.inputs.get(f"explain.{n}.code")
        cell = ret.inputs.get(f"explain.{n}.cell")
        text = ret.inputs.get(f"explain.{n}.text")
        if isinstance(code, str) and code.strip():
            out[(code.strip(), _norm_cell(cell))] = text
    return out


def _norm_cell(cell) -> str:
    return str(cell or "").strip().replace("'", "").replace("$", "").upper()


def apply_explanations(ctx, findings) -> None:
    given = read_explanations(ctx.ret)
    for f in findings:
        if f.severity != WARNING:
            continue
        # the check named by its code (as pre-listed) or by the title the unit reads in 校验结果 and the notes
        keys = [(k, _norm_cell(c)) for k in (f.code, f.entry.title_zh, f.entry.title_en) for c in (f.cell, f.coord)]
        text = next((given[k] for k in keys if k in given), None)
        if text is not None and is_real_text(text, ctx.spec.placeholders):
            f.explained, f.explanation = True, str(text).strip()

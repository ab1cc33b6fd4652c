"""Every formula cell's stored value against what its formula gives from the file as it stands."""
from __future__ import annotations

from workbook_tools.files.fill import normalize_formula
from workbook_tools.model.layout import INCOMPLETE, legacy_formula
from workbook_tools.checks.context import same


def _legacy(ctx, c) -> bool:
    old = legacy_formula(c.key, c.formula)
    return old is not None and normalize_formula(ctx.ret.stored[c.key].formula) == normalize_formula(old)


def code_for(ctx, key: str) -> str | None:
    """The specific check a formula cell belongs to (None: its own check reports it)."""
    if key.startswith("node.") and key.endswith(".score"):
        node = ctx.spec.node(key[5:-6])
        return None if node.is_leaf else "subtotal-mismatch"     # leaves: rule-score-mismatch
    if key in ("summary.total", "summary.display", "summary.raw", "summary.scaled"):
        return "total-mismatch"
    if key == "summary.grade":
        return "grade-mismatch"
    if key.startswith("funds."):
        last = key.rsplit(".", 1)[-1]
        if last in ("rate", "exec_rate"):
            return "exec-rate-mismatch"
        if last in ("mid_rate", "mid_progress", "mid_gap"):
            return "midyear-mismatch"
        return "fund-total-mismatch"
    if key.startswith("node.") and key.endswith(".basis") and ctx.spec.node(key[5:-6]).rule.type == "execution_rate":
        return "exec-rate-mismatch"
    if key.startswith("target.") and key.endswith(".ratio"):
        return "target-ratio-mismatch"
    if key.startswith("target.") and key.endswith(".score"):
        return "rule-score-mismatch"
    return "stale-value"


def _uncalculated(ctx) -> list:
    """Formula cells with no stored value where the formula gives one; many of them = a file never calculated."""
    return [c for c in ctx.L.by_role("formula")
            if ctx.stored(c.key) in (None, "") and ctx.as_is.natural(c.key) not in (None, "")]


def check(ctx):
    blank = _uncalculated(ctx)
    given = sum(1 for c in ctx.L.by_role("formula") if ctx.as_is.natural(c.key) not in (None, ""))
    skip = set()
    if len(blank) >= 5 and len(blank) * 2 >= given:         # one clear message, not one per cell
        skip = {c.key for c in blank}
        yield ctx.finding("values-not-calculated", cell=blank[0].addr, count=len(blank))
    for c in ctx.L.by_role("formula"):
        if c.key in skip:
            continue
        stored = ctx.stored(c.key)
        expected = ctx.as_is.natural(c.key)
        if same(stored, expected):
            continue
        code = code_for(ctx, c.key)
        if code is None:
            continue
        if code == "grade-mismatch" and expected == INCOMPLETE and _legacy(ctx, c):
            continue           # an earlier template's grade formula has no 未完成 state; score-missing says why
        if c.key in ctx.overwritten and code == "stale-value":
            continue           # formula-overwritten already says it
        params = {}
        if code == "target-ratio-mismatch" or (code == "rule-score-mismatch" and c.key.startswith("target.")):
            parts = c.key.split(".")
            kind = ctx.spec.targets.kind(parts[1])
            params = {"kind": kind.label, "row": parts[2],
                      "direction": ctx.ret.inputs.get(f"target.{parts[1]}.{parts[2]}.direction"),
                      "indicator_name": f"{kind.label}第{parts[2]}行"}
        if code == "grade-mismatch":
            params["score"] = ctx.as_is.values.get("summary.display")
        yield ctx.finding(code, c.key, found=stored, expected=expected, **params)

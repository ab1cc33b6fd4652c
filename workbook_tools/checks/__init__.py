"""The reviewer's checks: every check yields Findings into one Report, used by every command."""
from __future__ import annotations

from workbook_tools.checks import consistency, entries, funds, identity, links, narrative, ranges, scores, targets
from workbook_tools.checks.context import Ctx, _col, _row, make_ctx, same  # noqa: F401  (the package's public names)
from workbook_tools.checks.explanations import apply_explanations
from workbook_tools.checks.findings import Finding
from workbook_tools.files.fill import overwritten_formulas  # noqa: F401  (re-exported)
from workbook_tools.files.reader import Returned


def run_checks(ret: Returned, *, only: set[str] | None = None, skip: set[str] | None = None,
               ctx: Ctx | None = None) -> list[Finding]:
    """All findings for a read workbook, explanations applied, in sheet/row order."""
    ctx = ctx or make_ctx(ret)
    found: list[Finding] = []
    for module in (identity, entries, funds, targets, scores, narrative, consistency, ranges):
        found.extend(module.check(ctx))
    if ctx.projects is not None:
        found.extend(links.check(ctx, ctx.projects))
    for f in found:              # the spec decides how strict each check is (severities:)
        if f.code in ctx.spec.severities:
            f.level = ctx.spec.severities[f.code]
    if only:
        found = [f for f in found if f.code in only]
    if skip:
        found = [f for f in found if f.code not in skip]
    apply_explanations(ctx, found)
    order = {s: i for i, s in enumerate(ret.layout.sheets)}
    return sorted(found, key=lambda f: (order.get(f.sheet, -1), _row(f.coord), _col(f.coord), f.code))

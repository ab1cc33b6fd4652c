"""The reviewer's checks: every check yields Findings into one Report, used by every command."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from workbook_tools.checks.catalogue import CATALOGUE
from workbook_tools.model.engine import Result, compute
from workbook_tools.files.fill import normalize_formula
from workbook_tools.checks.findings import Finding
from workbook_tools.model.layout import Layout, legacy_formula
from workbook_tools.files.reader import Returned
from workbook_tools.model.spec import Spec


@dataclass
class Ctx:
    """What every check sees: the file as read, the rules' result and Excel's view of the file as it stands."""
    ret: Returned
    rules: Result                   # every formula intact: what the rules give
    as_is: Result                   # typed-over formula cells kept as the file holds them
    overwritten: set[str] = field(default_factory=set)
    projects: object = None         # a ProjectTally when the unit's project forms are given (validate --projects)

    @property
    def spec(self) -> Spec:
        return self.ret.spec

    @property
    def L(self) -> Layout:
        return self.ret.layout

    def finding(self, code: str, key: str | None = None, *, cell: str | None = None, indicator: str = "",
                expected=None, found=None, **params) -> Finding:
        assert code in CATALOGUE, code
        c = self.L.cells.get(key) if key else None
        if c is not None:
            cell = cell or c.addr
            indicator = indicator or c.indicator
            params.setdefault("label", c.label)
        if indicator and "indicator_name" not in params:
            try:
                params["indicator_name"] = f"{indicator} {self.spec.node(indicator).name}"
            except StopIteration:
                params["indicator_name"] = indicator
        params.setdefault("expected", expected)
        params.setdefault("found", found)
        if code == "number-as-text":         # name the usual cause a clerk cannot see: full-width digits
            wide = isinstance(found, str) and any("０" <= ch <= "９" or ch in "．－＋％" for ch in found)
            params.setdefault("why", "（含全角数字或符号，请改用半角输入）" if wide else "")
            params.setdefault("why_en", " (full-width digits: type them half-width)" if wide else "")
        return Finding(code, cell or "", indicator, params, expected, found, file=self.ret.source)

    def stored(self, key):
        return self.ret.stored[key].value if key in self.ret.stored else None


def overwritten_formulas(ret: Returned) -> set[str]:
    """Formula cells whose formula is missing or different from the template's."""
    out = set()
    for c in ret.layout.by_role("formula"):
        have = ret.stored[c.key]
        if normalize_formula(have.formula) != normalize_formula(c.formula):
            old = legacy_formula(c.key, c.formula)
            if old is None or normalize_formula(have.formula) != normalize_formula(old):
                out.add(c.key)
    return out


def make_ctx(ret: Returned) -> Ctx:
    over = overwritten_formulas(ret)
    rules = compute(ret.spec, ret.inputs)
    as_is = compute(ret.spec, ret.inputs, {k: ret.stored[k].value for k in over}) if over else rules
    return Ctx(ret, rules, as_is, over)


def run_checks(ret: Returned, *, only: set[str] | None = None, skip: set[str] | None = None,
               ctx: Ctx | None = None) -> list[Finding]:
    """All findings for a read workbook, explanations applied, in sheet/row order."""
    from workbook_tools.checks import consistency, entries, funds, identity, narrative, ranges, scores, targets
    ctx = ctx or make_ctx(ret)
    found: list[Finding] = []
    for module in (identity, entries, funds, targets, scores, narrative, consistency, ranges):
        found.extend(module.check(ctx))
    if ctx.projects is not None:
        from workbook_tools.checks import links
        found.extend(links.check(ctx, ctx.projects))
    for f in found:              # the spec decides how strict each check is (severities:)
        if f.code in ctx.spec.severities:
            f.level = ctx.spec.severities[f.code]
    if only:
        found = [f for f in found if f.code in only]
    if skip:
        found = [f for f in found if f.code not in skip]
    from workbook_tools.checks.explanations import apply_explanations
    apply_explanations(ctx, found)
    order = {s: i for i, s in enumerate(ret.layout.sheets)}
    return sorted(found, key=lambda f: (order.get(f.sheet, -1), _row(f.coord), _col(f.coord), f.code))


def _row(coord: str) -> int:
    digits = "".join(ch for ch in coord if ch.isdigit())
    return int(digits) if digits else 0


def _col(coord: str) -> str:
    return "".join(ch for ch in coord if ch.isalpha()).rjust(3)


def same(a, b, tol: Decimal = Decimal("0.000001")) -> bool:
    """Stored cell value vs engine value: numbers within a relative tolerance, '' equals empty."""
    from workbook_tools.numbers import num
    if a in (None, "") and b in (None, ""):
        return True
    if type(a) in (int, float) and type(b) is Decimal and a == a:      # the usual case, without Decimal(repr(a))
        fb = float(b)
        if abs(a - fb) <= 1e-7 * max(1.0, abs(fb)):        # well inside the tolerance: same
            return True
    na, nb = num(a) if not isinstance(a, Decimal) else a, num(b) if not isinstance(b, Decimal) else b
    if na is not None and nb is not None:
        return abs(na - nb) <= tol * max(Decimal(1), abs(nb))
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return False

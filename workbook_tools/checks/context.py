"""What every check sees (Ctx: the file as read, the rules' result, Excel's view) and the helpers checks share."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from workbook_tools.catalogue import CATALOGUE
from workbook_tools.checks.findings import Finding
from workbook_tools.files.fill import overwritten_formulas
from workbook_tools.files.reader import Returned
from workbook_tools.model.engine import Result, compute
from workbook_tools.model.layout import Layout
from workbook_tools.model.spec import Spec
from workbook_tools.numbers import num


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


def make_ctx(ret: Returned) -> Ctx:
    over = overwritten_formulas(ret)
    rules = compute(ret.spec, ret.inputs)
    as_is = compute(ret.spec, ret.inputs, {k: ret.stored[k].value for k in over}) if over else rules
    return Ctx(ret, rules, as_is, over)


def _row(coord: str) -> int:
    digits = "".join(ch for ch in coord if ch.isdigit())
    return int(digits) if digits else 0


def _col(coord: str) -> str:
    return "".join(ch for ch in coord if ch.isalpha()).rjust(3)


def same(a, b, tol: Decimal = Decimal("0.000001")) -> bool:
    """Stored cell value vs engine value: numbers within a relative tolerance, '' equals empty."""
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

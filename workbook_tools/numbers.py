"""Decimal helpers that reproduce what Excel shows: ROUND is half away from zero."""
from __future__ import annotations

import datetime as _dt
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation

ZERO = Decimal(0)
ONE = Decimal(1)


def is_number(raw) -> bool:
    """Excel's ISNUMBER on a stored cell value (booleans and text are not numbers; dates are)."""
    if isinstance(raw, bool):
        return False
    if isinstance(raw, (int, Decimal, _dt.date)):
        return True
    if isinstance(raw, float):
        return raw == raw and raw not in (float("inf"), float("-inf"))
    return False


def num(raw) -> Decimal | None:
    """The cell's numeric value as Decimal, or None when Excel would not see a number."""
    if not is_number(raw):
        return None
    if isinstance(raw, _dt.date):
        return date_to_serial(raw)
    if isinstance(raw, float):
        # repr gives the shortest string that round-trips, i.e. what Excel displays at full precision
        return Decimal(repr(raw))
    return Decimal(raw)


def parse_number_text(text) -> Decimal | None:
    """A number typed as text ("1,234.5", " 99.74% ", "１２"), or None."""
    if not isinstance(text, str):
        return None
    s = text.strip().replace(",", "").replace("，", "").replace(" ", "")
    s = s.translate(str.maketrans("０１２３４５６７８９．－％", "0123456789.-%"))
    pct = s.endswith("%")
    if pct:
        s = s[:-1]
    if not s or len(s) > 40:
        return None
    try:
        d = Decimal(s)
    except InvalidOperation:
        return None
    if not d.is_finite():
        return None
    return d / 100 if pct else d


def round_half_up(x: Decimal, places: int) -> Decimal:
    """Excel ROUND(x, places): half away from zero (absurdly large values are returned unrounded)."""
    q = Decimal(1).scaleb(-places)
    try:
        return x.quantize(q, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return x


def round_up(x: Decimal, places: int = 0) -> Decimal:
    """Excel ROUNDUP: away from zero."""
    q = Decimal(1).scaleb(-places)
    try:
        if x >= 0:
            return x.quantize(q, rounding=ROUND_CEILING)
        return -((-x).quantize(q, rounding=ROUND_CEILING))
    except InvalidOperation:
        return x


def to_float(x):
    """Decimal → float for writing cells and JSON; other values unchanged. A value a float cannot hold
    (overflow to infinity, NaN) becomes None: never ``inf`` in a cell or ``Infinity`` in JSON."""
    if isinstance(x, Decimal):
        if not x.is_finite():
            return None
        f = float(x)
        if f != f or f in (float("inf"), float("-inf")):
            return None
        return int(f) if f.is_integer() and abs(f) < 2**53 else f
    if isinstance(x, float) and (x != x or x in (float("inf"), float("-inf"))):
        return None
    return x


NUMBER_LIMIT = 1e15     # beyond Excel's 15 significant digits no money, count or score is real


def out_of_range(v, numeric: bool = True) -> bool:
    """A stored number that must not enter arithmetic: NaN or infinity anywhere; |v| ≥ 10^15 in a numeric cell."""
    if isinstance(v, bool) or not isinstance(v, (int, float, Decimal)):
        return False
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return True
    if isinstance(v, Decimal) and not v.is_finite():
        return True
    return numeric and abs(v) >= NUMBER_LIMIT


def plain(x: Decimal | None) -> str:
    """Decimal without trailing zeros or exponent: 9.9740 → '9.974', 20.0000 → '20'."""
    if x is None:
        return ""
    s = format(x.normalize(), "f")
    return s


def excel_serial_to_date(serial) -> _dt.date | None:
    """Excel 1900 date system serial number → date (None when out of range)."""
    d = num(serial)
    if d is None or d < 1 or d > 2958465:
        return None
    base = _dt.date(1899, 12, 30)
    return base + _dt.timedelta(days=int(d))


def date_to_serial(d) -> Decimal:
    """date/datetime → Excel 1900-system serial number."""
    base = _dt.datetime(1899, 12, 30)
    if not isinstance(d, _dt.datetime):
        d = _dt.datetime(d.year, d.month, d.day)
    delta = d - base
    return Decimal(delta.days) + Decimal(delta.seconds) / Decimal(86400)


def jsonable(v):
    """A value as JSON holds it: Decimal → float, a date → ISO text, NaN → null."""
    if isinstance(v, Decimal):
        return to_float(v)
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()[:10] if not isinstance(v, _dt.datetime) or v.time() == _dt.time() else v.isoformat()
    if isinstance(v, float) and v != v:
        return None
    return v

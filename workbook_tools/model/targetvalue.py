"""Target values as forms write them (≥90%, =100 with unit %, ≤3%, 5次, 20集, 0): the reading, in Python and as
the Excel 2010 / WPS formulas of a target row's hidden helper cells (the two must agree: LibreOffice tests).

A target row reads, per row (keys ``target.<kind>.<n>.<helper>``):
  vs / as   the 指标值 / 实际完成值 text without its sign (≥ ≧ > ＞ ≤ ≦ < ＜ = ＝, and ">=" etc.), commas and outer spaces
  vn / an   the number it starts with ("5次" → 5, "90%" → 90, ".5" → 0.5); a number cell as it is; "" when none
  dir       the direction: the 方向 column when filled, else the sign in the 指标值, else = for 0 and ≥ otherwise
  ev / gv   the numbers compared. A number written with a % sign, or as text in a row whose 度量单位 is %, is
            percent points (90% → 0.9, "=100" with unit % → 1). A number cell is taken as it is (Excel stores a typed
            95% as 0.95), unless the other side of the row is read as percent points: then it is read on the scale
            nearer to the other side (96 against ≥90% → 0.96; 0.96 against ≥90% → 0.96).
Both numbers on the same scale give the ratio they gave before (ratios are scale-free), so rows typed as two numbers
read exactly as before this reading existed.
"""
from __future__ import annotations

import re
from decimal import Decimal

from workbook_tools.numbers import is_number, num

HELPERS = ("dir", "vs", "as", "vn", "an", "ev", "gv")     # hidden helper columns of a target row, in this order
HELPER_HEADS = {"dir": "方向（读）", "vs": "指标值文字", "as": "完成值文字", "vn": "指标值数", "an": "完成值数",
                "ev": "指标值（读）", "gv": "完成值（读）", "ve": "所用指标值"}
SIGN_CHARS = "≥≧>＞≤≦<＜=＝"
_GE, _LE, _EQ = "≥≧>＞", "≤≦<＜", "=＝"
DIGITS = "0123456789."
SPAN = 16                   # characters scanned for the leading number (15 significant digits and a point)
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")


# ---------------------------------------------------------------- Python (the engine's twin of the formulas)

def excel_trim(s: str) -> str:
    """Excel TRIM: no leading or trailing spaces, runs of spaces inside made one (only the ASCII space)."""
    return " ".join(w for w in s.split(" ") if w)


def stripped(raw) -> str | None:
    """vs / as: the text without sign, commas and outer spaces (None for a non-text cell: the formula's "")."""
    if not isinstance(raw, str):
        return None
    t = excel_trim(raw.replace(",", ""))
    if t and t[0] in SIGN_CHARS:
        t = excel_trim(t[1:100])
        if t and t[0] in _EQ:
            t = excel_trim(t[1:100])
    return t


def leading_number(raw, text: str | None) -> Decimal | None:
    """vn / an: a number cell as it is, else the number the stripped text starts with."""
    if is_number(raw):
        return num(raw)
    if not text or text[0] not in DIGITS:
        return None
    probe = text + "#"
    first = min(i + (99 if (probe[i - 1:i] == "" or probe[i - 1] in DIGITS) else 0) for i in range(1, SPAN + 1))
    head = text[:first - 1]
    return Decimal(head) if _NUMBER.fullmatch(head) else None


def direction(d, raw_value, vn: Decimal | None) -> str | None:
    """dir: the 方向 column when filled, else the sign the 指标值 starts with, else = for 0 and ≥ for other numbers."""
    if d is not None and d != "":
        return num(d) if is_number(d) else d          # whatever is typed there (invalid-choice says if it is wrong)
    if isinstance(raw_value, str):
        t = excel_trim(raw_value.replace(",", ""))
        if t:
            c = t[0]
            if c in _GE:
                return "≥"
            if c in _LE:
                return "≤"
            if c in _EQ:
                return "="
    if vn is None:
        return None
    return "=" if vn == 0 else "≥"


def _has_pct(raw) -> bool:
    return isinstance(raw, str) and ("%" in raw or "％" in raw)


def _points(raw, n, unit_pct: bool) -> bool:
    """A number read as percent points: text with a % sign, or text in a row whose unit is %."""
    return isinstance(raw, str) and n is not None and (_has_pct(raw) or unit_pct)


def scaled(raw, n, other_raw, other_n, unit) -> Decimal | None:
    """ev / gv: the number compared (see the module docstring)."""
    if n is None:
        return None
    unit_pct = _has_pct(unit)
    if _points(raw, n, unit_pct):
        return n / 100
    if _points(other_raw, other_n, unit_pct):
        return n / 100 if abs(n) > abs(other_n) / 10 else n
    return n


def read_row(d, value, actual, unit) -> dict:
    """Every helper value of a target row from its typed cells (None where the formula gives "")."""
    vs, as_ = stripped(value), stripped(actual)
    vn, an = leading_number(value, vs), leading_number(actual, as_)
    return {"dir": direction(d, value, vn), "vs": vs, "as": as_, "vn": vn, "an": an,
            "ev": scaled(value, vn, actual, an, unit), "gv": scaled(actual, an, value, vn, unit)}


def unreadable(raw, n) -> bool:
    """A typed quantitative value the reading finds no number in."""
    return isinstance(raw, str) and raw != "" and n is None


# ---------------------------------------------------------------- Excel (the hidden helper cells' formulas)

def _q(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _found(ch: str, chars: str) -> str:
    return f"ISNUMBER(FIND({ch},{_q(chars)}))"


def stripped_formula(x: str) -> str:
    t = f'TRIM(SUBSTITUTE({x},",",""))'
    a = f"IF(AND(LEN({t})>0,{_found(f'LEFT({t},1)', SIGN_CHARS)}),TRIM(MID({t},2,99)),{t})"
    b = f"IF(AND(LEN({a})>0,{_found(f'LEFT({a},1)', _EQ)}),TRIM(MID({a},2,99)),{a})"
    return f'=IF(ISTEXT({x}),{b},"")'


def number_formula(x: str, s: str) -> str:
    """``x`` the typed cell, ``s`` its stripped-text helper cell."""
    span = "{" + ",".join(str(i) for i in range(1, SPAN + 1)) + "}"
    first = f'SUMPRODUCT(MIN({span}+99*ISNUMBER(FIND(MID({s}&"#",{span},1),{_q(DIGITS)}))))'
    head = f"LEFT({s},{first}-1)"
    return (f'=IF(ISNUMBER({x}),{x},IF(LEN({s})=0,"",IF({_found(f"LEFT({s},1)", DIGITS)},'
            f'IFERROR(VALUE({head}),""),"")))')


def direction_formula(d: str, e: str, vn: str) -> str:
    t = f'TRIM(SUBSTITUTE({e},",",""))'
    c = f"LEFT({t},1)"
    default = f'IF(ISNUMBER({vn}),IF({vn}=0,"=","≥"),"")'
    signed = (f'IF({_found(c, _GE)},"≥",IF({_found(c, _LE)},"≤",IF({_found(c, _EQ)},"=",{default})))')
    return f'=IF({d}<>"",{d},IF(AND(ISTEXT({e}),LEN({t})>0),{signed},{default}))'


def _pct_text(x: str) -> str:
    return f'AND(ISTEXT({x}),OR(ISNUMBER(FIND("%",{x})),ISNUMBER(FIND("％",{x}))))'


def scaled_formula(x: str, n: str, other: str, other_n: str, unit: str) -> str:
    unit_pct = _pct_text(unit)
    mine = f"AND(ISTEXT({x}),ISNUMBER({n}),OR({_pct_text(x)},{unit_pct}))"
    theirs = f"AND(ISTEXT({other}),ISNUMBER({other_n}),OR({_pct_text(other)},{unit_pct}))"
    return (f'=IF(ISNUMBER({n}),IF({mine},{n}/100,IF({theirs},IF(ABS({n})>ABS({other_n})/10,{n}/100,{n}),{n})),"")')

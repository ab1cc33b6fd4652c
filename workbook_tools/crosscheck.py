"""`wbtool crosscheck`: a returned workbook's funds block and its execution-rate score against the bureau's ledger."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import SimpleNamespace

from .checks import overwritten_formulas
from .checks.explanations import apply_explanations
from .engine import Result, compute, dec
from .errors import UnreadableInput, UsageError
from .findings import Finding, Report
from .ledger import Figures, Ledger, LedgerUnit, form_inputs, from_wan, money_fields
from .numbers import ZERO, num, plain
from .reader import Returned, read_workbook
from .tables import code_text

TOLERANCE = Decimal("0.01")      # 万元
FIELD_CODES = {"initial": "ledger-initial-mismatch", "adjusted": "ledger-budget-mismatch",
               "actual": "ledger-actual-mismatch", "mid_budget": "ledger-midyear-mismatch",
               "mid_actual": "ledger-midyear-mismatch"}
RATE_KEYS = ("funds.exec_rate", "funds.mid_progress")


def tolerance_of(text) -> Decimal:
    """--tolerance as a non-negative Decimal (万元)."""
    try:
        t = Decimal(str(text))
    except InvalidOperation:
        t = None
    if t is None or not t.is_finite() or t < 0:
        raise UsageError(f"容差“{text}”无效，应为不小于 0 的数字（万元），如 0.01",
                         f"tolerance '{text}' must be a non-negative number (万元)")
    return t


def crosscheck_returned(ret: Returned, ledger: Ledger, tolerance: Decimal = TOLERANCE) -> list[Finding]:
    """Every difference between the workbook's funds (and the rate and score they give) and the ledger; pure."""
    return _crosscheck(ret, ledger, tolerance)[0]


def crosscheck_workbook(path: str | Path, ledger: Ledger, *, tolerance: Decimal = TOLERANCE, spec=None) -> Report:
    """Read one file and cross-check it; an unreadable file gives a report with one file finding (exit 3)."""
    from .validate import summary_of, unreadable_report
    try:
        ret = read_workbook(path, spec)
    except UnreadableInput as e:
        return unreadable_report(path, e)
    findings, led = _crosscheck(ret, ledger, tolerance)
    rep = Report(file=ret.source, spec_id=ret.spec.id, spec_version=ret.spec.version, findings=findings)
    rep.summary = summary_of(ret)
    rep.summary["ledger"] = _ledger_summary(ret, ledger, led)
    return rep


def ledger_result(ret: Returned, unit: LedgerUnit, ledger: Ledger) -> Result:
    """The engine's result for the workbook with the ledger's figures substituted for the unit's money inputs."""
    return compute(ret.spec, {**ret.inputs, **form_inputs(ret.spec, unit, ledger)})


# ------------------------------------------------------------------ the comparison

def _crosscheck(ret: Returned, ledger: Ledger, tol: Decimal) -> tuple[list[Finding], Result | None]:
    code = code_text(ret.inputs.get("cover.agencyCode"))
    unit = ledger.units.get(code)
    if unit is None:
        return [_finding(ret, "ledger-unit-missing", "cover.agencyCode", found=code or None,
                         ledger=ledger.name)], None
    tol = from_wan(tol, ret.spec.money_unit)
    out = list(_name(ret, unit))
    rows, touched = _sources(ret, unit, ledger, tol)
    out += rows
    over = overwritten_formulas(ret)
    as_is = compute(ret.spec, ret.inputs, {k: ret.stored[k].value for k in over})
    out += _totals(ret, unit, ledger, as_is, tol, touched)
    led = ledger_result(ret, unit, ledger)
    out += _rates(ret, as_is, led)
    apply_explanations(SimpleNamespace(ret=ret, spec=ret.spec), out)
    return out, led


def _finding(ret: Returned, code: str, key: str | None = None, *, expected=None, found=None, **params) -> Finding:
    c = ret.layout.get(key) if key else None
    params.setdefault("label", c.label if c else "")
    params.setdefault("unit", ret.spec.money_unit)
    params.setdefault("expected", expected)
    params.setdefault("found", found)
    return Finding(code, c.addr if c else "", c.indicator if c else "", params, expected, found, file=ret.source)


def _name(ret: Returned, unit: LedgerUnit):
    have = ret.inputs.get("cover.unitName")
    norm = lambda s: "".join(str(s or "").split())  # noqa: E731
    if unit.name and norm(have) and norm(have) != norm(unit.name):
        yield _finding(ret, "ledger-name-mismatch", "cover.unitName", expected=unit.name, found=have,
                       agency_code=unit.code)


def _amount(raw) -> Decimal:
    """A money input as the form's SUM sees it: numbers count, anything else is 0."""
    return num(raw) if num(raw) is not None else ZERO


def _sources(ret: Returned, unit: LedgerUnit, ledger: Ledger, tol: Decimal):
    """Per fund source: present on one side only, or each money field outside the tolerance."""
    spec, out, touched = ret.spec, [], set()
    fields = money_fields(spec, ledger)
    for i, src in enumerate(spec.funds.sources):
        fig = unit.sources.get(src)
        raw = {k: ret.inputs.get(f"funds.{i}.{k}") for k in fields}
        in_ledger = fig is not None and not fig.is_zero()
        in_book = any(_amount(v) != 0 for v in raw.values())
        if in_ledger != in_book:       # one finding for the row, not one per column
            touched |= set(fields)
        if in_ledger and not in_book:
            out.append(_missing_in_book(ret, src, fig, f"funds.{i}.adjusted"))
        elif in_book and not in_ledger:
            k = next(k for k in fields if _amount(raw[k]) != 0)
            out.append(_finding(ret, "ledger-source-missing-in-ledger", f"funds.{i}.{k}", expected=ZERO,
                                found=num(raw[k]), source=src))
        elif in_book:
            for k in fields:
                want = from_wan(fig.get(k) or ZERO, spec.money_unit)
                have = _amount(raw[k])
                if abs(have - want) > tol:
                    out.append(_finding(ret, FIELD_CODES[k], f"funds.{i}.{k}", expected=want,
                                        found=num(raw[k]) if num(raw[k]) is not None else raw[k],
                                        diff=plain(have - want), source=src))
                    touched.add(k)
    for src, fig in unit.sources.items():
        if src not in spec.funds.sources and not fig.is_zero():
            out.append(_missing_in_book(ret, src, fig, None))
            touched |= set(fields)
    return out, touched


def _missing_in_book(ret: Returned, src: str, fig: Figures, key: str | None) -> Finding:
    u = ret.spec.money_unit
    return _finding(ret, "ledger-source-missing-in-workbook", key, expected=from_wan(fig.adjusted, u), found=None,
                    source=src, actual=from_wan(fig.actual, u),
                    where="该行未填写" if key else "没有这一资金来源",
                    where_en="leaves that row empty" if key else "has no such fund source")


def _totals(ret: Returned, unit: LedgerUnit, ledger: Ledger, as_is: Result, tol: Decimal, touched: set):
    """The 合计 row, only where no source row explains the difference (e.g. a typed-over total formula)."""
    total = unit.total
    for k in money_fields(ret.spec, ledger):
        if k in touched:
            continue
        want = from_wan(total.get(k) or ZERO, ret.spec.money_unit)
        have = dec(as_is.get(f"funds.total.{k}"))
        if have is None or abs(have - want) > tol:
            yield _finding(ret, "ledger-total-mismatch", f"funds.total.{k}", expected=want, found=have,
                           diff=plain(have - want) if have is not None else "—")


def _rates(ret: Returned, as_is: Result, led: Result):
    """执行率, 1–6 月进度 and every execution-rate score: what the workbook shows vs the ledger's figures."""
    keys = [k for k in RATE_KEYS if k in ret.layout.cells]
    keys += [f"node.{n.id}.score" for n in ret.spec.leaves() if n.rule.type == "execution_rate"]
    for key in keys:
        have, want = dec(as_is.get(key)), dec(led.get(key))
        if have != want:
            f = _finding(ret, "ledger-rate-mismatch", key, expected=want, found=have)
            f.params.update(expected=_show(want, key in RATE_KEYS), found=_show(have, key in RATE_KEYS))
            yield f


def _show(v: Decimal | None, pct: bool) -> str:
    if v is None:
        return "空"
    return f"{plain(v * 100)}%" if pct else plain(v)


def _ledger_summary(ret: Returned, ledger: Ledger, led: Result | None) -> dict:
    from .numbers import to_float
    code = code_text(ret.inputs.get("cover.agencyCode"))
    out = {"file": ledger.name, "agencyCode": code, "found": led is not None}
    if led is not None:
        out["exec_rate"] = to_float(led.get("funds.exec_rate"))
        out["scores"] = {n.id: to_float(led.get(f"node.{n.id}.score"))
                         for n in ret.spec.leaves() if n.rule.type == "execution_rate"}
        out["total"] = to_float(led.total)
    return out

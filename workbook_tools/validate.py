"""`wbtool validate`: read a workbook, run the catalogue's checks, return a Report (never raises on bad files)."""
from __future__ import annotations

from pathlib import Path

from .catalogue import CATALOGUE
from .errors import UnreadableInput, UsageError
from .findings import Finding, Report
from .numbers import to_float
from .reader import Returned, read_workbook
from .spec import Spec


def check_codes(codes) -> set[str]:
    """Validate --only/--skip codes (usage error for unknown ones)."""
    codes = {c.strip() for item in codes or () for c in str(item).split(",") if c.strip()}
    unknown = sorted(c for c in codes if c not in CATALOGUE)
    if unknown:
        raise UsageError(f"未知的检查代码：{', '.join(unknown)}（见 docs/checks.md）",
                         f"unknown check code(s): {', '.join(unknown)} (see docs/checks.md)")
    return codes


def validate_returned(ret: Returned, *, only=None, skip=None) -> Report:
    from .checks import make_ctx, run_checks
    ctx = make_ctx(ret)
    findings = run_checks(ret, only=check_codes(only), skip=check_codes(skip), ctx=ctx)
    rep = Report(file=ret.source, spec_id=ret.spec.id, spec_version=ret.spec.version, findings=findings)
    rep.result = ctx.rules          # the engine's result, for callers that need more than the findings
    rep.summary = summary_of(ret, ctx.rules)
    return rep


def summary_of(ret: Returned, res=None) -> dict:
    from .engine import compute
    res = res or compute(ret.spec, ret.inputs)
    cover = ret.cover()
    return {"unitName": cover.get("unitName"), "agencyCode": _text(cover.get("agencyCode")),
            "fiscalYear": to_float(cover.get("fiscalYear")) if cover.get("fiscalYear") is not None else None,
            "total": to_float(res.total), "display": to_float(res.display), "grade": res.grade,
            "exec_rate": to_float(res.values.get("funds.exec_rate"))}


def _text(v):
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return None if v is None else str(v)


def unreadable_report(path, err: UnreadableInput) -> Report:
    code = err.code if err.code in CATALOGUE else "corrupt-zip"
    f = Finding(code, params={"detail": err.zh, "detail_en": err.en}, file=str(path))
    return Report(file=str(path), readable=False, findings=[f])


def validate_workbook(path: str | Path, *, only=None, skip=None, spec: Spec | None = None) -> Report:
    """Validate one file; an unreadable file gives a report with one file-level finding (exit 3)."""
    check_codes(only), check_codes(skip)
    try:
        ret = read_workbook(path, spec)
    except UnreadableInput as e:
        return unreadable_report(path, e)
    return validate_returned(ret, only=only, skip=skip)

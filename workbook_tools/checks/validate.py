"""`wbtool validate`: read a workbook, run the catalogue's checks, return a Report (never raises on bad files)."""
from __future__ import annotations

from pathlib import Path

from workbook_tools.catalogue import CATALOGUE
from workbook_tools.cells import CellData
from workbook_tools.errors import UnreadableInput
from workbook_tools.checks.findings import Finding, Report, check_codes, unreadable_report  # noqa: F401  (re-exported)
from workbook_tools.numbers import to_float
from workbook_tools.checks.context import _col, _row
from workbook_tools.files.reader import _open, Forms, identify, LAYOUT_PROJECTS, project_sheets, read_forms, Returned
from workbook_tools.model.spec import Spec
from workbook_tools.checks import make_ctx, run_checks
from workbook_tools.model.engine import compute, tally_projects
from workbook_tools.model.projectbook import form_base, fund_types, projects_layout
from workbook_tools.model.checksheet import SHEET_CHECK, SHEET_DETAIL
from workbook_tools.files.fill import normalize_formula


def validate_forms(forms: Forms, *, only=None, skip=None, projects=None) -> Report:
    """Validate every form of a workbook; a project workbook gives one report over all its project sheets.

    ``projects`` (a ProjectTally of the unit's project workbooks) adds the overall form's link checks.
    """
    if not forms.is_projects:
        return validate_returned(forms.forms[0], only=only, skip=skip, projects=projects)
    only, skip = check_codes(only), check_codes(skip)
    return projects_report(forms, [check_forms(forms.forms, only, skip)], only, skip)


def check_forms(rets: list[Returned], only, skip) -> tuple[list[Finding], list[dict], list]:
    """Findings (each naming its project), summary rows and engine results of some forms of a project workbook."""
    findings, rows, results = [], [], []
    for ret in rets:
        ctx = make_ctx(ret)
        results.append(ctx.rules)
        label = project_label(ret)
        for f in run_checks(ret, only=only, skip=skip, ctx=ctx):
            if f.sheet == ret.layout.form:
                f.project = label
            findings.append(f)
        rows.append(project_summary(ret, ctx.rules))
    return findings, rows, results


def projects_report(forms: Forms, parts, only, skip) -> Report:
    """One report from the checked parts of a project workbook (in sheet order), plus its workbook-level checks."""
    findings, seen, rows, results = [], set(), [], []
    for part_findings, part_rows, part_results in parts:
        for f in part_findings:
            key = (f.code, f.cell, f.indicator, f.message())
            if not f.project and key in seen:    # a shared sheet (情况说明): once for the workbook
                continue
            seen.add(key)
            findings.append(f)
        rows += part_rows
        results += part_results
    findings += totals_findings(forms, only, skip) + unlisted_forms(forms, only, skip)
    order = {s: i for i, s in enumerate(forms.projects.sheets)}
    findings.sort(key=lambda f: (order.get(f.sheet, -1), _row(f.coord), _col(f.coord), f.code))
    spec = forms.spec
    rep = Report(file=forms.source, spec_id=spec.id, spec_version=spec.version, findings=findings)
    tally = tally_projects(fund_types(spec), [r.values for r in results])
    rep.result = results
    rep.summary = projects_summary(forms, rows, tally)
    return rep


def project_label(ret: Returned) -> str:
    """项目003 乡村道路维护（P0003）: how a reviewer names the project a finding belongs to."""
    name, code = ret.inputs.get("cover.projectName"), ret.inputs.get("cover.projectCode")
    out = ret.layout.form or ""
    if name not in (None, ""):
        out += f" {name}"
    if code not in (None, ""):
        out += f"（{_text(code)}）"
    return out


def project_summary(ret: Returned, res) -> dict:
    v = res.values
    return {"sheet": ret.layout.form, "projectCode": _text(ret.inputs.get("cover.projectCode")),
            "projectName": ret.inputs.get("cover.projectName"), "fundType": ret.inputs.get("cover.fundType"),
            "budget": to_float(v.get("list.budget")), "actual": to_float(v.get("list.actual")),
            "exec_rate": to_float(v.get("list.rate")), "total": to_float(res.total),
            "display": to_float(res.display), "grade": res.grade, "status": v.get("list.status")}


def projects_summary(forms: Forms, rows: list[dict], tally) -> dict:
    first = forms.forms[0].cover()
    return {"kind": "projects", "unitName": first.get("unitName"), "agencyCode": _text(first.get("agencyCode")),
            "fiscalYear": to_float(first.get("fiscalYear")) if first.get("fiscalYear") is not None else None,
            "projects": rows, "project_count": len(rows), "evaluated": tally.count,
            "counts": tally.counts, "average": to_float(tally.average), "display": to_float(tally.average),
            "grade": None, "total": to_float(tally.average), "exec_rate": to_float(tally.rate)}


def totals_findings(forms: Forms, only, skip) -> list[Finding]:
    """The 项目清单 totals row: its formulas as issued (the same checks as any formula cell)."""
    out = []
    for key in forms.projects.totals:
        c, have = forms.projects.shared[key], forms.totals[key]
        if normalize_formula(have.formula) == normalize_formula(c.formula):
            continue
        code = "formula-deleted" if have.formula is None and have.value in (None, "") else "formula-overwritten"
        if (only and code not in only) or (skip and code in skip):
            continue
        out.append(Finding(code, c.addr, "", {"label": c.label, "what": c.label, "expected": c.formula,
                                              "found": have.formula or have.value},
                           c.formula, have.formula or have.value, file=forms.source))
    return out


def unlisted_forms(forms: Forms, only, skip) -> list[Finding]:
    """Extra sheets laid out as a project form (a copied sheet to add a project): they would silently not count."""
    if (only and "project-sheet-unlisted" not in only) or (skip and "project-sheet-unlisted" in skip):
        return []
    heads = [c for c in form_base(forms.spec).free if c.style == "header"]
    out = []
    for sheet in forms.forms[0].extra_sheets:
        if sheet in (SHEET_CHECK, SHEET_DETAIL):      # the live 校验 sheets (a project workbook's are large)
            continue
        cells = forms.book.read_sheet(sheet)
        same = sum(1 for c in heads if (cells.get(c.coord) or CellData()).value == c.value)
        if heads and same >= 0.8 * len(heads):
            out.append(Finding("project-sheet-unlisted", f"{sheet}!A1", "", {"sheet": sheet}, file=forms.source))
    return out


def validate_returned(ret: Returned, *, only=None, skip=None, projects=None) -> Report:
    ctx = make_ctx(ret)
    ctx.projects = projects
    findings = run_checks(ret, only=check_codes(only), skip=check_codes(skip), ctx=ctx)
    rep = Report(file=ret.source, spec_id=ret.spec.id, spec_version=ret.spec.version, findings=findings)
    rep.result = ctx.rules          # the engine's result, for callers that need more than the findings
    rep.summary = summary_of(ret, ctx.rules)
    return rep


def summary_of(ret: Returned, res=None) -> dict:
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


def validate_workbook(path: str | Path, *, only=None, skip=None, spec: Spec | None = None,
                      projects=None, jobs: int = 1) -> Report:
    """Validate one file; an unreadable file gives a report with one file-level finding (exit 3)."""
    check_codes(only), check_codes(skip)
    try:
        book, info = _open(path)
        if jobs > 1:
            rep = _validate_in_parts(book, info, spec, only, skip, jobs)
            if rep is not None:
                return rep
        forms = read_forms(book, spec=spec, sha256=info.sha256, has_macros=info.has_macros)
    except UnreadableInput as e:
        # the rare path: importing the foreign-form reader would cost every validate its start-up time
        from workbook_tools.foreign import is_foreign_candidate, validate_foreign
        if is_foreign_candidate(path, e):      # not ours, or .xls: read it by its labels
            return validate_foreign(path, only=only, skip=skip)
        return unreadable_report(path, e)
    return validate_forms(forms, only=only, skip=skip, projects=projects)


PART_MIN = 48          # project sheets per process below which a second process does not pay


def _validate_in_parts(book, info, spec, only, skip, jobs: int) -> Report | None:
    """A big project workbook read and checked by forked processes, one slice of its sheets each (Linux).
    None when it does not apply (a classic form, few sheets, no fork): the caller goes the one-process way."""
    planned = _plan_parts(book, spec, jobs)
    if planned is None:
        return None
    spec, bounds = planned
    only, skip = check_codes(only), check_codes(skip)

    def part(bound):
        return _check_part(book, info, spec, only, skip, bound)

    children = [_fork_part(part, bound) for bound in bounds[1:]]
    forms, mine = part(bounds[0])
    return projects_report(forms, [mine] + [_gather_part(child, part) for child in children], only, skip)


def _plan_parts(book, spec, jobs: int):
    """(spec, [(lo, hi) sheet slices]) when a project workbook is big enough to pay for ≥ 2 processes, else None."""
    import os
    import sys
    if sys.platform != "linux":
        return None
    meta, spec = identify(book, spec)
    sheets = project_sheets(book) if meta.get("layout") == LAYOUT_PROJECTS else []
    parts = min(jobs, os.cpu_count() or 1, len(sheets) // PART_MIN)
    if parts < 2:
        return None
    try:
        projects_layout(spec, sheets)            # built once, before the fork: every process shares it
    except ValueError:
        return None                              # a damaged list: the one-process way says so
    return spec, [(len(sheets) * k // parts, len(sheets) * (k + 1) // parts) for k in range(parts)]


def _check_part(book, info, spec, only, skip, bound):
    """(forms, (findings, summary rows, engine results)) of one slice of the project sheets."""
    forms = read_forms(book, spec=spec, sha256=info.sha256, has_macros=info.has_macros, select=bound)
    found, rows, results = check_forms(forms.forms, only, skip)
    for r in results:
        r.values = dict(r.values)                # plain dicts travel (the overrides' memory stays behind)
    return forms, (found, rows, results)


def _fork_part(part, bound):
    """Check one slice in a forked child that pickles its result into a pipe: (pid, read end, bound)."""
    import os
    import pickle
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                                 # the child: check its slice, send it, leave without cleanup
        os.close(r)
        try:
            data = pickle.dumps(part(bound)[1], protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:                    # the parent checks this slice itself
            data = b""
        with os.fdopen(w, "wb") as out:
            out.write(data)
        os._exit(0)
    os.close(w)
    return pid, r, bound


def _gather_part(child, part):
    """A child's result; a child that failed or was killed has its slice checked here."""
    import os
    import pickle
    pid, r, bound = child
    with os.fdopen(r, "rb") as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    try:
        return pickle.loads(data)
    except Exception:
        return part(bound)[1]

"""`wbtool crosscheck`: a returned workbook's funds block and its execution-rate score against the bureau's ledger."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import SimpleNamespace

from workbook_tools.checks import _col, _row, overwritten_formulas
from workbook_tools.checks.explanations import apply_explanations
from workbook_tools.model.engine import Result, compute, dec, tally_projects
from workbook_tools.errors import UnreadableInput, UsageError
from workbook_tools.checks.findings import Finding, Report
from workbook_tools.bureau.ledger import Figures, Ledger, LedgerProject, LedgerUnit, form_inputs, from_wan, money_fields
from workbook_tools.numbers import ZERO, num, plain, to_float
from workbook_tools.files.reader import Forms, Returned, read_workbook_forms
from workbook_tools.files.tables import code_text
from workbook_tools.checks.validate import project_label, project_summary, projects_summary, summary_of, unreadable_report
from workbook_tools.model.projectbook import fund_types

TOLERANCE = Decimal("0.01")      # 万元
FIELD_CODES = {"initial": "ledger-initial-mismatch", "adjusted": "ledger-budget-mismatch",
               "actual": "ledger-actual-mismatch", "mid_budget": "ledger-midyear-mismatch",
               "mid_actual": "ledger-midyear-mismatch"}
RATE_KEYS = ("funds.exec_rate", "funds.mid_progress")
PROJECT_MISSING, PROJECT_NOT_IN_WORKBOOK = "ledger-project-missing", "ledger-project-missing-in-workbook"


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


def crosscheck_forms(forms: Forms, ledger: Ledger, tolerance: Decimal = TOLERANCE) -> list[Finding]:
    """Every difference for every form of a read workbook (one, or one per project sheet); pure.

    A project workbook needs a project-level ledger (UsageError otherwise); findings on a project sheet carry
    ``Finding.project``, and the ledger's projects of the workbook's unit that no sheet carries are reported too.
    """
    return _crosscheck_forms(forms, ledger, tolerance)[0]


def crosscheck_workbook(path: str | Path, ledger: Ledger, *, tolerance: Decimal = TOLERANCE, spec=None) -> Report:
    """Read one file and cross-check it; an unreadable file gives a report with one file finding (exit 3)."""
    try:
        forms = read_workbook_forms(path, spec)
    except UnreadableInput as e:
        return unreadable_report(path, e)
    findings, leds = _crosscheck_forms(forms, ledger, tolerance)
    rep = Report(file=forms.source, spec_id=forms.spec.id, spec_version=forms.spec.version, findings=findings)
    if forms.is_projects:
        rep.summary = _projects_summary(forms)
        rep.summary["ledger"] = {"file": ledger.name, "projects": [_ledger_summary(r, ledger, led)
                                                                   for r, led in zip(forms.forms, leds)]}
    else:
        ret = forms.forms[0]
        rep.summary = summary_of(ret)
        rep.summary["ledger"] = _ledger_summary(ret, ledger, leds[0])
    return rep


def ledger_result(ret: Returned, unit: LedgerUnit | LedgerProject, ledger: Ledger) -> Result:
    """The engine's result for the workbook with the ledger's figures substituted for the money inputs."""
    return _ledger_result(ret, _basis(unit), ledger)


# ------------------------------------------------------------------ what a form is compared with

@dataclass(frozen=True)
class Basis:
    """The ledger figures one form is compared with: a unit's, or one project's."""
    unit_code: str
    unit_name: str
    sources: dict[str, Figures]        # empty when only a total is known (a project's 合计 row)
    total: Figures

    @property
    def by_source(self) -> bool:
        return bool(self.sources)

    def as_unit(self, spec) -> LedgerUnit:
        """Per-source figures for the form's inputs; a total alone goes to the first source (rate and score only
        depend on the total)."""
        sources = self.sources if self.by_source else {spec.funds.sources[0]: self.total}
        return LedgerUnit(self.unit_code, self.unit_name, dict(sources))


def _basis(target: LedgerUnit | LedgerProject) -> Basis:
    if isinstance(target, LedgerProject):
        return Basis(target.unit, target.unit_name, dict(target.sources), target.total)
    return Basis(target.code, target.name, target.sources, target.total)


def _project_level(ret: Returned, ledger: Ledger) -> bool:
    """A project form (it has a 项目编码) against a ledger with project rows: match by project, not by unit."""
    return ledger.has_projects and "cover.projectCode" in ret.layout.cells


def _ledger_result(ret: Returned, basis: Basis, ledger: Ledger) -> Result:
    return compute(ret.spec, {**ret.inputs, **form_inputs(ret.spec, basis.as_unit(ret.spec), ledger)})


# ------------------------------------------------------------------ the comparison

def _crosscheck_forms(forms: Forms, ledger: Ledger, tol: Decimal) -> tuple[list[Finding], list[Result | None]]:
    if not forms.is_projects:
        findings, led = _crosscheck(forms.forms[0], ledger, tol)
        return findings, [led]
    if not ledger.has_projects:
        n = len(forms.forms)
        raise UsageError(
            f"{Path(forms.source).name} 是项目工作簿（{n} 张项目表），需要按项目编码逐个核对；台账 {ledger.name} "
            f"没有“项目编码”列（或该列全为空），只有单位整体的金额，无法与各项目核对。请提供项目级台账"
            f"（每行一个项目的一个资金来源或其合计，见 docs/ledger.md 的“项目台账”）。",
            f"{Path(forms.source).name} is a project workbook ({n} project sheets) and is checked project by project; "
            f"the ledger {ledger.name} has no project code column (项目编码), only unit totals. Give a project-level "
            f"ledger (see “项目台账” in docs/ledger.md).", code="ledger-no-projects")
    findings, leds, carried = [], [], set()
    for ret in forms.forms:
        found, led = _crosscheck(ret, ledger, tol)
        label = project_label(ret)
        for f in found:
            if f.sheet == ret.layout.form:
                f.project = label
        findings += found
        leds.append(led)
        carried.add(code_text(ret.inputs.get("cover.projectCode")))
    findings += _projects_not_in_workbook(forms, ledger, carried)
    order = {s: i for i, s in enumerate(forms.projects.sheets)}
    findings.sort(key=lambda f: (order.get(f.sheet, len(order)), _row(f.coord), _col(f.coord), f.code))
    return findings, leds


def _crosscheck(ret: Returned, ledger: Ledger, tol: Decimal) -> tuple[list[Finding], Result | None]:
    """One form: find what the ledger has for it (its project, or its unit), then compare."""
    if _project_level(ret, ledger):
        pcode = code_text(ret.inputs.get("cover.projectCode"))
        project = ledger.projects.get(pcode)
        if project is None:
            return [_project_missing(ret, ledger, pcode)], None
        basis = _basis(project)
    else:
        code = code_text(ret.inputs.get("cover.agencyCode"))
        unit = ledger.units.get(code)
        if unit is None:
            return [_finding(ret, "ledger-unit-missing", "cover.agencyCode", found=code or None,
                             ledger=ledger.name)], None
        basis = _basis(unit)
    return _compare(ret, basis, ledger, tol)


def _compare(ret: Returned, basis: Basis, ledger: Ledger, tol: Decimal) -> tuple[list[Finding], Result]:
    """The same comparison for a unit and a project: name, each source, the totals, the rate and its score."""
    tol = from_wan(tol, ret.spec.money_unit)
    out = list(_name(ret, basis))
    touched: set = set()
    if basis.by_source:
        rows, touched = _sources(ret, basis, ledger, tol)
        out += rows
    over = overwritten_formulas(ret)
    as_is = compute(ret.spec, ret.inputs, {k: ret.stored[k].value for k in over})
    out += _totals(ret, basis, ledger, as_is, tol, touched)
    led = _ledger_result(ret, basis, ledger)
    out += _rates(ret, as_is, led)
    apply_explanations(SimpleNamespace(ret=ret, spec=ret.spec), out)
    return out, led


def _project_missing(ret: Returned, ledger: Ledger, pcode: str) -> Finding:
    """A project form whose 项目编码 the project-level ledger does not have."""
    agency = code_text(ret.inputs.get("cover.agencyCode"))
    return _finding(ret, PROJECT_MISSING, "cover.projectCode", found=pcode or None, ledger=ledger.name,
                    agency_code=agency or "空", project_code=pcode)


def _projects_not_in_workbook(forms: Forms, ledger: Ledger, carried: set[str]) -> list[Finding]:
    """Ledger projects of the workbook's unit(s) with money that no project sheet carries."""
    units = {code_text(r.inputs.get("cover.agencyCode")) for r in forms.forms} - {""}
    u = forms.spec.money_unit
    out = []
    for p in ledger.projects.values():
        if p.unit not in units or p.code in carried or p.total.is_zero():
            continue
        what = f"项目 {p.code} {p.name}".strip()
        params = {"label": "", "unit": u, "expected": from_wan(p.total.adjusted, u), "found": None,
                  "actual": from_wan(p.total.actual, u), "source": what, "project_code": p.code,
                  "project_name": p.name, "agency_code": p.unit, "ledger": ledger.name,
                  "where": "没有该项目的项目表", "where_en": "has no sheet for this project"}
        out.append(Finding(PROJECT_NOT_IN_WORKBOOK, "", "", params, params["expected"], None, file=forms.source))
    return out


def _finding(ret: Returned, code: str, key: str | None = None, *, expected=None, found=None, **params) -> Finding:
    c = ret.layout.get(key) if key else None
    params.setdefault("label", c.label if c else "")
    params.setdefault("unit", ret.spec.money_unit)
    params.setdefault("expected", expected)
    params.setdefault("found", found)
    return Finding(code, c.addr if c else "", c.indicator if c else "", params, expected, found, file=ret.source)


def _name(ret: Returned, basis: Basis):
    have = ret.inputs.get("cover.unitName")
    norm = lambda s: "".join(str(s or "").split())  # noqa: E731
    if basis.unit_name and norm(have) and norm(have) != norm(basis.unit_name):
        yield _finding(ret, "ledger-name-mismatch", "cover.unitName", expected=basis.unit_name, found=have,
                       agency_code=basis.unit_code)


def _amount(raw) -> Decimal:
    """A money input as the form's SUM sees it: numbers count, anything else is 0."""
    return num(raw) if num(raw) is not None else ZERO


def _sources(ret: Returned, unit: Basis, ledger: Ledger, tol: Decimal):
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


def _totals(ret: Returned, unit: Basis, ledger: Ledger, as_is: Result, tol: Decimal, touched: set):
    """The 合计 row, only where no source row explains the difference (e.g. a typed-over total formula).

    A project the ledger gives only as a total is compared here alone (no source row to explain it)."""
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
    code = code_text(ret.inputs.get("cover.agencyCode"))
    out = {"file": ledger.name, "agencyCode": code, "found": led is not None}
    if _project_level(ret, ledger):
        out.update(sheet=ret.layout.form, projectCode=code_text(ret.inputs.get("cover.projectCode")))
    if led is not None:
        out["exec_rate"] = to_float(led.get("funds.exec_rate"))
        out["scores"] = {n.id: to_float(led.get(f"node.{n.id}.score"))
                         for n in ret.spec.leaves() if n.rule.type == "execution_rate"}
        out["total"] = to_float(led.total)
    return out


def _projects_summary(forms: Forms) -> dict:
    """The project workbook's summary, as `wbtool validate` gives it (project rows, counts, average)."""
    results = [compute(r.spec, r.inputs) for r in forms.forms]
    rows = [project_summary(r, res) for r, res in zip(forms.forms, results)]
    return projects_summary(forms, rows, tally_projects(fund_types(forms.spec), [res.values for res in results]))

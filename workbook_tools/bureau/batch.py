"""The batch steps of collect after every file is recorded: verdicts that depend on the batch (the overall form
against its unit's project forms, the roster, last year's scale, the bureau's ledger) and the one public step that
summarises the current returns into the summary workbook — used by `wbtool collect` and the portal alike."""
from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from workbook_tools.bureau.records import (PASS, RETURN, ProjectRow, Submission, form_kind, is_project_workbook,
                                           project_tally, spec_fund_types)
from workbook_tools.errors import UnreadableInput, UsageError
from workbook_tools.files.specsheet import load_spec
from workbook_tools.catalogue import CATALOGUE
from workbook_tools.model.projectlink import ProjectTally
from workbook_tools.errors import SpecError
from workbook_tools.errors import save_traceback
from workbook_tools.files.reader import read_workbook_forms
from workbook_tools.checks.validate import validate_forms
from workbook_tools.bureau.unitmatch import unit_from_name
from workbook_tools.bureau.unitmatch import roster_findings
from workbook_tools.model.layout import layout_for
from workbook_tools.bureau.crosscheck import crosscheck_forms, tolerance_of


def _main_spec(subs, kind=None):
    ids = Counter(s.spec_id for s in subs if s.readable and s.spec_id
                  and (kind is None or form_kind(s) == kind))
    return load_spec(ids.most_common(1)[0][0]) if ids else None


def _flag_other_specs(subs, specs, kind=None):
    """Files of a form of the main kind other than the batch's (``specs``: the main spec, or every spec the
    bureau named) cannot be consolidated with it: they must be returned. Returns of the other kind (project forms
    beside overall forms) are consolidated on their own sheets."""
    ids = [sp.id for sp in specs]
    for s in subs:
        if kind is not None and form_kind(s) != kind:
            continue
        if s.readable and s.spec_id and s.spec_id not in ids and s.status == PASS:
            s.status = RETURN
            s.errors = (s.errors or 0) + 1
            s.notes.append(f"表单 {s.spec_id} 与本次汇总的 {'、'.join(ids)} 不同")


def flag_odd_copies(subs) -> None:
    """Returns read by their own copy of the spec (no bureau copy on this machine): a copy that differs from the
    one most returns of the same id and version carry was edited, and its file is sent back, never silently scored
    by its own rules. (With the bureau's spec on the search path each such file has spec-embedded-mismatch.)"""
    groups: dict[tuple, list[Submission]] = {}
    for s in subs:
        d = s.data or {}
        if s.readable and d.get("spec_origin") == "embedded" and d.get("spec_sha256"):
            groups.setdefault((s.spec_id, s.spec_version), []).append(s)
    for (sid, version), group in groups.items():
        counts = Counter(s.data["spec_sha256"] for s in group)
        if len(counts) < 2:
            continue
        (usual, n), = counts.most_common(1)
        for s in group:
            if s.data["spec_sha256"] == usual:
                continue
            if s.status == PASS:
                s.status = RETURN
                s.errors = (s.errors or 0) + 1
            s.notes.append(
                f"内嵌规格 {sid}（{version}）与其他 {n} 份报送的不同（sha256 {s.data['spec_sha256'][:12]}，"
                f"多数为 {usual[:12]}）：隐藏的规格可能被改动；请用 --spec 或 WBTOOL_SPEC_PATH 给出财政局的规格后重新汇总")


def _link_codes() -> tuple[str, ...]:
    return tuple(sorted(c for c, e in CATALOGUE.items() if e.category == "links"))


def unit_project_tally(rows: list[tuple[ProjectRow, str]], files: list[str], spec_ids: set[str]):
    """The ProjectTally of a unit's current project returns, from their recorded project rows, each with the file
    (and sheet) it came from — the same counts and average as ``projectlink.tally_project_files`` over those files,
    without reading them again. Raises UsageError where that function would: a project code twice, or project
    forms of two specs."""
    if len(spec_ids) > 1:
        a, b = sorted(spec_ids)[:2]
        raise UsageError(f"项目自评表来自不同的表单（{a} 与 {b}）。", f"project forms come from different forms ({a}, {b})")
    seen: dict[str, str] = {}
    for r, where in rows:
        code = r.project_code
        if code and code in seen:
            raise UsageError(f"项目编码 {code} 出现两次（{seen[code]} 与 {where}）。",
                             f"project code {code} appears twice ({seen[code]}, {where})")
        if code:
            seen[code] = where
    return ProjectTally(project_tally([r for r, _ in rows], spec_fund_types(next(iter(spec_ids), None))),
                        list(files), len(rows))


def link_checks(store, kept: list[Submission]) -> dict:
    """For every unit with a current overall form and current project returns: the overall form's project
    counts and average against those projects (the ``links`` checks of ``validate --projects``).

    The findings join the overall submission's findings in the database, and its error count and status follow
    (an error makes it 需退回); ``data["links"]`` records which project submissions they were checked against and
    the submission's own counts, so a later run checks again only when the unit's overall form or project returns
    changed, and undoes the check when the unit's project returns are gone."""
    start = time.perf_counter()
    stats = {"checked": 0, "cached": 0, "cleared": 0, "seconds": 0.0}
    projects: dict[str, list[Submission]] = {}
    for s in kept:
        if form_kind(s) == "project" and s.unit_code:
            projects.setdefault(s.unit_code, []).append(s)
    linkable: dict[str | None, bool] = {}
    for s in kept:
        if form_kind(s) != "overall":
            continue
        state = s.data.get("links")
        mine = sorted(projects.get(s.unit_code or "", []), key=lambda p: p.path)
        if not mine or not _linkable(s.spec_id, linkable):
            if state:             # checked in an earlier batch, no project returns now: back to the file's own verdict
                _store_links(store, s, _link_codes(), [], None)
                stats["cleared"] += 1
            continue
        key = [s.id, sorted(p.id for p in mine)]
        if state and state.get("key") == key:
            stats["cached"] += 1
            continue
        _check_links(store, s, mine, key, state)
        stats["checked"] += 1
    stats["seconds"] = time.perf_counter() - start
    return stats


def _linkable(spec_id, seen: dict) -> bool:
    """Whether returns of this spec state project counts to check (looked up once per spec)."""
    if spec_id not in seen:
        try:
            seen[spec_id] = bool(spec_id) and bool(load_spec(spec_id).funds.project_counts)
        except (SpecError, OSError, ValueError):    # a spec no longer shipped: nothing to check against
            seen[spec_id] = False
    return seen[spec_id]


def _check_links(store, s: Submission, mine: list[Submission], key: list, state: dict | None) -> None:
    """One unit's overall form against its project returns; a problem (two specs, a code twice, the file changed)
    is recorded on the link instead of findings."""
    codes = _link_codes()
    link = {"key": key, "forms": sum(len(p.projects or []) for p in mine),
            "files": [p.path for p in mine], "base": (state or {}).get("base")}
    found = []
    try:
        rows = [(r, p.file_name + (f" {r.sheet}" if is_project_workbook(p) else ""))
                for p in mine for r in p.projects]
        pt = unit_project_tally(rows, [p.path for p in mine], {p.spec_id for p in mine if p.spec_id})
        found = _link_findings(s, pt, codes)
    except (UsageError, UnreadableInput, OSError) as e:
        link["problem"] = getattr(e, "zh", None) or str(e)
    except Exception as e:       # noqa: BLE001 — a bug in one unit's check must not stop the batch
        log = save_traceback(e, f"collect link check: {s.path}")
        link["problem"] = f"内部错误（{type(e).__name__}: {e}）" + (f"，详细信息见 {log}" if log else "")
    _store_links(store, s, codes, found, link)


def read_as_recorded(s: Submission):
    """The forms of a recorded return read again (the batch checks that need the cells), refused when the bytes
    are no longer the ones recorded: a file changed during the run is never mixed with its record."""
    forms = read_workbook_forms(s.path)
    if forms.sha256 != s.sha256:
        raise UnreadableInput(f"{s.file_name} 在汇总过程中被改动，请重新运行 collect。",
                              f"{s.file_name} changed during the run; run collect again", code="file-changed")
    return forms


def _link_findings(s: Submission, pt, codes) -> list[dict]:
    forms = read_as_recorded(s)
    return [f.to_dict("zh") for f in validate_forms(forms, projects=pt, only=list(codes)).findings]


def _store_links(store, s: Submission, codes, found: list[dict], link: dict | None):
    """Replace the submission's link findings (in the database and in ``s``); errors and status follow."""
    _store_batch(store, s, "links", codes, found, link)


BATCH_GROUPS = ("links", "ledger", "roster", "scale")   # findings that depend on the batch (project forms, ledger,
                                                       # roster, earlier years)


def _store_batch(store, s: Submission, group: str, codes, found: list[dict], info: dict | None):
    """Replace one group of a submission's batch findings (the overall form against its project forms, the return
    against the bureau's ledger) in the database and in ``s``; its error count and status follow: the file's own
    counts (``data["own"]``) plus every group's. ``info`` None removes the group (not checked in this batch)."""
    data = dict(s.data or {})
    own = data.get("own") or (data.get("links") or {}).get("base") \
        or {"errors": s.errors or 0, "warnings": s.warnings or 0}
    data["own"] = own
    if info is None:
        data.pop(group, None)
    else:
        info = dict(info)
        info["errors"] = sum(1 for f in found if f["severity"] == "error")
        info["warnings"] = sum(1 for f in found if f["severity"] == "warning")
        if group == "links":
            info["base"] = own
        data[group] = info
    errors = own["errors"] + sum((data.get(g) or {}).get("errors") or 0 for g in BATCH_GROUPS)
    warnings = own["warnings"] + sum((data.get(g) or {}).get("warnings") or 0 for g in BATCH_GROUPS)
    status = RETURN if errors else PASS
    if not s.readable:
        status = s.status
    s.set(errors=errors, warnings=warnings, status=status, data=data)
    store.set_verdicts(s, codes, found)


def _link_view(s: Submission) -> dict:
    link = (s.data or {}).get("links") or {}
    return {"forms": link.get("forms"), "files": link.get("files"), "errors": link.get("errors"),
            "warnings": link.get("warnings"), "problem": link.get("problem")}


def name_unreadable(store, kept: list[Submission], roster) -> int:
    """Unreadable returns without a unit (a .xls, a damaged file) named from the file name against the roster, so
    the unit shows as 无法读取 and not as 未报送. Returns how many were named."""
    named = 0
    for s in kept:
        if s.readable or s.unit_code or not roster:
            continue
        hit = unit_from_name(s.file_name, roster)
        if hit:
            s.set(unit_code=hit[0], unit_name=hit[1], data={**s.data, "unit_from": "file name"})
            store.set_unit(s)
            named += 1
    return named


def roster_verdicts(store, kept: list[Submission], roster) -> None:
    """Every readable return against the roster (roster-unit-unknown, roster-name-mismatch): the findings join the
    return's own; without a roster in this run earlier ones are withdrawn."""
    codes = ("roster-name-mismatch", "roster-unit-unknown")
    by_code = {u.code: u for u in roster}
    for s in kept:
        if not s.readable:
            continue
        if not roster:
            if (s.data or {}).get("roster"):
                _store_batch(store, s, "roster", codes, [], None)
            continue
        found = roster_findings(s, by_code)
        old = (s.data or {}).get("roster")
        if not found and not old:
            continue
        _store_batch(store, s, "roster", codes, found, {"codes": [f["code"] for f in found]})


SCALE_RATIO = 100      # a budget this many times last year's (or the roster's 预算规模), or a hundredth of it


def scale_verdicts(store, kept: list[Submission], roster) -> None:
    """Each overall return's budget total against the unit's return of the previous year in this database and the
    roster's 预算规模 where known (funds-scale-vs-last-year, a warning with both figures): a form typed in 元
    instead of 万元 is consistent in itself but 10,000 times its usual size."""
    code = "funds-scale-vs-last-year"
    e = CATALOGUE[code]
    budgets = store.unit_budgets()
    scale = {u.code: _amount(getattr(u, "budget", "")) for u in roster or []}
    for s in kept:
        if not s.readable or form_kind(s) != "overall":
            continue
        found = []
        b = s.budget
        year = str(s.fiscal_year or "")
        prev = budgets.get((s.unit_code or "", str(int(year) - 1))) if year.isdigit() else None
        for ref, basis, basis_en in ((prev, f"该单位 {int(year) - 1 if year.isdigit() else ''} 年度报送的", "last year's"),
                                     (scale.get(s.unit_code or ""), "名单中的预算规模", "the roster's scale")):
            if b and ref and ref > 0 and b > 0 and max(b / ref, ref / b) >= SCALE_RATIO:
                params = {"found": b, "expected": ref, "ratio": _ratio(b / ref), "basis": basis, "basis_en": basis_en,
                          "unit": "万元"}
                found.append({"code": code, "severity": e.severity, "cell": _total_cell(s), "indicator": "",
                              "message": e.render("zh", params), "expected": ref, "found": b, "explained": False,
                              "project": ""})
                break
        if found or (s.data or {}).get("scale"):
            _store_batch(store, s, "scale", (code,), found, {"codes": [code] * len(found)} if found else None)


def _amount(text) -> float | None:
    """The roster's 预算规模 (万元): '1,200.5' → 1200.5; anything else None."""
    try:
        x = float(str(text or "").replace(",", "").replace("，", "").strip())
    except ValueError:
        return None
    return x if x > 0 else None


def _ratio(x: float) -> str:
    return f"{x:.0f}" if x >= 1 else f"{x:.4f}".rstrip("0")


def _total_cell(s: Submission) -> str:
    try:
        return layout_for(load_spec(s.spec_id))["funds.total.adjusted"].addr
    except (SpecError, OSError, ValueError, KeyError):
        return ""


def crosscheck_rows(kept, ledger, tolerance) -> tuple[list[dict], dict[int, list]]:
    """台账核对 rows: every form of each current return against the ledger (project workbooks per project), and
    each submission's ledger findings (Finding objects; a dict where the file could not be checked)."""
    kwargs = {"tolerance": tolerance_of(tolerance)} if tolerance is not None else {}
    rows, by_sub = [], {}
    for s in kept:
        if not s.readable:
            continue
        where = {"unit_code": s.unit_code, "unit_name": s.unit_name, "file_name": s.file_name}
        try:
            objs = crosscheck_forms(read_as_recorded(s), ledger, **kwargs)
            found = [f.to_dict("zh") for f in objs]
        except UsageError as e:       # a project workbook against a ledger without 项目编码: say so, per file
            objs = found = [{"code": e.code, "severity": "error", "cell": "", "indicator": "", "message": e.zh,
                             "expected": None, "found": None, "project": "", "explained": False}]
        except (UnreadableInput, OSError) as e:     # changed or gone since it was checked
            objs = found = [{"code": getattr(e, "code", "file-unreadable"), "severity": "error", "cell": "",
                             "indicator": "", "message": getattr(e, "zh", str(e)), "expected": None, "found": None,
                             "project": "", "explained": False}]
        except Exception as e:       # noqa: BLE001 — a bug with one file: said on its row, the others go on
            log = save_traceback(e, f"collect ledger check: {s.path}")
            objs = found = [{"code": "internal-error", "severity": "error", "cell": "", "indicator": "",
                             "expected": None, "found": None, "project": "", "explained": False,
                             "message": f"内部错误（{type(e).__name__}: {e}）" + (f"，详细信息见 {log}" if log else "")}]
        by_sub[s.id] = objs
        rows += [{**where, **d} for d in found]
    return rows, by_sub


def _ledger_codes() -> tuple[str, ...]:
    return tuple(sorted(c for c, e in CATALOGUE.items() if e.category == "ledger"))


def ledger_verdicts(store, kept: list[Submission], by_sub: dict[int, list] | None, ledger_name: str = "") -> int:
    """Ledger findings count like the file's own (issue 16): they join the submission's findings in the database,
    its error count and its status (an error makes it 需退回, with a feedback copy). Without a ledger in this run
    (``by_sub`` None) earlier ledger findings are withdrawn: the verdict follows the latest collect. Returns how many
    returns the ledger sends back."""
    codes = _ledger_codes()
    returned = 0
    for s in kept:
        if not s.readable:
            continue
        objs = (by_sub or {}).get(s.id)
        if objs is None:
            if (s.data or {}).get("ledger"):
                _store_batch(store, s, "ledger", codes, [], None)
            continue
        found = [o if isinstance(o, dict) else o.to_dict("zh") for o in objs]
        # a file problem met while cross-checking (changed since read) is recorded under ledger-no-projects'
        # group only when it is a ledger code; others are kept as they are for the summary sheet
        stored = [f for f in found if f["code"] in codes]
        before = s.status
        _store_batch(store, s, "ledger", codes, stored, {"ledger": ledger_name})
        returned += before == PASS and s.status == RETURN
    return returned


# ------------------------------------------------------------------ the summary of the current returns

def main_form_kind(subs, spec=None) -> str:
    """The kind the batch's main sheets (汇总, 指标得分, 未报送 …) are built from: the kind of ``--spec`` when given,
    else the overall form when any was returned, else the project forms. Beside overall forms, project returns
    go to their own sheets; in a batch of project forms every file is a main row, as before."""
    if spec is not None:
        return "project" if spec.kind == "project" else "overall"
    kinds = {form_kind(s) for s in subs}
    return "overall" if "overall" in kinds or "project" not in kinds else "project"


def ledger_scope(kept: list[Submission], ledger, mixed: bool) -> list[dict]:
    """The returns checked against the ledger: beside overall forms, project returns only against a project-level
    ledger."""
    return [s for s in kept if not mixed or form_kind(s) != "project" or ledger.has_projects]


def summarise_current(store, kept: list[Submission], output, *, spec=None, specs=(),
                      subs: list[Submission] | None = None,
                      duplicates=(), roster=(), ledger=None, tolerance=None, ledger_rows: list[dict] | None = None,
                      review=(), sample=None, sample_label=(None, None)) -> dict:
    """Write the summary workbook of the current returns ``kept`` (one per unit, as ``choose_current`` chose
    them, with the bureau's send-backs applied): the main sheets of the batch's main form kind and spec, project
    returns beside overall forms on their own sheets, returns of another form of the main kind flagged, the
    台账核对 sheet when a ledger is given (``ledger_rows`` when the caller has already checked). ``subs`` is every
    file of the batch (identical copies and older files included; default ``kept``). ``specs``: every form the
    bureau named (``collect --spec A --spec B``): returns of each named form of the main kind get their own
    section (指标得分, 扣分统计, 图表 per form), returns of an unnamed form are flagged, never mixed in. The one
    summary step of `wbtool collect` and of the portal's download. Returns the counts of
    ``summary.write_summary`` and the main spec's id."""
    from workbook_tools.bureau.summary import SummaryInput, write_summary    # pandas, xlsxwriter: only here
    subs = kept if subs is None else subs
    spec = spec or (specs[0] if specs else None)
    kind = main_form_kind(subs, spec)
    spec = spec or _main_spec(subs, kind)
    sections = [sp for sp in specs if main_form_kind([], sp) == kind] or ([spec] if spec else [])
    project_returns = [s for s in kept if form_kind(s) == "project"]
    mixed = kind == "overall" and bool(project_returns)
    main = [s for s in kept if form_kind(s) != "project"] if mixed else kept
    if ledger_rows is None:
        ledger_rows = crosscheck_rows(ledger_scope(kept, ledger, mixed), ledger, tolerance)[0] if ledger else []
    if spec is not None:     # beside overall forms, project returns are not "another form"
        _flag_other_specs(subs, sections, kind if kind == "overall" else None)
    flag_odd_copies(subs)
    findings = store.findings([s.id for s in subs])
    counts = write_summary(SummaryInput(spec, main, subs, findings, list(duplicates), list(roster), ledger_rows,
                                      projects=project_returns if mixed else None, review=list(review),
                                      sample=sample, sample_label=sample_label, db=_db_path(store),
                                      sections=sections), output)
    return {**counts, "spec": spec.id if spec else None}


def _db_path(store) -> str | None:
    path = getattr(store, "path", None)
    return str(Path(path).resolve()) if path is not None and str(path) != ":memory:" else None

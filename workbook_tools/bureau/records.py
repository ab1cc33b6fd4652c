"""What a collected return is and how the bureau's papers classify it: statuses, kinds, one current return per
unit (and per project), a unit's standing. Shared by collect, the summary, the overview and the portal; imports
none of them."""
from __future__ import annotations

from workbook_tools.numbers import to_float

PASS, RETURN, UNREADABLE = "通过", "需退回", "无法读取"
OVERALL, PROJECT, PROJECTS = "overall", "project", "projects"     # Submission.kind: 部门整体 form, one project form,
                                                                   # a project workbook (项目清单 + project sheets)

from dataclasses import asdict, dataclass, field, fields
from workbook_tools.model.engine import tally_projects
from workbook_tools.errors import SpecError
from workbook_tools.model.projectbook import fund_types
from workbook_tools.files.specsheet import load_spec


@dataclass
class ProjectRow:
    """One project form of a return — a sheet of a project workbook, or a one-project file: its 项目清单 values
    and how many findings stand on it. A row of the database's ``projects`` table."""
    sheet: str | None = None
    project_code: str | None = None
    project_name: str | None = None
    fund_type: str | None = None
    budget: float | None = None
    actual: float | None = None
    exec_rate: float | None = None
    total: float | None = None
    display: float | None = None
    grade: str | None = None
    status: str | None = None          # 未完成 / 待完善 / 已完成
    errors: int = 0
    warnings: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Submission:
    """One returned file as collect recorded it: the file, its verdict, its cover and money, the kind of form,
    the per-indicator data the papers need, its project rows. A row of the database's ``submissions`` table
    (the mapping is in store.py); ``findings`` travel with a freshly read record only (the store keeps them in
    their own table), ``notes`` and ``send_back`` are the batch's, never stored on the row."""
    path: str
    file_name: str
    sha256: str
    status: str                          # PASS / RETURN / UNREADABLE
    readable: bool
    size: int = -1
    mtime: float = 0
    mtime_ns: int = -1
    error_code: str | None = None
    error_message: str | None = None
    spec_id: str | None = None
    spec_version: str | None = None
    unit_code: str | None = None
    unit_name: str | None = None
    fiscal_year: str | None = None
    fill_date: str | None = None         # ISO date
    total: float | None = None
    display: float | None = None
    grade: str | None = None
    budget: float | None = None
    actual: float | None = None
    exec_rate: float | None = None
    errors: int = 0
    warnings: int = 0
    kind: str | None = None              # OVERALL / PROJECT / PROJECTS for a readable return, else None
    data: dict = field(default_factory=dict)     # nodes, leaves, reasons, parent; the batch's verdict groups
    projects: list[ProjectRow] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    id: int | None = None
    read_at: str | None = None
    notes: list[str] = field(default_factory=list)
    send_back: dict | None = None

    def set(self, **values) -> "Submission":
        """Set several fields at once (a record being built); unknown names are an error, not a new key."""
        for k, v in values.items():
            if k not in _SUBMISSION_FIELDS:
                raise AttributeError(f"Submission has no field {k!r}")
            setattr(self, k, v)
        return self


_SUBMISSION_FIELDS = {f.name for f in fields(Submission)}


def record_kind(s: Submission) -> str | None:
    """The kind every readable record carries (OVERALL, PROJECT or PROJECTS), set where the record is made
    (collect's reader, foreign/review.py) or, for a row of an older database, by the store's row mapping; never
    guessed from the record's shape. None for a file that could not be read."""
    return s.kind if s.readable else None


def single_project(s: Submission) -> ProjectRow | None:
    """The project row of a one-project file of a project spec (not of a project workbook), else None."""
    rows = s.projects or []
    return rows[0] if record_kind(s) == PROJECT and rows else None


def is_project_workbook(s: Submission) -> bool:
    return record_kind(s) == PROJECTS


def form_kind(s: Submission) -> str | None:
    """``project`` for a project workbook or a one-project file, ``overall`` for any other readable return
    (the 部门整体 form), None for a file that could not be read."""
    kind = record_kind(s)
    if not s.readable:
        return None
    return "project" if kind in (PROJECT, PROJECTS) else "overall"


def project_label(row: ProjectRow | None) -> str:
    if row is None:
        return ""
    code, name = row.project_code or "", row.project_name or ""
    return f"{name}（{code}）" if code and name else (code or name)


def current_key(s: Submission) -> tuple[str, str]:
    """What one current return stands for: the unit's overall form, the unit's project workbook, or — for a
    one-project file — the unit's project (by project code, else project name). A unit's overall form and its
    project workbook are two returns, not duplicates of each other."""
    row = single_project(s)
    if row is not None:
        if row.project_code:
            return s.unit_code, "code:" + row.project_code
        if row.project_name:
            return s.unit_code, "name:" + row.project_name
    if form_kind(s) == "project":
        return s.unit_code, "projects"
    return s.unit_code, ""


def choose_current(subs: list[Submission]) -> tuple[list[Submission], list[dict]]:
    """One submission per unit — per (unit, project) for one-project files — (latest 填报日期, then latest
    modification time); the rest as duplicates."""
    by_key: dict[tuple[str, str], list[dict]] = {}
    singles = []
    for s in subs:
        if s.readable and s.unit_code:
            by_key.setdefault(current_key(s), []).append(s)
        else:
            singles.append(s)
    kept, dups = [], []
    readable_units = {code for code, _ in by_key}
    for s in list(singles):
        if not s.readable and s.unit_code in readable_units:
            singles.remove(s)
            dups.append({"unit_code": s.unit_code, "unit_name": s.unit_name, "kept": "",
                         "kept_path": "", "dropped": s.file_name, "dropped_path": s.path,
                         "reason": "该文件无法读取，已采用同一单位可读取的报送", "project": ""})
    for (code, proj), group in by_key.items():
        group.sort(key=lambda s: (s.fill_date or "", s.mtime or 0), reverse=True)
        best = group[0]
        kept.append(best)
        for other in group[1:]:
            if (other.fill_date or "") != (best.fill_date or ""):
                why = f"保留填报日期较晚的文件（{best.fill_date or '无'} 晚于 {other.fill_date or '无'}）"
            else:
                why = "填报日期相同，保留修改时间较晚的文件"
            dups.append({"unit_code": code, "unit_name": best.unit_name, "kept": best.file_name,
                         "kept_path": best.path, "dropped": other.file_name, "dropped_path": other.path,
                         "reason": why, "project": project_label(single_project(best))})
    return kept + singles, dups


STATUS_ORDER = {RETURN: 0, UNREADABLE: 1, "未报送": 2, PASS: 3}


def unit_view(group: list[Submission]) -> dict:
    """One unit's standing from its current returns: the return itself, or — several one-project files — the
    worst status, summed errors and money, and the average score of its self-evaluated projects."""
    overall = [g for g in group if form_kind(g) == "overall"]
    if overall and len(overall) < len(group):      # the overall form stands for the unit; its projects beside it
        rest = [g for g in group if g not in overall]
        u = unit_view(overall)
        u["projects"] = [p for g in rest for p in g.projects or []]
        u["project_status"] = min((g.status for g in rest), key=lambda x: STATUS_ORDER.get(x, 9))
        return u
    s = group[0]
    projects = [p for g in group for p in g.projects or []]
    if len(group) == 1:
        return {"status": s.status, "display": s.display, "grade": s.grade,
                "errors": s.errors, "warnings": s.warnings, "fill_date": s.fill_date,
                "budget": s.budget, "actual": s.actual, "exec_rate": s.exec_rate,
                "projects": projects}
    tally = project_tally(projects, spec_fund_types(s.spec_id))
    return {"status": min((g.status for g in group), key=lambda x: STATUS_ORDER.get(x, 9)),
            "display": to_float(tally.average), "grade": "",
            "errors": sum(g.errors or 0 for g in group), "warnings": sum(g.warnings or 0 for g in group),
            "fill_date": max(g.fill_date or "" for g in group) or None,
            "budget": to_float(tally.budget), "actual": to_float(tally.actual), "exec_rate": to_float(tally.rate),
            "projects": projects}


def project_tally(rows: list[ProjectRow], fund_types):
    """The engine's 项目清单 totals (count per 资金性质, average of self-evaluated projects) over stored rows."""
    from decimal import Decimal


    def dec(x):
        return None if x is None else Decimal(str(x))
    return tally_projects(fund_types, [{"list.status": r.status, "list.fundType": r.fund_type,
                                        "list.total": dec(r.display), "list.budget": dec(r.budget),
                                        "list.actual": dec(r.actual)} for r in rows])


def spec_fund_types(spec_id) -> tuple[str, ...]:
    try:
        return fund_types(load_spec(spec_id)) if spec_id else ()
    except (SpecError, OSError, ValueError):
        return ()


def link_note(s: Submission) -> str:
    """The 汇总 备注 of an overall return checked against its unit's project forms."""
    link = (s.data or {}).get("links")
    if not link:
        return ""
    if link.get("problem"):
        return f"未能与项目自评表核对项目数：{link['problem']}"
    note = f"开展绩效自评项目数已与 {link.get('forms', 0)} 个项目自评表核对"
    bad = (link.get("errors") or 0) + (link.get("warnings") or 0)
    return note + (f"，{bad} 处不一致" if bad else "，一致")

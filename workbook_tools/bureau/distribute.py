"""`wbtool distribute`: one template per unit of the roster, cover pre-filled, ledger money pre-filled and locked.

With a bureau-wide project list (``projects=``) each unit gets one project workbook instead: 项目清单 plus one form
per project of that unit, covers from the list and the roster, each project's money from a project-level ledger."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from workbook_tools.files.atomic import atomic_output
from workbook_tools.cells import CellWrite
from workbook_tools.errors import OutputError, UsageError
from workbook_tools.bureau.codes import ACCESS_COLUMN, read_manifest_codes  # noqa: F401  (ACCESS_COLUMN re-exported)
from workbook_tools.bureau.ledger import Ledger, LedgerProject, LedgerUnit, form_inputs
from workbook_tools.model.layout import layout_for
from workbook_tools.numbers import to_float
from workbook_tools.checks.render import csv_safe
from workbook_tools.bureau.roster import RosterUnit, read_roster
from workbook_tools.files.safety import ensure_inside, fit_file_name, safe_path_component
from workbook_tools.model.spec import Spec
from workbook_tools.files.specsheet import load_spec
from workbook_tools.files.tables import code_text
from workbook_tools.bureau.projectlist import MAX_PROJECTS, read_project_list
from workbook_tools.files.fill import recalc_bytes
from workbook_tools.files.xlsxfile import FileBook, patch_package

MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ("单位编码", "单位名称", "文件", "预填资金", "备注")
PROJECTS_COLUMN = "项目数"          # manifest column added when project workbooks are distributed
PROJECT_SPEC = "national-project-2020"
PROJECTS_SUFFIX = "_项目自评"
# cover field of the form → roster attribute
COVER_FROM_ROSTER = {"unitName": "name", "agencyCode": "code", "mofDivCode": "mof_div_code",
                     "supervisor": "parent_name"}


@dataclass
class Issued:
    """One manifest line: a unit and the file written for it (``file`` empty when none was written)."""
    code: str
    name: str
    file: str = ""
    prefilled: bool = False
    note: str = ""
    projects: int | None = None      # project workbooks: the unit's projects in the list


@dataclass
class Distribution:
    outbox: Path
    issued: list[Issued] = field(default_factory=list)
    not_in_ledger: list[RosterUnit] = field(default_factory=list)    # roster units the ledger lacks
    not_in_roster: list[LedgerUnit] = field(default_factory=list)    # ledger units the roster lacks
    manifest: Path | None = None
    # project workbooks only
    without_projects: list[RosterUnit] = field(default_factory=list)           # roster units with no project
    unknown_units: dict[str, list] = field(default_factory=dict)               # 单位编码 not in the roster → rows
    projects_not_in_ledger: list = field(default_factory=list)                 # ProjectRow the ledger lacks
    ledger_not_in_list: list[LedgerProject] = field(default_factory=list)      # ledger projects the list lacks


def distribute(roster, outbox: str | Path, *, ledger: Ledger | None = None, spec: Spec | str | None = None,
               year: int | None = None, projects=None, progress=None) -> Distribution:
    """Write one pre-filled template per roster unit (a path or RosterUnit list) into ``outbox``, plus manifest.csv.

    ``projects`` (a project list path or ProjectRow list, with 单位编码): one project workbook per unit instead
    (spec ``national-project-2020`` by default), see ``distribute_projects``."""
    units = read_roster(roster) if isinstance(roster, (str, Path)) else list(roster)
    if projects is not None:
        return distribute_projects(units, outbox, projects, ledger=ledger, spec=spec, year=year, progress=progress)
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    out = Distribution(_outbox(outbox))
    bases: dict[frozenset, bytes] = {}     # rendering is the slow part: once per lock pattern, then patch values
    used: set[str] = set()
    for u in units:
        lu = ledger.units.get(u.code) if ledger is not None else None
        if ledger is not None and lu is None:
            out.not_in_ledger.append(u)
        path = _target(out.outbox, u, used)
        out.issued.append(_write_unit(path, spec, u, lu, ledger, year, bases))
        if progress:          # ``progress(done, total)``: the CLI draws a bar (a city roster is thousands of units)
            progress(len(out.issued), len(units))
    codes = {u.code for u in units}
    out.not_in_roster = [lu for code, lu in (ledger.units.items() if ledger else ()) if code not in codes]
    out.issued += [Issued(lu.code, lu.name, "", False, "台账中有此单位，名单中没有，未生成模板") for lu in out.not_in_roster]
    out.manifest = write_manifest(out.outbox / MANIFEST, out.issued)
    return out


def _write_unit(path: Path, spec: Spec, u: RosterUnit, lu: LedgerUnit | None, ledger: Ledger | None,
                year: int | None, bases: dict) -> Issued:
    funds = {k: to_float(v) for k, v in form_inputs(spec, lu, ledger).items()} if lu is not None else {}
    locked = frozenset(funds)
    if locked not in bases:
        bases[locked] = _base(spec, locked, ledger)
    data = _issue(spec, bases[locked], {**cover_values(spec, u, year), **funds}, path.name)
    with atomic_output(path) as fh:
        fh.write(data)
    return Issued(u.code, u.name, path.name, bool(funds), _note(spec, ledger, lu))


def _outbox(outbox) -> Path:
    p = Path(outbox)
    if p.exists() and not p.is_dir():
        raise UsageError(f"输出位置 {p} 是文件，不是文件夹。", f"{p} is a file, not a folder")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"无法创建输出文件夹 {p}：{e.strerror or e}", f"cannot create folder {p}: {e}",
                          code="output-unwritable") from None
    return p


def _target(outbox: Path, u: RosterUnit, used: set[str], suffix: str = "") -> Path:
    """OUTBOX/<code>_<name><suffix>.xlsx made safe; a clash after cleaning (e.g. “../x” and “x”) gets -2, -3…"""
    stem = f"{safe_path_component(u.code, max_len=40)}_{safe_path_component(u.name, max_len=60)}{suffix}"
    name, n = fit_file_name(stem, ".xlsx"), 1          # file systems count bytes, not characters
    while name.casefold() in used:      # Windows file names ignore case
        n += 1
        name = fit_file_name(stem, f"-{n}.xlsx")
    used.add(name.casefold())
    return ensure_inside(outbox, outbox / name)


def cover_values(spec: Spec, u: RosterUnit, year: int | None = None) -> dict[str, object]:
    """Cover inputs the roster knows (only the fields the form has; empty ones left for the unit)."""
    keys = {f.key for f in spec.cover}
    out = {f"cover.{k}": getattr(u, attr) for k, attr in COVER_FROM_ROSTER.items()
           if k in keys and getattr(u, attr)}
    if year is not None and "fiscalYear" in keys:
        out["cover.fiscalYear"] = year
    return out


def _note(spec: Spec, ledger: Ledger | None, lu: LedgerUnit | None) -> str:
    if ledger is None:
        return ""
    if lu is None:
        return "台账中没有此单位，资金由单位填写"
    extra = [s for s, f in lu.sources.items() if s not in spec.funds.sources and not f.is_zero()]
    notes = [f"台账中的资金来源“{s}”不在表单中，未预填" for s in extra]
    if not ledger.has_midyear and spec.funds.midyear:
        notes.append("台账无 1-6 月数据，由单位填写")
    return "；".join(notes)


def _base(spec: Spec, locked: frozenset, ledger: Ledger | None) -> bytes:
    from workbook_tools.model.template import build_template
    values = {}
    if locked:
        values["help.notice"] = (f"“收支情况”表中灰色单元格的金额由财政局根据预算执行台账（{ledger.name}）"
                                 f"预填并锁定，不能修改；如有异议请与财政局联系。")
    return build_template(spec, None, values, locked=set(locked))


def _issue(spec: Spec, base: bytes, values: dict, name: str) -> bytes:
    """The base template with this unit's values written and every formula value recomputed."""
    L = layout_for(spec)
    writes = [CellWrite(L[k].sheet, L[k].coord, v) for k, v in values.items() if v is not None]
    buf = io.BytesIO()
    patch_package(FileBook(name, base), writes, buf)
    return recalc_bytes(buf.getvalue(), source=name, spec=spec)


def write_manifest(path: Path, rows: list[Issued], *, projects: bool = False) -> Path:
    """manifest.csv (UTF-8 with BOM so Excel shows the Chinese); text is never turned into a formula.

    ``projects``: project workbooks were distributed, a last column 项目数 gives each unit's project count."""
    codes = _kept_access_codes(path)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(MANIFEST_COLUMNS + ((PROJECTS_COLUMN,) if projects else ()) + (ACCESS_COLUMN,))
    for r in rows:
        line = [r.code, r.name, r.file, "是" if r.prefilled else "否", r.note]
        if projects:
            line.append("" if r.projects is None else r.projects)
        line.append((codes.get(r.code) or new_access_code()) if r.file else "")
        w.writerow([csv_safe(x) for x in line])
    with atomic_output(path, "w") as fh:
        fh.write("\ufeff" + buf.getvalue())
    return path


ACCESS_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"      # no 0/O, 1/I/L: read aloud or typed from paper


def new_access_code(n: int = 10) -> str:
    """A unit's access code for the portal (~49 bits, grouped for reading: ABCDE-FGHJK)."""
    import secrets
    code = "".join(secrets.choice(ACCESS_ALPHABET) for _ in range(n))
    return f"{code[:5]}-{code[5:]}"


def _kept_access_codes(path: Path) -> dict[str, str]:
    """Codes of an earlier manifest in the same outbox: distributing again must not lock units out."""
    try:
        return read_manifest_codes(path) if path.exists() else {}
    except (OSError, UsageError):
        return {}


# ------------------------------------------------------------------ project workbooks

def distribute_projects(roster, outbox: str | Path, projects, *, ledger: Ledger | None = None,
                        spec: Spec | str | None = None, year: int | None = None, progress=None) -> Distribution:
    """One project workbook per roster unit that has projects in the bureau-wide list ``projects`` (a path or
    ProjectRow list; rows grouped by 单位编码 in file order): covers from the row and the roster, and with a
    project-level ``ledger`` each project's money pre-filled and locked. Every input is checked before any file
    is written: a row without 单位编码 is a UsageError listing the rows."""
    units = read_roster(roster) if isinstance(roster, (str, Path)) else list(roster)
    spec = spec if isinstance(spec, Spec) else load_spec(spec or PROJECT_SPEC)
    keys = {f.key for f in spec.cover}
    if spec.kind != "project" or not {"projectName", "agencyCode"} <= keys:
        raise UsageError(f"规格 {spec.id} 不是项目支出自评表，不能按项目清单下发（--projects 请用 {PROJECT_SPEC} 等项目规格）。",
                         f"spec {spec.id} is not a project form; --projects needs a project spec")
    rows = read_project_list(projects, spec, limit=None) if isinstance(projects, (str, Path)) else list(projects)
    name = Path(projects).name if isinstance(projects, (str, Path)) else "项目清单"
    by_unit = _projects_by_unit(rows, name, ledger)
    out = Distribution(_outbox(outbox))
    used: set[str] = set()
    listed = {_code(r.values.get("cover.projectCode")) for r in rows} - {""}
    for done, u in enumerate(units, 1):
        if progress:
            progress(done - 1, len(units))
        _issue_unit_projects(out, u, by_unit.get(u.code, []), spec, ledger, year, listed, used)
    _list_units_not_on_roster(out, units, by_unit, ledger)
    out.manifest = write_manifest(out.outbox / MANIFEST, out.issued, projects=True)
    return out


def _projects_by_unit(rows, name: str, ledger: Ledger | None) -> dict[str, list]:
    """The list's rows by 单位编码, after every check that must pass before a file is written (a row without
    单位编码, a ledger without projects, a unit with more projects than a workbook holds)."""
    missing = [r.row for r in rows if not _code(r.values.get("cover.agencyCode"))]
    if missing:
        shown = "、".join(map(str, missing[:20])) + (f" 等 {len(missing)} 行" if len(missing) > 20 else "")
        raise UsageError(f"项目清单 {name} 第 {shown} 没有单位编码：按单位下发需要每个项目的“单位编码”列。",
                         f"project list {name}: rows {missing[:20]} have no 单位编码 (unit code); "
                         f"distributing per unit needs it")
    if ledger is not None and not ledger.has_projects:
        raise UsageError(f"台账 {ledger.name} 没有项目编码列（或该列全空），不能按项目预填资金；请给出项目级台账"
                         f"（见 docs/ledger.md“项目台账”），或不用 --ledger。",
                         f"the ledger {ledger.name} has no project rows (项目编码); give a project-level ledger")
    by_unit: dict[str, list] = {}
    for r in rows:
        by_unit.setdefault(_code(r.values["cover.agencyCode"]), []).append(r)
    big = {code: len(mine) for code, mine in by_unit.items() if len(mine) > MAX_PROJECTS}
    if big:                     # one workbook per unit: the limit is per unit, not for the bureau's whole list
        raise UsageError(f"项目清单 {name} 中单位 {'、'.join(big)} 的项目超过一个工作簿可容纳的 {MAX_PROJECTS} 个。",
                         f"project list {name}: unit(s) {', '.join(big)} have more than {MAX_PROJECTS} projects")
    return by_unit


def _issue_unit_projects(out: Distribution, u, mine: list, spec: Spec, ledger: Ledger | None, year, listed: set,
                         used: set) -> None:
    """One roster unit: its project workbook, or the manifest line saying why it has none."""
    lu = ledger.units.get(u.code) if ledger is not None else None
    if ledger is not None and lu is None and not ledger.unit_projects(u.code):
        out.not_in_ledger.append(u)
    if not mine:
        out.without_projects.append(u)
        note = "项目清单中没有此单位的项目，未生成项目工作簿"
        extra = _ledger_extra(ledger, u, listed, out)
        if extra:
            note += "；" + extra
        out.issued.append(Issued(u.code, u.name, "", False, note, 0))
        return
    path = _target(out.outbox, u, used, PROJECTS_SUFFIX)
    out.issued.append(_write_unit_projects(path, spec, u, mine, ledger, year, listed, out))


def _list_units_not_on_roster(out: Distribution, units, by_unit: dict[str, list], ledger: Ledger | None) -> None:
    """Manifest lines for the list's and the ledger's units the roster does not have (no file for them)."""
    codes = {u.code for u in units}
    for code, mine in by_unit.items():
        if code in codes:
            continue
        out.unknown_units[code] = mine
        what = "、".join(_project_text(r) for r in mine[:10]) + (f" 等 {len(mine)} 个" if len(mine) > 10 else "")
        out.issued.append(Issued(code, _row_unit_name(mine), "", False,
                                 f"单位编码不在名单中，未生成项目工作簿：{what}", len(mine)))
    out.not_in_roster = [lu for code, lu in (ledger.units.items() if ledger else ()) if code not in codes]
    for lu in out.not_in_roster:
        line = next((x for x in out.issued if x.code == lu.code and not x.file), None)
        if line is not None:        # the list's unknown unit is the ledger's too: one line
            line.note += "；台账中也有此单位"
        else:
            out.issued.append(Issued(lu.code, lu.name, "", False, "台账中有此单位，名单中没有，未生成模板", None))


def _project_text(r) -> str:
    v = r.values
    code = _code(v.get("cover.projectCode"))
    return f"第 {r.row} 行 {v.get('cover.projectName', '')}" + (f"（{code}）" if code else "")


def _code(v) -> str:
    return code_text(v).strip()


def _row_unit_name(rows) -> str:
    return next((str(r.values["cover.unitName"]) for r in rows if r.values.get("cover.unitName")), "")


def project_cover(spec: Spec, u: RosterUnit, row_values: dict, year: int | None = None) -> dict[str, object]:
    """A project's cover: the list's values, blanks filled from the roster (实施单位, 单位编码, 主管部门 = the
    roster's parent, 财政区划代码) and ``year``."""
    return {**cover_values(spec, u, year), **{k: v for k, v in row_values.items() if v not in (None, "")}}


def _write_unit_projects(path: Path, spec: Spec, u: RosterUnit, rows: list, ledger: Ledger | None,
                         year: int | None, listed: set[str], out: Distribution) -> Issued:
    from workbook_tools.model.template import build_projects_template
    values, locked, notes, prefilled = [], [], [], 0
    totals_only, not_in_ledger, no_code, other_unit = [], [], [], []
    for r in rows:
        v = project_cover(spec, u, r.values, year)
        pcode = _code(r.values.get("cover.projectCode"))
        funds: dict = {}
        if ledger is not None:
            lp = ledger.projects.get(pcode) if pcode else None
            if not pcode:
                no_code.append(r)
            elif lp is None:
                not_in_ledger.append(r)
                out.projects_not_in_ledger.append(r)
            elif not lp.by_source:
                totals_only.append(r)
            else:
                funds = {k: to_float(x) for k, x in form_inputs(spec, lp, ledger).items()}
                if lp.unit != u.code:
                    other_unit.append(f"{pcode}（台账中属于 {lp.unit}）")
        values.append({**v, **funds})
        locked.append(frozenset(funds))
        prefilled += bool(funds)
    shared = {}
    if prefilled:
        shared["help.notice"] = (f"各项目表“项目资金情况”中灰色单元格的金额由财政局根据预算执行台账（{ledger.name}）"
                                 f"预填并锁定，不能修改；如有异议请与财政局联系。")
    data = build_projects_template(spec, values, locked=locked, shared=shared)
    with atomic_output(path) as fh:
        fh.write(data)
    if ledger is not None:
        notes.append(f"{prefilled} 个项目已预填台账资金")
        if not_in_ledger:
            notes.append("台账中没有的项目（资金由单位填写）：" + "、".join(_project_text(r) for r in not_in_ledger))
        if totals_only:
            notes.append("台账只有合计、无法按资金来源预填的项目（资金由单位填写）："
                         + "、".join(_project_text(r) for r in totals_only))
        if no_code:
            notes.append("没有项目编码、无法与台账对应的项目：" + "、".join(_project_text(r) for r in no_code))
        if other_unit:
            notes.append("台账中属于其他单位的项目：" + "、".join(other_unit))
        extra = _ledger_extra(ledger, u, listed, out)
        if extra:
            notes.append(extra)
    return Issued(u.code, u.name, path.name, bool(prefilled), "；".join(notes), len(rows))


def _ledger_extra(ledger: Ledger | None, u: RosterUnit, listed: set[str], out: Distribution) -> str:
    """The manifest note on the unit's ledger projects (with money) that the project list lacks."""
    if ledger is None:
        return ""
    extra = [p for p in ledger.unit_projects(u.code) if p.code not in listed and not p.total.is_zero()]
    out.ledger_not_in_list += extra
    if not extra:
        return ""
    return "台账中有、项目清单中没有的项目（未生成项目表）：" + "、".join(
        f"{p.name}（{p.code}）" if p.name else p.code for p in extra)

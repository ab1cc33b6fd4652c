"""`wbtool distribute`: one template per unit of the roster, cover pre-filled, ledger money pre-filled and locked."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import atomic_output
from .cells import CellWrite
from .errors import OutputError, UsageError
from .ledger import Ledger, LedgerUnit, form_inputs
from .layout import layout_for
from .numbers import to_float
from .render import csv_safe
from .roster import RosterUnit, read_roster
from .safety import ensure_inside, safe_path_component
from .spec import Spec, load_spec

MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ("单位编码", "单位名称", "文件", "预填资金", "备注")
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


@dataclass
class Distribution:
    outbox: Path
    issued: list[Issued] = field(default_factory=list)
    not_in_ledger: list[RosterUnit] = field(default_factory=list)    # roster units the ledger lacks
    not_in_roster: list[LedgerUnit] = field(default_factory=list)    # ledger units the roster lacks
    manifest: Path | None = None


def distribute(roster, outbox: str | Path, *, ledger: Ledger | None = None, spec: Spec | str | None = None,
               year: int | None = None) -> Distribution:
    """Write one pre-filled template per roster unit (a path or RosterUnit list) into ``outbox``, plus manifest.csv."""
    units = read_roster(roster) if isinstance(roster, (str, Path)) else list(roster)
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


def _target(outbox: Path, u: RosterUnit, used: set[str]) -> Path:
    """OUTBOX/<code>_<name>.xlsx made safe; a clash after cleaning (e.g. “../x” and “x”) gets -2, -3…"""
    stem = f"{safe_path_component(u.code, max_len=40)}_{safe_path_component(u.name, max_len=60)}"
    name, n = f"{stem}.xlsx", 1
    while name.casefold() in used:      # Windows file names ignore case
        n += 1
        name = f"{stem}-{n}.xlsx"
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
    from .template import build_template
    values = {}
    if locked:
        values["help.notice"] = (f"“收支情况”表中灰色单元格的金额由财政局根据预算执行台账（{ledger.name}）"
                                 f"预填并锁定，不能修改；如有异议请与财政局联系。")
    return build_template(spec, None, values, locked=set(locked))


def _issue(spec: Spec, base: bytes, values: dict, name: str) -> bytes:
    """The base template with this unit's values written and every formula value recomputed."""
    from .fill import recalc_bytes
    from .xlsxfile import FileBook, patch_package
    L = layout_for(spec)
    writes = [CellWrite(L[k].sheet, L[k].coord, v) for k, v in values.items() if v is not None]
    buf = io.BytesIO()
    patch_package(FileBook(name, base), writes, buf)
    return recalc_bytes(buf.getvalue(), source=name, spec=spec)


def write_manifest(path: Path, rows: list[Issued]) -> Path:
    """manifest.csv (UTF-8 with BOM so Excel shows the Chinese); text is never turned into a formula."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(MANIFEST_COLUMNS)
    for r in rows:
        w.writerow([csv_safe(x) for x in (r.code, r.name, r.file, "是" if r.prefilled else "否", r.note)])
    with atomic_output(path, "w") as fh:
        fh.write("\ufeff" + buf.getvalue())
    return path

"""The one reader: a workbook (file or live) → the spec it was made from and every value with its cell."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from workbook_tools.cells import Book, CellData
from workbook_tools.errors import SpecError, UnreadableInput, UsageError
from workbook_tools.model.layout import SHEET_LIST, SHEET_META, Layout, layout_for
from workbook_tools.model.projectbook import check_sheet_names, LAYOUT_PROJECTS, projects_layout, ProjectsLayout
from workbook_tools.numbers import NUMBER_LIMIT, excel_serial_to_date, num, out_of_range
from workbook_tools.model.spec import Spec
from workbook_tools.files.specsheet import load_spec
from workbook_tools.files.safety import check_workbook_file
from workbook_tools.files.xlsxfile import FileBook
from workbook_tools.model import speclib
from workbook_tools.model.speclib import SPEC_SHEET


@dataclass(frozen=True)
class Field:
    """One value of the form and the cell it came from."""
    key: str
    value: object
    cell: str          # 评分表!J8
    label: str = ""
    indicator: str = ""


@dataclass
class Returned:
    """A workbook read against its spec: the raw inputs plus everything stored in our cells."""
    source: str
    spec: Spec
    layout: Layout
    book: Book
    meta: dict
    inputs: dict[str, object]
    stored: dict[str, CellData]
    extra_sheets: list[str] = field(default_factory=list)
    has_macros: bool = False
    sha256: str | None = None
    out_of_range: dict[str, object] = field(default_factory=dict)   # key → the number kept out of arithmetic

    def field(self, key: str) -> Field:
        c = self.layout[key]
        return Field(key, self.stored[key].value, c.addr, c.label, c.indicator)

    def value(self, key: str):
        return self.stored[key].value if key in self.stored else None

    def cover(self) -> dict[str, object]:
        """Cover values with dates as ``datetime.date``."""
        out = {}
        for f in self.spec.cover:
            v = self.inputs.get(f"cover.{f.key}")
            if f.type == "date":
                v = as_date(v)
            out[f.key] = v
        return out


def as_date(v):
    """A date cell (serial number, datetime or common text forms) → date; anything else unchanged."""
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if num(v) is not None:
        return excel_serial_to_date(v) or v
    if isinstance(v, str):
        m = re.match(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$", v)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return v
    return v


def identify(book: Book, spec: Spec | None = None) -> tuple[dict, Spec]:
    """Which spec made this workbook, from its hidden identity sheet (``spec`` given: must match)."""
    src = Path(book.source).name
    if SHEET_META not in book.sheet_names():
        raise UnreadableInput(
            f"{src} 不是由 wbtool 模板生成的自评表（缺少表单标识）。请使用财政局下发的模板填报。",
            f"{src} was not made from a wbtool template (no form identity sheet)", code="form-unknown")
    cells = book.read_sheet(SHEET_META)
    meta = {}
    for r in range(1, 20):
        k, v = cells.get(f"A{r}"), cells.get(f"B{r}")
        if k and isinstance(k.value, str):
            meta[k.value] = "" if v is None or v.value is None else str(v.value)
    spec_id = meta.get("spec_id", "")
    spec, emb = _spec_for(book, spec, spec_id, meta.get("spec_version", ""), meta)
    if spec is None:
        damaged = emb is not None and emb.spec_id == spec_id and not emb.intact
        raise UnreadableInput(
            f"{src} 来自未知的表单规格“{spec_id or '空'}”，无法校验"
            + ("（工作簿内嵌的规格副本已损坏或被改动）" if damaged else "")
            + "。请使用财政局下发的模板填报，或用 --spec 或 WBTOOL_SPEC_PATH 指明该规格文件。",
            f"{src} comes from an unknown form spec '{spec_id}'"
            + (" (the workbook's own copy of it is damaged)" if damaged else "")
            + "; give the spec file with --spec or WBTOOL_SPEC_PATH", code="spec-unknown")
    if meta.get("spec_version") != spec.version:
        raise UnreadableInput(
            f"{src} 使用的是旧版或不同版本的表单（版本 {meta.get('spec_version')}，当前版本 {spec.version}），"
            f"请用新版模板重新填报。",
            f"{src} uses form version {meta.get('spec_version')}, current is {spec.version}",
            code="spec-outdated")
    _compare_copy(meta, spec, emb)
    return meta, spec


def _spec_for(book: Book, spec: Spec | None, spec_id: str, version: str, meta: dict):
    """The spec to read ``book`` with, by the search path (speclib): ``spec`` given (--spec) if its id matches;
    else a spec file found for the id (the bureau's copies, then installed); else the workbook's own copy."""
    try:
        emb = speclib.read_embedded(book)
    except (OSError, ValueError, KeyError):
        emb = None
    if spec is not None:
        meta["_spec_origin"] = speclib.ORIGIN_EXPLICIT
        return (spec if spec.id == spec_id else None), emb
    if not spec_id:
        return None, emb
    found = speclib.find(spec_id, version)
    if found is not None:
        try:
            meta["_spec_origin"] = found.origin
            return speclib.load(found), emb
        except SpecError:
            meta.pop("_spec_origin")
    if emb is not None and emb.intact and emb.spec_id == spec_id and emb.version == version:
        try:
            own = emb.spec(book.source)
        except SpecError:
            return None, emb
        meta["_spec_origin"] = speclib.ORIGIN_EMBEDDED
        speclib.learn(own)
        return own, emb
    return None, emb


def _compare_copy(meta: dict, spec: Spec, emb) -> None:
    """Record in ``meta`` how the workbook's own copy of its spec compares with the spec it is read with:
    a copy that differs from the bureau's (same id and version) is the finding spec-embedded-mismatch."""
    meta["_spec_sha256"] = speclib.spec_hash(spec)
    if emb is None:
        meta["_embedded"] = "none"
        return
    meta["_embedded_sha256"] = emb.sha256
    if meta.get("_spec_origin") == speclib.ORIGIN_EMBEDDED:
        meta["_embedded"] = "used"
        return
    if emb.spec_id != spec.id or emb.version != spec.version:
        meta["_embedded"] = "other"          # a copy of another spec: the identity sheet says which form this is
        return
    mine = meta["_spec_sha256"]
    if emb.intact and (not mine or text_equal(emb.sha256, mine)):
        meta["_embedded"] = "same"
        return
    meta["_embedded"] = "differs"
    meta["_embedded_text_sha256"] = speclib.text_hash(emb.text) if emb.text else ""
    if not emb.intact:
        meta["_embedded_rules"] = "damaged"
        return
    try:
        meta["_embedded_rules"] = "same" if emb.spec(spec.source).fingerprint == spec.fingerprint else "differ"
    except SpecError:
        meta["_embedded_rules"] = "invalid"


def text_equal(a: str, b: str) -> bool:
    return a.lower() == b.lower()


@dataclass
class Forms:
    """A workbook read as forms: its one form, or one per project sheet of a project workbook."""
    source: str
    spec: Spec
    book: Book
    meta: dict
    forms: list[Returned]
    projects: ProjectsLayout | None = None
    totals: dict[str, CellData] = field(default_factory=dict)     # the project list's plist.* cells
    sha256: str | None = None

    @property
    def is_projects(self) -> bool:
        return self.projects is not None


def _check_sheets(book: Book, wanted: list[str]):
    names = book.sheet_names()
    missing = [s for s in wanted if s not in names]
    if missing:
        src = Path(book.source).name
        extra = [s for s in names if s not in wanted]
        hint = f"；文件中多出的工作表：{'、'.join(extra[:10])}（是否被改名？）" if extra else ""
        raise UnreadableInput(
            f"{src} 缺少工作表：{'、'.join(missing[:10])}{'等' if len(missing) > 10 else ''}{hint}。"
            f"请勿删除或重命名模板中的工作表。",
            f"{src} lacks sheet(s): {', '.join(missing[:10])}", code="sheet-missing")
    return [s for s in names if s not in wanted and s != SPEC_SHEET]


ROW_MARGIN, COL_MARGIN = 20, 4     # a note just below or beside the form is still read


def form_extent(layouts) -> dict[str, tuple[int, int]]:
    """Per sheet, the last row and column any of ``layouts`` puts a cell, label or note in, plus a margin:
    the part of each sheet that is read (the rest of a padded sheet is not)."""
    ext: dict[str, list[int]] = {}
    for L in layouts:
        cached = L.__dict__.get("_extent")
        if cached is None:
            cached = {}
            for c in list(L.cells.values()) + list(L.free):
                e = cached.setdefault(c.sheet, [0, 0])
                e[0], e[1] = max(e[0], c.row), max(e[1], c.col)
            L.__dict__["_extent"] = cached
        for sheet, (r, col) in cached.items():
            e = ext.setdefault(sheet, [0, 0])
            e[0], e[1] = max(e[0], r), max(e[1], col)
    return {sheet: (r + ROW_MARGIN, col + COL_MARGIN) for sheet, (r, col) in ext.items()}


def _limit(book: Book, layouts, same_as: tuple[str, list[str]] | None = None) -> None:
    """Tell a file book which part of each form sheet to read (a live Excel book reads what it is asked);
    ``same_as`` (sheet, others): the other sheets have that sheet's shape (a project workbook's form sheets)."""
    limit = getattr(book, "limit", None)
    if limit is None:
        return
    ext = form_extent(layouts)
    if same_as and same_as[0] in ext:
        ext.update({s: ext[same_as[0]] for s in same_as[1]})
    for sheet, (rows, cols) in ext.items():
        if sheet != SHEET_META:        # the identity sheet lists one row per project: its own default bound
            limit(sheet, rows, cols)


def _read_layout(book: Book, layout: Layout, spec: Spec, meta: dict, extra: list[str], **kw) -> Returned:
    stored, inputs = {}, {}
    empty = CellData()
    sheets: dict[str, dict] = {}
    for key, c in layout.cells.items():
        cells = sheets.get(c.sheet)
        if cells is None:
            cells = sheets[c.sheet] = book.read_sheet(c.sheet)
        data = cells.get(c.coord, empty)
        stored[key] = data
        if c.role == "input":
            inputs[key] = data.value
    ret = Returned(source=book.source, spec=spec, layout=layout, book=book, meta=meta, inputs=inputs,
                   stored=stored, extra_sheets=extra, **kw)
    _fence_numbers(ret, layout.cells)
    return ret


_NUMERIC_KINDS = {"money", "count", "number", "score", "year", "ratio", "date"}


def _fence_numbers(ret: Returned, cells) -> None:
    """Numbers no arithmetic may see (NaN, infinity, |x| ≥ 10^15 where a number belongs) are set aside: the
    cell reads as empty, the value is kept in ``out_of_range`` and reported there (number-out-of-range)."""
    for key, data in ret.stored.items():
        v = data.value
        t = type(v)
        # the cheap test first (most cells are text or ordinary numbers); out_of_range has the last word
        if (t is float or t is int) and (v != v or v >= NUMBER_LIMIT or v <= -NUMBER_LIMIT):
            c = cells.get(key)
            if c is not None and out_of_range(v, numeric=c.kind in _NUMERIC_KINDS):
                ret.out_of_range[key] = v
                ret.stored[key] = CellData(None, data.formula)
                if key in ret.inputs:
                    ret.inputs[key] = None


def _read_form(book: Book, F: Layout, P: ProjectsLayout, spec: Spec, meta: dict, extra: list[str], shared,
               **kw) -> Returned:
    """One project sheet of a project workbook (the same cells as ``_read_layout``, by the form's coordinates)."""
    stored, inputs = dict(shared[0]), dict(shared[1])
    empty = CellData()
    cells = book.read_sheet(F.form)
    for key, coord, is_input in P.form_items:
        data = cells.get(coord, empty)
        stored[key] = data
        if is_input:
            inputs[key] = data.value
    lst = book.read_sheet(SHEET_LIST)
    for key in P.list_keys:
        stored[key] = lst.get(F[key].coord, empty)
    ret = Returned(source=book.source, spec=spec, layout=F, book=book, meta=meta, inputs=inputs,
                   stored=stored, extra_sheets=extra, **kw)
    _fence_numbers(ret, F.cells)
    return ret


def project_sheets(book: Book) -> list[str]:
    """The form sheets a project workbook lists in its identity sheet, in order."""
    cells = book.read_sheet(SHEET_META)
    rows = sorted((int(coord[1:]), c.value) for coord, c in cells.items()
                  if coord[0] == "A" and coord[1:].isdigit() and c.value == "project_sheet")
    out = []
    for r, _ in rows:               # an emptied or non-text entry stays in: the list is then refused as damaged
        v = cells.get(f"B{r}")
        out.append(v.value if v is not None and isinstance(v.value, str) else "")
    return out


def read_forms(book: Book, *, spec: Spec | None = None, sha256: str | None = None,
               has_macros: bool = False, select: tuple[int, int] | None = None) -> Forms:
    """Read ``book`` as forms: a classic workbook gives one, a project workbook one per project sheet
    (``select``: only the project sheets with index lo ≤ i < hi, for reading a big workbook in parts)."""
    meta, spec = identify(book, spec)
    if meta.get("layout") != LAYOUT_PROJECTS:
        ret = read_book(book, spec=spec, sha256=sha256, has_macros=has_macros, _meta=meta)
        return Forms(book.source, spec, book, meta, [ret], sha256=sha256)
    src = Path(book.source).name
    sheets = project_sheets(book)
    try:
        check_sheet_names(sheets)
    except ValueError:
        sheets = []
    if not sheets or spec.kind != "project":
        raise UnreadableInput(f"{src} 的项目表清单已损坏（隐藏的表单标识中项目表名称缺失或重复），请使用财政局下发的模板。",
                              f"{src}: the list of project sheets in the form identity is damaged",
                              code="form-unknown")
    P = projects_layout(spec, sheets)
    extra = _check_sheets(book, P.sheets)
    _limit(book, [P.shared, P.forms[0], *P.forms[-1:]], (P.forms[0].form, P.project_sheets))   # one shape
    first = _read_layout(book, P.forms[0], spec, meta, extra, has_macros=has_macros, sha256=sha256)
    common = [k for k, c in P.forms[0].cells.items() if c.sheet != P.forms[0].form and not k.startswith("list.")]
    shared = ({k: first.stored[k] for k in common}, {k: first.inputs[k] for k in common if k in first.inputs})
    lo, hi = select or (0, len(P.forms))
    forms = [first] if lo == 0 else []
    forms += [_read_form(book, F, P, spec, meta, extra, shared, has_macros=has_macros, sha256=sha256)
              for F in P.forms[max(lo, 1):hi]]
    lst = book.read_sheet(SHEET_LIST)
    empty = CellData()
    totals = {k: lst.get(P.shared[k].coord, empty) for k in P.totals}
    return Forms(book.source, spec, book, meta, forms, P, totals, sha256)


def read_book(book: Book, *, spec: Spec | None = None, sha256: str | None = None,
              has_macros: bool = False, _meta: dict | None = None) -> Returned:
    """Read every layout cell of a one-form ``book`` (a FileBook or a live book)."""
    if _meta is None:
        meta, spec = identify(book, spec)
    else:
        meta = _meta
    if meta.get("layout") == LAYOUT_PROJECTS:
        n = len(project_sheets(book))
        raise UsageError(f"{Path(book.source).name} 是项目工作簿（项目清单 + {n} 张项目表），此命令只处理单张自评表；"
                         f"项目工作簿请用 validate、fill、export、crosscheck、mark 或 collect。",
                         f"{Path(book.source).name} is a project workbook ({n} project sheets); this command takes "
                         f"one form — use validate, fill, export, crosscheck or collect", code="project-workbook")
    layout = layout_for(spec)
    extra = _check_sheets(book, layout.sheets)
    _limit(book, [layout])
    return _read_layout(book, layout, spec, meta, extra, has_macros=has_macros, sha256=sha256)


def _open(path):
    info = check_workbook_file(path)
    return FileBook(path, info.data), info     # the very bytes that were checked, read once


def read_workbook(path: str | Path, spec: Spec | None = None) -> Returned:
    """Check the file is a safe, readable one-form workbook, then read it (against ``spec`` when given)."""
    book, info = _open(path)
    return read_book(book, spec=spec, sha256=info.sha256, has_macros=info.has_macros)


def read_workbook_forms(path: str | Path, spec: Spec | None = None) -> Forms:
    """Check the file is a safe, readable workbook, then read each of its forms (one, or one per project)."""
    book, info = _open(path)
    return read_forms(book, spec=spec, sha256=info.sha256, has_macros=info.has_macros)

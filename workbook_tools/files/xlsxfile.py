"""Reading and patching .xlsx packages at the XML level: fast, and everything we do not touch stays byte-identical."""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable

from lxml import etree

from workbook_tools.cells import CellData, CellWrite, col_index
from workbook_tools.errors import UnreadableInput
from workbook_tools.text import excel_text
from workbook_tools.numbers import date_to_serial

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PNS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_Q = "{%s}" % NS
_TAG_V, _TAG_F, _TAG_C, _TAG_IS, _TAG_T = _Q + "v", _Q + "f", _Q + "c", _Q + "is", _Q + "t"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
_COORD = re.compile(r"^([A-Z]{1,3})(\d+)$")


_BAD = float("inf")              # the column of a reference that is not A1 (never inside any bound)
_COLS: dict[str, float] = {}     # "B12" → 2: the same coordinates recur in every sheet and every file


def _coord_col(r: str) -> float:
    """The column number of an A1 reference (memoised), ``_BAD`` for anything else."""
    m = _COORD.match(r)
    col = col_index(m.group(1)) if m is not None else _BAD
    if len(_COLS) < 200_000:        # bounded: a hostile sheet of distinct references does not grow it forever
        _COLS[r] = col
    return col


def _parse(data: bytes, part: str, source: str):
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as e:
        raise UnreadableInput(f"文件 {source} 已损坏：{part} 不是有效的 XML（{e}）。请在 Excel/WPS 中重新保存后再试。",
                              f"{source} is damaged: {part} is not valid XML ({e})", code="corrupt-xml") from None


def _number(text: str):
    try:
        f = float(text)
    except ValueError:
        return text
    if f.is_integer() and "e" not in text.lower() and "." not in text and abs(f) < 2**53:
        return int(f)
    return f


DEFAULT_BOUNDS = (20_000, 256)   # sheets the form does not describe (the identity sheet): ample, still bounded
MAX_PATCH_BYTES = 8 * 1024 * 1024   # a sheet rewritten by fill is parsed whole: beyond this it is padding
SMALL_PART = 2 * 1024 * 1024     # sheets up to this size (every real form) are parsed at once, larger ones streamed
BEYOND_SCAN = 2_000              # empty padding rows looked at past a sheet's bounds before reading stops
_TAG_ROW = _Q + "row"


@dataclass
class Outside:
    """What a sheet holds beyond the rows and columns that were read."""
    first: str | None = None      # the first cell with content out there, if one was seen
    rows: int = 0                 # rows seen past the last row read
    cells: int = 0                # cells seen right of the last column read
    more: bool = False            # reading stopped early: there may be more


def _has_content(c) -> bool:
    return any(ch.tag in (_TAG_V, _TAG_F, _TAG_IS) and (ch.text or len(ch)) for ch in c)


def _first_content(row) -> str | None:
    for c in row:
        if c.tag == _TAG_C and len(c) and _has_content(c):
            return c.get("r") or f"?{row.get('r')}"
    return None


def _cell_value(c, a, strings):
    """(value, <f> element or None) of one <c>."""
    t = a.get("t", "n")
    f = vt = is_ = None
    for child in c:
        tag = child.tag
        if tag == _TAG_V:
            vt = child.text
        elif tag == _TAG_F:
            f = child
        elif tag == _TAG_IS:
            is_ = child
    if t == "n":
        value = _number(vt) if vt else None
    elif t == "s":
        try:
            value = strings[int(vt)] if vt is not None else None
        except (ValueError, IndexError):
            value = None
    elif t == "inlineStr":
        if is_ is None:
            value = ""
        elif len(is_) == 1 and is_[0].tag == _TAG_T:      # <is><t>…</t></is>: the usual shape
            value = is_[0].text or ""
        else:
            value = "".join(x.text or "" for x in is_.iter(_TAG_T))
    elif t in ("str", "e"):
        value = vt if vt is not None else ""
    elif t == "b":
        value = vt == "1"
    else:
        value = _number(vt) if vt not in (None, "") else None
    return value, f


def _read_row(row, max_col: int, strings: list[str], out: dict, shared: dict, pending: list, outside: Outside) -> None:
    """The cells of one <row> up to column ``max_col`` into ``out``; a shared formula's children wait in ``pending``
    for their master (which may come later); cells right of the bound are counted in ``outside``."""
    for c in row:
        if len(c) == 0 or c.tag != _TAG_C:    # styled but empty: most cells of a template
            continue
        a = c.attrib
        r = a.get("r")
        if not r:
            continue
        col = _COLS.get(r)
        if col is None:
            col = _coord_col(r)
        if col > max_col:                     # also a malformed reference (col = inf)
            if col != _BAD and outside.first is None and _has_content(c):
                outside.first = r
            outside.cells += 1
            continue
        if len(c) == 1 and "t" not in a and c[0].tag == _TAG_V:   # a plain number: most filled cells
            vt = c[0].text
            out[r] = CellData(_number(vt) if vt else None, None)
            continue
        value, f = _cell_value(c, a, strings)
        formula = None
        if f is not None:
            if f.get("t") == "shared":
                si = f.get("si")
                if f.text:
                    shared[si] = (r, f.text)
                    formula = "=" + f.text
                else:
                    pending.append((r, si, value))
                    continue
            elif f.text:
                formula = "=" + f.text
        out[r] = CellData(value, formula)


class FileBook:
    """A Book backed by an .xlsx/.xlsm file; parses only what is asked for."""

    def __init__(self, path: str | Path, data: bytes | None = None):
        self.path = Path(path)
        self.source = str(path)
        self.data = data if data is not None else self.path.read_bytes()
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(self.data))
        except zipfile.BadZipFile:
            raise UnreadableInput(f"文件 {self.source} 不是有效的 Excel 工作簿（zip 结构损坏）。",
                                  f"{self.source} is not a valid workbook (bad zip)", code="corrupt-zip") from None
        names = self.zip.namelist()
        self._names = set(names)
        if len(names) != len(self._names):
            self._check_duplicates(names)
        self._sheets: dict[str, tuple[str, str]] | None = None   # name → (part path, state)
        self._defined: dict[str, str] = {}
        self._strings: list[str] | None = None
        self._cache: dict[str, dict[str, CellData]] = {}
        self.pending: list[CellWrite] = []
        self.bounds: dict[str, tuple[int, int]] = {}       # sheet → (last row, last column) read; see ``limit``
        self.outside: dict[str, Outside] = {}               # sheet → what lies beyond its bounds

    def _check_duplicates(self, names: list[str]) -> None:
        """A member stored twice: harmless when both copies agree, else which one Excel would use is unknown."""
        seen: dict[str, zipfile.ZipInfo] = {}
        for info in self.zip.infolist():
            first = seen.setdefault(info.filename, info)
            if first is not info and (first.CRC, first.file_size) != (info.CRC, info.file_size):
                raise UnreadableInput(
                    f"文件 {self.source} 已损坏：部件 {info.filename} 在 zip 中出现两次且内容不同，无法确定哪一份有效。"
                    f"请在 Excel/WPS 中重新保存后再试。",
                    f"{self.source} is damaged: part {info.filename} is stored twice with different contents",
                    code="corrupt-zip")

    def limit(self, sheet: str, rows: int, cols: int) -> None:
        """Read only rows 1…``rows`` and columns 1…``cols`` of ``sheet`` (the form's extent); what lies beyond is
        noted in ``outside``, not read. Sheets without a limit are read to DEFAULT_BOUNDS."""
        if sheet not in self._cache:
            self.bounds[sheet] = (rows, cols)

    # ------------------------------------------------------------ package
    def part(self, name: str) -> bytes:
        if name not in self._names:
            raise UnreadableInput(f"文件 {self.source} 缺少部件 {name}，文件已损坏。",
                                  f"{self.source} lacks part {name}", code="corrupt-zip")
        try:
            return self.zip.read(name)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
            raise UnreadableInput(f"文件 {self.source} 的部件 {name} 无法读取（{e}），文件已损坏。",
                                  f"{self.source}: part {name} unreadable ({e})", code="corrupt-zip") from None

    def _rels(self, part: str) -> dict[str, str]:
        p = PurePosixPath(part)
        rel = str(p.parent / "_rels" / (p.name + ".rels"))
        if rel not in self._names:
            return {}
        root = _parse(self.part(rel), rel, self.source)
        out = {}
        for r in root.iter("{%s}Relationship" % PNS):
            target = r.get("Target", "")
            if r.get("TargetMode") == "External":
                continue
            full = target.lstrip("/") if target.startswith("/") else str(p.parent / target)
            out[r.get("Id")] = _normpath(full)
        return out

    def _load_workbook(self):
        if self._sheets is not None:
            return
        root = _parse(self.part("xl/workbook.xml"), "xl/workbook.xml", self.source)
        rels = self._rels("xl/workbook.xml")
        self._sheets = {}
        for s in root.iter(_Q + "sheet"):
            rid = s.get("{%s}id" % RNS)
            self._sheets[s.get("name")] = (rels.get(rid, ""), s.get("state", "visible"))
        for d in root.iter(_Q + "definedName"):
            if d.get("localSheetId") is None:
                self._defined[d.get("name")] = d.text or ""

    def sheet_names(self) -> list[str]:
        self._load_workbook()
        return list(self._sheets)

    def sheet_state(self, sheet: str) -> str:
        self._load_workbook()
        return self._sheets[sheet][1]

    def sheet_part(self, sheet: str) -> str:
        self._load_workbook()
        return self._sheets[sheet][0]

    def defined_names(self) -> dict[str, str]:
        self._load_workbook()
        return dict(self._defined)

    def has_macros(self) -> bool:
        return "xl/vbaProject.bin" in self._names

    def _shared_strings(self) -> list[str]:
        if self._strings is None:
            self._strings = []
            part = "xl/sharedStrings.xml"
            if part in self._names:
                for si in _parse(self.part(part), part, self.source).iter(_Q + "si"):
                    self._strings.append("".join(t.text or "" for t in si.iter(_Q + "t")
                                                 if t.getparent().tag != _Q + "rPh"))
        return self._strings

    # ------------------------------------------------------------ cells
    def read_sheet(self, sheet: str) -> dict[str, CellData]:
        if sheet in self._cache:
            return self._cache[sheet]
        self._load_workbook()
        if sheet not in self._sheets:
            raise KeyError(sheet)
        part = self._sheets[sheet][0]
        max_row, max_col = self.bounds.get(sheet, DEFAULT_BOUNDS)
        strings = self._shared_strings()
        shared: dict[str, tuple[str, str]] = {}
        out: dict[str, CellData] = {}
        pending = []
        outside = Outside()
        row_no = 0
        for row in self._rows(sheet, part):
            ra = row.get("r")
            row_no = int(ra) if ra and ra.isdigit() else row_no + 1
            if outside.cells > BEYOND_SCAN * 10:      # a row of 16,384 cells after another: stop reading
                outside.more = True
                break
            if row_no > max_row:
                outside.rows += 1
                if outside.first is None:
                    outside.first = _first_content(row)
                if outside.first is not None or outside.rows >= BEYOND_SCAN:
                    outside.more = True        # stop here: the rest is neither read nor parsed
                    break
                continue
            _read_row(row, max_col, strings, out, shared, pending, outside)
        for r, si, value in pending:
            out[r] = _SharedChild(value, shared[si], r) if si in shared else CellData(value, None)
        if outside.first is not None or outside.rows:
            self.outside[sheet] = outside
        self._cache[sheet] = out
        return out

    def _rows(self, sheet: str, part: str):
        """The sheet's <row> elements in order, streamed: a sheet padded to row 1,048,576 is never held whole."""
        if part not in self._names:
            self.part(part)                # raises: the part is missing
        if self.zip.getinfo(part).file_size <= SMALL_PART:     # the usual sheet: one parse is faster than a stream
            root = _parse(self.part(part), part, self.source)
            self._worksheet_root(root, sheet, part)
            data = root.find(_Q + "sheetData")
            if data is not None:
                yield from data.iterchildren(_TAG_ROW)
            return
        try:
            stream = self.zip.open(part)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as e:
            raise UnreadableInput(f"文件 {self.source} 的部件 {part} 无法读取（{e}），文件已损坏。",
                                  f"{self.source}: part {part} unreadable ({e})", code="corrupt-zip") from None
        checked = False
        try:
            with stream:
                it = etree.iterparse(stream, events=("end",), tag=_TAG_ROW, resolve_entities=False,
                                     no_network=True, huge_tree=False, load_dtd=False)
                for _, el in it:
                    if not checked:
                        self._worksheet_root(el.getroottree().getroot(), sheet, part)
                        checked = True
                    yield el
                    el.clear()
                    parent = el.getparent()
                    while el.getprevious() is not None:        # rows already read: let them go
                        del parent[0]
                if not checked:
                    self._worksheet_root(it.root, sheet, part)
        except etree.XMLSyntaxError as e:
            raise UnreadableInput(f"文件 {self.source} 已损坏：{part} 不是有效的 XML（{e}）。请在 Excel/WPS 中重新保存后再试。",
                                  f"{self.source} is damaged: {part} is not valid XML ({e})", code="corrupt-xml") from None
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise UnreadableInput(f"文件 {self.source} 的部件 {part} 无法读取（{e}），文件已损坏。",
                                  f"{self.source}: part {part} unreadable ({e})", code="corrupt-zip") from None

    def _worksheet_root(self, root, sheet: str, part: str) -> None:
        """A sheet whose relationship points at the styles, the theme or any other part is damage, said so."""
        if root is None or root.tag != _Q + "worksheet":
            what = etree.QName(root).localname if root is not None else "空"
            raise UnreadableInput(
                f"文件 {self.source} 已损坏：工作表“{sheet}”指向的部件 {part} 不是工作表（{what}）。"
                f"请在 Excel/WPS 中重新保存，或使用原模板重新填报。",
                f"{self.source} is damaged: sheet '{sheet}' points at {part}, which is not a worksheet ({what})",
                code="corrupt-xml")

    def write_cells(self, writes: Iterable[CellWrite]) -> None:
        """Queue writes; reads see them at once, ``save`` puts them into a new file."""
        for w in writes:
            self.pending.append(w)
            cells = self.read_sheet(w.sheet)
            cells[w.coord] = CellData(w.value, w.formula)

    def save(self, dest) -> None:
        """Write the workbook with the queued writes to ``dest`` (an open binary file)."""
        patch_package(self, self.pending, dest)


class _SharedChild(CellData):
    """A cell of a shared formula: its own formula text is worked out only when someone asks (most never do —
    200,000 filled-down cells would take seconds to translate)."""

    def __init__(self, value, master: tuple[str, str], coord: str):     # noqa: D107 — no dataclass __init__
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "_master", master)
        object.__setattr__(self, "_coord", coord)

    @property
    def formula(self) -> str:
        got = self.__dict__.get("_formula")
        if got is None:
            origin, text = self._master
            got = translate_formula("=" + text, origin, self._coord)
            object.__setattr__(self, "_formula", got)
        return got

    def __eq__(self, other):
        return isinstance(other, CellData) and (self.value, self.formula) == (other.value, other.formula)

    def __hash__(self):
        return hash((self.value, self.formula))

    def __repr__(self):
        return f"CellData(value={self.value!r}, formula={self.formula!r})"

    def __reduce__(self):         # crosses process boundaries (validate -j) as a plain CellData
        return (CellData, (self.value, self.formula))


def translate_formula(formula: str, origin: str, dest: str) -> str:
    from openpyxl.formula.translate import Translator
    return Translator(formula, origin=origin).translate_formula(dest)


def _normpath(p: str) -> str:
    parts = []
    for seg in p.split("/"):
        if seg == "..":
            if parts:
                parts.pop()
        elif seg and seg != ".":
            parts.append(seg)
    return "/".join(parts)


# ================================================================= patching

def _xml_value(value) -> tuple[str | None, str]:
    """(t attribute, <v> text) for a cached formula result."""
    import datetime as _dt
    from decimal import Decimal

    if isinstance(value, _dt.date):
        value = float(date_to_serial(value))
    if value is None:
        return "str", ""
    if isinstance(value, bool):
        return "b", "1" if value else "0"
    if isinstance(value, (int, float, Decimal)):
        f = float(value)
        if f != f or f in (float("inf"), float("-inf")):      # Excel has no such number: its error instead
            return "e", "#NUM!"
        return None, repr(f) if not f.is_integer() else str(int(f))
    return "str", str(value)


def _set_cell(row_el, coord: str, write: CellWrite):
    cells = row_el.findall(_Q + "c")
    col = col_index(_COORD.match(coord).group(1))
    target = None
    for c in cells:
        m = _COORD.match(c.get("r", ""))
        if m and col_index(m.group(1)) == col:
            target = c
            break
        if m and col_index(m.group(1)) > col:
            target = etree.Element(_Q + "c", r=coord)
            c.addprevious(target)
            break
    if target is None:
        target = etree.SubElement(row_el, _Q + "c", r=coord)
    style = target.get("s")
    for child in list(target):
        target.remove(child)
    for a in list(target.attrib):
        if a not in ("r", "s"):
            del target.attrib[a]
    if style is not None:
        target.set("s", style)
    t, text = _xml_value(write.value)
    text = excel_text(text)
    if write.formula:
        f = etree.SubElement(target, _Q + "f")
        f.text = write.formula[1:] if write.formula.startswith("=") else write.formula
        if t:
            target.set("t", t)
        etree.SubElement(target, _Q + "v").text = text
    elif write.value is not None:
        if isinstance(write.value, str):
            target.set("t", "inlineStr")
            is_ = etree.SubElement(target, _Q + "is")
            tt = etree.SubElement(is_, _Q + "t")
            tt.text = excel_text(write.value)
            if write.value != write.value.strip():
                tt.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        else:
            if t:
                target.set("t", t)
            etree.SubElement(target, _Q + "v").text = text


def _row(sheet_data, r: int):
    for row in sheet_data.findall(_Q + "row"):
        n = int(row.get("r", "0"))
        if n == r:
            return row
        if n > r:
            new = etree.Element(_Q + "row", r=str(r))
            row.addprevious(new)
            return new
    return etree.SubElement(sheet_data, _Q + "row", r=str(r))


def _expand_shared(root, source: str, coords: set[str] | None = None):
    """Turn shared formulas into plain ones so no rewritten master leaves children dangling — only the groups
    that have a cell in ``coords`` (the cells being written; None: every group): 200,000 shared cells elsewhere
    stay shared and cost nothing."""
    if not root.xpath("//m:f[@t='shared']", namespaces={"m": NS}):
        return                   # our own files never share formulas: skip the two passes
    shared = [(c, f) for c in root.iter(_Q + "c") for f in c.iterchildren(_Q + "f") if f.get("t") == "shared"]
    groups = {f.get("si") for c, f in shared if coords is None or c.get("r") in coords}
    if not groups:
        return
    masters = {}
    for c, f in shared:
        if f.text and f.get("si") in groups:
            masters[f.get("si")] = (c.get("r"), "=" + f.text)
    for c, f in shared:
        si = f.get("si")
        if si not in groups:
            continue
        if not f.text and si in masters:
            f.text = translate_formula(masters[si][1], masters[si][0], c.get("r"))[1:]
        for a in ("t", "si", "ref"):
            f.attrib.pop(a, None)


def patch_package(book: FileBook, writes: list[CellWrite], dest, *, full_calc: bool = True) -> None:
    """Write a copy of ``book`` to the open binary file ``dest`` with ``writes`` applied."""
    new_parts = {part: _patched_sheet(book, part, ws) for part, ws in _writes_by_part(book, writes).items()}
    drop = {"xl/calcChain.xml"}
    if full_calc or "xl/calcChain.xml" in book._names:
        new_parts["xl/workbook.xml"] = _workbook_full_calc(book)
        new_parts["[Content_Types].xml"] = _drop_content_type(book, "/xl/calcChain.xml")
        rel = "xl/_rels/workbook.xml.rels"
        if rel in book._names:
            new_parts[rel] = _drop_rel(book, rel, "calcChain.xml")
    written: set[str] = set()
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        for info in book.zip.infolist():
            if info.filename in drop or info.filename in written:     # a member stored twice is written once
                continue
            written.add(info.filename)
            data = new_parts.get(info.filename)
            if data is None:
                data = book.part(info.filename)
            zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = info.external_attr
            # a big part we did not touch (a padded sheet) is recompressed fast, not small
            out.writestr(zi, data, compresslevel=1 if len(data) > (1 << 20) else None)


def _writes_by_part(book: FileBook, writes: list[CellWrite]) -> dict[str, list[CellWrite]]:
    """The writes grouped by sheet part; a padded sheet (over MAX_PATCH_BYTES) is refused, never loaded whole."""
    by_part: dict[str, list[CellWrite]] = {}
    for w in writes:
        part = book.sheet_part(w.sheet)
        if part not in by_part and part in book._names and book.zip.getinfo(part).file_size > MAX_PATCH_BYTES:
            out = book.outside.get(w.sheet) or Outside()
            raise UnreadableInput(
                f"文件 {book.source} 的工作表“{w.sheet}”在表单范围之外还有大量行或单元格"
                f"（{('从 ' + w.sheet + '!' + out.first + ' 起') if out.first else '空行填充到很远的行'}），"
                f"无法安全地改写。请删除表单以外的行和列后保存，再运行。",
                f"{book.source}: sheet '{w.sheet}' has masses of rows or cells outside the form; delete them and "
                f"save, then run again", code="sheet-oversized")
        by_part.setdefault(part, []).append(w)
    return by_part


def _patched_sheet(book: FileBook, part: str, ws: list[CellWrite]) -> bytes:
    """The sheet part's XML with the writes applied (shared formulas they overwrite expanded first)."""
    root = _parse(book.part(part), part, book.source)
    if root.tag != _Q + "worksheet":
        book._worksheet_root(root, ws[0].sheet, part)
    _expand_shared(root, book.source, {w.coord for w in ws})
    sheet_data = root.find(_Q + "sheetData")
    if sheet_data is None:
        sheet_data = etree.SubElement(root, _Q + "sheetData")
    rows = {row.get("r"): row for row in sheet_data.iterchildren(_Q + "row")}
    for w in ws:
        r = _COORD.match(w.coord).group(2)
        row = rows.get(r)
        if row is None:
            row = rows[r] = _row(sheet_data, int(r))
        _set_cell(row, w.coord, w)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _workbook_full_calc(book: FileBook) -> bytes:
    root = _parse(book.part("xl/workbook.xml"), "xl/workbook.xml", book.source)
    calc = root.find(_Q + "calcPr")
    if calc is None:
        calc = etree.SubElement(root, _Q + "calcPr")
        # calcPr must come before these elements in the schema
        for tag in ("oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes",
                    "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst"):
            nxt = root.find(_Q + tag)
            if nxt is not None:
                nxt.addprevious(calc)
                break
    calc.set("fullCalcOnLoad", "1")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _drop_content_type(book: FileBook, part_name: str) -> bytes:
    root = _parse(book.part("[Content_Types].xml"), "[Content_Types].xml", book.source)
    for o in root.findall("{%s}Override" % CT_NS):
        if o.get("PartName") == part_name:
            root.remove(o)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _drop_rel(book: FileBook, rel: str, target_end: str) -> bytes:
    root = _parse(book.part(rel), rel, book.source)
    for r in root.findall("{%s}Relationship" % PNS):
        if r.get("Target", "").endswith(target_end):
            root.remove(r)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


_WS_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_WS_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def clone_sheet(data: bytes, sheet: str, names: list[str]) -> bytes:
    """The package with ``sheet`` copied verbatim as ``names``, inserted right after it (same cells, styles,
    validations and merges): 225 project forms are rendered once, not 225 times. Its formulas must stay on
    the sheet."""
    return copy_sheets(data, [sheet], [0] * (len(names) + 1), [sheet, *names])


def copy_sheets(data: bytes, seeds: list[str], pattern_of: list[int], names: list[str]) -> bytes:
    """The form sheets ``names`` in order, sheet i a verbatim copy of ``seeds[pattern_of[i]]`` together with its
    own parts (the comments and their drawing that ``lock_cells`` adds); each seed becomes the first sheet of its
    pattern (renamed), the rest are copies. Form sheets carry no formula naming another form sheet."""
    book = FileBook("template", data)
    wb = _parse(book.part("xl/workbook.xml"), "xl/workbook.xml", book.source)
    rels = _parse(book.part("xl/_rels/workbook.xml.rels"), "rels", book.source)
    ct = _parse(book.part("[Content_Types].xml"), "[Content_Types].xml", book.source)
    overrides = {o.get("PartName"): o.get("ContentType") for o in ct.iter("{%s}Override" % CT_NS)}
    sheets_el = wb.find(_Q + "sheets")
    items = list(sheets_el)
    pos = next(i for i, s in enumerate(items) if s.get("name") == seeds[0])
    seed_els = items[pos:pos + len(seeds)]
    assert [s.get("name") for s in seed_els] == list(seeds)
    next_id = max(int(s.get("sheetId")) for s in items) + 1
    seed_parts = [book.sheet_part(s) for s in seeds]
    new_parts: dict[str, bytes] = {}
    placed, seen, clone = [], set(), 0
    for i, k in enumerate(pattern_of):
        if k not in seen:             # the seed itself, renamed
            seen.add(k)
            el = seed_els[k]
            el.set("name", names[i])
            placed.append(el)
            continue
        clone += 1
        placed.append(_clone_sheet(book, seed_parts[k], clone, names[i], next_id + clone - 1, rels, ct, overrides,
                                   new_parts))
    _place_sheets(sheets_el, items, pos, seed_els, placed)
    _follow_sheet_names(wb, pos, seeds, pattern_of, names)
    replaced = {"xl/workbook.xml": _ser_part(wb), "xl/_rels/workbook.xml.rels": _ser_part(rels),
                "[Content_Types].xml": _ser_part(ct)}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in book.zip.infolist():
            out.writestr(info, replaced.get(info.filename) or book.part(info.filename))
        for name, body in new_parts.items():
            out.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), body, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _ser_part(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _clone_sheet(book: FileBook, part: str, clone: int, name: str, sheet_id: int, rels, ct, overrides: dict,
                 new_parts: dict):
    """Copy ``part`` as clone number ``clone`` (its relationship, content type, and its own comments and VML
    drawing, renamed) into ``new_parts``; returns the new <sheet> element."""
    target = f"xl/worksheets/formcopy{clone}.xml"
    rid = f"rIdForm{clone}"
    el = etree.Element(_Q + "sheet", name=name, sheetId=str(sheet_id))
    el.set("{%s}id" % RNS, rid)
    etree.SubElement(rels, "{%s}Relationship" % PNS, Id=rid, Type=_WS_TYPE, Target=target[3:])
    etree.SubElement(ct, "{%s}Override" % CT_NS, PartName="/" + target, ContentType=_WS_CT)
    new_parts[target] = book.part(part)
    p = PurePosixPath(part)
    rel_name = str(p.parent / "_rels" / (p.name + ".rels"))
    if rel_name not in book._names:
        return el
    srels = _parse(book.part(rel_name), rel_name, book.source)
    for r in srels.iter("{%s}Relationship" % PNS):     # its comments and their VML drawing: copied, renamed
        if r.get("TargetMode") == "External":
            continue
        t = r.get("Target", "")
        full = t.lstrip("/") if t.startswith("/") else _normpath(f"{p.parent}/{t}")
        fp = PurePosixPath(full)
        copy = str(fp.parent / f"{fp.stem}_form{clone}{fp.suffix}")
        new_parts[copy] = book.part(full)
        r.set("Target", "/" + copy)
        if "/" + full in overrides:
            etree.SubElement(ct, "{%s}Override" % CT_NS, PartName="/" + copy, ContentType=overrides["/" + full])
    new_parts[f"xl/worksheets/_rels/formcopy{clone}.xml.rels"] = _ser_part(srels)
    return el


def _place_sheets(sheets_el, items: list, pos: int, seed_els: list, placed: list) -> None:
    """The seeds' <sheet> entries replaced, in place, by the placed sheets in order."""
    for el in seed_els:
        sheets_el.remove(el)
    anchor = items[pos - 1] if pos else None
    for el in placed:
        if anchor is None:
            sheets_el.insert(0, el)
        else:
            anchor.addnext(el)
        anchor = el


def _follow_sheet_names(wb, pos: int, seeds: list[str], pattern_of: list[int], names: list[str]) -> None:
    """Sheet-scoped defined names follow their sheet, every copy gets its own (a form sheet's print area), and
    the workbook views' tab indexes move past the inserted sheets."""
    moved = len(names) - len(seeds)
    new_pos = {pos + k: pos + pattern_of.index(k) for k in range(len(seeds))}
    seed_names: dict[int, list] = {}
    for d in wb.iter(_Q + "definedName"):
        local = d.get("localSheetId")
        if local is not None:
            n = int(local)
            if pos <= n < pos + len(seeds):
                seed_names.setdefault(n - pos, []).append(d)
            d.set("localSheetId", str(new_pos.get(n, n + moved if n >= pos + len(seeds) else n)))
    for i, k in enumerate(pattern_of):
        for d in seed_names.get(k, ()):
            text = (d.text or "").replace(_quoted(seeds[k]) + "!", _quoted(names[i]) + "!")
            if i == pattern_of.index(k):
                d.text = text
                continue
            copy = etree.Element(_Q + "definedName", dict(d.attrib))
            copy.set("localSheetId", str(pos + i))
            copy.text = text
            d.getparent().append(copy)
    for view in wb.iter(_Q + "workbookView"):
        for attr in ("activeTab", "firstSheet"):
            if view.get(attr) is not None and int(view.get(attr)) >= pos + len(seeds):
                view.set(attr, str(int(view.get(attr)) + moved))


def append_rows(data: bytes, sheet: str, rows_xml: bytes, ref: str) -> bytes:
    """The package with ``rows_xml`` (<row> elements numbered after the sheet's last row) appended to ``sheet``'s
    sheetData, its dimension ``ref``: a block of many thousand formulas written without building them as cells."""
    book = FileBook("template", data)
    part = book.sheet_part(sheet)
    body = re.sub(rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'.encode(), book.part(part), count=1)
    if b"</sheetData>" in body:
        body = body.replace(b"</sheetData>", rows_xml + b"</sheetData>", 1)
    else:
        body = body.replace(b"<sheetData/>", b"<sheetData>" + rows_xml + b"</sheetData>", 1)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in book.zip.infolist():
            out.writestr(info, body if info.filename == part else book.part(info.filename))
    return buf.getvalue()

"""Marks patched into the .xlsx package: cell fills, notes (legacy comments + VML), and our two sheets.

Patched in the XML like `fill` does, so a file our reader accepts is a file we can mark, and every part we do
not touch (charts, images, pivot caches, macros) stays byte-identical. Big sheets are patched as bytes, never
parsed whole.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from workbook_tools.errors import UnreadableInput
from workbook_tools.files.marklog import MARK_COLORS, MARK_SHEET, NOTE_TAG, Entry, from_rows, normalise_fill, to_rows
from workbook_tools.text import excel_text
from workbook_tools.files.xlsxfile import CT_NS, NS, PNS, RNS, FileBook, _normpath
from workbook_tools.cells import col_index, col_letter

_Q = "{%s}" % NS
_WS_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_CM_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments"
_VML_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/vmlDrawing"
_WS_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CM_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
_VML_CT = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_VML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=True)
_COORD = re.compile(r"^([A-Z]{1,3})(\d+)$")


def _ser(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


@dataclass
class Cell:
    """One cell to mark or restore: its new fill ("#RRGGBB", "" none, "fill:<n>", None = leave the fill) and note
    (``note`` replaces the comment text; ``append`` adds our text after the unit's own comment)."""
    sheet: str
    coord: str
    fill: str | None = None
    style: int | None = None          # an exact style index to put back (file clears), tried before ``fill``
    note: str | None = None           # None: leave the comment; "": remove it
    append: str | None = None
    author: str = "wbtool"
    tag: str | None = None            # restoring: only a note that still carries this tag is ours to restore


@dataclass
class Sheet:
    """A sheet we add: rows of cells (str/number/None), optional cell styles, links, widths, hidden state."""
    name: str
    rows: list[list]
    position: int | None = None       # None: the end
    state: str = "visible"
    styles: dict = field(default_factory=dict)       # (row, col) 1-based → style index
    links: dict = field(default_factory=dict)        # "D2" → location ("'评分表'!J13")
    widths: list = field(default_factory=list)
    freeze_header: bool = False
    active: bool = False
    page: "Page | None" = None                       # print setup (None: the application's defaults)
    heights: dict = field(default_factory=dict)      # row (1-based) → height in points (not custom: Excel may grow it)


@dataclass
class Page:
    """How a sheet we add prints: A4, orientation, fit to width, repeated title rows, header and footer."""
    landscape: bool = False
    fit_width: bool = True             # one page wide, as many pages tall as it takes
    title_rows: int = 0                # rows 1..n repeated on every page (a sheet-scoped _xlnm.Print_Titles)
    print_cols: int = 0                # only the first n columns print (a _xlnm.Print_Area); 0: all
    header: str = ""                   # header/footer codes (&P, &N); '&' in plain text must be doubled
    footer: str = ""
    margin: float = 0.4                # inches, left/right/top/bottom


class Package:
    """The parts of an .xlsx held in memory; edited parts replace the originals when written back."""

    def __init__(self, data: bytes, source: str = "workbook"):
        self.book = FileBook(source, data)
        self.source = source
        self.infos = self.book.zip.infolist()
        self.new: dict[str, bytes] = {}
        self.dropped: set[str] = set()
        self._styles = None
        self._xf_cache: dict = {}

    # ------------------------------------------------------------ parts
    def has(self, name: str) -> bool:
        return name not in self.dropped and (name in self.new or name in self.book._names)

    def get(self, name: str) -> bytes:
        return self.new[name] if name in self.new else self.book.part(name)

    def xml(self, name: str, parser=_PARSER):
        try:
            return etree.fromstring(self.get(name), parser)
        except etree.XMLSyntaxError as e:
            raise UnreadableInput(f"文件 {self.source} 已损坏：{name} 不是有效的 XML（{e}）。",
                                  f"{self.source} is damaged: {name} is not valid XML ({e})",
                                  code="corrupt-xml") from None

    def put(self, name: str, data: bytes) -> None:
        self.new[name] = data
        self.dropped.discard(name)

    def drop(self, name: str) -> None:
        self.new.pop(name, None)
        self.dropped.add(name)

    def write(self) -> bytes:
        if self._styles is not None:
            self.put("xl/styles.xml", _ser(self._styles))
        buf = io.BytesIO()
        seen = set()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
            for info in self.infos:
                if info.filename in self.dropped or info.filename in seen:
                    continue
                seen.add(info.filename)
                zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                zi.compress_type = zipfile.ZIP_DEFLATED
                zi.external_attr = info.external_attr
                body = self.get(info.filename)
                # big parts (a padded sheet) compress fast; the file stays far smaller than the XML
                out.writestr(zi, body, compresslevel=1 if len(body) > 4_000_000 else None)
            for name, body in self.new.items():
                if name not in seen:
                    out.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), body, zipfile.ZIP_DEFLATED)
        return buf.getvalue()

    def rels_name(self, part: str) -> str:
        p = PurePosixPath(part)
        return str(p.parent / "_rels" / (p.name + ".rels"))

    def rels(self, part: str):
        name = self.rels_name(part)
        if self.has(name):
            return self.xml(name)
        return etree.Element("{%s}Relationships" % PNS, nsmap={None: PNS})

    def rel_targets(self, part: str, rtype: str) -> list[tuple[str, str]]:
        """(rId, full part name) of ``part``'s relationships of type ``rtype``."""
        out = []
        base = PurePosixPath(part).parent
        for r in self.rels(part).iter("{%s}Relationship" % PNS):
            if r.get("Type") == rtype and r.get("TargetMode") != "External":
                t = r.get("Target", "")
                out.append((r.get("Id"), t.lstrip("/") if t.startswith("/") else _normpath(f"{base}/{t}")))
        return out

    def add_rel(self, part: str, rtype: str, target: str) -> str:
        root = self.rels(part)
        ids = {r.get("Id") for r in root}
        n = 1
        while f"rIdW{n}" in ids:
            n += 1
        etree.SubElement(root, "{%s}Relationship" % PNS, Id=f"rIdW{n}", Type=rtype, Target="/" + target)
        self.put(self.rels_name(part), _ser(root))
        return f"rIdW{n}"

    def drop_rel(self, part: str, rid: str) -> None:
        root = self.rels(part)
        for r in list(root):
            if r.get("Id") == rid:
                root.remove(r)
        if len(root):
            self.put(self.rels_name(part), _ser(root))
        else:
            self.drop(self.rels_name(part))

    def content_type(self, part: str, ctype: str | None) -> None:
        """Declare (or with None remove) the content type of ``part``."""
        root = self.xml("[Content_Types].xml")
        for o in root.findall("{%s}Override" % CT_NS):
            if o.get("PartName") == "/" + part:
                root.remove(o)
        if ctype:
            etree.SubElement(root, "{%s}Override" % CT_NS, PartName="/" + part, ContentType=ctype)
        self.put("[Content_Types].xml", _ser(root))

    def free_name(self, pattern: str) -> str:
        n = 1
        while self.has(pattern.format(n)):
            n += 1
        return pattern.format(n)

    def drop_calc_chain(self) -> None:
        """Excel rebuilds the calculation chain; one that names sheets by position must go when sheets move."""
        if not self.has("xl/calcChain.xml"):
            return
        self.drop("xl/calcChain.xml")
        self.content_type("xl/calcChain.xml", None)
        for r in self.rels("xl/workbook.xml").iter("{%s}Relationship" % PNS):
            if r.get("Target", "").endswith("calcChain.xml"):
                self.drop_rel("xl/workbook.xml", r.get("Id"))
                break

    # ------------------------------------------------------------ styles
    def styles(self):
        if self._styles is None:
            if not self.has("xl/styles.xml"):
                return None
            self._styles = self.xml("xl/styles.xml")
        return self._styles

    def _list(self, tag: str):
        st = self.styles()
        el = st.find(_Q + tag)
        if el is None:
            el = etree.SubElement(st, _Q + tag)
        return el

    def _add_unique(self, tag: str, el) -> int:
        """The index of an element equal to ``el`` in styles' ``tag`` list, appending it if new."""
        lst = self._list(tag)
        key = etree.tostring(el)
        for i, x in enumerate(lst):
            if etree.tostring(x) == key:
                return i
        lst.append(el)
        lst.set("count", str(len(lst)))
        return len(lst) - 1

    def xf_with(self, base: int, *, fill: str | None = None, font: dict | None = None, border: bool = False,
                wrap: bool = False) -> int | None:
        """A cell style like ``base`` but with ``fill`` ("#RRGGBB", "" none, "fill:<n>"), a font, thin borders
        or wrapped text (aligned to the top)."""
        if self.styles() is None:
            return None
        key = (base, fill, tuple(sorted((font or {}).items())), border, wrap)
        if key in self._xf_cache:
            return self._xf_cache[key]
        xfs = self._list("cellXfs")
        src = xfs[base] if 0 <= base < len(xfs) else (xfs[0] if len(xfs) else None)
        xf = etree.fromstring(etree.tostring(src)) if src is not None else etree.Element(
            _Q + "xf", numFmtId="0", fontId="0", fillId="0", borderId="0", xfId="0")
        if fill is not None:
            xf.set("fillId", str(self._fill_id(fill)))
            xf.set("applyFill", "1")
        if font:
            f = etree.Element(_Q + "font")
            if font.get("bold"):
                etree.SubElement(f, _Q + "b")
            if font.get("underline"):
                etree.SubElement(f, _Q + "u")
            if font.get("color"):
                etree.SubElement(f, _Q + "color", rgb="FF" + font["color"].lstrip("#"))
            etree.SubElement(f, _Q + "sz", val="11")
            xf.set("fontId", str(self._add_unique("fonts", f)))
            xf.set("applyFont", "1")
        if border:
            b = etree.Element(_Q + "border")
            for side in ("left", "right", "top", "bottom"):
                etree.SubElement(etree.SubElement(b, _Q + side, style="thin"), _Q + "color", indexed="64")
            etree.SubElement(b, _Q + "diagonal")
            xf.set("borderId", str(self._add_unique("borders", b)))
            xf.set("applyBorder", "1")
        if wrap:
            for old in xf.findall(_Q + "alignment"):
                xf.remove(old)
            xf.insert(0, etree.Element(_Q + "alignment", vertical="top", wrapText="1"))
            xf.set("applyAlignment", "1")
        idx = self._add_unique("cellXfs", xf)
        self._xf_cache[key] = idx
        return idx

    def _fill_id(self, fill: str) -> int:
        if fill.startswith("fill:"):
            n = int(fill[5:])
            return n if n < len(self._list("fills")) else 0
        if not fill:
            return 0                    # fill 0 is "none" in every file Excel writes
        el = etree.Element(_Q + "fill")
        pf = etree.SubElement(el, _Q + "patternFill", patternType="solid")
        etree.SubElement(pf, _Q + "fgColor", rgb="FF" + fill.lstrip("#"))
        etree.SubElement(pf, _Q + "bgColor", indexed="64")
        return self._add_unique("fills", el)

    def fill_of(self, style: int) -> str:
        """The fill of cell style ``style`` as the marks log spells it."""
        st = self.styles()
        if st is None:
            return ""
        xfs, fills = self._list("cellXfs"), self._list("fills")
        if not 0 <= style < len(xfs):
            return ""
        fid = int(xfs[style].get("fillId", "0") or 0)
        if fid == 0 or fid >= len(fills):
            return ""
        pf = fills[fid].find(_Q + "patternFill")
        if pf is not None and pf.get("patternType") in (None, "none"):
            return ""
        fg = pf.find(_Q + "fgColor") if pf is not None else None
        if pf is not None and pf.get("patternType") == "solid" and fg is not None and fg.get("rgb"):
            return normalise_fill(fg.get("rgb"))
        return f"fill:{fid}"

    # ------------------------------------------------------------ workbook
    def workbook(self):
        return self.xml("xl/workbook.xml")

    def sheets(self) -> list[tuple[str, str, str, str]]:
        """(name, rId, part, state) of every sheet in order."""
        wb = self.workbook()
        rels = {rid: full for rid, full in self.rel_targets("xl/workbook.xml", _WS_TYPE)}
        rels.update({r.get("Id"): _target(r) for r in self.rels("xl/workbook.xml").iter("{%s}Relationship" % PNS)
                     if r.get("Id") not in rels and r.get("TargetMode") != "External"})
        return [(s.get("name"), s.get("{%s}id" % RNS), rels.get(s.get("{%s}id" % RNS), ""),
                 s.get("state", "visible")) for s in wb.iter(_Q + "sheet")]

    def sheet_part(self, name: str) -> str | None:
        return next((p for n, _, p, _ in self.sheets() if n == name), None)


def _target(r) -> str:
    t = r.get("Target", "")
    return t.lstrip("/") if t.startswith("/") else _normpath("xl/" + t)


# ================================================================= sheets we add or remove

def add_sheet(pkg: Package, sh: Sheet) -> None:
    pkg.drop_calc_chain()
    part = pkg.free_name("xl/worksheets/wbtool{}.xml")
    pkg.put(part, _sheet_xml(sh))
    pkg.content_type(part, _WS_CT)
    rid = pkg.add_rel("xl/workbook.xml", _WS_TYPE, part)
    wb = pkg.workbook()
    sheets_el = wb.find(_Q + "sheets")
    items = list(sheets_el)
    sid = max([int(s.get("sheetId", "0") or 0) for s in items] + [0]) + 1
    el = etree.Element(_Q + "sheet", name=sh.name, sheetId=str(sid))
    if sh.state != "visible":
        el.set("state", sh.state)
    el.set("{%s}id" % RNS, rid)
    pos = len(items) if sh.position is None else max(0, min(sh.position, len(items)))
    sheets_el.insert(pos, el)
    if pos < len(items):
        for d in wb.iter(_Q + "definedName"):
            local = d.get("localSheetId")
            if local is not None and local.isdigit() and int(local) >= pos:
                d.set("localSheetId", str(int(local) + 1))
    for view in wb.iter(_Q + "workbookView"):
        if sh.active:
            old = view.get("activeTab")
            _untab(pkg, items, int(old) if old and old.isdigit() else 0)
            view.set("activeTab", str(pos))
            view.set("firstSheet", "0")
        elif pos < len(items):
            for attr in ("activeTab", "firstSheet"):
                v = view.get(attr)
                if v is not None and v.isdigit() and int(v) >= pos:
                    view.set(attr, str(int(v) + 1))
    if sh.page:
        _print_names(wb, sh, pos)
    pkg.put("xl/workbook.xml", _ser(wb))


_BEFORE_NAMES = ("calcPr", "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes",
                 "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst")


def _print_names(wb, sh: Sheet, pos: int) -> None:
    """The sheet-scoped print titles / print area of a sheet we add (remove_sheet drops them with the sheet)."""
    q = "'" + sh.name.replace("'", "''") + "'"
    names = []
    if sh.page.print_cols:
        names.append(("_xlnm.Print_Area", f"{q}!$A$1:${col_letter(sh.page.print_cols)}${max(len(sh.rows), 1)}"))
    if sh.page.title_rows:
        names.append(("_xlnm.Print_Titles", f"{q}!$1:${sh.page.title_rows}"))
    if not names:
        return
    dn = wb.find(_Q + "definedNames")
    if dn is None:
        dn = etree.Element(_Q + "definedNames")
        after = next((wb.find(_Q + t) for t in _BEFORE_NAMES if wb.find(_Q + t) is not None), None)
        if after is not None:
            after.addprevious(dn)
        else:
            wb.append(dn)
    for name, ref in names:
        for d in dn.findall(_Q + "definedName"):
            if d.get("name") == name and d.get("localSheetId") == str(pos):
                dn.remove(d)
        etree.SubElement(dn, _Q + "definedName", name=name, localSheetId=str(pos)).text = ref


def _untab(pkg: Package, items, index: int) -> None:
    """The sheet that was selected is no longer (two selected tabs would group the sheets)."""
    if not 0 <= index < len(items):
        return
    rels = dict(pkg.rel_targets("xl/workbook.xml", _WS_TYPE))
    part = rels.get(items[index].get("{%s}id" % RNS))
    if not part or not pkg.has(part):
        return
    data = pkg.get(part)
    end = data.find(b"sheetData")
    head = data[:end] if end > 0 else data[:4096]
    new = re.sub(rb'(<(?:\w+:)?sheetView\b[^>]*?)\s+tabSelected="(?:1|true)"', rb"\1", head, count=1)
    if new != head:
        pkg.put(part, new + data[len(head):])


def _select(pkg: Package, part: str | None) -> None:
    if not part or not pkg.has(part):
        return
    data = pkg.get(part)
    end = data.find(b"sheetData")
    head = data[:end] if end > 0 else data[:4096]
    if re.search(rb'tabSelected="(?:1|true)"', head):
        return
    # LibreOffice writes tabSelected="false": set that attribute, never add a second one (invalid XML)
    new, n = re.subn(rb'(<(?:\w+:)?sheetView\b[^>]*?\stabSelected=")(?:0|false)"', rb'\g<1>1"', head, count=1)
    if not n:
        new = re.sub(rb"(<(?:\w+:)?sheetView\b)", rb'\1 tabSelected="1"', head, count=1)
    if new != head:
        pkg.put(part, new + data[len(head):])


def remove_sheet(pkg: Package, name: str) -> bool:
    wb = pkg.workbook()
    sheets_el = wb.find(_Q + "sheets")
    items = list(sheets_el)
    pos = next((i for i, s in enumerate(items) if s.get("name") == name), None)
    if pos is None:
        return False
    pkg.drop_calc_chain()
    el = items[pos]
    rid = el.get("{%s}id" % RNS)
    part = dict((r.get("Id"), _target(r)) for r in pkg.rels("xl/workbook.xml").iter("{%s}Relationship" % PNS)).get(rid)
    sheets_el.remove(el)
    dn = wb.find(_Q + "definedNames")
    for d in list(wb.iter(_Q + "definedName")):
        local = d.get("localSheetId")
        if local is None or not local.isdigit():
            continue
        if int(local) == pos:
            d.getparent().remove(d)
        elif int(local) > pos:
            d.set("localSheetId", str(int(local) - 1))
    if dn is not None and not len(dn):
        wb.remove(dn)
    left = list(sheets_el)
    retab = None
    for view in wb.iter(_Q + "workbookView"):
        was_active = int(view.get("activeTab", "0") or 0) == pos
        for attr in ("activeTab", "firstSheet"):
            v = view.get(attr)
            if v is not None and v.isdigit() and int(v) >= pos and int(v) > 0:
                view.set(attr, str(int(v) - 1))
        v = int(view.get("activeTab", "0") or 0)
        if left and (was_active or left[min(v, len(left) - 1)].get("state") not in (None, "visible")):
            retab = next((i for i, s in enumerate(left) if s.get("state") in (None, "visible")), 0)
            view.set("activeTab", str(retab))
    pkg.put("xl/workbook.xml", _ser(wb))
    if retab is not None:                 # the sheet shown on opening is also the selected tab
        rels = dict(pkg.rel_targets("xl/workbook.xml", _WS_TYPE))
        _select(pkg, rels.get(left[retab].get("{%s}id" % RNS)))
    pkg.drop_rel("xl/workbook.xml", rid)
    if part:
        for _, sub in pkg.rel_targets(part, _CM_TYPE) + pkg.rel_targets(part, _VML_TYPE):
            pkg.drop(sub)
            pkg.content_type(sub, None)
        pkg.drop(pkg.rels_name(part))
        pkg.drop(part)
        pkg.content_type(part, None)
    return True


def _cell_xml(ref: str, value, style: int | None) -> str:
    s = f' s="{style}"' if style is not None else ""
    if value is None or value == "":
        return f'<c r="{ref}"{s}/>' if s else ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    text = excel_text(str(value))[:32767]
    sp = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{sp}>{escape(text)}</t></is></c>'


def _sheet_xml(sh: Sheet) -> bytes:
    out = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{NS}" xmlns:r="{RNS}">']
    if sh.page and sh.page.fit_width:
        out.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')
    sel = ' tabSelected="1"' if sh.active else ""
    if sh.freeze_header:
        out.append(f'<sheetViews><sheetView workbookViewId="0"{sel}><pane ySplit="1" topLeftCell="A2" '
                   'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
                   '</sheetView></sheetViews>')
    else:
        out.append(f'<sheetViews><sheetView workbookViewId="0"{sel}/></sheetViews>')
    if sh.widths:
        out.append("<cols>" + "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                                      for i, w in enumerate(sh.widths, 1)) + "</cols>")
    out.append("<sheetData>")
    for r, row in enumerate(sh.rows, 1):
        cells = "".join(_cell_xml(f"{col_letter(c)}{r}", v, sh.styles.get((r, c))) for c, v in enumerate(row, 1))
        ht = f' ht="{sh.heights[r]}"' if r in sh.heights else ""
        if cells:
            out.append(f'<row r="{r}"{ht}>{cells}</row>')
    out.append("</sheetData>")
    if sh.links:
        out.append("<hyperlinks>" + "".join(f'<hyperlink ref="{ref}" location={quoteattr(loc)} display={quoteattr(ref)}/>'
                                            for ref, loc in sh.links.items()) + "</hyperlinks>")
    if sh.page:
        out.append(_page_xml(sh.page))
    out.append("</worksheet>")
    return "".join(out).encode("utf-8")


def _page_xml(pg: Page) -> str:
    """printOptions, pageMargins, pageSetup and headerFooter, in the schema's order."""
    m = pg.margin
    fit = ' fitToWidth="1" fitToHeight="0"' if pg.fit_width else ""
    out = ['<printOptions horizontalCentered="1"/>',
           f'<pageMargins left="{m}" right="{m}" top="{m + 0.3}" bottom="{m + 0.3}" header="{m / 2}" footer="{m / 2}"/>',
           f'<pageSetup paperSize="9" orientation="{"landscape" if pg.landscape else "portrait"}"{fit}/>']
    if pg.header or pg.footer:
        hf = "".join(f"<{t}>{escape(v)}</{t}>" for t, v in (("oddHeader", pg.header), ("oddFooter", pg.footer)) if v)
        out.append(f"<headerFooter>{hf}</headerFooter>")
    return "".join(out)


# ================================================================= cell styles, patched as bytes

def _prefix(data: bytes) -> bytes:
    m = re.search(rb"<(\w+:)?sheetData\b", data)
    return m.group(1) or b"" if m else b""


def restyle(data: bytes, wanted: dict[str, object]) -> tuple[bytes, dict[str, int]]:
    """Set cell styles in a sheet part: ``wanted`` maps coord → new style index, or a function old → new.
    Returns the new bytes and each cell's old style index. Cells that are not in the sheet are added."""
    if not wanted:
        return data, {}
    p = _prefix(data)
    old: dict[str, int] = {}
    # literal-led search (` r="J13"`), then the enclosing tag: a million cells cost one C-speed scan
    pat = re.compile(rb' r="(' + b"|".join(re.escape(c.encode()) for c in wanted) + rb')"')
    pieces, pos = [], 0
    for m in pat.finditer(data):
        start = data.rfind(b"<", 0, m.start())
        if data[start + 1:start + 2 + len(p)] != p + b"c" or data[start + 2 + len(p):start + 3 + len(p)] not in b" \t\r\n":
            continue
        coord = m.group(1).decode()
        if coord in old or start < pos:
            continue
        stop = data.find(b">", m.end()) + 1
        tag = data[start:stop]
        sm = re.search(rb'\ss="(\d+)"', tag)
        o = int(sm.group(1)) if sm else 0
        old[coord] = o
        new = wanted[coord](o) if callable(wanted[coord]) else wanted[coord]
        if new is None:
            continue
        if sm:
            tag = tag[:sm.start()] + b' s="%d"' % new + tag[sm.end():]
        else:
            tag = tag[:2 + len(p)] + b' s="%d"' % new + tag[2 + len(p):]
        pieces += [data[pos:start], tag]
        pos = stop
    data = b"".join(pieces) + data[pos:]
    for coord in wanted:
        if coord not in old:
            old[coord] = 0
            new = wanted[coord](0) if callable(wanted[coord]) else wanted[coord]
            if new is not None:
                data = _insert_cell(data, p, coord, new)
    return data, old


def _row_tag(data: bytes, p: bytes, rown: int):
    """The start tag of row ``rown`` (found by its literal r="…", then checked to be a row tag)."""
    needle = b' r="%d"' % rown
    i = data.find(needle)
    while i >= 0:
        start = data.rfind(b"<", 0, i)
        if data[start + 1:start + 4 + len(p)] == p + b"row":
            m = re.compile(rb"<" + re.escape(p) + rb"row\b[^>]*?(/?)>").match(data, start)
            if m:
                return m
        i = data.find(needle, i + 1)
    return None


def _insert_cell(data: bytes, p: bytes, coord: str, style: int) -> bytes:
    m = _COORD.match(coord)
    col, rown = col_index(m.group(1)), int(m.group(2))
    cell = b'<%sc r="%s" s="%d"/>' % (p, coord.encode(), style)
    rm = _row_tag(data, p, rown)
    if rm:
        if rm.group(1):          # <row …/>: open it
            start = rm.group(0)[:-2] + b">"
            return data[:rm.start()] + start + cell + b"</%srow>" % p + data[rm.end():]
        end = data.find(b"</%srow>" % p, rm.end())
        body = data[rm.end():end]
        at = len(body)
        for cm in re.finditer(rb"<" + re.escape(p) + rb"c\b[^>]*?\br=\"([A-Z]+)\d+\"", body):
            if col_index(cm.group(1).decode()) > col:
                at = cm.start()
                break
        i = rm.end() + at
        return data[:i] + cell + data[i:]
    row = b'<%srow r="%d">' % (p, rown) + cell + b"</%srow>" % p
    for r2 in re.finditer(rb"<" + re.escape(p) + rb"row\b[^>]*?\br=\"(\d+)\"", data):
        if int(r2.group(1)) > rown:
            return data[:r2.start()] + row + data[r2.start():]
    sd = re.search(rb"<" + re.escape(p) + rb"sheetData\s*/>", data)
    if sd:
        return data[:sd.start()] + b"<%ssheetData>" % p + row + b"</%ssheetData>" % p + data[sd.end():]
    end = data.find(b"</%ssheetData>" % p)
    return data[:end] + row + data[end:]


# ================================================================= notes (legacy comments + VML)

_V = "urn:schemas-microsoft-com:vml"
_O = "urn:schemas-microsoft-com:office:office"
_X = "urn:schemas-microsoft-com:office:excel"


def _comment_text(c) -> str:
    t = c.find(_Q + "text")
    if t is None:
        return ""
    return "".join(x.text or "" for x in t.iter(_Q + "t") if x.getparent().tag != _Q + "rPh")


def read_notes(pkg: Package, part: str) -> dict[str, tuple[str, str]]:
    """coord → (text, author) of a sheet's legacy comments."""
    cm = pkg.rel_targets(part, _CM_TYPE)
    if not cm or not pkg.has(cm[0][1]):
        return {}
    root = pkg.xml(cm[0][1])
    authors = [a.text or "" for a in root.iter(_Q + "author")]
    out = {}
    for c in root.iter(_Q + "comment"):
        a = int(c.get("authorId", "0") or 0)
        out[c.get("ref", "")] = (_comment_text(c), authors[a] if a < len(authors) else "")
    return out


def set_notes(pkg: Package, part: str, cells: list[Cell]) -> None:
    """Write, append to or remove the comments of ``cells`` on the sheet at ``part``."""
    cells = [c for c in cells if c.note is not None or c.append is not None]
    if not cells:
        return
    cm_rid, cm_part, root = _comments_part(pkg, part)
    authors = root.find(_Q + "authors")
    if authors is None:
        authors = etree.Element(_Q + "authors")
        root.insert(0, authors)
    clist = root.find(_Q + "commentList")
    if clist is None:
        clist = etree.SubElement(root, _Q + "commentList")
    by_ref = {c.get("ref"): c for c in clist.findall(_Q + "comment")}
    added, removed = [], []
    for cell in cells:
        change = _set_note(cell, by_ref.get(cell.coord), authors, clist)
        if change == "added":
            added.append(cell.coord)
        elif change == "removed":
            removed.append(cell.coord)
    _save_comments(pkg, part, cm_rid, cm_part, root, clist)
    _vml(pkg, part, added, removed)


def _comments_part(pkg: Package, part: str):
    """(relationship id or None, part name, root) of the sheet's comments part: the existing one, or a new one."""
    cm = pkg.rel_targets(part, _CM_TYPE)
    if cm and pkg.has(cm[0][1]):
        cm_rid, cm_part = cm[0]
        return cm_rid, cm_part, pkg.xml(cm_part)
    return None, pkg.free_name("xl/comments/wbtool{}.xml"), etree.Element(_Q + "comments", nsmap={None: NS})


def _set_note(cell: Cell, el, authors, clist) -> str | None:
    """One cell's comment written, appended to, trimmed or removed; "added" / "removed" when the cell gains or
    loses a comment (its VML shape follows), else None."""
    if cell.tag and el is not None and cell.tag not in _comment_text(el):
        return None                      # the unit rewrote the note after marking: it is theirs now
    if cell.tag and el is None and not cell.note:
        return None
    if cell.append is not None and el is not None and _comment_text(el):
        t = el.find(_Q + "text")
        r = etree.SubElement(t, _Q + "r")
        tt = etree.SubElement(r, _Q + "t")
        tt.text = excel_text("\n" + cell.append)
        tt.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        return None
    text = cell.append if cell.append is not None else cell.note
    if not text:
        if el is not None:
            clist.remove(el)
            return "removed"
        return None
    if el is not None and cell.note is not None and _comment_text(el)[:len(text)] == text:
        _trim_runs(el, text)             # our run was appended to the unit's note: drop just that run
        return None
    names = [a.text or "" for a in authors]
    if cell.author not in names:
        etree.SubElement(authors, _Q + "author").text = cell.author
        names.append(cell.author)
    new = etree.Element(_Q + "comment", ref=cell.coord, authorId=str(names.index(cell.author)))
    t = etree.SubElement(new, _Q + "text")
    tt = etree.SubElement(t, _Q + "t")
    tt.text = excel_text(text[:30000])
    tt.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    if el is not None:
        el.addprevious(new)
        clist.remove(el)
        return None
    clist.append(new)
    return "added"


def _save_comments(pkg: Package, part: str, cm_rid, cm_part: str, root, clist) -> None:
    """Store the comments part (registered when new), or drop it and its relationship when none is left."""
    if len(clist):
        pkg.put(cm_part, _ser(root))
        if cm_rid is None:
            pkg.content_type(cm_part, _CM_CT)
            pkg.add_rel(part, _CM_TYPE, cm_part)
    elif cm_rid is not None:          # no comment left: the sheet goes back to having none
        pkg.drop(cm_part)
        pkg.content_type(cm_part, None)
        pkg.drop_rel(part, cm_rid)


def _trim_runs(el, original: str) -> None:
    t = el.find(_Q + "text")
    runs = t.findall(_Q + "r")
    while runs and _comment_text(el) != original and _comment_text(el).startswith(original):
        t.remove(runs.pop())
    if _comment_text(el) != original:
        for x in list(t):
            t.remove(x)
        tt = etree.SubElement(t, _Q + "t")
        tt.text = original
        tt.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")


_SHAPE = ('<v:shape xmlns:v="{v}" xmlns:o="{o}" xmlns:x="{x}" id="_x0000_s{sid}" type="#_x0000_t202" '
          'style="position:absolute;margin-left:59.25pt;margin-top:1.5pt;width:240pt;height:105pt;z-index:1;'
          'visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>'
          '<v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
          '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
          '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
          '<x:Anchor>{c1}, 15, {r0}, 10, {c3}, 15, {r4}, 4</x:Anchor><x:AutoFill>False</x:AutoFill>'
          '<x:Row>{row}</x:Row><x:Column>{col}</x:Column></x:ClientData></v:shape>')
_SHAPETYPE = ('<v:shapetype xmlns:v="{v}" xmlns:o="{o}" id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
              'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
              '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>')


def _drop_note_shapes(root, removed: list[str]) -> None:
    """The note shapes of the ``removed`` cells taken out of the VML drawing."""
    gone = {(_COORD.match(c).group(1), int(_COORD.match(c).group(2))) for c in removed}
    for shape in list(root.iter("{%s}shape" % _V)):
        cd = shape.find("{%s}ClientData" % _X)
        if cd is None or cd.get("ObjectType") != "Note":
            continue
        try:
            r = int(cd.findtext("{%s}Row" % _X)) + 1
            c = int(cd.findtext("{%s}Column" % _X)) + 1
        except (TypeError, ValueError):
            continue
        if (col_letter(c), r) in gone:
            shape.getparent().remove(shape)


def _add_note_shapes(root, added: list[str]) -> None:
    """A note shape per ``added`` cell (and the note shape type once), with ids after the drawing's own."""
    if not any(st.get("id") == "_x0000_t202" for st in root.iter("{%s}shapetype" % _V)):
        root.append(etree.fromstring(_SHAPETYPE.format(v=_V, o=_O)))
    ids = [int(m) for m in re.findall(r"_x0000_s(\d+)", etree.tostring(root).decode("utf-8", "replace"))]
    idmap = root.find(".//{%s}idmap" % _O)
    block = int(str(idmap.get("data", "1")).split(",")[0]) if idmap is not None else 1
    sid = max(ids + [block * 1024]) + 1
    for coord in added:
        m = _COORD.match(coord)
        col, row = col_index(m.group(1)) - 1, int(m.group(2)) - 1
        root.append(etree.fromstring(_SHAPE.format(v=_V, o=_O, x=_X, sid=sid, c1=col + 1, r0=max(row - 1, 0),
                                                   c3=col + 4, r4=row + 6, row=row, col=col)))
        sid += 1


def _vml(pkg: Package, part: str, added: list[str], removed: list[str]) -> None:
    """Add a note shape for each ``added`` cell and drop those of ``removed`` cells in the sheet's VML."""
    if not added and not removed:
        return
    vml = pkg.rel_targets(part, _VML_TYPE)
    if vml and pkg.has(vml[0][1]):
        rid, vpart = vml[0]
        root = pkg.xml(vpart, _VML_PARSER)
    else:
        if not added:
            return
        rid, vpart = None, pkg.free_name("xl/drawings/wbtoolNotes{}.vml")
        root = etree.fromstring(
            f'<xml xmlns:v="{_V}" xmlns:o="{_O}" xmlns:x="{_X}"><o:shapelayout v:ext="edit">'
            f'<o:idmap v:ext="edit" data="{900 + int(re.sub(r"[^0-9]", "", vpart) or 1)}"/></o:shapelayout></xml>')
    _drop_note_shapes(root, removed)
    if added:
        _add_note_shapes(root, added)
    shapes = [s for s in root.iter("{%s}shape" % _V)]
    if shapes or rid is None and added:
        pkg.put(vpart, etree.tostring(root, encoding="UTF-8"))
        if rid is None:
            _ensure_vml_default(pkg)
            rid = pkg.add_rel(part, _VML_TYPE, vpart)
            pkg.put(part, _legacy_drawing(pkg.get(part), rid))
    else:                              # nothing left in our own drawing: remove it and its reference
        pkg.drop(vpart)
        pkg.drop_rel(part, rid)
        pkg.put(part, _drop_legacy_drawing(pkg.get(part), rid))


def _ensure_vml_default(pkg: Package) -> None:
    root = pkg.xml("[Content_Types].xml")
    if not any(d.get("Extension", "").lower() == "vml" for d in root.findall("{%s}Default" % CT_NS)):
        el = etree.Element("{%s}Default" % CT_NS, Extension="vml", ContentType=_VML_CT)
        root.insert(0, el)
        pkg.put("[Content_Types].xml", _ser(root))


_AFTER_LEGACY = (b"legacyDrawingHF", b"drawingHF", b"picture", b"oleObjects", b"controls", b"webPublishItems",
                 b"tableParts", b"extLst")


def _legacy_drawing(data: bytes, rid: str) -> bytes:
    """Add <legacyDrawing r:id> at its place in the schema order (after sheetData and most other elements)."""
    p = _prefix(data)
    el = b'<%slegacyDrawing xmlns:r="%s" r:id="%s"/>' % (p, RNS.encode(), rid.encode())
    tail_from = max(data.rfind(b"</%ssheetData>" % p), data.rfind(b"<%ssheetData/>" % p), 0)
    at = None
    for tag in _AFTER_LEGACY:
        i = data.find(b"<%s%s" % (p, tag), tail_from)
        if i >= 0 and (at is None or i < at):
            at = i
    if at is None:
        at = data.rfind(b"</%sworksheet>" % p)
    return data[:at] + el + data[at:]


def _drop_legacy_drawing(data: bytes, rid: str) -> bytes:
    i = data.rfind(b"legacyDrawing ")            # it sits near the end of the part: search from there
    while i >= 0:
        start = data.rfind(b"<", 0, i)
        end = data.find(b">", i) + 1
        if b'"%s"' % rid.encode() in data[start:end] and data[start:end].endswith(b"/>"):
            return data[:start] + data[end:]
        i = data.rfind(b"legacyDrawing ", 0, i)
    return data


# ================================================================= the marks log sheet

def read_log(pkg: Package) -> list[Entry]:
    if MARK_SHEET not in pkg.book.sheet_names():
        return []
    cells = pkg.book.read_sheet(MARK_SHEET)
    rows: dict[int, dict[int, object]] = {}
    for coord, cd in cells.items():
        m = _COORD.match(coord)
        if m:
            rows.setdefault(int(m.group(2)), {})[col_index(m.group(1))] = cd.value
    return from_rows([[r.get(c) for c in range(1, 7)] for _, r in sorted(rows.items())])


def log_sheet(entries: list[Entry]) -> Sheet:
    return Sheet(MARK_SHEET, to_rows(entries), state="veryHidden")


# ================================================================= mark / restore cells

def apply_cells(pkg: Package, cells: list[Cell], *, remember: bool = False) -> list[Entry]:
    """Fill and annotate ``cells``; with ``remember`` return log entries of what each cell was before."""
    by_sheet: dict[str, list[Cell]] = {}
    for c in cells:
        by_sheet.setdefault(c.sheet, []).append(c)
    entries = []
    for sheet, group in by_sheet.items():
        part = pkg.sheet_part(sheet)
        if not part or not pkg.has(part):
            continue
        notes = read_notes(pkg, part) if remember else {}
        wanted = {}
        for c in group:
            if c.style is not None and pkg.styles() is not None and c.style < len(pkg._list("cellXfs")):
                wanted[c.coord] = c.style
            elif c.fill is not None:
                wanted[c.coord] = (lambda f: lambda old: pkg.xf_with(old, fill=f))(c.fill)
        data, old = restyle(pkg.get(part), wanted)
        pkg.put(part, data)
        if remember:
            for c in group:
                s = old.get(c.coord, 0)
                text, author = notes.get(c.coord, ("", ""))
                entries.append(Entry(sheet, c.coord, pkg.fill_of(s), text, author, f"s{s}"))
        set_notes(pkg, part, group)
    return entries


def restore_cells(pkg: Package, entries: list[Entry]) -> int:
    """Put back fills and notes from the log (entries for sheets that are gone are skipped)."""
    names = set(pkg.book.sheet_names())
    cells = []
    for e in entries:
        if e.sheet not in names or not _COORD.match(e.coord):
            continue
        cells.append(Cell(e.sheet, e.coord, fill=e.fill, note=e.note, author=e.author or "wbtool", tag=NOTE_TAG))
    by_sheet: dict[str, list[Cell]] = {}
    for c in cells:
        by_sheet.setdefault(c.sheet, []).append(c)
    log_style = {(e.sheet, e.coord): e.style_index for e in entries}
    for sheet, group in by_sheet.items():
        part = pkg.sheet_part(sheet)
        if not part or not pkg.has(part):
            continue
        wanted = {c.coord: _restorer(pkg, c.fill, log_style.get((sheet, c.coord))) for c in group}
        data, _ = restyle(pkg.get(part), wanted)
        pkg.put(part, data)
        set_notes(pkg, part, group)
    return len(cells)


def _restorer(pkg: Package, fill: str, style: int | None):
    def new(old: int) -> int | None:
        # the cell's own style with its original fill; if that is the logged style, it comes back exactly.
        # A fill that is no longer one of our mark colours was changed by the unit since: theirs, left alone.
        if pkg.styles() is None or pkg.fill_of(old) not in MARK_COLORS.values():
            return None
        if style is not None and style < len(pkg._list("cellXfs")) and _same_but_fill(pkg, old, style):
            return style
        return pkg.xf_with(old, fill=fill)
    return new


def _same_but_fill(pkg: Package, a: int, b: int) -> bool:
    xfs = pkg._list("cellXfs")
    if not (0 <= a < len(xfs) and 0 <= b < len(xfs)):
        return False
    strip = lambda x: {k: v for k, v in x.attrib.items() if k not in ("fillId", "applyFill")}  # noqa: E731
    return strip(xfs[a]) == strip(xfs[b]) and [etree.tostring(c) for c in xfs[a]] == [etree.tostring(c) for c in xfs[b]]


# ================================================================= a few text cells (情况说明), bounded

def read_top(pkg: Package, part: str, last_row: int) -> dict[str, object]:
    """coord → value of the cells in rows 1..``last_row`` only; the rest of a padded sheet is never parsed."""
    strings = pkg.book._shared_strings()
    out: dict[str, object] = {}
    for _, c in etree.iterparse(io.BytesIO(pkg.get(part)), tag=_Q + "c", resolve_entities=False,
                                no_network=True, load_dtd=False, huge_tree=False):
        m = _COORD.match(c.get("r", ""))
        if not m:
            continue
        if int(m.group(2)) > last_row:
            break
        t, v = c.get("t", "n"), c.findtext(_Q + "v")
        if t == "s":
            try:
                out[c.get("r")] = strings[int(v)]
            except (TypeError, ValueError, IndexError):
                out[c.get("r")] = None
        elif t == "inlineStr":
            out[c.get("r")] = "".join(x.text or "" for x in c.iter(_Q + "t"))
        else:
            out[c.get("r")] = v
        c.clear()
    return out


def put_text(data: bytes, texts: dict[str, str]) -> bytes:
    """Write inline-string cells (their style kept) into a sheet part, patching bytes."""
    if not texts:
        return data
    data, _ = restyle(data, {c: (lambda old: old) for c in texts})       # makes sure every cell exists
    p = _prefix(data)
    for coord, text in texts.items():
        m = re.search(rb"<" + re.escape(p) + rb"c\b[^>]*?\br=\"" + coord.encode() + rb"\"[^>]*?(/?)>", data)
        end = m.end() if m.group(1) else data.find(b"</%sc>" % p, m.end()) + len(b"</%sc>" % p)
        attrs = re.sub(rb'\s+t="[^"]*"', b"", m.group(0)[:-2 if m.group(1) else -1])
        text = excel_text(str(text))[:32767]
        body = b"%s t=\"inlineStr\"><%sis><%st xml:space=\"preserve\">%s</%st></%sis></%sc>" % (
            attrs, p, p, escape(text).encode("utf-8"), p, p, p)
        data = data[:m.start()] + body + data[end:]
    return data

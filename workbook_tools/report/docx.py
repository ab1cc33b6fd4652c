"""Word rendering of a report Document in the layout of Chinese government reports (GB/T 9704-like)."""
from __future__ import annotations

import datetime as dt
import io

from docx import Document as new_document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from lxml import etree

from workbook_tools.report.document import Chart, Document, Heading, Notice, PageBreak, Para, Signature, Table, xml_safe

LATIN = "Times New Roman"            # digits and Latin letters, as official documents set them
# role → (East Asian font, the font Word takes when that one is not installed (w:altName), size pt, bold)
ROLES = {
    "title": ("方正小标宋简体", "华文中宋", 22, False),
    "h1": ("黑体", "SimHei", 16, False),
    "h2": ("楷体_GB2312", "楷体", 16, False),
    "h3": ("仿宋_GB2312", "仿宋", 16, True),
    "body": ("仿宋_GB2312", "仿宋", 16, False),
    "caption": ("黑体", "SimHei", 14, False),
    "table": ("仿宋_GB2312", "仿宋", 10.5, False),
    "footer": ("宋体", "SimSun", 14, False),
}
# second-level fallbacks: a font named as an altName is itself described, so Word finds 宋体 last
FALLBACK_OF_FALLBACK = {"华文中宋": "宋体", "楷体": "宋体", "仿宋": "宋体"}
STYLES = {"title": "Title", "h1": "Heading 1", "h2": "Heading 2", "h3": "Heading 3", "body": "Normal",
          "footer": "Footer"}
CUSTOM = {"caption": "报告表题", "table": "报告表格"}
LINE = Pt(28)                        # fixed pitch: 22 lines on a page, as GB/T 9704
INDENT = Pt(32)                      # two characters of 16 pt
MARGINS_CM = {"top": 3.7, "bottom": 3.5, "left": 2.8, "right": 2.6}
TEXT_WIDTH_CM = 21 - MARGINS_CM["left"] - MARGINS_CM["right"]      # 15.6 cm on A4
CELL_PAD_CM = 0.4                    # Word's default cell margins (0.19 cm a side) and a little air
TABLE_PT = ROLES["table"][2]
MIN_CHARS = 4                        # a text column is never narrower than four characters
RED = RGBColor(0xC0, 0x00, 0x00)
_THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


# ---------------------------------------------------------------- fonts and styles

def set_fonts(element, east: str, latin: str = LATIN):
    """rFonts on a style or run element: Latin font for ascii/hAnsi, ``east`` as w:eastAsia, no theme fonts."""
    rfonts = element.get_or_add_rPr().get_or_add_rFonts()
    for attr in _THEME_ATTRS:       # theme fonts would override the named ones
        rfonts.attrib.pop(qn(attr), None)
    for attr, name in (("w:ascii", latin), ("w:hAnsi", latin), ("w:eastAsia", east), ("w:cs", latin)):
        rfonts.set(qn(attr), name)


def _style(doc, role: str):
    name = STYLES.get(role) or CUSTOM[role]
    try:
        style = doc.styles[name]
    except KeyError:
        style = doc.styles.add_style(name, 1)     # 1 = paragraph style
        style.base_style = doc.styles["Normal"]
    east, _, size, bold = ROLES[role]
    set_fonts(style.element, east)
    style.font.size, style.font.bold = Pt(size), bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    style.font.italic = False
    pf = style.paragraph_format
    pf.space_before = pf.space_after = Pt(0)
    pf.line_spacing_rule, pf.line_spacing = WD_LINE_SPACING.EXACTLY, LINE
    pf.first_line_indent = INDENT if role in ("body", "h1", "h2", "h3") else Pt(0)
    pf.alignment = {"body": WD_ALIGN_PARAGRAPH.JUSTIFY, "table": WD_ALIGN_PARAGRAPH.LEFT}.get(role)
    return style


def _setup_styles(doc):
    for role in ROLES:
        _style(doc, role)
    normal = doc.styles["Normal"].element.get_or_add_rPr()
    lang = OxmlElement("w:lang")     # Chinese line breaking and proofing
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal.append(lang)
    title = doc.styles["Title"]
    ppr = title.element.get_or_add_pPr()
    for tag in ("w:pBdr", "w:contextualSpacing"):   # the template's Title has a rule under it
        for el in ppr.findall(qn(tag)):
            ppr.remove(el)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.line_spacing = Pt(36)
    title.paragraph_format.space_after = LINE
    title.font.all_caps = False
    for role, first in (("h1", None), ("h2", None), ("h3", None), ("caption", None)):
        doc.styles[STYLES.get(role) or CUSTOM[role]].paragraph_format.keep_with_next = True
    cap = doc.styles[CUSTOM["caption"]].paragraph_format
    cap.alignment, cap.space_after = WD_ALIGN_PARAGRAPH.CENTER, Pt(6)
    table = doc.styles[CUSTOM["table"]].paragraph_format
    table.line_spacing = Pt(18)
    footer = doc.styles["Footer"].paragraph_format
    footer.alignment, footer.line_spacing_rule = WD_ALIGN_PARAGRAPH.CENTER, WD_LINE_SPACING.SINGLE


def _font_table(doc):
    """Describe every East Asian font with its fallback (w:altName) and GB2312 charset in fontTable.xml."""
    part = next(p for p in doc.part.package.iter_parts() if p.partname.endswith("/fontTable.xml"))
    root = etree.fromstring(part.blob)
    have = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
    wanted = {east: alt for east, alt, _, _ in ROLES.values()} | FALLBACK_OF_FALLBACK
    for name, alt in wanted.items():
        if name in have:
            continue
        font = etree.SubElement(root, qn("w:font"), {qn("w:name"): name})
        if alt and alt != name:
            etree.SubElement(font, qn("w:altName"), {qn("w:val"): alt})
        etree.SubElement(font, qn("w:charset"), {qn("w:val"): "86"})      # GB2312
        etree.SubElement(font, qn("w:family"), {qn("w:val"): "modern" if "黑" in name else "roman"})
        etree.SubElement(font, qn("w:pitch"), {qn("w:val"): "variable"})
    # a plain (non-XML) part in python-docx: its bytes are replaced wholesale
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# ---------------------------------------------------------------- page

def _page(doc):
    s = doc.sections[0]
    s.page_width, s.page_height = Cm(21), Cm(29.7)
    s.top_margin, s.bottom_margin = Cm(MARGINS_CM["top"]), Cm(MARGINS_CM["bottom"])
    s.left_margin, s.right_margin = Cm(MARGINS_CM["left"]), Cm(MARGINS_CM["right"])
    s.header_distance, s.footer_distance = Cm(1.5), Cm(2.5)
    p = s.footer.paragraphs[0]
    p.style = doc.styles["Footer"]
    p.add_run("— ")
    _page_field(p)
    p.add_run(" —")


def _page_field(paragraph):
    """A PAGE field (its cached result 1 is replaced by Word and LibreOffice when laying out)."""
    def fld(kind):
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        return el
    paragraph.add_run()._r.append(fld("begin"))
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    paragraph.add_run()._r.append(instr)
    paragraph.add_run()._r.append(fld("separate"))
    paragraph.add_run("1")
    paragraph.add_run()._r.append(fld("end"))


# ---------------------------------------------------------------- blocks

def _heading(doc, b: Heading):
    doc.add_paragraph(xml_safe(b.text), style=STYLES[f"h{min(b.level, 3)}"])


def _para(doc, b: Para):
    p = doc.add_paragraph(style="Normal")
    if b.lead:
        p.add_run(xml_safe(b.lead)).bold = True
    p.add_run(xml_safe(b.text))


def _notice(doc, b: Notice):
    """The --force warning: a boxed, red block before the report."""
    box = doc.add_table(rows=1, cols=1)
    box.style, box.alignment = doc.styles["Table Grid"], WD_TABLE_ALIGNMENT.CENTER
    cell = box.cell(0, 0)
    first = cell.paragraphs[0]
    first.style = doc.styles[CUSTOM["table"]]
    run = first.add_run(xml_safe(b.title))
    run.bold, run.font.color.rgb = True, RED
    for line in b.lines:
        p = cell.add_paragraph(style=CUSTOM["table"])
        p.add_run(xml_safe(line)).font.color.rgb = RED
    doc.add_paragraph(style="Normal")


def text_em(text: str) -> float:
    """Width of a line in em of the table font: CJK and full-width characters 1, others about half."""
    return sum(1.0 if ord(ch) > 0x2E7F else 0.55 for ch in text)


def em_cm(em: float) -> float:
    return em * TABLE_PT * 2.54 / 72


def _widths(t: Table, total: float = TEXT_WIDTH_CM) -> list[float]:
    """Column widths in cm that add up to the text width: each column as wide as its longest line where that
    fits; otherwise the narrow columns keep their natural width and the long-text columns share the rest
    equally, capped at their natural width (water filling), never below four characters or the header."""
    cols = len(t.header)
    lines = [[t.header[i]] for i in range(cols)]
    for cells in t.rows + ([t.foot] if t.foot else []):
        for i, text in enumerate(cells[:cols]):
            lines[i] += str(text).splitlines() or [""]
    natural = [em_cm(max(text_em(x) for x in col)) + CELL_PAD_CM for col in lines]
    floor = [min(natural[i], max(em_cm(MIN_CHARS), em_cm(max(text_em(h) for h in t.header[i].split())))
                 + CELL_PAD_CM) for i in range(cols)]
    if sum(natural) <= total:            # room to spare: the longest texts get it
        extra = total - sum(natural)
        return [n + extra * n / sum(natural) for n in natural]
    widths, flexible, room = list(natural), set(range(cols)), total
    while flexible:                      # water filling over the columns that do not fit
        share = room / len(flexible)
        fits = {i for i in flexible if natural[i] <= share}
        if not fits:
            for i in flexible:
                widths[i] = share
            break
        for i in fits:
            widths[i] = natural[i]
        room -= sum(natural[i] for i in fits)
        flexible -= fits
    short = [i for i in range(cols) if widths[i] < floor[i]]
    if short:                            # lift columns below their floor, taking from the widest ones
        need = sum(floor[i] - widths[i] for i in short)
        for i in short:
            widths[i] = floor[i]
        wide = [i for i in range(cols) if i not in short]
        spare = sum(widths[i] - floor[i] for i in wide) or 1
        for i in wide:
            widths[i] -= need * (widths[i] - floor[i]) / spare
    return widths


def _cell_text(cell, text: str, *, bold=False, center=False, right=False, style_id: str | None = None):
    p = cell.paragraphs[0]
    if style_id:                # the id looked up once per table: python-docx's name lookup walks every style
        p._p.style = style_id
    else:
        p.style = p.part.document.styles[CUSTOM["table"]]
    if center or right:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT if right else WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(xml_safe(text))
    run.bold = bold


def _repeat_header(row):
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def _table(doc, t: Table):
    if t.caption:
        doc.add_paragraph(xml_safe(t.caption), style=CUSTOM["caption"])
    body = t.rows + ([t.foot] if t.foot else [])
    table = doc.add_table(rows=1 + len(body), cols=len(t.header))
    table.style, table.alignment = doc.styles["Table Grid"], WD_TABLE_ALIGNMENT.CENTER
    _set_widths(table, _widths(t))
    # One pass over the rows for every cell (table.cell(r, c) rebuilds the whole grid per call: quadratic).
    grid = [row.cells for row in table.rows]
    sid = doc.styles[CUSTOM["table"]].style_id
    for i, head in enumerate(t.header):
        _cell_text(grid[0][i], head, bold=True, center=True, style_id=sid)
    _repeat_header(table.rows[0])
    for r, cells in enumerate(body, 1):
        for i, text in enumerate(cells):
            _cell_text(grid[r][i], text, right=i in t.numeric, bold=t.foot is not None and r == len(body), style_id=sid)
    for row in grid:
        for cell in row:
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    _merge_groups(table, t, grid)
    if t.foot:
        _merge_foot(table, t.foot)


def _set_widths(table, widths: list[float]):
    """Fixed layout: the table width (tblW), the grid (tblGrid, read by LibreOffice) and every cell's tcW (read
    by Word), set in one pass over the rows."""
    table.autofit = False                                   # w:tblLayout type="fixed"
    twips = [Cm(w).twips for w in widths]
    tbl = table._tbl
    tblpr = tbl.tblPr
    tblw = tblpr.find(qn("w:tblW"))
    if tblw is None:
        tblw = OxmlElement("w:tblW")
        tblpr.append(tblw)
    tblw.set(qn("w:type"), "dxa")
    tblw.set(qn("w:w"), str(sum(twips)))
    for col, w in zip(tbl.tblGrid.findall(qn("w:gridCol")), twips):
        col.set(qn("w:w"), str(w))
    for tr in tbl.findall(qn("w:tr")):
        for tc, w in zip(tr.findall(qn("w:tc")), twips):
            tcpr = tc.get_or_add_tcPr()
            tcw = tcpr.find(qn("w:tcW"))
            if tcw is None:
                tcw = OxmlElement("w:tcW")
                tcpr.insert(0, tcw)
            tcw.set(qn("w:type"), "dxa")
            tcw.set(qn("w:w"), str(w))


def _merge_foot(table, foot: list[str]):
    """'合计' spans the empty level columns after it."""
    row = len(table.rows) - 1
    end = 0
    while end + 1 < len(foot) and not foot[end + 1]:
        end += 1
    if end:
        table.cell(row, 0).merge(table.cell(row, end))
        _drop_empty_paragraphs(table.cell(row, 0))


def _merge_groups(table, t: Table, grid=None):
    """Merge a repeated indicator name down its rows (一级 over its 二级 rows …), text kept once (``grid``: the
    table's cells by row, taken before any merge; vertical merges keep every row's cell element)."""
    if grid is not None:
        table = _Grid(grid)
    for col in range(t.group):
        start = 0
        for r in range(1, len(t.rows) + 1):
            same = r < len(t.rows) and t.rows[r][:col + 1] == t.rows[start][:col + 1]
            if same:
                continue
            if r - 1 > start:
                top = table.cell(start + 1, col)
                for k in range(start + 2, r + 1):            # empty the cells merged away
                    for p in table.cell(k, col).paragraphs:
                        for run in list(p.runs):
                            run._r.getparent().remove(run._r)
                top.merge(table.cell(r, col))
                _drop_empty_paragraphs(top)
            start = r


class _Grid:
    """``table.cell(r, c)`` from cells gathered once."""

    def __init__(self, grid):
        self.grid = grid

    def cell(self, r: int, c: int):
        return self.grid[r][c]


def _drop_empty_paragraphs(cell):
    paras = cell.paragraphs
    for p in paras[1:]:
        if not p.text:
            p._p.getparent().remove(p._p)


def _signature(doc, b: Signature):
    """单位（盖章） and 日期, right-aligned below the text with two blank lines for the seal."""
    for i, line in enumerate(b.lines):
        p = doc.add_paragraph(xml_safe(line), style="Normal")
        p.paragraph_format.first_line_indent = Pt(0)
        p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.paragraph_format.right_indent = INDENT
        if i == 0:
            p.paragraph_format.space_before = LINE * 2
        p.paragraph_format.keep_with_next = i + 1 < len(b.lines)


def _block(doc, b):
    if isinstance(b, Heading):
        _heading(doc, b)
    elif isinstance(b, Para):
        _para(doc, b)
    elif isinstance(b, Notice):
        _notice(doc, b)
    elif isinstance(b, Table):
        _table(doc, b)
    elif isinstance(b, Signature):
        _signature(doc, b)
    elif isinstance(b, PageBreak):
        doc.add_page_break()
    elif not isinstance(b, Chart):          # charts are drawn in HTML; the table holds the numbers
        raise TypeError(type(b).__name__)


def render_docx(doc: Document) -> bytes:
    """The .docx bytes of a report Document."""
    d = new_document()
    _setup_styles(d)
    _font_table(d)
    _page(d)
    body = d.element.body
    for p in list(body.iterchildren(qn("w:p"))):   # the template's empty first paragraph
        body.remove(p)
    d.add_paragraph(xml_safe(doc.title), style="Title")
    for b in doc.blocks:
        _block(d, b)
    props = d.core_properties
    now = dt.datetime.now().replace(microsecond=0)
    props.title, props.author = xml_safe(doc.title)[:255], xml_safe(doc.author)[:255] or "wbtool"
    props.last_modified_by = "wbtool"
    props.subject = "绩效自评报告"
    props.comments = xml_safe(f"由 wbtool 根据 {doc.source} 生成" if doc.source else "由 wbtool 生成")
    props.created = props.modified = now
    props.revision = 1
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()

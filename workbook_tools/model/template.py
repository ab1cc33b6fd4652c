"""Build the Excel template of a spec with openpyxl: styled, protected, validated, named, live formulas."""
from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.hyperlink import Hyperlink

from workbook_tools.model.layout import SHEET_COVER, SHEET_META, Cell, Layout, layout_for
from workbook_tools.numbers import plain
from workbook_tools.model.spec import Spec
from workbook_tools.model.speclib import load_spec
from workbook_tools.model.speclib import SPEC_SHEET, embed_rows
from workbook_tools.errors import UsageError
from workbook_tools.model.projectbook import project_sheet_name, projects_layout
from workbook_tools.cells import CellWrite
from workbook_tools.files.fill import plan_forms
from workbook_tools.files.reader import read_forms
from workbook_tools.files.xlsxfile import FileBook, clone_sheet, copy_sheets
from workbook_tools.files.atomic import atomic_output
from workbook_tools.files.fill import recalc_bytes
from workbook_tools.model.checksheet import SHEET_CHECK, SHEET_DETAIL, sheet_cells
from workbook_tools.model.checksheet import LIST_ROWS, LIST_TOP, NAME_ERR, NAME_WARN
from workbook_tools.model.checksheet import LIST_TOP

FONT = "宋体"
FILL_INPUT = PatternFill("solid", fgColor="FFF2CC")
FILL_FORMULA = PatternFill("solid", fgColor="E2EFDA")
FILL_HEADER = PatternFill("solid", fgColor="D9E1F2")
FILL_SECTION = PatternFill("solid", fgColor="F2F2F2")
FILL_LOCKED = PatternFill("solid", fgColor="D9D9D9")
LOCK_NOTE = "此金额由财政局根据预算执行台账预填并锁定，不能修改；如有异议请与财政局联系。"
THIN = Side(style="thin", color="A6A6A6")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
TOP = Alignment(horizontal="left", vertical="top", wrap_text=True)     # long narrative text reads from the top


def _style(ws, c: Cell):
    cell = ws.cell(row=c.row, column=c.col)
    style = c.style
    if style == "title":
        cell.font = Font(name=FONT, size=16, bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.row_dimensions[c.row].height = 30
        return cell
    if style == "note":
        cell.font = Font(name=FONT, size=9, color="595959")
        cell.alignment = WRAP
        return cell
    if style in ("plain", "plain_left", "plain_right"):     # a line of the title: （ 2023 年度）
        cell.font = Font(name=FONT, size=12)
        cell.alignment = Alignment(horizontal={"plain": "center", "plain_left": "left", "plain_right": "right"}[style],
                                   vertical="center")
        if c.role == "input":
            cell.fill = FILL_INPUT
            cell.protection = Protection(locked=False)
        return cell
    cell.font = Font(name=FONT, size=10, bold=style in ("header", "section"),
                     color="C00000" if style == "hint" else None)
    cell.alignment = CENTER if style == "header" else (TOP if style == "narrative" else WRAP)
    if c.sheet != SHEET_META:
        cell.border = BORDER
    if c.role == "input":
        cell.fill = FILL_INPUT
        cell.protection = Protection(locked=False)
    elif c.role == "formula":
        cell.fill = FILL_FORMULA
    elif style == "header":
        cell.fill = FILL_HEADER
    elif style == "section":
        cell.fill = FILL_SECTION
    if c.fmt:
        cell.number_format = c.fmt
    return cell


# ---------------------------------------------------------------- row heights for wrapped text

LINE_PT = {9: 12.0, 10: 13.5, 11: 14.5, 12: 16.0}     # one line of 宋体 at that size, as Excel spaces it
AUTO_ROWS = "_wbtool_auto_rows"


def text_units(text: str) -> float:
    """Width of a text in Excel column-width units: a CJK character is nearly two, a digit or letter one."""
    return sum(1.85 if ord(ch) > 0x2E7F else 1.1 for ch in text)


def _merged_widths(ws) -> dict[tuple[int, int], tuple[list[str], int]]:
    """(row, col) of each merge's top-left cell → (its column letters, the rows it spans)."""
    from openpyxl.utils import get_column_letter
    out = {}
    for m in ws.merged_cells.ranges:
        cols = [get_column_letter(c) for c in range(m.min_col, m.max_col + 1)]
        out[(m.min_row, m.min_col)] = (cols, m.max_row - m.min_row + 1)
    return out


def fit_row_heights(wb: Workbook):
    """Give every row whose wrapped text needs more than one line the height it needs when printed (Excel
    and LibreOffice print a row at its stored height: a taller text would run over the next row). Rows with a
    height of their own (titles, the narrative boxes) keep it. The rows set here are remembered so that
    ``auto_heights`` can mark them as not custom: Excel then still grows them while staff type."""
    from openpyxl.utils import get_column_letter
    for ws in wb.worksheets:
        if ws.title == SHEET_META:
            continue
        auto = wb.__dict__.setdefault(AUTO_ROWS, {}).setdefault(ws.title, set())
        merged = _merged_widths(ws)
        covered = {(r, c) for m in ws.merged_cells.ranges for r in range(m.min_row, m.max_row + 1)
                   for c in range(m.min_col, m.max_col + 1)} - set(merged)
        need: dict[int, float] = {}
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if not isinstance(v, str) or not v or v.startswith("=") or (cell.row, cell.column) in covered:
                    continue
                if not (cell.alignment and cell.alignment.wrap_text):
                    continue
                cols, spans = merged.get((cell.row, cell.column), ([get_column_letter(cell.column)], 1))
                if spans > 1:
                    continue
                width = sum((ws.column_dimensions[c].width or 8.43) for c in cols) - 1
                lines = sum(max(1, -(-text_units(part) // max(width, 1))) for part in v.split("\n"))
                size = int(cell.font.sz or 10) if cell.font else 10
                need[cell.row] = max(need.get(cell.row, 0), lines * LINE_PT.get(size, size * 1.35) + 3)
        for r, pt in need.items():
            dim = ws.row_dimensions[r]
            if dim.height is not None and r not in auto:
                continue                       # a height the layout chose
            if pt > LINE_PT[10] + 4 or r in auto:
                dim.height = max(pt, LINE_PT[10] + 4)
                auto.add(r)


def auto_heights(data: bytes, wb: Workbook) -> bytes:
    """Drop customHeight from the rows fit_row_heights sized (openpyxl marks every stored height custom)."""
    import re
    import zipfile
    rows = getattr(wb, AUTO_ROWS, {})
    if not any(rows.values()):
        return data
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            body = src.read(item.filename)
            m = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", item.filename)
            if m and int(m.group(1)) <= len(wb.worksheets):
                auto = rows.get(wb.worksheets[int(m.group(1)) - 1].title) or set()
                if auto:
                    body = re.sub(rb'<row [^>]*>', lambda r: _not_custom(r.group(0), auto), body)
            z.writestr(item, body)
    return out.getvalue()


def _not_custom(tag: bytes, auto: set[int]) -> bytes:
    import re
    n = re.search(rb' r="(\d+)"', tag)
    return tag.replace(b' customHeight="1"', b"") if n and int(n.group(1)) in auto else tag


def _validation(c: Cell) -> tuple:
    """A hashable description of the data validation an input cell needs (cells are grouped by it)."""
    if c.custom:
        return ("custom", c.custom, c.prompt)
    if c.kind == "choice":
        return ("list", ",".join(c.choices), c.prompt)
    if c.kind in ("money",):
        return ("decimal", "0", "1000000000", c.prompt)
    if c.kind == "count":
        return ("whole", "0", "1000000", c.prompt)
    if c.kind == "score":
        return ("decimal", plain(c.lo), plain(c.hi), c.prompt)
    if c.kind == "number" and c.lo is not None:
        return ("decimal", plain(c.lo), plain(c.hi), c.prompt)
    if c.kind == "number":
        return ("decimal", "-1000000000", "1000000000", c.prompt)
    if c.kind == "year":
        return ("whole", "2000", "2100", c.prompt)
    if c.kind == "date":
        return ("date", "36526", "73051", c.prompt)   # 2000-01-01 … 2099-12-31
    if c.kind == "text" and c.hi is not None:          # narrative: up to what one cell holds
        return ("longText", "0", plain(c.hi), c.prompt)
    return ("textLength", "0", "2000", c.prompt)


_ERRORS = {"list": "请从下拉列表中选择。", "decimal": "请输入范围内的数字。", "whole": "请输入整数。",
           "date": "请输入日期，如 2024-03-15。", "textLength": "文字过长（最多 2000 字）。",
           "custom": "定量指标请填数字；定性指标请填单元格提示中的评价词。",
           "longText": "文字过长（一个单元格最多 32767 字），超出部分请填入下方的续写单元格。"}


def _add_validations(ws, cells: list[Cell], first_of_group: dict):
    groups: dict[tuple, list[Cell]] = defaultdict(list)
    for c in cells:
        groups[_validation(c)].append(c)
    for desc, members in groups.items():
        typ = desc[0]
        if typ == "custom":
            # a custom formula is relative to the first cell of its range: one validation per cell
            for c in members:
                dv = DataValidation(type="custom", formula1=c.custom[1:], allow_blank=True)
                _dv_text(dv, typ, c.prompt)
                dv.add(c.coord)
                ws.add_data_validation(dv)
            continue
        if typ == "list":
            dv = DataValidation(type="list", formula1=f'"{desc[1]}"', allow_blank=True)
        elif typ in ("textLength", "longText"):
            dv = DataValidation(type="textLength", operator="lessThanOrEqual", formula1=desc[2],
                                allow_blank=True)
        else:
            dv = DataValidation(type=typ, operator="between", formula1=desc[1], formula2=desc[2],
                                allow_blank=True)
        _dv_text(dv, typ, desc[-1])
        for c in members:
            dv.add(c.coord)
        ws.add_data_validation(dv)


def _dv_text(dv, typ, prompt):
    dv.showErrorMessage = True
    dv.errorTitle = "输入有误"
    dv.error = _ERRORS.get(typ, "输入有误。")
    dv.errorStyle = "stop" if typ in ("list", "date", "whole", "custom") else "warning"
    if prompt:
        dv.showInputMessage = True
        dv.promptTitle = "填写提示"
        dv.prompt = prompt[:250]


def render_template(layout: Layout) -> Workbook:
    """The openpyxl workbook of a layout (no cached formula values yet)."""
    wb = Workbook()
    wb.remove(wb.active)
    sheets = {name: wb.create_sheet(name) for name in layout.sheets}
    inputs: dict[str, list[Cell]] = defaultdict(list)
    for c in layout.all_cells():
        ws = sheets[c.sheet]
        cell = ws.cell(row=c.row, column=c.col)
        if c.role == "formula":
            cell.value = c.formula
        elif c.role == "input":
            inputs[c.sheet].append(c)
        else:
            cell.value = c.value
        _style(ws, c)
        if c.style == "link":     # the project list: jump to the project's sheet
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{c.value}'!A1", display=str(c.value))
            cell.font = Font(name=FONT, size=10, color="0563C1", underline="single")
    for sheet, rng in layout.merges:
        ws = sheets[sheet]
        ws.merge_cells(rng)
        first = ws[rng.split(":")[0]]
        if first.border == BORDER:          # rule the whole merged range, not only its first cell
            for row in ws[rng]:
                for cell in row:
                    cell.border = BORDER
    for sheet, cells in inputs.items():
        _add_validations(sheets[sheet], cells, {})
    for c in layout.cells.values():
        if c.name and layout.named:
            wb.defined_names[c.name] = DefinedName(c.name, attr_text=f"'{c.sheet}'!${_abs(c.coord)}")
    for name, ws in sheets.items():
        for col, width in layout.widths.get(name, {}).items():
            ws.column_dimensions[col].width = width
        for row, height in layout.heights.get(name, {}).items():
            ws.row_dimensions[row].height = height
        if name in layout.freeze:
            ws.freeze_panes = layout.freeze[name]
        if name in layout.print_rows:
            ws.print_title_rows = layout.print_rows[name]
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "landscape" if name in layout.landscape else "portrait"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 1 if name in layout.one_page else 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = ws.page_margins.right = 0.5
        if name in layout.print_area:
            ws.print_area = layout.print_area[name]
        if name in layout.one_page:         # the compact project form: one A4 page, as printed and attached
            ws.page_margins.top = ws.page_margins.bottom = 0.6
            ws.page_margins.header = ws.page_margins.footer = 0.3
        ws.protection.sheet = True
        ws.protection.formatColumns = False   # let staff widen columns and rows
        ws.protection.formatRows = False
    sheets[SHEET_META].sheet_state = "veryHidden"
    if layout.form is None and SHEET_COVER in layout.sheets:   # classic forms: the live 校验 sheet after the cover
        render_check_sheet(wb, layout)
    _embed_spec(wb, layout.spec)
    fit_row_heights(wb)
    wb.calculation.fullCalcOnLoad = True
    wb.active = 1
    return wb


def _embed_spec(wb: Workbook, spec: Spec):
    """The spec's YAML text and hash in a veryHidden, protected sheet: the workbook describes itself (speclib)."""
    rows = embed_rows(spec)
    if rows is None:        # a spec built in code, not from YAML text: read through the search path only
        return
    ws = wb.create_sheet(SPEC_SHEET)
    for r in rows:
        ws.append(r)
    ws.column_dimensions["A"].width = 100
    ws.sheet_state = "veryHidden"
    ws.protection.sheet = True


def build_projects_template(spec: Spec | str, projects: list[dict], output: str | Path | None = None, *,
                            locked: list | None = None, shared: dict | None = None) -> bytes:
    """A project workbook: 项目清单 plus one form sheet per project (``projects``: cover values by layout key).

    ``locked`` (one set of input keys per project, parallel to ``projects``) makes those cells of that project's
    sheet read-only for the unit, as ``lock_cells`` does (grey, comment, prompt); ``shared`` are values of the
    shared sheets' cells (e.g. ``help.notice``). Every formula cell carries its computed value. Returns the
    bytes; writes ``output`` atomically when given.
    """
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    need = {"projectName", "projectCode", "fundType"} - {f.key for f in spec.cover}
    if spec.kind != "project" or need:
        raise UsageError(f"规格 {spec.id} 不是项目支出自评表（封面缺少 项目名称/项目编码/资金性质），不能按项目清单生成。",
                         f"spec {spec.id} is not a project form (needs projectName, projectCode, fundType)")
    if not projects:
        raise UsageError("项目清单为空，至少需要一个项目。", "the project list is empty")
    P = projects_layout(spec, [project_sheet_name(i) for i in range(1, len(projects) + 1)])
    if locked is not None and len(locked) != len(projects):
        raise ValueError("locked needs one entry per project")
    # one form styled by openpyxl per lock pattern (usually one: all locked or none); the others are copies
    patterns = list(dict.fromkeys(frozenset(x or ()) for x in (locked or [()])))
    wb = render_template(P.render_layout(forms=len(patterns)))
    for k, pattern in enumerate(patterns):
        if pattern:
            lock_cells(wb, P.forms[k], pattern)
    for key, value in (shared or {}).items():
        c = P.shared[key]
        wb[c.sheet].cell(row=c.row, column=c.col).value = value
    wb.active = 1
    buf = io.BytesIO()
    wb.save(buf)
    first = auto_heights(buf.getvalue(), wb)
    if patterns == [frozenset()]:
        data = clone_sheet(first, P.project_sheets[0], P.project_sheets[1:]) if len(projects) > 1 else first
    else:
        index = {p: k for k, p in enumerate(patterns)}
        data = copy_sheets(first, P.project_sheets[:len(patterns)],
                           [index[frozenset(x or ())] for x in locked], P.project_sheets)
    book = FileBook(str(output or spec.id), data)
    forms = read_forms(book, spec=spec)
    writes = []
    for ret, values in zip(forms.forms, projects):
        for key, value in values.items():
            c = ret.layout[key]
            if c.role != "input":
                raise ValueError(f"{key} is not an input cell")
            writes.append(CellWrite(c.sheet, c.coord, value))
            ret.inputs[key] = value
    computed, _, _, _ = plan_forms(forms)       # the values as typed, and every formula computed from them
    book.write_cells(writes + computed)
    buf = io.BytesIO()
    book.save(buf)
    data = buf.getvalue()
    if output is not None:
        with atomic_output(output) as fh:
            fh.write(data)
    return data


def _abs(coord: str) -> str:
    i = 0
    while coord[i].isalpha():
        i += 1
    return f"{coord[:i]}${coord[i:]}"


def lock_cells(wb: Workbook, layout: Layout, keys, note: str = LOCK_NOTE):
    """Input cells pre-filled by the bureau: locked, grey, and their prompt and comment say where they come from."""
    by_sheet: dict[str, list[Cell]] = defaultdict(list)
    for key in sorted(keys):
        c = layout[key]
        if c.role != "input":
            raise ValueError(f"{key} is not an input cell")
        by_sheet[c.sheet].append(c)
    for sheet, cells in by_sheet.items():
        ws = wb[sheet]
        coords = {c.coord for c in cells}
        for dv in ws.data_validations.dataValidation:   # the input's own prompt would invite typing
            for r in [r for r in dv.sqref.ranges if r.coord in coords]:
                dv.sqref.remove(r)
        ws.data_validations.dataValidation = [dv for dv in ws.data_validations.dataValidation if dv.sqref.ranges]
        dv = DataValidation(allow_blank=True, showInputMessage=True, promptTitle="台账数据", prompt=note[:250])
        for c in cells:
            cell = ws.cell(row=c.row, column=c.col)
            cell.protection = Protection(locked=True)
            cell.fill = FILL_LOCKED
            cell.comment = Comment(note, "财政局")
            dv.add(c.coord)
        ws.add_data_validation(dv)


def build_template(spec: Spec | str | None = None, output: str | Path | None = None,
                   values: dict | None = None, locked=None) -> bytes:
    """Build the template of ``spec`` (optionally pre-filled with input ``values`` by layout key).

    ``locked`` (layout keys of input cells) makes those cells read-only for the unit (see ``lock_cells``).
    Every formula cell carries its computed value. Returns the bytes; writes ``output`` atomically
    when given.
    """
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    layout = layout_for(spec)
    wb = render_template(layout)
    if locked:
        lock_cells(wb, layout, locked)
    for key, value in (values or {}).items():
        c = layout[key]
        wb[c.sheet].cell(row=c.row, column=c.col).value = value
    if values:
        fit_row_heights(wb)                   # reasons and texts typed in get their lines too
    buf = io.BytesIO()
    wb.save(buf)
    data = recalc_bytes(auto_heights(buf.getvalue(), wb), source=str(output or spec.id), spec=spec)
    if output is not None:
        with atomic_output(output) as fh:
            fh.write(data)
    return data


# ---------------------------------------------------------------- the live 校验 sheet (model/checksheet.py)

FILL_ERROR = PatternFill("solid", fgColor="FFC7CE")
FILL_WARNING = PatternFill("solid", fgColor="FFE699")
PRINT_ROWS = 30              # open problems on the printed page of the 校验 sheet (the screen lists LIST_ROWS)


def render_check_sheet(wb: Workbook, layout: Layout):
    """Write the 校验 sheet after the cover, its names, and the conditional formatting on the checked sheets."""
    cells, info = sheet_cells(layout)
    ws = wb.create_sheet(SHEET_CHECK, index=wb.sheetnames.index(SHEET_COVER) + 1)
    detail = wb.create_sheet(SHEET_DETAIL, index=wb.sheetnames.index(SHEET_META))
    for sc in cells:
        _style_check_cell((ws if sc.sheet == SHEET_CHECK else detail)[sc.coord], sc)
    _shape_check_sheet(ws, info)
    _shape_detail_sheet(detail)
    _check_formatting(wb, ws, info)
    _print_check_sheet(ws)


def _style_check_cell(cell, sc):
    """A 校验 / 校验明细 cell: its value and the look of its role (title, note, label, count, list row …)."""
    from openpyxl.styles import Font as F
    cell.value = sc.value
    st = sc.style
    if st == "title":
        cell.font = F(name=FONT, size=16, bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center")
    elif st == "note":
        cell.font = F(name=FONT, size=9, color="595959")
        cell.alignment = WRAP
    elif st in ("label", "head"):
        cell.font = F(name=FONT, size=11, bold=True)
        cell.fill = FILL_HEADER
        cell.border = BORDER
        cell.alignment = CENTER if st == "head" else WRAP
    elif st in ("count", "status"):
        cell.font = F(name=FONT, size=14 if st == "count" else 11, bold=True)
        cell.fill = FILL_FORMULA
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center" if st == "count" else "left", vertical="center")
    elif st in ("list", "link"):      # ruled by conditional formatting while the row lists a problem
        cell.font = F(name=FONT, size=10, color="0563C1", underline="single") if st == "link" else F(name=FONT, size=10)
        cell.alignment = WRAP if st == "list" else CENTER


def _shape_check_sheet(ws, info):
    """Merged blocks, row heights and column widths of the 校验 sheet."""
    last = info["list_end"]
    ws.merge_cells("A1:E1")
    ws.merge_cells("A2:E2")
    for r in (4, 5, 6):
        ws.merge_cells(f"A{r}:B{r}")
        ws.merge_cells(f"C{r}:E{r}") if r == 6 else None
    ws.merge_cells(f"A{last}:E{last}")
    ws.row_dimensions[1].height = 30
    ws.row_dimensions[2].height = 62
    for r in (4, 5):
        ws.row_dimensions[r].height = 22
    for col, width in {"A": 6, "B": 14, "C": 18, "D": 58, "E": 50}.items():
        ws.column_dimensions[col].width = width
    ws.column_dimensions["G"].hidden = True       # the row of the n-th open problem in the table


def _shape_detail_sheet(detail):
    """校验明细: hidden and protected, one (check, cell) per row."""
    detail.sheet_state = "hidden"                  # one (check, cell) per row: 校验明细 for the curious reviewer
    detail.protection.sheet = True
    detail["A1"] = "校验明细：每行一项表内检查（检查代码、单元格、公式）；由 wbtool template 生成，请勿修改。"
    for col, width in {"A": 30, "C": 6, "D": 6, "E": 6, "F": 16, "H": 50, "I": 50, "M": 30}.items():
        detail.column_dimensions[col].width = width


def _check_formatting(wb, ws, info):
    """Counts tinted while not 0, list rows ruled while they list a problem, the checked cells marked on their
    own sheets (red 强制性, orange 提示性) through the names of the open cells."""
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Font as F
    red = "C00000"
    ws.conditional_formatting.add("C4", FormulaRule(formula=["C4>0"], font=F(name=FONT, size=14, bold=True, color=red),
                                                    fill=FILL_ERROR))
    ws.conditional_formatting.add("C5", FormulaRule(formula=["C5>0"], fill=FILL_WARNING))
    ws.conditional_formatting.add(f"A{LIST_TOP}:E{LIST_TOP + LIST_ROWS - 1}",
                                  FormulaRule(formula=[f'$A{LIST_TOP}<>""'], border=BORDER))
    for name, ref in info["names"].items():
        wb.defined_names[name] = DefinedName(name, attr_text=ref)
    for sheet, coords in info["marked"].items():
        target = wb[sheet]
        rng = " ".join(coords)
        for name, fill in ((NAME_ERR, FILL_ERROR), (NAME_WARN, FILL_WARNING)):
            f = f'COUNTIF({name},"{sheet}!"&ADDRESS(ROW(),COLUMN(),4))>0'
            target.conditional_formatting.add(rng, FormulaRule(formula=[f], fill=fill, stopIfTrue=True))


def _print_check_sheet(ws):
    """One landscape A4 page: the counts and the first open problems; protected, its tab red."""
    red = "C00000"
    ws.freeze_panes = f"A{LIST_TOP}"
    ws.print_title_rows = f"{LIST_TOP - 1}:{LIST_TOP - 1}"
    ws.print_area = f"A1:E{LIST_TOP + PRINT_ROWS - 1}"     # one page: the counts and the first open problems
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.sheet_properties.tabColor = red

"""The live 校验 sheet of a project workbook: checksheet's candidates for every project form, one grid column per project.

A project workbook holds the same form many times (225 in the seed town). ``checksheet.candidates`` is run once,
on the form of ``projectbook.form_base`` (its placeholder sheet), and each candidate's flag is given every project
sheet by renaming the sheet in its references. 校验明细 holds one row per (check, cell) of the form and one column
per project: each grid cell is the running count of open problems of its project so far, plus 0.5 when the check
fires there — so a cell is open when its whole part steps up, the k-th open problem of a project is the first cell
of its column equal to k + 0.5 (one MATCH), and the project's counts are one SUMPRODUCT. (Side by side, the
projects' formulas differ only in the sheet name: the sheet part compresses well.) The 校验 sheet counts the
projects and lists the first open problems; conditional formatting on each project sheet finds its grid column by
the sheet's own name (a hidden cell written per sheet, so the styled form can be copied verbatim).
No openpyxl here: ``model.template`` renders the cells and ``grid_xml`` gives the grid rows as sheet XML.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from workbook_tools.catalogue import CATALOGUE
from workbook_tools.model.checksheet import (LIST_ROWS, LIST_TOP, SEV_ZH, SHEET_DETAIL, Candidate, SheetCell,
                                             explained_cells, candidates, head_cells, more_cell,
                                             severity, what)
from workbook_tools.model.layout import EXPLAIN_ROWS, SHEET_LIST, col_letter
from workbook_tools.model.projectbook import (FORM_PLACEHOLDER, LIST_COLUMNS, LIST_FIRST, ProjectsLayout,
                                              form_base)

EXPLAIN_FIRST = 3                       # 校验明细!A3:A42: the explanations given in 情况说明
HEAD_COLS = {"code": "A", "sev": "B", "coord": "C", "what": "D", "fix": "E", "err": "F", "warn": "G", "by_coord": "H"}
HEAD_LABELS = {"code": "检查代码", "sev": "严重性", "coord": "单元格", "what": "问题", "fix": "如何修改",
               "err": "强制性", "warn": "提示性", "by_coord": "按单元格说明"}
TITLES = ("C", "D", "E")                # 校验明细!C3:E…: code, Chinese and English title of each live check
GRID_COL = 9                            # I: the first project's column
ROW_SHEET = EXPLAIN_FIRST + EXPLAIN_ROWS + 1          # the projects' sheet names
ROW_ERR, ROW_WARN, ROW_BEFORE = ROW_SHEET + 1, ROW_SHEET + 2, ROW_SHEET + 3   # open 强制性, 提示性, open before
ROW_ZERO = ROW_SHEET + 4                # 0: where each project's running count starts
FIRST_CAND = ROW_ZERO + 1               # the form's first (check, cell)
NAME_CELL = "R1"                        # each project sheet's own name (right of the form, number format ;;;)
PROJECT_HEADS = ("序号", "严重性", "项目", "位置", "问题", "如何修改")
HELPER_COLS = ("H", "I")                # 校验 sheet, hidden: the project and the (check, cell) of list row n
N_SHEETS, N_COORDS, N_ERR, N_WARN, N_GRID, N_PREV = ("wbcheck_sheets", "wbcheck_coords", "wbcheck_errmask",
                                                     "wbcheck_warnmask", "wbcheck_grid", "wbcheck_prev")
_SHEET, _COL = "\x00S", "\x00C"         # tokens of a cell formula made once per (check, cell)


@dataclass
class ProjectCheck:
    """What the renderer needs: the cells of 校验 and of 校验明细's top, names, marked coordinates, the grid."""
    P: ProjectsLayout
    cands: list[Candidate]                     # the form's (check, cell) pairs, on the placeholder sheet
    cells: list[SheetCell] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    marked: list[str] = field(default_factory=list)     # coordinates marked on every project sheet

    @property
    def last_col(self) -> str:
        return col_letter(GRID_COL + max(len(self.P.project_sheets), 1) - 1)

    @property
    def last_row(self) -> int:
        return FIRST_CAND + max(len(self.cands), 1) - 1

    def flag(self, c: Candidate, sheet: str) -> str:
        return c.flag.replace(f"'{FORM_PLACEHOLDER}'!", f"'{sheet}'!")

    def grid_xml(self) -> bytes:
        """Rows ROW_SHEET… of 校验明细 as <row> elements, written at the package level (225 × 342 formulas)."""
        base = form_base(self.P.spec)
        sheets = self.P.project_sheets
        cols = [col_letter(GRID_COL + i) for i in range(len(sheets))]
        quoted = [s.replace("'", "''") for s in sheets]
        erange = f"$A${EXPLAIN_FIRST}:$A${EXPLAIN_FIRST + EXPLAIN_ROWS - 1}"
        first, last = FIRST_CAND, self.last_row
        err = f"${HEAD_COLS['err']}${first}:${HEAD_COLS['err']}${last}"

        def row(r, head: list[str], template: str | None = None, values: list[str] | None = None):
            cells = head[:]
            if template is not None:
                cells += [template.replace(_SHEET, q).replace(_COL, c) for q, c in zip(quoted, cols)]
            elif values is not None:
                cells += values
            return f'<row r="{r}">{"".join(cells)}</row>'
        C = _COL
        out = [row(ROW_SHEET, [_s(f"G{ROW_SHEET}", "工作表")],
                   values=[_s(f"{c}{ROW_SHEET}", s) for s, c in zip(sheets, cols)]),
               row(ROW_ERR, [_s(f"G{ROW_ERR}", "强制性")],
                   _f(f"{C}{ROW_ERR}", f"SUMPRODUCT((INT({C}{first}:{C}{last})-INT({C}{ROW_ZERO}:{C}{last - 1}))*{err})")),
               row(ROW_WARN, [_s(f"G{ROW_WARN}", "提示性")], _f(f"{C}{ROW_WARN}", f"INT({C}{last})-{C}{ROW_ERR}")),
               row(ROW_BEFORE, [_s(f"G{ROW_BEFORE}", "之前合计")],
                   values=[f'<c r="{c}{ROW_BEFORE}"><v>0</v></c>' if i == 0 else
                           _f(f"{c}{ROW_BEFORE}", f"{cols[i - 1]}{ROW_BEFORE}+{cols[i - 1]}{ROW_ERR}+{cols[i - 1]}{ROW_WARN}")
                           for i, c in enumerate(cols)]),
               row(ROW_ZERO, [_s(f"{col}{ROW_ZERO}", HEAD_LABELS[k]) for k, col in HEAD_COLS.items()],
                   values=[f'<c r="{c}{ROW_ZERO}"><v>0</v></c>' for c in cols])]
        ph, tok = f"'{FORM_PLACEHOLDER}'!", f"'{_SHEET}'!"
        for j, c in enumerate(self.cands):
            r = first + j
            sev = SEV_ZH[severity(base, c.code)]
            hit = f"IFERROR({c.flag.replace(ph, tok)},FALSE)"
            by_coord = ""
            if sev == SEV_ZH["warning"]:     # explanations are keyed by code (titles mapped to it on 校验明细)
                bc = HEAD_COLS["by_coord"]
                step = f'IF({hit},IF(${bc}{r}+COUNTIF({erange},"{c.code}|{_SHEET}!{c.coord}")=0,1.5,0.5),0)'
                by_coord = _f(f"{bc}{r}", f'COUNTIF({erange},"{c.code}|{c.coord}")')
            else:
                step = f"IF({hit},1.5,0)"
            e = CATALOGUE[c.code]
            head = [_s(f"A{r}", c.code), _s(f"B{r}", sev), _s(f"C{r}", c.coord), _s(f"D{r}", what(c)),
                    _s(f"E{r}", e.fix), f'<c r="F{r}"><v>{int(sev == SEV_ZH["error"])}</v></c>',
                    f'<c r="G{r}"><v>{int(sev == SEV_ZH["warning"])}</v></c>'] + ([by_coord] if by_coord else [])
            out.append(row(r, head, _f(f"{C}{r}", f"INT({C}{r - 1})+{step}")))
        return "".join(out).encode("utf-8")


def _f(coord: str, formula: str) -> str:
    return f'<c r="{coord}"><f>{escape(formula)}</f></c>'


def _s(coord: str, text: str) -> str:
    return f'<c r="{coord}" t="inlineStr"><is><t>{escape(str(text))}</t></is></c>'


def project_check(P: ProjectsLayout) -> ProjectCheck:
    """The 校验 sheet of a project workbook and the top of its 校验明细 (explanations; ``grid_xml`` gives the rest)."""
    pc = ProjectCheck(P, candidates(form_base(P.spec)))
    base = form_base(P.spec)
    D = f"'{SHEET_DETAIL}'!"
    first, last, lc = FIRST_CAND, pc.last_row, pc.last_col
    H = col_letter(GRID_COL)

    def head_range(key):
        c = HEAD_COLS[key]
        return f"{D}${c}${first}:${c}${last}"

    def row_range(r):
        return f"{D}${H}${r}:${lc}${r}"
    grid = f"{D}${H}${first}:${lc}${last}"
    pc.names = {N_SHEETS: row_range(ROW_SHEET), N_COORDS: head_range("coord"), N_ERR: head_range("err"),
                N_WARN: head_range("warn"), N_GRID: grid, N_PREV: f"{D}${H}${ROW_ZERO}:${lc}${last - 1}"}
    cells = [SheetCell("A1", "校验明细：每项表内检查一行（检查代码、严重性、单元格、问题、改法），每个项目一列；格中数值为该项目到此为止"
                             "待处理问题的个数，检查触发时加 0.5。由 wbtool template --projects 生成，请勿修改。", "hidden",
                       SHEET_DETAIL)]
    live = [code for code, e in CATALOGUE.items() if e.live]
    tc, tz, te = TITLES
    tr = f"{EXPLAIN_FIRST}:$X${EXPLAIN_FIRST + len(live) - 1}"

    def code_of(typed):              # a title typed instead of the code: the code (checks.explanations takes both)
        def via(col):
            return f"INDEX(${tc}${tr.replace('X', tc)},MATCH({typed},${col}${tr.replace('X', col)},0))"
        return f"IFERROR({via(tz)},IFERROR({via(te)},{typed}))"
    for i, code in enumerate(live):
        e, r = CATALOGUE[code], EXPLAIN_FIRST + i
        cells += [SheetCell(f"{tc}{r}", code, "hidden", SHEET_DETAIL), SheetCell(f"{tz}{r}", e.title_zh, "hidden", SHEET_DETAIL),
                  SheetCell(f"{te}{r}", e.title_en, "hidden", SHEET_DETAIL)]
    cells += explained_cells(P.forms[0], col=1, first=EXPLAIN_FIRST, code_of=code_of)
    cells += head_cells(base, f"=SUM({row_range(ROW_ERR)})", f"=SUM({row_range(ROW_WARN)})", PROJECT_HEADS)
    cells += _list_cells(P, row_range(ROW_SHEET), row_range(ROW_BEFORE), grid, head_range)
    cells.append(more_cell())
    pc.cells = cells
    pc.marked = list(dict.fromkeys(c.coord for c in pc.cands))
    return pc


def _list_cells(P: ProjectsLayout, sheets: str, before: str, grid: str, head_range) -> list[SheetCell]:
    """List row n: the project holding the n-th open problem (projects with fewer open problems before it), the
    (check, cell) in its grid column (the first cell worth k + 0.5), then what the list shows."""
    name_col = col_letter(next(i for i, c in enumerate(LIST_COLUMNS, 1) if c[0] == "name"))
    n_proj = len(P.project_sheets)
    names = f"'{SHEET_LIST}'!${name_col}${LIST_FIRST}:${name_col}${LIST_FIRST + max(n_proj, 1) - 1}"
    hp, hj = HELPER_COLS
    cells, total = [], "($C$4+$C$5)"
    for n in range(1, LIST_ROWS + 1):
        r = LIST_TOP + n - 1
        p, j = f"${hp}{r}", f"${hj}{r}"
        sheet, coord = f"INDEX({sheets},{p})", f"INDEX({head_range('coord')},{j})"
        cells += [
            SheetCell(f"{hp}{r}", f'=IF({n}<={total},COUNTIF({before},"<="&{n - 1}),"")', "hidden"),
            SheetCell(f"{hj}{r}", f'=IF({p}="","",IFERROR(MATCH({n}-INDEX({before},{p})+0.5,INDEX({grid},0,{p}),0),""))',
                      "hidden"),
            SheetCell(f"A{r}", f'=IF({j}="","",{n})', "list"),
            SheetCell(f"B{r}", f'=IF({j}="","",INDEX({head_range("sev")},{j}))', "list"),
            SheetCell(f"C{r}", f'=IF({j}="","",IF(INDEX({names},{p})="",{sheet},INDEX({names},{p})))', "list"),
            SheetCell(f"D{r}", f'=IF({j}="","",HYPERLINK("#\'"&{sheet}&"\'!"&{coord},{sheet}&"!"&{coord}))', "link"),
            SheetCell(f"E{r}", f'=IF({j}="","",INDEX({head_range("what")},{j}))', "list"),
            SheetCell(f"F{r}", f'=IF({j}="","",INDEX({head_range("fix")},{j}))', "list"),
        ]
    return cells


def mark_formula(kind: str) -> str:
    """Conditional formatting of a project sheet: the cell has an open 强制性 (``err``) / 提示性 (``warn``) problem.
    Sheet-agnostic (the sheet's grid column is found by its own name in NAME_CELL), so copies of the form keep it."""
    mask = N_ERR if kind == "err" else N_WARN
    row = f"MATCH(${NAME_CELL[0]}${NAME_CELL[1:]},{N_SHEETS},0)"
    return (f"SUMPRODUCT(({N_COORDS}=ADDRESS(ROW(),COLUMN(),4))*{mask}*"
            f"(INT(INDEX({N_GRID},0,{row}))-INT(INDEX({N_PREV},0,{row}))))>0")


def grid_coord(project: int, j: int) -> str:
    """The 校验明细 cell of project ``project`` and (check, cell) ``j`` (both from 0; tests read the grid by it)."""
    return f"{col_letter(GRID_COL + project)}{FIRST_CAND + j}"

"""Layout of a project workbook: a live 项目清单 plus one whole form per sheet, same keys and formulas."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from workbook_tools.model.layout import (FMT_MONEY, FMT_RATIO, FMT_TOTAL, FORM_PRINT_LAST, FORM_WIDTHS, NA, SHEET_EXPLAIN, SHEET_HELP,
                     SHEET_LIST, SHEET_META, Cell, Layout, _explain, _funds, _funds_score, _help, _meta, _q, _scores,
                     _span, _summary, _targets, col_index, col_letter, cover_cell, score_cols)
from workbook_tools.model.spec import Spec

FORM_PLACEHOLDER = "__form__"
LIST_FIRST = 4                     # first project row of the 项目清单 sheet
LAYOUT_PROJECTS = "projects"       # meta.layout of a project workbook
SHEET_NAME_MAX = 31
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\']")

# 项目清单 columns: (key, header, width, number format); seq and sheet are labels, the rest list.<key> formulas
LIST_COLUMNS = (("seq", "序号", 6, None), ("sheet", "工作表", 10, None), ("code", "项目编码", 18, None),
                ("name", "项目名称", 34, None), ("fundType", "资金性质", 14, None),
                ("budget", "全年预算数（A）", 14, FMT_MONEY), ("actual", "全年执行数（B）", 14, FMT_MONEY),
                ("rate", "执行率", 10, FMT_RATIO), ("total", "总分", 9, FMT_TOTAL), ("grade", "评价等级", 9, None),
                ("status", "状态", 9, None))
STATUS_TODO, STATUS_FIX, STATUS_DONE = "未完成", "待完善", "已完成"


def project_sheet_name(n: int) -> str:
    """The sheet of the n-th project (stable whatever the project is called: renaming a project keeps its sheet)."""
    return f"项目{n:03d}"


_BASE: dict[str, Layout] = {}


def form_base(spec: Spec) -> Layout:
    """One project's whole form on one placeholder sheet: cover, funds, targets, scores and total stacked."""
    key = spec.id + "@" + spec.fingerprint
    if key not in _BASE:
        _BASE[key] = _build_form(spec)
    return _BASE[key]


def _build_form(spec: Spec) -> Layout:
    """The compact 项目支出绩效自评表 of the national form, printed on one A4 page: title and year, the project,
    项目资金, 年度总体目标, the indicator rows, the 一级指标 with their applicability, 总分 and 等级, and who
    filled it in. The tool's working columns (完成比例, 编号, 提示 …) lie right of the print area."""
    sh = FORM_PLACEHOLDER
    L = Layout(spec, [sh], form=sh, named=False)
    fields = {f.key: f for f in spec.cover}
    placed = set()
    _form_title(L, sh, fields, placed)
    r = _form_cover(L, sh, fields, placed, 3)
    r = _funds(L, sh, r)
    r = _form_goals(L, sh, fields, placed, r)
    first_target = r
    r = _targets(L, sh, r)
    heights = L.heights.setdefault(sh, {})
    for row in range(3, r):             # room to read and to write in, on the one page
        heights.setdefault(row, FORM_ROW_PT if row > first_target else FORM_HEAD_PT)
    r = _scores(L, sh, r)
    _funds_score(L)
    r = _summary(L, sh, r)
    r = _form_foot(L, sh, fields, placed, r)
    assert placed == set(fields), set(fields) - placed
    L.widths[sh] = dict(FORM_WIDTHS)
    L.print_area[sh] = f"A1:{FORM_PRINT_LAST}{r - 1}"
    L.one_page.add(sh)
    return L


def _form_title(L: Layout, sh: str, fields: dict, placed: set) -> None:
    """Row 1 the form's title, row 2 （2023 年度） when the form has a fiscal year."""
    L.text(sh, 1, 1, L.spec.title, style="title")
    L.merges.append((sh, f"A1:{FORM_PRINT_LAST}1"))
    if "fiscalYear" in fields:          # （2023 年度）
        L.text(sh, 1, 2, "（", style="plain_right")
        L.merges.append((sh, "A2:E2"))
        cover_cell(L, fields["fiscalYear"], sh, 6, 2, style="plain")
        L.text(sh, 7, 2, "年度）", style="plain_left")
        L.merges.append((sh, f"G2:{FORM_PRINT_LAST}2"))
        placed.add("fiscalYear")


def _form_cover(L: Layout, sh: str, fields: dict, placed: set, r: int) -> int:
    """The project's cover fields, two or three to a row (FORM_COVER_ROWS, then the rest in pairs); the next row."""
    rows = [[k for k in keys if k in fields] for keys in FORM_COVER_ROWS]
    rest = [k for k in fields if k not in placed and k not in {k for ks in rows for k in ks}
            and k not in FORM_GOALS and k not in FORM_FOOT]
    rows += [rest[i:i + 2] for i in range(0, len(rest), 2)]
    for keys in rows:
        if not keys:
            continue
        slots = FORM_SLOTS[len(keys)]
        for k, (lab, val) in zip(keys, slots):
            L.text(sh, lab[0], r, fields[k].label, style="header")
            _span(L, sh, r, *lab)
            cover_cell(L, fields[k], sh, val[0], r)
            _span(L, sh, r, *val)
            placed.add(k)
        r += 1
    return r


def _form_goals(L: Layout, sh: str, fields: dict, placed: set, r: int) -> int:
    """年度总体目标: 预期目标 beside 实际完成情况 (when the form has them); the next row."""
    goals = [k for k in FORM_GOALS if k in fields]
    if not goals:
        return r
    last = col_index(FORM_PRINT_LAST)
    L.text(sh, 1, r, "年度总体目标", style="header")
    L.merges.append((sh, f"A{r}:B{r + 1}"))
    for k, (c1, c2), head in zip(goals, ((3, 6), (7, last)), ("预期目标", "实际完成情况")):
        L.text(sh, c1, r, head, style="header")
        _span(L, sh, r, c1, c2)
        cover_cell(L, fields[k], sh, c1, r + 1)
        _span(L, sh, r + 1, c1, c2)
        placed.add(k)
    L.heights.setdefault(sh, {})[r + 1] = 45
    return r + 2


def _form_foot(L: Layout, sh: str, fields: dict, placed: set, r: int) -> int:
    """填报人 · 填报日期 · 单位（盖章）, three to a row; the row after the last."""
    foot = [k for k in FORM_FOOT if k in fields]
    for i in range(0, len(foot), 3):
        keys = foot[i:i + 3]
        for k, (lab, val) in zip(keys, FORM_SLOTS[3]):
            L.text(sh, lab[0], r, fields[k].label, style="header")
            _span(L, sh, r, *lab)
            cover_cell(L, fields[k], sh, val[0], r)
            _span(L, sh, r, *val)
            placed.add(k)
        if len(keys) < 3:
            lab, val = FORM_SLOTS[3][2]
            L.text(sh, lab[0], r, "单位（盖章）", style="header")
            _span(L, sh, r, *lab)
            L.text(sh, val[0], r, "")
            _span(L, sh, r, *val)
        r += 1
    return r


FORM_ROW_PT, FORM_HEAD_PT = 18, 20
FORM_COVER_ROWS = (("projectName", "projectCode"), ("supervisor", "unitName"), ("fundType", "agencyCode", "phone"))
FORM_GOALS = ("goalPlanned", "goalActual")
FORM_FOOT = ("preparer", "fillDate")
# (label columns, value columns) of two or three cover fields on one row of the printed columns A:K
FORM_SLOTS = {1: (((1, 2), (3, 11)),),
              2: (((1, 2), (3, 7)), ((8, 9), (10, 11))),
              3: (((1, 2), (3, 3)), ((4, 5), (6, 7)), ((8, 9), (10, 11)))}


def _moved(c: Cell, sheet: str) -> Cell:
    m = object.__new__(Cell)
    d = dict(c.__dict__)
    coord = c.coord
    d["sheet"], d["addr"], d["name"] = sheet, f"{sheet}!{coord}", None   # cached: no defined names per form sheet
    m.__dict__ = d
    return m


@dataclass
class ProjectsLayout:
    """A project workbook: shared sheets, the project list, and one complete Layout view per form sheet."""
    spec: Spec
    sheets: list[str]                  # every sheet in workbook order
    project_sheets: list[str]
    shared: Layout                     # 填报说明, 项目清单 (rows and totals), 情况说明, _wbtool
    forms: list[Layout] = field(default_factory=list)
    totals: list[str] = field(default_factory=list)   # keys of the list's workbook-level formula cells
    form_items: list[tuple[str, str, bool]] = field(default_factory=list)   # (key, coord, input?) of a form sheet
    list_keys: list[str] = field(default_factory=list)                      # a form's 项目清单 row keys

    def render_layout(self, forms: int | None = None) -> Layout:
        """Every cell once, for the template builder (keys made unique by sheet); ``forms``: only the first n
        form sheets (the builder renders one and copies it)."""
        sheets = self.sheets if forms is None else [s for s in self.sheets if s not in self.project_sheets[forms:]]
        R = Layout(self.spec, sheets, named=False)
        base = form_base(self.spec)
        for c in self.shared.all_cells():
            R.cells[f"{c.sheet}|{c.key}|{c.coord}"] = c
        for L in self.forms[:forms]:
            for c in L.cells.values():
                if c.sheet in (L.form, SHEET_LIST):
                    R.cells[f"{c.sheet}|{c.key}"] = c
            R.free += [_moved(c, L.form) for c in base.free]
            R.merges += [(L.form, rng) for _, rng in base.merges]
            R.widths[L.form] = dict(base.widths[FORM_PLACEHOLDER])
            R.heights[L.form] = dict(base.heights.get(FORM_PLACEHOLDER, {}))
            R.print_area[L.form] = base.print_area[FORM_PLACEHOLDER]
            R.one_page.add(L.form)
        for L in self.forms[forms:] if forms is not None else ():     # their 项目清单 rows all the same
            R.cells.update({f"{c.sheet}|{c.key}": c for c in L.cells.values() if c.sheet == SHEET_LIST})
        R.merges += self.shared.merges
        R.widths.update(self.shared.widths)
        R.heights.update(self.shared.heights)
        R.freeze.update(self.shared.freeze)
        R.print_rows.update(self.shared.print_rows)
        R.landscape |= self.shared.landscape
        return R


def check_sheet_names(names: list[str]) -> None:
    """Form sheet names Excel accepts, distinct, and not one of the shared sheets (ValueError otherwise)."""
    shared = {SHEET_HELP, SHEET_LIST, SHEET_EXPLAIN, SHEET_META}
    for n in names:
        if not n or len(n) > SHEET_NAME_MAX or _BAD_SHEET_CHARS.search(n) or n in shared:
            raise ValueError(f"bad sheet name {n!r}")
    if len(set(names)) != len(names):
        raise ValueError("repeated sheet names")


_PCACHE: dict[tuple, ProjectsLayout] = {}


def projects_layout(spec: Spec, project_sheets: list[str] | tuple[str, ...]) -> ProjectsLayout:
    """The layout of a project workbook with the given form sheets (cached: readers see the same sheets often)."""
    key = (spec.id, spec.fingerprint, tuple(project_sheets))
    if key not in _PCACHE:
        if len(_PCACHE) > 16:
            _PCACHE.clear()
        _PCACHE[key] = _build_projects(spec, list(project_sheets))
    return _PCACHE[key]


def _build_projects(spec: Spec, project_sheets: list[str]) -> ProjectsLayout:
    check_sheet_names(project_sheets)
    sheets = [SHEET_HELP, SHEET_LIST, *project_sheets, SHEET_EXPLAIN, SHEET_META]
    S = Layout(spec, sheets, named=False)
    _meta(S)
    S.put("meta.layout", SHEET_META, 2, 5, "const", value=LAYOUT_PROJECTS)
    S.text(SHEET_META, 1, 5, "layout")
    for i, name in enumerate(project_sheets):
        S.text(SHEET_META, 1, 21 + i, "project_sheet")
        S.text(SHEET_META, 2, 21 + i, name)
    _help(S)
    _explain(S)
    base = form_base(spec)
    common = {k: c for k, c in S.cells.items()}          # every form view shares these cells
    common_free = [c for c in S.free if c.sheet != SHEET_META]
    base_heads = [c for c in base.free if c.style == "header"]
    P = ProjectsLayout(spec, sheets, list(project_sheets), S)
    _list_head(S, len(project_sheets))
    for i, sheet in enumerate(project_sheets):
        F = Layout(spec, sheets, form=sheet, named=False)
        if i == 0:   # shared sheets are checked once, with the first form; the reader gives every form their values
            F.cells.update(common)
            F.free = list(common_free)
        for k, c in base.cells.items():
            F.cells[k] = _moved(c, sheet)
        F.free += [_moved(c, sheet) for c in base_heads]   # what the header check needs; render adds the rest
        F.target_rows, F.score_rows = base.target_rows, (sheet, *base.score_rows[1:])
        F.score_cols = base.score_cols
        _list_row(S, F, i, sheet)
        P.forms.append(F)
    P.totals = _list_totals(S, len(project_sheets))
    P.form_items = [(k, c.coord, c.role == "input") for k, c in base.cells.items()]
    P.list_keys = [k for k in P.forms[0].cells if k.startswith("list.")] if P.forms else []
    return P


def _list_head(S: Layout, n: int):
    sh, last = SHEET_LIST, col_letter(len(LIST_COLUMNS))
    S.text(sh, 1, 1, f"项目清单 — {S.spec.title}", style="title")
    S.merges.append((sh, f"A1:{last}1"))
    S.text(sh, 1, 2, f"本表由公式自动汇总各项目表（共 {n} 个），不需要填写。状态：“未完成”为尚有指标未评分，"
           "“待完善”为尚有提示（如缺扣分原因），“已完成”为全部评完。", style="note")
    S.merges.append((sh, f"A2:{last}2"))
    S.heights[sh] = {2: 30}
    for i, (_, head, _, _) in enumerate(LIST_COLUMNS, 1):
        S.text(sh, i, 3, head, style="header")
    S.widths[sh] = {col_letter(i): w for i, (_, _, w, _) in enumerate(LIST_COLUMNS, 1)}
    S.freeze[sh] = "C4"
    S.print_rows[sh] = "3:3"
    S.landscape.add(sh)


def _col(key: str) -> int:
    return next(i for i, c in enumerate(LIST_COLUMNS, 1) if c[0] == key)


def list_row_formulas(F: Layout, sheet: str) -> dict[str, str]:
    """Formulas of one project's 项目清单 row, reading the cells of its form sheet."""
    def ref(key):
        return f"'{sheet}'!{F[key].coord}"

    def text(key):
        return f'=IF({ref(key)}="","",{ref(key)})'

    def number(key):
        return f'=IF(ISNUMBER({ref(key)}),{ref(key)},"")'

    hint_col = col_letter(score_cols(form_base(F.spec))["hint"])
    _, first, last = F.score_rows
    hints = f"'{sheet}'!{hint_col}{first}:{hint_col}{last}"
    return {"code": text("cover.projectCode"), "name": text("cover.projectName"),
            "fundType": text("cover.fundType"), "budget": number("funds.total.adjusted"),
            "actual": number("funds.total.actual"), "rate": number("funds.exec_rate"),
            "total": number("summary.display"), "grade": text("summary.grade"),
            "status": (f'=IF(COUNTIF({hints},"未评分")>0,"{STATUS_TODO}",'
                       f'IF(SUMPRODUCT((LEN({hints})>0)*({hints}<>"{NA}"))>0,"{STATUS_FIX}","{STATUS_DONE}"))')}


LIST_LABELS = {"code": "项目编码", "name": "项目名称", "fundType": "资金性质", "budget": "全年预算数",
               "actual": "全年执行数", "rate": "执行率", "total": "总分", "grade": "评价等级", "status": "状态"}


def _list_row(S: Layout, F: Layout, i: int, sheet: str):
    r = LIST_FIRST + i
    S.text(SHEET_LIST, 1, r, i + 1)
    S.text(SHEET_LIST, 2, r, sheet, style="link")
    fmts = {k: fmt for k, _, _, fmt in LIST_COLUMNS}
    for key, formula in list_row_formulas(F, sheet).items():
        F.put(f"list.{key}", SHEET_LIST, _col(key), r, "formula", formula=formula, fmt=fmts[key],
              label=f"项目清单第 {i + 1} 行{LIST_LABELS[key]}")


def _list_totals(S: Layout, n: int) -> list[str]:
    """Counts per 资金性质 of the projects self-evaluated (not 未完成), their money and average score."""
    sh, first, last = SHEET_LIST, LIST_FIRST, LIST_FIRST + max(n, 1) - 1
    rng = {k: f"{col_letter(_col(k))}{first}:{col_letter(_col(k))}{last}" for k in ("fundType", "budget",
                                                                                        "actual", "total", "status")}
    r = last + 2
    S.text(sh, 1, r, "合计", style="section")
    S.merges.append((sh, f"A{r}:E{r}"))
    keys = []

    def put(key, col, row, formula, fmt, label):
        S.put(key, sh, col, row, "formula", formula=formula, fmt=fmt, label=label)
        keys.append(key)

    put("plist.budget", _col("budget"), r, f"=SUM({rng['budget']})", FMT_MONEY, "项目全年预算数合计")
    put("plist.actual", _col("actual"), r, f"=SUM({rng['actual']})", FMT_MONEY, "项目全年执行数合计")
    b, a = f"{col_letter(_col('budget'))}{r}", f"{col_letter(_col('actual'))}{r}"
    put("plist.rate", _col("rate"), r, f'=IF({b}>0,ROUND({a}/{b},4),"")', FMT_RATIO, "项目总体执行率")
    types = list(_fund_types(S.spec))
    r += 2
    S.text(sh, 3, r, "已自评项目（状态不是“未完成”）", style="header")
    S.merges.append((sh, f"C{r}:D{r}"))
    S.text(sh, 5, r, "项目数（个）", style="header")
    r += 1
    counted = []
    for j, t in enumerate(types):
        S.text(sh, 3, r, t)
        put(f"plist.count.{j}", 5, r, f'=COUNTIFS({rng["fundType"]},{_q(t)},{rng["status"]},"<>{STATUS_TODO}")',
            "0", f"{t}已自评项目数")
        counted.append(f"E{r}")
        r += 1
    S.text(sh, 3, r, "合计", style="header")
    put("plist.count", 5, r, f"=SUM({','.join(counted)})", "0", "已自评项目数")
    count = f"E{r}"
    r += 1
    S.text(sh, 3, r, "已自评项目平均分", style="header")
    ft = rng["fundType"]
    any_type = "+".join(f"({ft}={_q(t)})" for t in types)
    put("plist.average", 5, r,
        f'=IF({count}>0,ROUND(SUMPRODUCT(({rng["status"]}<>"{STATUS_TODO}")*({any_type}),{rng["total"]})/{count},2),"")',
        FMT_TOTAL, "已自评项目平均分")
    return keys


def _fund_types(spec: Spec) -> tuple[str, ...]:
    f = next((f for f in spec.cover if f.key == "fundType"), None)
    return tuple(f.choices) if f is not None else ()


def fund_types(spec: Spec) -> tuple[str, ...]:
    """The 资金性质 choices of a project spec, in order (the project list counts by them)."""
    return _fund_types(spec)

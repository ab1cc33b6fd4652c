"""Where every value of a form lives: cells, their role, defined name and live formula (no openpyxl)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from decimal import Decimal

from workbook_tools.cells import col_index, col_letter  # noqa: F401 (re-exported for the model)
from workbook_tools.numbers import plain
from workbook_tools.model.scales import excel_lookup
from workbook_tools.model.spec import DIRECTIONS, NarrativeField, Node, Spec
from workbook_tools.model import targetvalue as tv

SHEET_HELP, SHEET_COVER, SHEET_FUNDS, SHEET_TARGETS, SHEET_SCORES, SHEET_SUMMARY = (
    "填报说明", "封面", "收支情况", "绩效目标", "评分表", "汇总")
SHEET_META = "_wbtool"
SHEET_LIST = "项目清单"
FORM_SPLIT, FORM_LAST = "G", "K"    # a project form sheet: cover values span B:G, their notes H:K
SHEET_EXPLAIN = "情况说明"
SHEET_NARRATIVE = "文字说明"
CELL_MAX_CHARS = 32767          # Excel's limit for the text of one cell
DV_FORMULA_MAX = 255            # Excel's limit for a data validation formula
EXPLAIN_ROWS = 40
NA = "不适用"
INCOMPLETE = "未完成"     # the grade while any indicator is still 未评分: no grade until the form is complete


def legacy_formula(key: str, formula: str | None) -> str | None:
    """The formula templates issued before the current one used for this cell, if any: the 评价等级 without its
    未完成 state. A file with it is intact (fill brings it up to date), not "formula overwritten"."""
    prefix = '=IF(COUNTIF('
    if key == "summary.grade" and formula and formula.startswith(prefix) and f',"{INCOMPLETE}",' in formula:
        return "=" + formula.split(f',"{INCOMPLETE}",', 1)[1][:-1]
    return None
YES, NO = "是", "否"
LEVEL_NAMES = ("一级指标", "二级指标", "三级指标", "四级指标", "五级指标", "六级指标")

FMT_MONEY = "#,##0.00"
FMT_RATIO = "0.00%"
FMT_PROGRESS = "0.0%"
FMT_SCORE = "0.00##"
FMT_TOTAL = "0.00"


_COORD = re.compile(r"^([A-Z]{1,3})(\d+)$")


def split_coord(coord: str) -> tuple[int, int]:
    m = _COORD.match(coord)
    return col_index(m.group(1)), int(m.group(2))


@dataclass
class Cell:
    key: str
    sheet: str
    col: int
    row: int
    role: str                      # input | formula | label | const
    formula: str | None = None
    value: object = None           # labels and constants
    kind: str = "text"             # input kind: text money number ratio count date year choice score phone code
    choices: tuple = ()
    fmt: str | None = None
    prompt: str = ""
    style: str | None = None       # overrides the role's style: title, header, note, section
    lo: Decimal | None = None      # bounds for numeric inputs
    hi: Decimal | None = None
    custom: str | None = None      # custom validation formula (relative to this cell)
    label: str = ""                # what the cell is, for messages
    indicator: str = ""            # indicator id the cell belongs to

    @cached_property
    def coord(self) -> str:
        return f"{col_letter(self.col)}{self.row}"

    @cached_property
    def addr(self) -> str:
        return f"{self.sheet}!{self.coord}"

    @cached_property
    def name(self) -> str | None:
        if self.role in ("input", "formula") and self.kind != "helper":   # helpers: no name (templates before them)
            return "wb_" + re.sub(r"[^0-9A-Za-z]", "_", self.key)
        return None


@dataclass
class Layout:
    spec: Spec
    sheets: list[str]
    cells: dict[str, Cell] = field(default_factory=dict)
    free: list[Cell] = field(default_factory=list)       # titles, headers, notes without keys
    merges: list[tuple[str, str]] = field(default_factory=list)
    widths: dict[str, dict[str, float]] = field(default_factory=dict)
    freeze: dict[str, str] = field(default_factory=dict)
    print_rows: dict[str, str] = field(default_factory=dict)
    landscape: set = field(default_factory=set)
    heights: dict[str, dict[int, float]] = field(default_factory=dict)   # sheet → row → points
    target_rows: dict[str, tuple[int, int]] = field(default_factory=dict)
    score_rows: tuple[str, int, int] | None = None    # sheet, first and last row of the score table
    form: str | None = None        # project workbooks: the one sheet that holds this project's whole form
    score_at: tuple[str, int, int] | None = None      # where a project form shows its execution-rate score
    named: bool = True             # defined names (classic forms only: 225 form sheets would repeat them)
    print_area: dict[str, str] = field(default_factory=dict)   # sheet → range printed (the rest stays on screen)
    one_page: set = field(default_factory=set)                 # sheets printed on one page (fit to 1 × 1)
    score_cols: dict[str, int] | None = None                   # a compact form's own score-table columns
    hidden: dict[str, set] = field(default_factory=dict)       # sheet → column letters hidden (helper columns)

    # -- building
    def put(self, key, sheet, col, row, role, **kw) -> Cell:
        c = Cell(key, sheet, col, row, role, **kw)
        if key in self.cells:
            raise ValueError(f"duplicate layout key {key}")
        self.cells[key] = c
        self.__dict__.pop("_roles", None)
        return c

    def text(self, sheet, col, row, value, style=None, **kw) -> Cell:
        c = Cell("", sheet, col, row, "label", value=value, style=style, **kw)
        self.free.append(c)
        return c

    # -- lookup
    def __getitem__(self, key) -> Cell:
        return self.cells[key]

    def get(self, key) -> Cell | None:
        return self.cells.get(key)

    def ref(self, key: str, from_sheet: str) -> str:
        c = self.cells[key]
        return c.coord if c.sheet == from_sheet else f"'{c.sheet}'!{c.coord}"

    def by_role(self, role: str) -> list[Cell]:
        """Cells of a role (cached: layouts are complete before anyone asks; ``put`` resets it)."""
        cache = self.__dict__.setdefault("_roles", {})
        if role not in cache:
            cache[role] = [c for c in self.cells.values() if c.role == role]
        return cache[role]

    def all_cells(self) -> list[Cell]:
        return list(self.cells.values()) + self.free

    def at(self, sheet: str, coord: str) -> Cell | None:
        for c in self.cells.values():
            if c.sheet == sheet and c.coord == coord:
                return c
        return None


def _n(d: Decimal) -> str:
    """A Decimal as an Excel literal."""
    return plain(d) or "0"


def _q(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


# ====================================================================== builder

_CACHE: dict[str, Layout] = {}


def layout_for(spec: Spec) -> Layout:
    """The (cached) layout of a spec."""
    key = spec.id + "@" + spec.fingerprint
    if key not in _CACHE:
        _CACHE[key] = _build(spec)
    return _CACHE[key]


def _build(spec: Spec) -> Layout:
    # 文字说明 only when the spec has narrative fields: forms without one keep their sheets (and issued files)
    narrative = [SHEET_NARRATIVE] if spec.narrative else []
    L = Layout(spec, [SHEET_HELP, SHEET_COVER, SHEET_FUNDS, SHEET_TARGETS, SHEET_SCORES,
                      SHEET_SUMMARY, *narrative, SHEET_EXPLAIN, SHEET_META])
    _meta(L)
    _help(L)
    _cover(L)
    _funds(L)
    _targets(L)
    _scores(L)
    _funds_score(L)
    _summary(L)
    if narrative:
        _narrative(L)
    _explain(L)
    return L


def narrative_keys(f: NarrativeField) -> list[str]:
    """Layout keys of a narrative field's cells: narrative.<key>, then narrative.<key>.2 … for continuations."""
    return [f"narrative.{f.key}"] + [f"narrative.{f.key}.{n}" for n in range(2, f.cells + 1)]


def narrative_text(values, f: NarrativeField) -> str:
    """The whole text of a narrative field (its cells joined by line breaks), stripped; '' when empty."""
    parts = [values.get(k) for k in narrative_keys(f)]
    return "\n".join(str(v).strip() for v in parts if v is not None and str(v).strip())


def _narrative(L: Layout):
    """The report's narrative (部门职能 … 改进措施): each field a label row over one large wrapped input cell."""
    sh = SHEET_NARRATIVE
    L.text(sh, 1, 1, f"{L.spec.title} — 自评报告文字说明", style="title")
    L.merges.append((sh, "A1:D1"))
    L.text(sh, 1, 2, "以下文字用于生成自评报告（wbtool report）。每项填入标签下方的浅黄色大单元格，段落之间按 Alt+Enter 换行；"
           "一个单元格最多 32767 字。报告中的金额、项目数和得分由本表数据生成，不必在此重复填写：文字中写"
           "【收支情况】【年中监控】【自评项目】处，生成报告时替换为由本表数据写成的句子。", style="note")
    L.merges.append((sh, "A2:D2"))
    L.heights[sh] = {2: 48}
    r = 4
    for f in L.spec.narrative:
        L.text(sh, 1, r, f.label + ("（必填）" if f.required else ""), style="section")
        L.merges.append((sh, f"A{r}:D{r}"))
        r += 1
        for n, key in enumerate(narrative_keys(f), 1):
            if n > 1:
                L.text(sh, 1, r, f"{f.label}（续 {n}）", style="note")
                r += 1
            L.put(key, sh, 1, r, "input", kind="text", style="narrative", hi=Decimal(CELL_MAX_CHARS),
                  label=f"文字说明“{f.label}”" + (f"（续 {n}）" if n > 1 else ""),
                  prompt=f.hint or f"填写{f.label}。")
            L.merges.append((sh, f"A{r}:D{r}"))
            L.heights[sh][r] = f.height
            r += 1
        r += 1
    L.widths[sh] = {"A": 30, "B": 30, "C": 30, "D": 30}


def _explain(L: Layout):
    """Explanations of warnings (提示性问题), keyed by check code and cell, travel with the file."""
    sh = SHEET_EXPLAIN
    L.text(sh, 1, 1, "提示性问题情况说明", style="title")
    L.merges.append((sh, "A1:E1"))
    L.text(sh, 1, 2, "对校验提出的提示性问题（警告）逐条说明情况；检查项与单元格可由 wbtool validate --annotate "
           "自动列出。说明为空或仍为模板提示文字的不算已说明。强制性问题（错误）必须修改，不能以说明代替。", style="note")
    L.merges.append((sh, "A2:E2"))
    for i, h in enumerate(("序号", "检查项", "单元格", "问题摘要", "情况说明"), 1):
        L.text(sh, i, 3, h, style="header")
    for n in range(1, EXPLAIN_ROWS + 1):
        r = 3 + n
        L.text(sh, 1, r, n)
        for col, (k, lab) in enumerate((("code", "检查项"), ("cell", "单元格"), ("summary", "问题摘要"),
                                        ("text", "情况说明")), 2):
            L.put(f"explain.{n}.{k}", sh, col, r, "input", kind="text", label=f"情况说明{n} {lab}")
    L.widths[sh] = {"A": 6, "B": 26, "C": 16, "D": 40, "E": 60}
    L.freeze[sh] = "A4"
    L.print_rows[sh] = "3:3"
    L.landscape.add(sh)


def _meta(L: Layout):
    from workbook_tools import __version__
    s = L.spec
    for i, (k, v) in enumerate((("spec_id", s.id), ("spec_version", s.version),
                                ("fingerprint", s.fingerprint), ("tool_version", __version__)), 1):
        L.text(SHEET_META, 1, i, k)
        L.put(f"meta.{k}", SHEET_META, 2, i, "const", value=v)


def _help(L: Layout):
    sh = SHEET_HELP
    L.text(sh, 1, 1, f"{L.spec.title} — 填报说明", style="title")
    L.merges.append((sh, "A1:B1"))
    live = True        # every template carries the live 校验 sheet (model/checksheet.py; project workbooks projectcheck.py)
    after = "“项目清单”表" if SHEET_LIST in L.sheets else "封面"
    rows = ([_true_instruction(line, live).replace("封面之后的“校验”表", f"{after}之后的“校验”表") for line in L.spec.instructions]
            or ["仅浅黄色单元格需要填写，其余由公式自动计算。"])
    r = 3
    for i, line in enumerate(rows, 1):
        L.text(sh, 1, r, f"{i}.")
        L.text(sh, 2, r, line)
        r += 1
    r += 1
    L.text(sh, 1, r, "校验与计算", style="section")
    first = (f"实时自查：{after}之后的“校验”表随填写列出强制性和提示性问题、所在{'项目、' if SHEET_LIST in L.sheets else ''}"
             "单元格（点击可跳转）和改法，问题单元格标红或标橙；"
             "Excel、WPS 打开即可用，不需安装任何程序。" if live else
             "自查：在命令行运行 wbtool validate 本文件.xlsx，问题清单列出表名、单元格和原因。")
    for line in (first,
                 "完整自查：wbtool validate 本文件.xlsx 另查公式是否被改动、数字是否以文本填写、格式等表内无法检查的项目；"
                 "报送前以它为准。" if live else
                 "计算：wbtool fill 本文件.xlsx 会恢复被改动的公式、写入计算结果并保留原文件备份。",
                 "计算：wbtool fill 本文件.xlsx 会恢复被改动的公式、写入计算结果并保留原文件备份。" if live else
                 "Excel 用户（已安装 xlwings 加载项）：在打开的工作簿上运行 wbtool validate --live，结果标注在单元格上。",
                 "标注：关闭文件后运行 wbtool mark 本文件.xlsx，问题标注在单元格上并写入本工作簿的“校验结果”表（保留备份）；"
                 "Excel 已安装 xlwings 的，可对打开的工作簿运行 wbtool validate --live。"):
        r += 1
        L.text(sh, 2, r, line)
    r += 2
    L.text(sh, 1, r, "表单信息", style="section")
    L.text(sh, 2, r + 1, f"规格：{L.spec.id}，版本 {L.spec.version}，指纹 {L.spec.fingerprint}")
    L.put("help.notice", sh, 2, r + 2, "const", value="", style="note")
    L.widths[sh] = {"A": 8, "B": 100}


# Instructions of issued specs that promise what the file does not have; changing the spec text would change its
# fingerprint (and every issued file would no longer match), so the sheet shows the true sentence instead.
_UNTRUE = {"，或点击本表的“校验”按钮。": ("；填写时随时查看封面之后的“校验”表。", "。")}


def _true_instruction(line: str, live: bool) -> str:
    for old, (with_sheet, without) in _UNTRUE.items():
        line = line.replace(old, with_sheet if live else without)
    return line


def _cover(L: Layout, sh: str = SHEET_COVER, top: int = 1) -> int:
    form = L.form is not None
    note = col_index(FORM_SPLIT) + 1 if form else 3   # one form sheet: the value spans the middle columns
    if not form:
        L.text(sh, 1, top, L.spec.title, style="title")
        L.merges.append((sh, f"A{top}:C{top}"))
    for i, h in ((1, "项目"), (2, "填写内容"), (note, "说明")):
        L.text(sh, i, top + 1, h, style="header")
    if form:
        L.merges += [(sh, f"B{top + 1}:{FORM_SPLIT}{top + 1}"), (sh, f"{col_letter(note)}{top + 1}:{FORM_LAST}{top + 1}")]
    r = top + 2
    for f in L.spec.cover:
        L.text(sh, 1, r, f.label + ("（必填）" if f.required else ""))
        cover_cell(L, f, sh, 2, r)
        L.text(sh, note, r, f.hint, style="note")
        if form:
            L.merges += [(sh, f"B{r}:{FORM_SPLIT}{r}"), (sh, f"{col_letter(note)}{r}:{FORM_LAST}{r}")]
        r += 1
    if not form:
        L.widths[sh] = {"A": 26, "B": 46, "C": 44}
        _seal(L, sh, r + 1)
    return r


def cover_cell(L: Layout, f, sh: str, col: int, row: int, **kw) -> Cell:
    """The input cell of a cover field."""
    kind = {"date": "date", "year": "year", "choice": "choice"}.get(f.type, f.type)
    return L.put(f"cover.{f.key}", sh, col, row, "input", kind=kind, choices=f.choices, label=f.label,
                 prompt=f.hint or f"请填写{f.label}", fmt="yyyy-mm-dd" if f.type == "date" else None, **kw)


def _seal(L: Layout, sh: str, r: int):
    """The signing block under the cover fields: the unit's seal and the signatures, as the printed cover is
    stamped and signed before it is attached (labels only: the names and date are the cover fields above)."""
    L.text(sh, 1, r, "单位（盖章）", style="section")
    L.text(sh, 2, r, "")
    L.merges.append((sh, f"B{r}:C{r}"))
    L.text(sh, 1, r + 1, "单位负责人（签字）", style="section")
    L.text(sh, 2, r + 1, "")
    L.text(sh, 3, r + 1, "填报人（签字）：", style="section")
    L.text(sh, 1, r + 2, "打印本封面，由单位负责人、填报人签字并加盖单位公章后，与自评表、自评报告一并报送。", style="note")
    L.merges.append((sh, f"A{r + 2}:C{r + 2}"))
    L.heights.setdefault(sh, {}).update({r: 90, r + 1: 40})


FUND_COLS = ("initial", "adjusted", "actual")


def fund_columns(spec: Spec) -> list[tuple[str, str]]:
    lab = spec.funds.labels
    cols = [("initial", lab.get("initial", "年初预算数")), ("adjusted", lab.get("adjusted", "调整后预算数")),
            ("actual", lab.get("actual", "实际支出数")), ("rate", lab.get("rate", "预算执行率"))]
    if spec.funds.midyear:
        m = spec.funds.midyear.label
        cols += [("mid_budget", f"{m}预算数"), ("mid_actual", f"{m}实际支出数"), ("mid_rate", f"{m}支出进度")]
    if spec.funds.project_counts:
        cols.append(("projects", "开展绩效自评项目数（个）"))
    return cols


def _funds(L: Layout, sh: str = SHEET_FUNDS, top: int = 1) -> int:
    spec, form = L.spec, L.form is not None
    if form and not (spec.funds.midyear or spec.funds.project_counts or spec.funds.project_average):
        return _form_funds(L, sh, top)
    cols = fund_columns(spec)
    colno = _funds_head(L, sh, top, cols)
    n = len(spec.funds.sources)
    # the national project form: 年度资金总额 first, then “其中：” the sources, and the 执行率 score beside it
    project = spec.kind == "project"
    total_row = top + 3 if project else top + 3 + n
    first_src = top + 4 if project else top + 3
    if project and (leaf := exec_leaf(spec)) is not None:
        _funds_exec_weight(L, sh, top, cols, total_row, leaf)
    _funds_sources(L, sh, cols, colno, first_src)
    _funds_total(L, sh, cols, colno, total_row, first_src, n)
    r = _funds_exec(L, sh, colno, total_row, top + 3 + n + 2)
    r = _funds_notes(L, sh, cols, r + 2)
    if not form:
        L.widths[sh] = {"A": 34, **{col_letter(i): 16 for i in range(2, len(cols) + 2 + (2 if project else 0))}}
        L.freeze[sh] = "B4"
        L.print_rows[sh] = "3:3"
        L.landscape.add(sh)
    return r + 1


def _funds_head(L: Layout, sh: str, top: int, cols) -> dict[str, int]:
    """The title, money unit and column heads of the funds table; returns each column's number."""
    spec, form = L.spec, L.form is not None
    L.text(sh, 1, top, "部门整体收支情况" if spec.kind != "project" else "项目资金情况",
           style="section" if form else "title")
    L.merges.append((sh, f"A{top}:{col_letter(len(cols) + 1)}{top}"))
    L.text(sh, 1, top + 1, f"金额单位：{spec.money_unit}", style="note")
    L.text(sh, 1, top + 2, "资金来源", style="header")
    colno = {}
    for i, (key, head) in enumerate(cols, 2):
        L.text(sh, i, top + 2, head, style="header")
        colno[key] = i
    return colno


def _funds_exec_weight(L: Layout, sh: str, top: int, cols, total_row: int, leaf: Node):
    """The project form's 分值 · 得分 of the execution rate, beside the total row."""
    wcol, scol = len(cols) + 2, len(cols) + 3
    L.text(sh, wcol, top + 2, "分值", style="header")
    L.text(sh, scol, top + 2, "得分", style="header")
    L.put("funds.weight", sh, wcol, total_row, "label", value=float(leaf.weight), fmt=FMT_SCORE,
          indicator=leaf.id, label="执行率分值")
    L.score_at = (sh, scol, total_row)       # funds.score, once the score table exists (_funds_score)


def _funds_sources(L: Layout, sh: str, cols, colno: dict[str, int], first_src: int):
    """One row a fund source: the amounts typed, the rates computed."""
    spec = L.spec
    for i, src in enumerate(spec.funds.sources):
        r = first_src + i
        L.text(sh, 1, r, ("其中：" if i == 0 and spec.kind == "project" else "") + src)
        for key, head in cols:
            c = colno[key]
            k = f"funds.{i}.{key}"
            if key in ("rate", "mid_rate"):
                num_k, den_k = ("actual", "adjusted") if key == "rate" else ("mid_actual", "mid_budget")
                a, b = f"{col_letter(colno[num_k])}{r}", f"{col_letter(colno[den_k])}{r}"
                L.put(k, sh, c, r, "formula", fmt=FMT_RATIO, label=f"{src}{head}",
                      formula=f'=IF(AND(ISNUMBER({a}),ISNUMBER({b})),IF({b}>0,{a}/{b},""),"")')
            else:
                L.put(k, sh, c, r, "input", kind="count" if key == "projects" else "money",
                      fmt="0" if key == "projects" else FMT_MONEY, label=f"{src}{head}",
                      prompt="个数，整数" if key == "projects" else f"金额（{spec.money_unit}），不小于 0")


def _funds_total(L: Layout, sh: str, cols, colno: dict[str, int], total_row: int, first_src: int, n: int):
    """The total row: sums of the sources, rates of the sums."""
    L.text(sh, 1, total_row, L.spec.funds.labels.get("total", "合计"), style="header")
    for key, head in cols:
        c = colno[key]
        letter = col_letter(c)
        if key in ("rate", "mid_rate"):
            num_k, den_k = ("actual", "adjusted") if key == "rate" else ("mid_actual", "mid_budget")
            a, b = f"{col_letter(colno[num_k])}{total_row}", f"{col_letter(colno[den_k])}{total_row}"
            f = f'=IF({b}>0,{a}/{b},"")'
        else:
            f = f"=SUM({letter}{first_src}:{letter}{first_src + n - 1})"
        L.put(f"funds.total.{key}", sh, c, total_row, "formula", formula=f, label=f"合计{head}",
              fmt=FMT_RATIO if key in ("rate", "mid_rate") else ("0" if key == "projects" else FMT_MONEY))


def _funds_exec(L: Layout, sh: str, colno: dict[str, int], total_row: int, r: int) -> int:
    """执行情况 from row ``r``: the execution rate, and the mid-year progress against its target; returns the last
    row used."""
    spec = L.spec
    L.text(sh, 1, r, "执行情况", style="section")
    adj, act = f"{col_letter(colno['adjusted'])}{total_row}", f"{col_letter(colno['actual'])}{total_row}"
    r += 1
    L.text(sh, 1, r, "预算执行率（百分比保留两位小数）")
    L.put("funds.exec_rate", sh, 2, r, "formula", fmt=FMT_RATIO, label="预算执行率",
          formula=f'=IF({adj}>0,ROUND({act}/{adj},4),"")')
    if spec.funds.midyear:
        m = spec.funds.midyear
        mb = f"{col_letter(colno['mid_budget'])}{total_row}"
        ma = f"{col_letter(colno['mid_actual'])}{total_row}"
        r += 1
        L.text(sh, 1, r, f"{m.label}支出进度（百分比保留一位小数）")
        L.put("funds.mid_progress", sh, 2, r, "formula", fmt=FMT_PROGRESS, label=f"{m.label}支出进度",
              formula=f'=IF({mb}>0,ROUND({ma}/{mb},3),"")')
        r += 1
        L.text(sh, 1, r, "序时进度目标")
        L.put("funds.mid_target", sh, 2, r, "const", value=float(m.target_progress), fmt=FMT_PROGRESS,
              label="序时进度目标")
        r += 1
        L.text(sh, 1, r, "超过（低于）目标（百分点）")
        p, t = f"B{r - 2}", f"B{r - 1}"
        L.put("funds.mid_gap", sh, 2, r, "formula", fmt="0.0", label="与目标的差距",
              formula=f'=IF(ISNUMBER({p}),ROUND(({p}-{t})*100,1),"")')
    return r


def _funds_notes(L: Layout, sh: str, cols, r: int) -> int:
    """From row ``r``: the explanations typed (low rate, budget changes) and the projects' average score; returns
    the last row used."""
    spec = L.spec
    L.text(sh, 1, r, f"预算执行率低于 {plain(spec.funds.low_rate_threshold * 100)}% 的原因说明")
    L.put("funds.low_rate_reason", sh, 2, r, "input", kind="text", label="执行率偏低原因",
          prompt="执行率偏低时必须说明原因")
    L.merges.append((sh, f"B{r}:{col_letter(len(cols) + 1)}{r}"))
    r += 1
    L.text(sh, 1, r, "年中预算调整情况说明")
    L.put("funds.adjust_reason", sh, 2, r, "input", kind="text", label="预算调整说明",
          prompt="调整后预算与年初预算不一致时说明原因")
    L.merges.append((sh, f"B{r}:{col_letter(len(cols) + 1)}{r}"))
    if spec.funds.project_average:
        r += 1
        L.text(sh, 1, r, "开展绩效自评项目的平均得分")
        L.put("funds.projects_average", sh, 2, r, "input", kind="number", fmt=FMT_TOTAL, lo=Decimal(0),
              hi=Decimal(100), label="自评项目平均得分",
              prompt="各项目支出绩效自评表总分的平均值（0–100），可用 wbtool fill 本表 --projects 项目工作簿 自动填入")
    return r


# the compact project form (one printed page, as the national 项目支出绩效自评表): printed columns A:K,
# the tool's working columns (完成比例, 编号, 评分方法, 提示 …) to the right of the print area
FORM_PRINT_LAST = "K"
FORM_COLS = {"funds": {"initial": (3, 3), "adjusted": (4, 5), "actual": (6, 7), "weight": (8, 8), "rate": (9, 9),
                       "score": (10, 11), "exec_rate": (12, 12)},
             "targets": {"category": 2, "name": 3, "direction": 4, "value": 5, "unit": 6, "actual": 7, "weight": 8,
                         "score": 9, "reason": 10, "ratio": 12, "dev": 13, "coef": 14,
                         **{h: 15 + i for i, h in enumerate(tv.HELPERS)}, "extra": 22},
             "scores": {"level1": 1, "standard": 3, "applicable": 6, "basis": 7, "weight": 8, "score": 9,
                        "reason": 10, "id": 12, "method": 13, "hint": 14}}
FORM_MERGED = {1: 2, 3: 5, 10: 11}      # score table: name A:B, standard C:E, reason J:K
FORM_WIDTHS = {"A": 9, "B": 11, "C": 22, "D": 5.5, "E": 10, "F": 7, "G": 10, "H": 7, "I": 8, "J": 12, "K": 22,
               "L": 10, "M": 10, "N": 14, "O": 9, "P": 9}


def _span(L: Layout, sh: str, row: int, c1: int, c2: int):
    if c2 > c1:
        L.merges.append((sh, f"{col_letter(c1)}{row}:{col_letter(c2)}{row}"))


def _form_funds(L: Layout, sh: str, top: int) -> int:
    """项目资金（万元）: 年初预算数 · 全年预算数 · 全年执行数 · 分值 · 执行率 · 得分, 年度资金总额 then 其中： the
    sources; the two explanations on one row below."""
    spec = L.spec
    lab = spec.funds.labels
    at = FORM_COLS["funds"]
    heads = {"initial": lab.get("initial", "年初预算数"), "adjusted": lab.get("adjusted", "全年预算数"),
             "actual": lab.get("actual", "全年执行数"), "weight": "分值", "rate": lab.get("rate", "执行率"),
             "score": "得分", "exec_rate": "执行率（未舍入）"}
    L.text(sh, 1, top, f"项目资金（{spec.money_unit}）", style="header")
    _span(L, sh, top, 1, 2)
    leaf = exec_leaf(spec)
    for key, (c1, c2) in at.items():
        if key in ("weight", "score") and leaf is None:
            continue
        L.text(sh, c1, top, heads[key], style="header")
        _span(L, sh, top, c1, c2)
    total_row, first_src, n = top + 1, top + 2, len(spec.funds.sources)
    _form_fund_sources(L, sh, heads, first_src)
    _form_fund_total(L, sh, heads, total_row, first_src, n, leaf)
    return _form_fund_notes(L, sh, first_src + n)


def _form_fund_sources(L: Layout, sh: str, heads: dict, first_src: int):
    """One row a fund source under 年度资金总额 (其中：…): amounts typed, the rate computed, weight and score empty."""
    spec, at = L.spec, FORM_COLS["funds"]
    C = {k: col_letter(at[k][0]) for k in at}
    for i, src in enumerate(spec.funds.sources):
        r = first_src + i
        L.text(sh, 1, r, ("其中：" if i == 0 else "") + src)
        _span(L, sh, r, 1, 2)
        for key in ("initial", "adjusted", "actual"):
            L.put(f"funds.{i}.{key}", sh, at[key][0], r, "input", kind="money", fmt=FMT_MONEY,
                  label=f"{src}{heads[key]}", prompt=f"金额（{spec.money_unit}），不小于 0")
            _span(L, sh, r, *at[key])
        a, b = f"{C['actual']}{r}", f"{C['adjusted']}{r}"
        L.put(f"funds.{i}.rate", sh, at["rate"][0], r, "formula", fmt=FMT_RATIO, label=f"{src}{heads['rate']}",
              formula=f'=IF(AND(ISNUMBER({a}),ISNUMBER({b})),IF({b}>0,{a}/{b},""),"")')
        for key in ("weight", "score"):          # ruled, empty: only the total row is scored
            L.text(sh, at[key][0], r, "")
            _span(L, sh, r, *at[key])


def _form_fund_total(L: Layout, sh: str, heads: dict, total_row: int, first_src: int, n: int, leaf: Node | None):
    """年度资金总额: the sums, the scored (rounded) and raw execution rates, and the rate's weight and score."""
    at = FORM_COLS["funds"]
    C = {k: col_letter(at[k][0]) for k in at}
    L.text(sh, 1, total_row, L.spec.funds.labels.get("total", "年度资金总额"), style="header")
    _span(L, sh, total_row, 1, 2)
    for key in ("initial", "adjusted", "actual"):
        letter = C[key]
        L.put(f"funds.total.{key}", sh, at[key][0], total_row, "formula", fmt=FMT_MONEY, label=f"合计{heads[key]}",
              formula=f"=SUM({letter}{first_src}:{letter}{first_src + n - 1})")
        _span(L, sh, total_row, *at[key])
    adj, act = f"{C['adjusted']}{total_row}", f"{C['actual']}{total_row}"
    # the rate printed beside 年度资金总额 is the scored one (rounded to 0.01%); the raw ratio stays off the page
    L.put("funds.exec_rate", sh, at["rate"][0], total_row, "formula", fmt=FMT_RATIO, label="预算执行率",
          formula=f'=IF({adj}>0,ROUND({act}/{adj},4),"")')
    L.put("funds.total.rate", sh, at["exec_rate"][0], total_row, "formula", fmt=FMT_RATIO,
          label=f"合计{heads['rate']}", formula=f'=IF({adj}>0,{act}/{adj},"")')
    if leaf is not None:
        L.put("funds.weight", sh, at["weight"][0], total_row, "label", value=float(leaf.weight), fmt=FMT_SCORE,
              indicator=leaf.id, label="执行率分值")
        L.score_at = (sh, at["score"][0], total_row)
        _span(L, sh, total_row, *at["score"])


def _form_fund_notes(L: Layout, sh: str, r: int) -> int:
    """The two explanations (low rate, budget changes) side by side on row ``r``; returns the next row."""
    L.text(sh, 1, r, f"执行率低于 {plain(L.spec.funds.low_rate_threshold * 100)}% 的原因")
    _span(L, sh, r, 1, 2)
    L.put("funds.low_rate_reason", sh, 3, r, "input", kind="text", label="执行率偏低原因",
          prompt="执行率偏低时必须说明原因")
    _span(L, sh, r, 3, 6)
    L.text(sh, 7, r, "年中预算调整说明")
    _span(L, sh, r, 7, 8)
    L.put("funds.adjust_reason", sh, 9, r, "input", kind="text", label="预算调整说明",
          prompt="调整后预算与年初预算不一致时说明原因")
    _span(L, sh, r, 9, 11)
    return r + 1


def exec_leaf(spec: Spec) -> Node | None:
    """The leaf scored by the execution rate (its score also shows in a project form's funds block)."""
    return next((n for n in spec.leaves() if n.rule.type == "execution_rate"), None)


def _funds_score(L: Layout):
    """得分 beside 年度资金总额 in a project form's funds block: the execution-rate leaf's score."""
    if L.score_at is None:
        return
    sh, col, row = L.score_at
    leaf = exec_leaf(L.spec)
    ref = L.ref(f"node.{leaf.id}.score", sh)
    L.put("funds.score", sh, col, row, "formula", formula=f'=IF({ref}="","",{ref})', fmt=FMT_SCORE,
          indicator=leaf.id, label="执行率得分")


def content_parts(spec: Spec) -> tuple[str, ...]:
    """The parts of a target row whose content makes it a row to check."""
    return ("name", "direction", "value", "actual") + (("initial",) if spec.targets.adjusted else ())


def required_parts(spec: Spec) -> list[tuple[str, str]]:
    """The parts a row with content must have (with two 指标值 columns the 年初 one; 调整后 only when adjusted)."""
    value = ("initial", "年初指标值") if spec.targets.adjusted else ("value", "指标值")
    return [("name", "指标名称"), ("direction", "方向"), value, ("actual", "实际完成值")]


def direction_part(spec: Spec) -> str:
    """The cell whose direction a target row reads: the hidden ``dir`` helper (方向, else the value's sign) with
    ``form_values``, else the 方向 column itself."""
    return "dir" if spec.targets.form_values else "direction"


def helpers(spec: Spec) -> tuple[str, ...]:
    """The hidden helper cells of a target row (ve: the 指标值 used, with 年初 and 调整后 columns)."""
    return (tv.HELPERS if spec.targets.form_values else ()) + (("ve",) if spec.targets.adjusted else ())


# the parts of a target row the unit types to score it, by the kind's row_score (checked with the row)
JUDGED = {"coefficient": [("coef", "得分系数")], "typed": [("score", "得分")]}


# target table columns (name, header, width); weight/score/dev only when the spec needs them
def target_columns(spec: Spec) -> list[tuple[str, str, float]]:
    cols = [("no", "序号", 6), ("category", "二级指标", 14), ("name", "指标名称", 30),
            *((f"x_{x.key}", x.label, max(8, 2 * len(x.label) + 2)) for x in spec.targets.extra_columns),
            ("direction", "方向", 7),
            *((("initial", "年初指标值", 12), ("value", "调整后指标值", 12)) if spec.targets.adjusted
              else (("value", "指标值", 12),)),
            ("unit", "度量单位", 10),
            ("actual", "实际完成值", 12)]
    scored = any(k.scored for k in spec.targets.kinds)
    if scored:
        cols.append(("weight", "分值", 8))
    if any(k.row_score == "coefficient" for k in spec.targets.kinds):
        cols.append(("coef", "得分系数", 9))
    cols.append(("ratio", "完成比例", 11))
    if scored:
        cols.append(("score", "得分", 9))
    if spec.form_rules.deviation_threshold is not None:
        cols.append(("dev", f"偏差≥{plain(spec.form_rules.deviation_threshold * 100)}%", 9))
    cols.append(("reason", "偏差原因分析及改进措施", 36))
    return cols


def row_na(spec: Spec, kind) -> bool:
    """Target rows of this kind may be 不适用 (实际完成值): dropped, their weight rescaled away with the total."""
    return spec.inapplicable == "rescale" and kind.scored


def row_na_weight(L: Layout, kind: str, from_sheet: str) -> str:
    """Excel: the weight of a kind's 不适用 rows."""
    return (f'SUMIF({target_range(L, kind, "actual", from_sheet)},"{NA}",'
            f'{target_range(L, kind, "weight", from_sheet)})')


def target_ratio_formula(spec: Spec, d, e, g, na: bool = False, ev: str | None = None, gv: str | None = None,
                         kind=None) -> str:
    """``d`` the direction read, ``g`` the typed 实际完成值 (定性 words), ``ev``/``gv`` the numbers read (default e, g)."""
    e, ge_ = ev or e, gv or g
    qual = excel_lookup(g, spec.targets.words(kind), _n)      # 定性: the ratio of the kind's scale word
    ge = f"IF({e}>0,MAX(0,MIN(1,{ge_}/{e})),IF({ge_}>={e},1,0))"
    le = f"IF({ge_}<={e},1,IF({ge_}>0,MAX(0,{e}/{ge_}),0))"
    eq = f"IF({e}=0,IF({ge_}=0,1,0),MAX(0,1-ABS({ge_}-{e})/ABS({e})))"
    quant = (f'IF(AND(ISNUMBER({e}),ISNUMBER({ge_})),IF({d}="≥",{ge},IF({d}="≤",{le},'
             f'IF({d}="=",{eq},""))),"")')
    if na:
        return f'=IF(OR({d}="",{g}="",{g}="{NA}"),"",IF({d}="定性",{qual},{quant}))'
    return f'=IF(OR({d}="",{g}=""),"",IF({d}="定性",{qual},{quant}))'


def _targets(L: Layout, sh: str = SHEET_TARGETS, top: int = 1) -> int:
    spec, form = L.spec, L.form is not None
    cols = target_columns(spec)
    cidx = {name: i for i, (name, _, _) in enumerate(cols, 1)}
    cidx.update({h: len(cols) + 1 + i for i, h in enumerate(helpers(spec))})     # hidden, right of the table
    if form:
        at = FORM_COLS["targets"]
        return _target_rows(L, sh, top, cols, {n: at[n] if n in at else at["extra"] + i
                                               for i, n in enumerate(c for c in cidx if c != "no")})
    L.text(sh, 1, top, "部门整体绩效目标完成情况" if spec.kind != "project" else "绩效指标完成情况",
           style="section" if form else "title")
    L.merges.append((sh, f"A{top}:{col_letter(len(cols))}{top}"))
    qual = ("实际完成值填该类指标的评价词，见单元格提示" if spec.targets.scales
            else "实际完成值填 " + "/".join(spec.targets.qualitative_ratios))
    how = ("指标值可照表样写成 ≥90%、≤3%、=100、5次（此时方向可空；度量单位为 % 时 100 即 100%）。"
           if spec.targets.form_values else "比例请填百分比或小数。")
    L.text(sh, 1, top + 1, f"方向：≥ 正向（越大越好）、≤ 反向（越小越好）、= 等于、定性（{qual}）。{how}",
           style="note")
    L.merges.append((sh, f"A{top + 1}:{col_letter(len(cols))}{top + 1}"))
    r = _target_rows(L, sh, top + 3, cols, cidx)
    if not form:
        L.widths[sh] = {col_letter(i): w for i, (_, _, w) in enumerate(cols, 1)}
        L.hidden.setdefault(sh, set()).update(col_letter(cidx[h]) for h in helpers(spec))
        L.freeze[sh] = "A4"
        L.landscape.add(sh)
    return r


def _target_rows(L: Layout, sh: str, r: int, cols, cidx: dict[str, int]) -> int:
    """The target rows of every kind. Classic sheets: a section and a header row per kind, numbered rows. The
    compact form: one header row (一级指标 · 二级指标 · 三级指标 …) and each kind's name down column A."""
    spec, form = L.spec, L.form is not None
    heads = dict((name, head) for name, head, _ in cols)
    if form:
        heads.update(category="二级指标", name="三级指标", value="年度指标值")
        L.text(sh, 1, r, "一级指标", style="header")
        for name, c in cidx.items():
            if name in heads:           # the hidden helpers have no header: returns of earlier templates stay intact
                L.text(sh, c, r, heads[name], style="header")
        _span(L, sh, r, cidx["reason"], col_index(FORM_PRINT_LAST))
        r += 1
    for ki, kind in enumerate(spec.targets.kinds):
        r = _target_kind_head(L, sh, r, cols, cidx, ki, kind)
        first = r
        for n in range(1, kind.rows + 1):
            _target_row(L, sh, r, cidx, kind, n)
            r += 1
        L.target_rows[kind.key] = (first, r - 1)
        if not form:
            r += 1
    return r


def _target_kind_head(L: Layout, sh: str, r: int, cols, cidx: dict[str, int], ki: int, kind) -> int:
    """A kind's name (the compact form: down column A beside its rows; classic: a section and a header row);
    returns the kind's first row."""
    if L.form is not None:
        L.text(sh, 1, r, kind.label, style="section")
        if kind.rows > 1:
            L.merges.append((sh, f"A{r}:A{r + kind.rows - 1}"))
        return r
    L.text(sh, 1, r, f"{'一二三四五六七八九十'[ki]}、{kind.label}", style="section")
    L.merges.append((sh, f"A{r}:{col_letter(len(cols))}{r}"))
    r += 1
    for name, head, _ in cols:
        L.text(sh, cidx[name], r, head, style="header")
    return r + 1


def _target_row(L: Layout, sh: str, r: int, cidx: dict[str, int], kind, n: int):
    """Target ``n`` of ``kind`` on row ``r``: what is typed, its completion ratio, score and deviation flag."""
    spec = L.spec
    thr = spec.form_rules.deviation_threshold
    base = f"target.{kind.key}.{n}"
    ref = {name: f"{col_letter(cidx[name])}{r}" for name in cidx}
    if L.form is not None:
        _span(L, sh, r, cidx["reason"], col_index(FORM_PRINT_LAST))
    else:
        L.text(sh, cidx["no"], r, n)
    L.put(f"{base}.category", sh, cidx["category"], r, "input", kind="choice",
          choices=kind.categories, label=f"{kind.label}{n} 二级指标")
    L.put(f"{base}.name", sh, cidx["name"], r, "input", kind="text", label=f"{kind.label}{n} 指标名称")
    for x in spec.targets.extra_columns:       # descriptive (是否核心指标 …): typed, exported, not scored
        L.put(f"{base}.x_{x.key}", sh, cidx[f"x_{x.key}"], r, "input", kind="choice" if x.choices else "text",
              choices=x.choices, label=f"{kind.label}{n} {x.label}")
    L.put(f"{base}.direction", sh, cidx["direction"], r, "input", kind="choice", choices=DIRECTIONS,
          label=f"{kind.label}{n} 方向", prompt="≥ 正向 / ≤ 反向 / = 等于 / 定性")
    L.put(f"{base}.value", sh, cidx["value"], r, "input", kind="target", label=f"{kind.label}{n} 指标值",
          prompt="定量指标填数字或如表单所写（≥90%、≤3%、=100、5次），方向栏可空；定性指标填文字描述")
    if spec.targets.adjusted:
        L.put(f"{base}.initial", sh, cidx["initial"], r, "input", kind="target", label=f"{kind.label}{n} 年初指标值",
              prompt="年初设定的指标值，如 ≥90%、=100、5次；年中调整过的另填调整后指标值")
        L.cells[f"{base}.value"].label = f"{kind.label}{n} 调整后指标值"
        L.cells[f"{base}.value"].prompt = "年中调整后的指标值（未调整的留空：按年初指标值计算）"
    L.put(f"{base}.unit", sh, cidx["unit"], r, "input", kind="text", label=f"{kind.label}{n} 度量单位")
    d, e, g = ref["direction"], ref["value"], ref["actual"]
    na = row_na(spec, kind)
    na_ok = f',{g}="{NA}"' if na else ""
    _target_helpers(L, sh, base, ref, f"{kind.label}{n}")
    if spec.targets.form_values:
        dr, ev, gv, an, example = ref["dir"], ref["ev"], ref["gv"], ref["an"], "（98%、96、5次）"
    else:                  # numbers as typed; the 指标值 used is 调整后 else 年初 (ve) with two columns
        dr, ev, gv, an, example = d, ref.get("ve", e), g, None, ""
    words = spec.targets.words(kind)
    L.put(f"{base}.actual", sh, cidx["actual"], r, "input", kind="target",
          label=f"{kind.label}{n} 实际完成值",
          prompt=f"定量指标填数字{example}；定性指标填 {'/'.join(words)}" + ("；确不适用填“不适用”" if na else ""),
          custom=_actual_validation(words, d, g, an, na_ok))
    L.put(f"{base}.ratio", sh, cidx["ratio"], r, "formula", fmt=FMT_RATIO,
          label=f"{kind.label}{n} 完成比例", formula=target_ratio_formula(spec, dr, e, g, na, ev, gv, kind))
    if kind.scored:
        _target_row_score(L, sh, r, base, ref, kind, n)
    if thr is not None:
        L.put(f"{base}.dev", sh, cidx["dev"], r, "formula", fmt="0",
              label=f"{kind.label}{n} 偏差超限",
              formula=(f'=IF(AND(OR({dr}="≥",{dr}="≤",{dr}="="),ISNUMBER({ev}),ISNUMBER({gv})),'
                       f'IF({ev}<>0,IF(ROUND(ABS({gv}-{ev})/ABS({ev}),10)>={_n(thr)},1,0),0),0)'))
    L.put(f"{base}.reason", sh, cidx["reason"], r, "input", kind="text",
          label=f"{kind.label}{n} 偏差原因")


def _target_row_score(L: Layout, sh: str, r: int, base: str, ref: dict, kind, n: int):
    """A scored row's 分值 and 得分: completion ratio × 分值, the unit's 得分系数 × 分值, or the unit's typed 得分."""
    w, cols = ref["weight"], {name: split_coord(a)[0] for name, a in ref.items()}
    what = f"{kind.label}{n}"
    L.put(f"{base}.weight", sh, cols["weight"], r, "input", kind="number", fmt=FMT_SCORE,
          lo=Decimal(0), hi=Decimal(100), label=f"{what} 分值")
    if kind.row_score == "typed":
        s = ref["score"]
        L.put(f"{base}.score", sh, cols["score"], r, "input", kind="score", fmt=FMT_SCORE, label=f"{what} 得分",
              prompt="由单位按完成情况填写本行得分（0 至本行分值）；低于分值须在偏差原因栏说明",
              custom=f"=AND(ISNUMBER({s}),{s}>=0,{s}<=IF(ISNUMBER({w}),{w},100))")
        return
    factor = ref["ratio"]
    if kind.row_score == "coefficient":
        lo, hi = kind.coefficient
        factor = ref["coef"]
        L.put(f"{base}.coef", sh, cols["coef"], r, "input", kind="number", fmt=FMT_RATIO, lo=lo, hi=hi,
              label=f"{what} 得分系数",
              prompt=f"由单位按完成情况填写得分系数（{plain(lo * 100)}%–{plain(hi * 100)}%），得分 = 系数 × 分值；"
                     "低于 100% 须在偏差原因栏说明")
    L.put(f"{base}.score", sh, cols["score"], r, "formula", fmt=FMT_SCORE, label=f"{what} 得分",
          formula=f'=IF(AND(ISNUMBER({factor}),ISNUMBER({w})),ROUND({factor}*{w},4),"")')


def _target_helpers(L: Layout, sh: str, base: str, ref: dict, what: str):
    """The hidden helper cells that read the row's values as forms write them (model/targetvalue)."""
    d, e, g, u = ref["direction"], ref["value"], ref["actual"], ref["unit"]
    extra = {}
    if "ve" in ref:           # 年初 / 调整后: the 调整后 value when filled, else the 年初 one ("" when neither)
        extra = {"ve": f'=IF({e}<>"",{e},IF({ref["initial"]}<>"",{ref["initial"]},""))'}
        e = ref["ve"]
    formulas = extra
    if L.spec.targets.form_values:
        formulas = {**extra, "vs": tv.stripped_formula(e), "as": tv.stripped_formula(g),
                    "vn": tv.number_formula(e, ref["vs"]), "an": tv.number_formula(g, ref["as"]),
                    "dir": tv.direction_formula(d, e, ref["vn"]),
                    "ev": tv.scaled_formula(e, ref["vn"], g, ref["an"], u),
                    "gv": tv.scaled_formula(g, ref["an"], e, ref["vn"], u)}
    for h in helpers(L.spec):
        c = split_coord(ref[h])
        L.put(f"{base}.{h}", sh, c[0], c[1], "formula", kind="helper", formula=formulas[h],
              label=f"{what} {tv.HELPER_HEADS[h]}")


def _actual_validation(words, d: str, g: str, an: str | None, na_ok: str) -> str:
    """The 实际完成值 cell's custom validation: a word of the kind's scale in 定性 rows, else a number read."""
    numeric = f'OR(ISNUMBER({g}),ISNUMBER({an}){na_ok}))' if an else (
        f'OR(ISNUMBER({g}){na_ok}))' if na_ok else f'ISNUMBER({g}))')
    custom = f'=IF({d}="定性",OR({",".join(f"{g}={_q(w)}" for w in words)}{na_ok}),' + numeric
    if len(custom) > DV_FORMULA_MAX:      # a long scale: any text passes here, the word is checked by the 校验 sheet
        custom = f'=IF({d}="定性",ISTEXT({g}),' + numeric
    return custom


def target_range(L: Layout, kind: str, col: str, from_sheet: str) -> str:
    first, last = L.target_rows[kind]
    letter = col_letter(L.cells[f"target.{kind}.1.{col}"].col)
    rng = f"{letter}{first}:{letter}{last}"
    sheet = L.cells[f"target.{kind}.1.{col}"].sheet
    return rng if from_sheet == sheet else f"'{sheet}'!{rng}"


def score_columns(spec: Spec) -> dict[str, int]:
    d = spec.depth
    names = ["id"] + [f"level{i}" for i in range(1, d + 1)] + ["weight", "method", "standard", "basis"]
    if spec.inapplicable != "forbidden":
        names.append("applicable")
    names += ["score", "reason", "hint"]
    return {n: i for i, n in enumerate(names, 1)}


def score_cols(L: Layout) -> dict[str, int]:
    """The score table's columns of this layout (a compact project form has its own)."""
    return L.score_cols or score_columns(L.spec)


def _scores(L: Layout, sh: str = SHEET_SCORES, top: int = 1) -> int:
    spec, form = L.spec, L.form is not None
    cols, top = _score_heads(L, sh, top)
    row = top + 3
    for node in spec.nodes():
        row = _score_node(L, sh, node, row, cols)
    L.score_rows = (sh, top + 3, row - 1)
    if form:
        _subtotals(L, sh, cols)
        return row
    _score_sheet_setup(L, sh, cols)
    _subtotals(L, sh, cols)
    return row


def _score_heads(L: Layout, sh: str, top: int) -> tuple[dict[str, int], int]:
    """The score table's title and header row; returns its columns and the ``top`` its rows count from (the
    compact form has one header row, the classic sheet a title, a note and a header row)."""
    spec, form = L.spec, L.form is not None
    cols = score_columns(spec)
    heads = {"id": "编号", "weight": "分值", "method": "评分方法", "standard": "评分标准", "basis": "评分依据",
             "applicable": "适用性", "score": "自评得分", "reason": "扣分原因", "hint": "提示"}
    if form and spec.depth == 1 and set(cols) <= set(FORM_COLS["scores"]):
        # the compact form: one header row, the 一级指标 with their applicability, score and reason
        cols = L.score_cols = {n: FORM_COLS["scores"][n] for n in cols}
        heads.update(level1="一级指标（评分汇总）", score="得分")
        for name, c in cols.items():
            L.text(sh, c, top, heads[name], style="header")
            _span(L, sh, top, c, FORM_MERGED.get(c, c))
        return cols, top - 2
    L.text(sh, 1, top, "评分汇总" if form else spec.title, style="section" if form else "title")
    L.merges.append((sh, f"A{top}:{col_letter(len(cols))}{top}"))
    L.text(sh, 1, top + 1, f"指标体系：{spec.id}（版本 {spec.version}）  满分 {plain(spec.total_weight)} 分",
           style="note")
    L.merges.append((sh, f"A{top + 1}:{col_letter(len(cols))}{top + 1}"))   # one line, not wrapped in the id column
    for name, c in cols.items():
        head = LEVEL_NAMES[int(name[5:]) - 1] if name.startswith("level") else heads[name]
        L.text(sh, c, top + 2, head, style="header")
    return cols, top


def _score_node(L: Layout, sh: str, node: Node, row: int, cols: dict[str, int]) -> int:
    """An indicator's row from ``row`` (a leaf: its rule, checklist items and score cells); returns the next row."""
    r = row
    base = f"node.{node.id}"
    L.put(f"{base}.id", sh, cols["id"], r, "label", value=node.id, indicator=node.id, label="编号")
    L.put(f"{base}.name", sh, cols[f"level{node.depth}"], r, "label", value=node.name,
          indicator=node.id, label="指标名称", style=None if node.is_leaf else "section")
    L.put(f"{base}.weight", sh, cols["weight"], r, "label", value=float(node.weight), fmt=FMT_SCORE,
          indicator=node.id, label="分值", style=None if node.is_leaf else "section")
    if L.score_cols:
        for c1, c2 in FORM_MERGED.items():
            _span(L, sh, r, c1, c2)
    row += 1
    if not node.is_leaf:
        return row
    rule = node.rule
    L.put(f"{base}.method", sh, cols["method"], r, "label", value=rule.label, indicator=node.id,
          label="评分方法")
    L.put(f"{base}.standard", sh, cols["standard"], r, "label", value=node.standard or rule.label,
          indicator=node.id, label="评分标准")
    if rule.impl.items(rule.params):
        for j, (item, pts) in enumerate(rule.impl.items(rule.params), 1):
            ib = f"item.{node.id}.{j}"
            L.put(f"{ib}.name", sh, cols["standard"], row, "label", value=f"（{j}）{item}",
                  indicator=node.id, label="清单项")
            L.put(f"{ib}.points", sh, cols["weight"], row, "label", value=float(pts), fmt=FMT_SCORE,
                  indicator=node.id, label="清单项分值", style="note")
            L.put(f"{ib}.met", sh, cols["basis"], row, "input", kind="choice", choices=(YES, NO),
                  indicator=node.id, label=f"{node.name} 清单项{j}", prompt="是否满足：是 / 否")
            row += 1
    _leaf_cells(L, node, r, cols, sh)
    return row


def _score_sheet_setup(L: Layout, sh: str, cols: dict[str, int]):
    """The classic score sheet's column widths, frozen panes and printing."""
    spec = L.spec
    L_ = lambda name: col_letter(cols[name])  # noqa: E731
    L.widths[sh] = {L_("id"): 8, **{L_(f"level{i}"): (12 if i < spec.depth else 30)
                                     for i in range(1, spec.depth + 1)},
                    L_("weight"): 7, L_("method"): 13, L_("standard"): 40, L_("basis"): 11,
                    L_("score"): 10, L_("reason"): 36, L_("hint"): 16}
    if "applicable" in cols:
        L.widths[sh][L_("applicable")] = 9
    L.freeze[sh] = f"{L_('weight')}4"
    L.print_rows[sh] = "3:3"
    L.landscape.add(sh)


def _subtotals(L: Layout, sh: str, cols: dict[str, int]):
    """Subtotals of interior nodes, bottom-up refs to the children's score cells."""
    spec = L.spec
    for node in reversed(spec.nodes()):   # children before parents
        if not node.is_leaf:
            refs = ",".join(L.cells[f"node.{c.id}.score"].coord for c in node.children)
            L.put(f"node.{node.id}.score", sh, cols["score"], L.cells[f"node.{node.id}.id"].row, "formula",
                  formula=f"=ROUND(SUM({refs}),4)", fmt=FMT_SCORE, indicator=node.id,
                  label=f"{node.name} 小计", style="section")


def _leaf_cells(L: Layout, node: Node, r: int, cols: dict[str, int], sh: str):
    spec, rule = L.spec, node.rule
    base, w = f"node.{node.id}", _n(node.weight)
    J = f"{col_letter(cols['score'])}{r}"
    K = f"{col_letter(cols['reason'])}{r}"
    E = f"{col_letter(cols['weight'])}{r}"
    I = f"{col_letter(cols['applicable'])}{r}" if "applicable" in cols else None
    p = rule.params
    if rule.impl.basis is not None:       # a 评分依据 typed by staff
        bi, bounds = rule.impl.basis, rule.impl.basis_bounds(p)
        L.put(f"{base}.basis", sh, cols["basis"], r, "input", kind=bi.kind, indicator=node.id,
              choices=rule.impl.choices(p), prompt=rule.impl.basis_prompt(p), label=f"{node.name} 评分依据",
              fmt="0" if bi.kind == "count" else (None if bi.kind == "choice" else "0.00##"),
              lo=bounds[0] if bounds else None, hi=bounds[1] if bounds else None)
    core = None if rule.manual_score else rule.impl.formula(FormulaContext(L, node, sh, cols, r))
    if I:
        L.put(f"{base}.applicable", sh, cols["applicable"], r, "input", kind="choice", choices=("适用", NA),
              indicator=node.id, label=f"{node.name} 适用性", prompt="留空或“适用”；确不适用时选“不适用”")
    if core is None:   # manual and qualitative: staff type the score
        L.put(f"{base}.score", sh, cols["score"], r, "input", kind="score", lo=Decimal(0), hi=node.weight,
              fmt=FMT_SCORE, indicator=node.id, label=f"{node.name} 自评得分",
              prompt=f"0 至 {w} 分")
    else:
        if I and spec.inapplicable == "full_marks":
            core = f'IF({I}="{NA}",{w},{core})'
        elif I and spec.inapplicable == "rescale":
            core = f'IF({I}="{NA}","",{core})'
        L.put(f"{base}.score", sh, cols["score"], r, "formula", formula="=" + core, fmt=FMT_SCORE,
              indicator=node.id, label=f"{node.name} 自评得分")
    L.put(f"{base}.reason", sh, cols["reason"], r, "input", kind="text", indicator=node.id,
          label=f"{node.name} 扣分原因", prompt="得分低于分值时必须填写扣分原因")
    na = [k for k in rule.impl.na_rows_kinds(p) if row_na(spec, spec.targets.kind(k))]
    if na:
        E = f"({E}-{'-'.join(row_na_weight(L, k, sh) for k in na)})"      # 不适用 rows are not points lost
    hint = (f'IF({J}="","未评分",IF(NOT(ISNUMBER({J})),"得分应为数字",IF({J}>{E},"得分超过分值",'
            f'IF({J}<0,"得分不能为负",IF(AND({J}<{E},{K}=""),"请填写扣分原因","")))))')
    if I:
        hint = f'IF({I}="{NA}","{NA}",{hint})'
    L.put(f"{base}.hint", sh, cols["hint"], r, "formula", formula="=" + hint, indicator=node.id,
          label=f"{node.name} 提示", style="hint")


class FormulaContext:
    """What a rule type's ``formula`` may use: its cells, references and number literals (rules/base.py)."""
    YES = YES

    def __init__(self, L: Layout, node: Node, sh: str, cols: dict[str, int], r: int):
        self.L, self.node, self.sh, self.cols, self.r = L, node, sh, cols, r
        self.p = node.rule.params
        self.weight = node.weight
        self.w = _n(node.weight)
        self.H = f"{col_letter(cols['basis'])}{r}"      # the 评分依据 cell

    @staticmethod
    def n(d: Decimal) -> str:
        return _n(d)

    def ref(self, key: str) -> str:
        return self.L.ref(key, self.sh)

    def range(self, kind: str, col: str) -> str:
        return target_range(self.L, kind, col, self.sh)

    def item(self, j: int) -> str:
        return self.L.cells[f"item.{self.node.id}.{j}.met"].coord

    def put_basis(self, formula: str, fmt: str, label: str):
        """The 评分依据 cell as a formula (execution rate, average completion …); ``fmt``: ratio | score."""
        self.L.put(f"node.{self.node.id}.basis", self.sh, self.cols["basis"], self.r, "formula",
                   fmt={"ratio": FMT_RATIO, "score": FMT_SCORE}[fmt], indicator=self.node.id, label=label,
                   formula=formula)


def _summary(L: Layout, sh: str = SHEET_SUMMARY, top: int = 1) -> int:
    spec, form = L.spec, L.form is not None
    compact = form and L.score_cols is not None
    if compact:
        return _form_summary(L, sh, top)
    L.text(sh, 1, top, "总分" if form else f"{spec.title} — 汇总", style="section" if form else "title")
    L.merges.append((sh, f"A{top}:E{top}"))
    for i, h in enumerate(("编号", "指标", "分值", "得分", "得分率"), 1):
        L.text(sh, i, top + 2, h, style="header")
    r = top + 3
    for node in spec.nodes():
        if node.depth > 2:
            continue
        L.text(sh, 1, r, node.id)
        L.text(sh, 2, r, ("    " if node.depth == 2 else "") + node.name)
        L.text(sh, 3, r, float(node.weight), fmt=FMT_SCORE)
        ref = L.ref(f"node.{node.id}.score", sh)
        L.put(f"summary.node.{node.id}", sh, 4, r, "formula", fmt=FMT_SCORE, indicator=node.id,
              formula=f'=IF(ISNUMBER({ref}),{ref},"")', label=f"{node.name} 得分")
        rate = (f'=IF(ISNUMBER(D{r}),ROUND(D{r}/{_n(node.weight)},4),"")' if node.weight > 0 else '=""')
        L.put(f"summary.rate.{node.id}", sh, 5, r, "formula", fmt=FMT_RATIO, indicator=node.id,
              formula=rate, label=f"{node.name} 得分率")
        r += 1
    r += 1

    def line(key, label, formula, fmt=FMT_SCORE):
        nonlocal r
        L.text(sh, 2, r, label, style="header")
        L.put(f"summary.{key}", sh, 4, r, "formula", formula=formula, fmt=fmt, label=label)
        r += 1
        return f"D{r - 1}"

    _summary_lines(L, sh, line)
    if not form:
        L.widths[sh] = {"A": 8, "B": 34, "C": 10, "D": 14, "E": 10}
        L.print_rows[sh] = "3:3"
    return r


def _form_summary(L: Layout, sh: str, top: int) -> int:
    """The compact form's foot: 总分 and 等级 on one row, the steps to it (合计, 折算 …) on the next; each 一级
    指标's 得分 and 得分率 beside its score-table row, off the print area."""
    _form_summary_nodes(L, sh)
    foot = _FormFoot(L, sh, top)
    _summary_lines(L, sh, foot.line)
    return foot.finish()


def _form_summary_nodes(L: Layout, sh: str):
    """Each 一级/二级指标's 得分 and 得分率 beside its score-table row (columns O:P, off the print area)."""
    _, first, _ = L.score_rows
    for c, h in ((15, "得分（汇总）"), (16, "得分率")):
        L.text(sh, c, first - 1, h, style="header")
    for node in L.spec.nodes():
        if node.depth > 2:
            continue
        r = L.cells[f"node.{node.id}.id"].row
        ref = L.ref(f"node.{node.id}.score", sh)
        L.put(f"summary.node.{node.id}", sh, 15, r, "formula", fmt=FMT_SCORE, indicator=node.id,
              formula=f'=IF(ISNUMBER({ref}),{ref},"")', label=f"{node.name} 得分")
        o = f"{col_letter(15)}{r}"
        L.put(f"summary.rate.{node.id}", sh, 16, r, "formula", fmt=FMT_RATIO, indicator=node.id,
              formula=(f'=IF(ISNUMBER({o}),ROUND({o}/{_n(node.weight)},4),"")' if node.weight > 0 else '=""'),
              label=f"{node.name} 得分率")


class _FormFoot:
    """Places the summary lines of the compact form: 总分 and 等级 on the ``top`` row, every other line in the next
    free slot (label, value) of the rows below, four slots a row."""
    SLOTS = [(1, 2, 3), (4, 5, 6), (7, 8, 9), (10, 10, 11)]      # (label from, label to, value column)

    def __init__(self, L: Layout, sh: str, top: int):
        self.L, self.sh, self.top = L, sh, top
        self.row, self.slot = top + 1, 0

    def line(self, key, label, formula, fmt=FMT_SCORE):
        L, sh, top = self.L, self.sh, self.top
        if key == "display":
            L.text(sh, 1, top, "总分", style="header")
            _span(L, sh, top, 1, 7)
            L.text(sh, 8, top, float(L.spec.total_weight), fmt=FMT_SCORE)
            r, c = top, 9
        elif key == "grade":
            L.text(sh, 10, top, "等级", style="header")
            r, c = top, 11
        else:
            r, c = self._next_slot(key, label)
        L.put(f"summary.{key}", sh, c, r, "formula", formula=formula, fmt=fmt, label=label,
              style="section" if key in ("display", "grade") else None)
        return f"{col_letter(c)}{r}"

    def _next_slot(self, key, label) -> tuple[int, int]:
        if self.slot == len(self.SLOTS):
            self.row, self.slot = self.row + 1, 0
        c1, c2, c = self.SLOTS[self.slot]
        r = self.row
        self.slot += 1
        self.L.text(self.sh, c1, r, {"total": "总分（四位小数）"}.get(key, label), style="note")
        _span(self.L, self.sh, r, c1, c2)
        return r, c

    def finish(self) -> int:
        """Rules the rest of the last row; returns the next row."""
        last = self.row
        while self.slot and self.slot < len(self.SLOTS):
            c1, c2, c = self.SLOTS[self.slot]
            self.L.text(self.sh, c1, last, "", style="note")
            _span(self.L, self.sh, last, c1, c2)
            self.L.text(self.sh, c, last, "")
            self.slot += 1
        return last + 1


def _summary_lines(L: Layout, sh: str, line):
    """The total's steps (合计, 适用分值, 折算, 偏差扣分, 封顶, 总分, 两位小数, 等级), each placed by ``line``."""
    spec = L.spec
    total_w = _n(spec.total_weight)
    tops = ",".join(L.ref(f"node.{n.id}.score", sh) for n in spec.tree)
    base = line("raw", "指标得分合计", f"=ROUND(SUM({tops}),4)")
    if spec.inapplicable == "rescale":
        cols = score_cols(L)
        ssh, first, last = L.score_rows
        pre = "" if ssh == sh else f"'{ssh}'!"
        ia = f"{pre}{col_letter(cols['applicable'])}{first}:{col_letter(cols['applicable'])}{last}"
        iw = f"{pre}{col_letter(cols['weight'])}{first}:{col_letter(cols['weight'])}{last}"
        rows_na = ""
        for leaf in spec.leaves():       # 不适用 target rows of an applicable indicator leave the total too
            for na_kind in leaf.rule.impl.na_rows_kinds(leaf.rule.params):
                if row_na(spec, spec.targets.kind(na_kind)):
                    app = L.ref(f"node.{leaf.id}.applicable", sh)
                    rows_na += f'-IF({app}="{NA}",0,{row_na_weight(L, na_kind, sh)})'
        aw = line("applicable_weight", "适用指标分值合计", f'={total_w}-SUMIF({ia},"{NA}",{iw}){rows_na}')
        base = line("scaled", "按适用指标折算后得分",
                    f"=IF({aw}>0,ROUND({base}*{total_w}/{aw},4),0)")
    penalty = "0"
    fr = spec.form_rules
    if fr.deviation_threshold is not None:
        devs = ",".join(target_range(L, k.key, "dev", sh) for k in spec.targets.kinds)
        expr = f"{_n(fr.deviation_points)}*SUM({devs})"
        if fr.deviation_max is not None:
            expr = f"MIN({_n(fr.deviation_max)},{expr})"
        penalty = line("penalty", "目标偏差扣分", f"={expr}")
    cap = total_w
    if fr.execution_cap:
        rate = L.ref("funds.exec_rate", sh)
        body = total_w
        for below, mx in reversed(fr.execution_cap):
            body = f"IF({rate}<{_n(below)},{_n(mx)},{body})"
        cap = line("cap", "执行率封顶分", f"=IF(ISNUMBER({rate}),{body},{total_w})")
    total = line("total", "总分", f"=ROUND(MIN({cap},MAX(0,{base}-{penalty})),4)")
    disp = line("display", "总分（保留两位小数）", f"=ROUND({total},2)", fmt=FMT_TOTAL)
    body = _q(spec.grades[-1].name)
    for g in reversed(spec.grades[:-1]):
        body = f"IF({disp}>={_n(g.min)},{_q(g.name)},{body})"
    ssh, first, last = L.score_rows
    pre = "" if ssh == sh else f"'{ssh}'!"
    hint = col_letter(score_cols(L)["hint"])
    hints = f"{pre}{hint}{first}:{hint}{last}"
    body = f'IF(COUNTIF({hints},"未评分")>0,"{INCOMPLETE}",{body})'      # engine._summary: the same rule
    line("grade", "评价等级", "=" + body, fmt=None)

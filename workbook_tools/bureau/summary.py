"""The bureau's summary workbook: one row per unit, indicator matrix, deductions, problems, gaps, charts."""
from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

from workbook_tools.files.atomic import atomic_output
from workbook_tools.bureau.records import (PASS, RETURN, UNREADABLE, is_project_workbook, link_note, project_label,
                                           project_tally, single_project, spec_fund_types, unit_view)
from workbook_tools.model.spec import Spec
from workbook_tools.bureau.statistics import accepted, leaf_stats, reasons_text, scored_units
from workbook_tools.text import excel_text
from workbook_tools.foreign.review import REVIEW_KEYS, SAMPLE_HEADERS
from workbook_tools.model.layout import col_letter

HEAD_FILL = "#D9E1F2"
STATUS_FILL = {PASS: "#C6EFCE", RETURN: "#FFC7CE", UNREADABLE: "#D9D9D9"}
ROW_FILL = {RETURN: "#FDE9E7", UNREADABLE: "#EDEDED"}     # the whole row of a return to send back, lighter
MONEY, RATE, SCORE = "#,##0.00", "0.00%", "0.00##"
# printing on A4: portrait up to this many character widths of columns, landscape beyond; always fit to the
# page width, header rows repeated, the title and page numbers in the page header and footer
PORTRAIT_MAX_WIDTH = 105
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.75, "bottom": 0.6}     # inches
PAGE_PX = {False: int((8.27 - 0.8) * 96), True: int((11.69 - 0.8) * 96)}   # printable width at 100%, 96 dpi
MIN_SCALE = 0.7           # below this, fit-to-width prints too small to read (10 pt → 7 pt)


def _px(width: float) -> int:
    """Excel's column width in characters → pixels (XlsxWriter's rule for the default font)."""
    return int(width * 7 + 5) if width >= 1 else int(width * 12)


def _bands(widths: list[float], keys: int, page: int) -> list[tuple[int, int]]:
    """Columns after the key columns cut into runs that fit beside the keys on one page at MIN_SCALE."""
    # 0.8: where Calibri is missing (LibreOffice on Linux) the default font is wider; a band still fits
    room = page / MIN_SCALE * 0.8 - sum(_px(w) for w in widths[:keys])
    bands, start, used = [], keys, 0
    for i in range(keys, len(widths)):
        if used and used + _px(widths[i]) > room:
            bands.append((start, i))
            start, used = i, 0
        used += _px(widths[i])
    bands.append((start, len(widths)))
    return bands


@dataclass
class Column:
    header: str
    width: float = 12
    fmt: str | None = None


@dataclass
class SummaryInput:
    spec: Spec | None
    kept: list[dict]                          # one submission per unit (plus unreadable files)
    all_subs: list[dict]                      # every file of this batch
    findings: list[dict]
    duplicates: list[dict]
    roster: list = field(default_factory=list)
    ledger_rows: list[dict] = field(default_factory=list)   # 台账核对 rows when a ledger was given
    projects: list[dict] | None = None        # current project returns (项目汇总, 单位项目统计), whatever ``kept`` is;
                                              # None: those among ``kept``
    review: list[dict] = field(default_factory=list)         # 复核: one line per form (foreign/review.py)
    sample: list[dict] | None = None                         # 抽查: the --sample draw
    sample_label: tuple = (None, None)                       # (size, seed) as given
    db: str | None = None                                    # the collect database (report --summary finds it)
    sections: list = field(default_factory=list)             # the forms named for the batch; several: one
                                                             # 指标得分 / 扣分统计 / 图表 section per form

    def section_specs(self) -> list[tuple[Spec, str]]:
        """(spec, sheet-name suffix) of each section: the main spec with plain sheet names, or — several forms
        named — each form with its id in brackets after the sheet name."""
        if len(self.sections) > 1:
            return [(sp, _suffix(sp)) for sp in self.sections]
        return [(self.spec, "")] if self.spec else []


class _Book:
    """An xlsxwriter workbook (several times faster than openpyxl for 10,000-row sheets) with cached formats."""

    def __init__(self, title: str = "绩效自评汇总表"):
        self.title = title
        self.buf = io.BytesIO()
        # strings are always written with write_string: text from returned files never becomes a formula
        self.wb = xlsxwriter.Workbook(self.buf, {"in_memory": True, "strings_to_formulas": False,
                                                 "strings_to_urls": False, "strings_to_numbers": False})
        self._formats = {}

    def fmt(self, num: str | None = None, bold: bool = False, bg: str | None = None, *, border: bool = False,
            wrap: bool = False, center: bool = False):
        key = (num, bold, bg, border, wrap, center)
        if key not in self._formats:
            props = {"font_name": "宋体", "font_size": 10, "valign": "vcenter"}
            if num:
                props["num_format"] = num
            if bold:
                props["bold"] = True
            if bg:
                props.update(bg_color=bg, pattern=1)
            if border:
                props["border"] = 1
            if wrap:
                props["text_wrap"] = True
            if center:
                props["align"] = "center"
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]

    def print_setup(self, ws, sheet: str, widths: list[float], *, repeat: tuple[int, int] | None = None,
                    last_row: int | None = None, key_cols: int = 0, portrait: bool = False):
        """A4, landscape when the printed columns are wide, the title in the page header, page numbers in the
        footer, the header rows repeated. Fit to one page wide when that prints at MIN_SCALE or larger; a wider
        sheet is cut into page-wide bands of columns instead, its first ``key_cols`` columns (code, name)
        repeated on each, at the scale the widest band needs."""
        ws.set_paper(9)
        total = sum(_px(w) for w in widths)
        landscape = sum(widths) > PORTRAIT_MAX_WIDTH and not portrait
        ws.set_landscape() if landscape else ws.set_portrait()
        ws.set_margins(**MARGINS)
        page = PAGE_PX[landscape]
        bands = _bands(widths, key_cols, page) if key_cols and page / total < MIN_SCALE else None
        if bands is None:
            ws.fit_to_pages(1, 0)
        else:
            keys = sum(_px(w) for w in widths[:key_cols])
            widest = max(keys + sum(_px(w) for w in widths[a:b]) for a, b in bands)
            # LibreOffice and Excel draw columns a little wider than XlsxWriter's pixel rule: 7% to spare
            ws.set_print_scale(max(10, min(100, int(page / widest * 93))))
            ws.repeat_columns(0, key_cols - 1)
            ws.set_v_pagebreaks([a for a, _ in bands[1:]])
        title = f"{self.title}　{sheet}".replace("&", "&&")
        ws.set_header(f'&C&"宋体,Bold"&14 {title}', {"margin": 0.3})     # the space ends the size code
        ws.set_footer("&C第 &P 页，共 &N 页", {"margin": 0.3})
        if repeat is not None:
            ws.repeat_rows(*repeat)
        if last_row is not None:
            ws.print_area(0, 0, max(last_row, 0), len(widths) - 1)

    def put(self, ws, r: int, c: int, value, fmt=None):
        if value is None or (isinstance(value, float) and value != value):
            if fmt is not None:
                ws.write_blank(r, c, None, fmt)
        elif isinstance(value, bool):
            ws.write_boolean(r, c, value, fmt)
        elif isinstance(value, (int, float)):
            ws.write_number(r, c, value, fmt)
        else:
            ws.write_string(r, c, excel_text(str(value)), fmt)

    def close(self) -> bytes:
        self.wb.close()
        return self.buf.getvalue()


def _sheet(book: _Book, title: str, columns: list[Column], rows, *, note: str | None = None,
           status_col: int | None = None, print_cols: int | None = None, key_cols: int = 0):
    """A table sheet: optional note line, bold wrapped header, bordered typed cells, rows to send back
    highlighted; print-ready (see _Book.print_setup). ``print_cols`` leaves trailing columns (file paths)
    off the printed page. Returns (sheet, rows, header row)."""
    ws = book.wb.add_worksheet(title)
    for i, col in enumerate(columns):
        ws.set_column(i, i, col.width)
    h = 0
    if note:
        book.put(ws, 0, 0, note)
        h = 1
    head = book.fmt(bold=True, bg=HEAD_FILL, border=True, wrap=True, center=True)
    for i, col in enumerate(columns):
        book.put(ws, h, i, col.header, head)
    longest = max(_text_width(c.header) / max(c.width, 1) for c in columns)
    ws.set_row(h, 14 * min(max(1, int(longest) + 1), 9))       # wrapped headers get the lines they need
    wrap = [c.fmt is None and c.width >= 20 for c in columns]    # long text columns wrap instead of spilling
    n = 0
    for n, row in enumerate(rows, 1):
        r = h + n
        bg = ROW_FILL.get(row[status_col]) if status_col is not None and status_col < len(row) else None
        for i, v in enumerate(row):
            cell_bg = STATUS_FILL[v] if status_col == i and v in STATUS_FILL else bg
            book.put(ws, r, i, v, book.fmt(columns[i].fmt, bg=cell_bg, border=True, wrap=wrap[i]))
    ws.freeze_panes(h + 1, 0)
    shown = columns[:print_cols] if print_cols else columns
    book.print_setup(ws, title, [c.width for c in shown], repeat=(h, h), last_row=h + n, key_cols=key_cols)
    return ws, n, h


def _text_width(text: str) -> float:
    """Width of a header in Excel's character units: CJK characters count two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _letter(i: int) -> str:
    return col_letter(i)


def _subtotal_nodes(spec: Spec | None):
    return [n for n in spec.nodes() if not n.is_leaf and n.depth <= 2] if spec else []


def _label(n) -> str:
    return f"{n.id} {n.name}（{_num(n.weight)}）"


def _num(x):
    f = float(x)
    return int(f) if f.is_integer() else f


# ------------------------------------------------------------------ sheets

def _units_sheet(wb, data: SummaryInput, roster_codes: set):
    several = len(data.sections) > 1       # several forms: their subtotals are in each form's 指标得分 sheet
    nodes = [] if several else _subtotal_nodes(data.spec)
    cols = ([Column("序号", 4), Column("单位编码", 10), Column("单位名称", 22), Column("主管部门", 20)]
            + ([Column("表单", 22)] if several else [])
            + [Column("总分", 6.5, "0.00"), Column("等级", 4.5)]
            + [Column(_label(n), 7, SCORE) for n in nodes]
            + [Column("预算（万元）", 11, MONEY), Column("实际支出（万元）", 11, MONEY), Column("执行率", 7.5, RATE),
               Column("错误数", 4.5), Column("警告数", 4.5), Column("状态", 6.5), Column("填报日期", 10),
               Column("备注", 20), Column("来源文件", 40)])
    status_col = next(i for i, c in enumerate(cols) if c.header == "状态")

    def rows():
        order = sorted(data.kept, key=lambda s: (s.status == UNREADABLE, s.unit_code or "~", s.file_name))
        for i, s in enumerate(order, 1):
            d = s.data or {}
            note = []
            if s.status == UNREADABLE:
                note.append(s.error_message or "")
            elif roster_codes and s.unit_code not in roster_codes:
                note.append("不在名单中")
            if is_project_workbook(s):
                note.append(f"项目工作簿：{len(s.projects or [])} 个项目，总分为已自评项目平均分")
            elif single_project(s) is not None and project_label(single_project(s)):
                note.append(f"项目：{project_label(single_project(s))}")
            note += s.notes or []
            note.append(link_note(s))
            yield ([i, s.unit_code or "", s.unit_name or "", d.get("parent", "")]
                   + ([s.spec_id or ""] if several else [])
                   + [s.display, s.grade]
                   + [(d.get("nodes") or {}).get(n.id) for n in nodes]
                   + [s.budget, s.actual, s.exec_rate, s.errors, s.warnings,
                      s.status, s.fill_date, "；".join(x for x in note if x), s.path])
    ws, n, h = _sheet(wb, "汇总", cols, rows(), status_col=status_col, print_cols=len(cols) - 1, key_cols=3,
                      note=_sections_note(data) if several else None)
    ws.autofilter(h, 0, h + n, len(cols) - 1)
    return ws, n


def _matrix_sheet(wb, data: SummaryInput, roster_codes: set | None = None, spec: Spec | None = None, suffix: str = ""):
    spec = spec or data.spec
    leaves = spec.leaves()
    nodes = _subtotal_nodes(spec) if suffix else []     # several forms: each form's subtotals here, not in 汇总
    cols = ([Column("单位编码", 11), Column("单位名称", 26)] + [Column(_label(n), 7.5, SCORE) for n in nodes]
            + [Column(_label(n), 7.5, SCORE) for n in leaves])
    units = scored_units(spec, data.kept)
    stats = leaf_stats(spec, accepted(units, roster_codes))

    def rows():
        for s in units:
            scores = s.data.get("leaves") or {}
            yield ([s.unit_code or "", s.unit_name or ""] + [(s.data.get("nodes") or {}).get(n.id) for n in nodes]
                   + [_score_cell(scores.get(n.id)) for n in leaves])
        if units:       # the same means as 扣分统计: accepted returns only
            yield ["平均", ""] + [None] * len(nodes) + [x["mean"] for x in stats]
    _sheet(wb, "指标得分" + suffix, cols, rows(), key_cols=2,
           note=f"表单 {spec.id}（{spec.title}）：{len(units)} 份。" if suffix else None)
    return stats


def _deduction_sheet(wb, data: SummaryInput, stats: list[dict], suffix: str = "", spec: Spec | None = None):
    """Per indicator over accepted returns (statistics.leaf_stats: the overview reads the same numbers)."""
    cols = [Column("编号", 7), Column("指标", 26), Column("分值", 6, SCORE), Column("扣分单位数", 7),
            Column("扣分合计", 8, SCORE), Column("平均扣分", 8, SCORE), Column("平均得分", 8, SCORE),
            Column("得分率", 8, RATE), Column("常见扣分原因", 56)]

    def rows():
        for x in stats:
            yield [x["id"], x["name"], x["weight"], x["losers"], x["lost"], x["lost_mean"], x["mean"], x["rate"],
                   reasons_text(x["reasons"])]
    _sheet(wb, "扣分统计" + suffix, cols, rows(), note=(f"表单 {spec.id}（{spec.title}）。" if suffix and spec else "")
           + "统计范围：校验通过" + ("且在单位名单中" if data.roster else "")
           + "的报送；需退回、无法读取" + ("和不在名单中" if data.roster else "") + "的单位不计入（见“汇总”表）。")


def _findings_sheet(wb, data: SummaryInput):
    subs = {s.id: s for s in data.all_subs}
    cols = [Column("单位编码", 11), Column("单位名称", 22), Column("文件", 20), Column("严重性", 6), Column("代码", 22),
            Column("单元格", 11), Column("指标", 7), Column("问题", 54), Column("已说明", 6)]
    projects = any(f.get("project") for f in data.findings)
    if projects:
        cols.append(Column("项目", 30))

    def rows():
        for f in data.findings:
            s = subs.get(f["submission_id"])
            yield [(s.unit_code if s else "") or "", (s.unit_name if s else "") or "", s.file_name if s else "",
                   "错误" if f["severity"] == "error" else "警告", f["code"], f["cell"] or "", f["indicator"] or "",
                   f["message"], "是" if f["explained"] else ""] + ([f.get("project") or ""] if projects else [])
    _sheet(wb, "问题清单", cols, rows())


def _missing_sheet(wb, data: SummaryInput, returned: set):
    cols = [Column("单位编码", 14), Column("单位名称", 30), Column("主管部门", 24)]
    rows = [[u.code, u.name, u.parent_name or u.parent_code] for u in data.roster if u.code not in returned]
    note = f"名单 {len(data.roster)} 个单位，未报送 {len(rows)} 个。"
    if data.projects is not None:     # overall forms with project returns beside them: who sent projects only
        sent = Counter(s.unit_code for s in data.projects)
        if any(r[0] in sent for r in rows):
            cols.append(Column("备注", 30))
            rows = [r + ["仅报送了项目自评表" if r[0] in sent else ""] for r in rows]
            note = note[:-1] + "（部门整体自评表）。"
    _sheet(wb, "未报送", cols, rows, note=note)
    return rows


def _duplicates_sheet(wb, data: SummaryInput):
    cols = [Column("单位编码", 14), Column("单位名称", 28), Column("保留文件", 34), Column("未采用文件", 34),
            Column("原因", 46)]
    projects = any(d.get("project") for d in data.duplicates)
    rows = [[d["unit_code"], d["unit_name"] or "", d["kept_path"], d["dropped_path"], d["reason"]]
            + ([d.get("project") or ""] if projects else []) for d in data.duplicates]
    note = "同一单位编码有多份文件时，保留填报日期最晚的一份；日期相同时保留修改时间最晚的一份。"
    if projects:
        cols.append(Column("项目", 30))
        note += "一个项目一个文件报送的，按单位编码和项目编码（无编码时按项目名称）判断重复。"
    _sheet(wb, "重复报送", cols, rows, note=note)


def rollup(roster, kept: list[dict]) -> list[dict]:
    """Per parent node of the roster tree: units, returns, passes, score statistics, money."""
    by_code = {u.code: u for u in roster}
    groups: dict[str, list[dict]] = {}
    for s in kept:
        if s.readable and s.unit_code:
            groups.setdefault(s.unit_code, []).append(s)
    subs = {code: unit_view(group) for code, group in groups.items()}     # one standing per unit
    nodes: dict[str, dict] = {}

    def ancestors(u):
        seen = set()
        key, name = u.parent_code or u.parent_name, u.parent_name
        while key and key not in seen:
            seen.add(key)
            parent = by_code.get(key)
            yield key, (parent.name if parent else name or key), len(seen)
            if not parent:
                break
            key, name = parent.parent_code or parent.parent_name, parent.parent_name

    for u in roster:
        for key, name, _ in ancestors(u):
            node = nodes.setdefault(key, {"code": key, "name": name, "units": []})
            node["units"].append(u.code)
    out = []
    for key, node in nodes.items():
        got = [subs[c] for c in node["units"] if c in subs]
        totals = [s["display"] for s in got if s.get("display") is not None]
        grades = Counter(s["grade"] for s in got)
        budget = sum(s["budget"] or 0 for s in got)
        actual = sum(s["actual"] or 0 for s in got)
        out.append({"code": key, "name": node["name"], "units": len(node["units"]), "returned": len(got),
                    "passed": sum(1 for s in got if s["status"] == PASS),
                    "to_return": sum(1 for s in got if s["status"] == RETURN),
                    "missing": len(node["units"]) - len(got),
                    "mean": round(sum(totals) / len(totals), 2) if totals else None,
                    "max": max(totals) if totals else None, "min": min(totals) if totals else None,
                    **{g: grades.get(g, 0) for g in ("优", "良", "中", "差")},
                    "budget": round(budget, 2), "actual": round(actual, 2),
                    "rate": round(actual / budget, 4) if budget else None})
    return sorted(out, key=lambda r: r["code"])


def _rollup_sheet(wb, data: SummaryInput):
    rows = rollup(data.roster, data.kept)
    if not rows:
        return
    cols = [Column("编码", 14), Column("名称", 28), Column("单位数", 7), Column("已报送", 7), Column("通过", 6),
            Column("需退回", 7), Column("未报送", 7), Column("平均分", 8, "0.00"), Column("最高分", 8, "0.00"),
            Column("最低分", 8, "0.00"), Column("优", 5), Column("良", 5), Column("中", 5), Column("差", 5),
            Column("预算合计（万元）", 16, MONEY), Column("实际支出合计（万元）", 16, MONEY), Column("执行率", 9, RATE)]
    _sheet(wb, "层级汇总", cols, ([r["code"], r["name"], r["units"], r["returned"], r["passed"], r["to_return"],
                                   r["missing"], r["mean"], r["max"], r["min"], r["优"], r["良"], r["中"], r["差"],
                                   r["budget"], r["actual"], r["rate"]] for r in rows))


def _project_subs(data: SummaryInput) -> list[dict]:
    return sorted((s for s in (data.kept if data.projects is None else data.projects)
                   if s.readable and s.projects),
                  key=lambda s: (s.unit_code or "~", s.file_name))


def _projects_sheet(wb, data: SummaryInput, subs: list[dict]):
    """项目汇总: every project of the current returns, one row each."""
    cols = [Column("单位编码", 14), Column("单位名称", 26), Column("文件", 30), Column("工作表", 9),
            Column("项目编码", 16), Column("项目名称", 30), Column("资金性质", 13), Column("预算（万元）", 14, MONEY),
            Column("实际支出（万元）", 14, MONEY), Column("执行率", 9, RATE), Column("总分", 8, "0.00"),
            Column("等级", 6), Column("状态", 8), Column("错误数", 7), Column("警告数", 7)]

    def rows():
        for s in subs:
            for p in s.projects:
                yield [s.unit_code or "", s.unit_name or "", s.file_name, p.sheet or "",
                       p.project_code or "", p.project_name or "", p.fund_type or "",
                       p.budget, p.actual, p.exec_rate, p.display, p.grade or "",
                       p.status or "", p.errors, p.warnings]
    ws, n, h = _sheet(wb, "项目汇总", cols, rows(),
                      note="每个项目一行（项目工作簿的每张项目表，或一个项目一个文件）；状态：未完成 = 尚有指标未评分，"
                           "待完善 = 尚有提示，已完成 = 全部评完。")
    ws.autofilter(h, 0, h + n, len(cols) - 1)


def _unit_projects_sheet(wb, data: SummaryInput, subs: list[dict]):
    """单位项目统计: per unit, its projects counted as the 项目清单 counts them (the engine's tally)."""
    types = tuple(spec_fund_types(data.spec.id)) if data.spec is not None and data.spec.kind == "project" else ()
    if not types:
        types = spec_fund_types(next((s.spec_id for s in subs if s.spec_id), None))
    grades = [g.name for g in data.spec.grades] if data.spec else ["优", "良", "中", "差"]
    cols = ([Column("单位编码", 14), Column("单位名称", 26), Column("文件数", 7), Column("项目数", 7)]
            + [Column(f"已自评·{t}", 12) for t in types]
            + [Column("已自评合计", 10), Column("已自评平均分", 11, "0.00")]
            + [Column(g, 5) for g in grades]
            + [Column("有错误的项目数", 12), Column("预算合计（万元）", 16, MONEY),
               Column("实际支出合计（万元）", 16, MONEY), Column("执行率", 9, RATE)])
    groups: dict[str, list[dict]] = {}
    for s in subs:
        groups.setdefault(s.unit_code or s.file_name, []).append(s)

    def rows():
        for code, group in groups.items():
            projects = [p for s in group for p in s.projects]
            tally = project_tally(projects, types)
            done = [p for p in projects if p.status != "未完成" and p.fund_type in types]
            by_grade = Counter(p.grade for p in done)
            yield ([group[0].unit_code or "", group[0].unit_name or "", len(group), len(projects)]
                   + [tally.counts.get(t, 0) for t in types]
                   + [tally.count, _float(tally.average)]
                   + [by_grade.get(g, 0) for g in grades]
                   + [sum(1 for p in projects if p.errors), _float(tally.budget), _float(tally.actual),
                      _float(tally.rate)])
    _sheet(wb, "单位项目统计", cols, rows(),
           note="已自评 = 状态不是“未完成”的项目（与项目清单的统计口径一致）；平均分与等级分布按已自评项目计。")


def _score_cell(x):
    """A recorded leaf score as a cell: a number, or empty (not scored, or not a number)."""
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return None if f != f else f


def _float(x):
    return None if x is None else float(x)


def _ledger_sheet(wb, data: SummaryInput):
    if not data.ledger_rows:
        return
    cols = [Column("单位编码", 11), Column("单位名称", 22), Column("文件", 20), Column("代码", 22), Column("单元格", 11),
            Column("问题", 54), Column("台账值", 12), Column("文件值", 12)]
    projects = any(r.get("project") for r in data.ledger_rows)
    if projects:
        cols.append(Column("项目", 30))
    _sheet(wb, "台账核对", cols, ([r.get("unit_code") or "", r.get("unit_name") or "", r.get("file_name") or "",
                                 r["code"], r.get("cell") or "", r["message"], r.get("expected"), r.get("found")]
                                + ([r.get("project") or ""] if projects else []) for r in data.ledger_rows))


UNIT_CHART_MAX = 60        # units drawn one bar each on one printed page; more are counted in rate bands
ROW_PX = 20               # default row height (15 pt)


def _charts_sheet(book: _Book, data: SummaryInput, spec: Spec | None = None, suffix: str = ""):
    """Charts need their numbers in cells: small tables, each with a bar chart beside it, each table and its
    chart on a printed page of its own (A4 portrait, one page wide)."""
    spec = spec or spec
    name = "图表" + suffix
    ws = book.wb.add_worksheet(name)
    ws.set_column(0, 0, 40)             # unit names up to about 20 characters on one line
    ws.set_column(1, 1, 12)
    ws.set_column(2, 2, 2)
    bold = book.fmt(bold=True, bg=HEAD_FILL, border=True, center=True)
    readable = accepted(data.kept, {u.code for u in data.roster})     # the statistics' returns (statistics.py)
    if suffix:           # several forms: this form's returns only
        readable = [s for s in readable if s.spec_id == spec.id]
    grades = Counter(s.grade for s in readable)
    names = [g.name for g in spec.grades] if spec else ["优", "良", "中", "差"]
    breaks = []
    r = _table(book, ws, 0, ("等级", "单位数"), [(g, grades.get(g, 0)) for g in names], bold)
    _bar(book, ws, name, "总分等级分布（单位数）", 0, [grades.get(g, 0) for g in names], "单位数", count=True)
    level2 = [n for n in spec.nodes() if n.depth == 2] if spec else []
    if not level2 and spec:
        level2 = list(spec.tree)
    rows = []
    for n in level2:
        key = "leaves" if n.is_leaf else "nodes"
        vals = [((s.data or {}).get(key) or {}).get(n.id) for s in readable]
        vals = [v for v in vals if v is not None]
        rows.append((f"{n.id} {n.name}", round(sum(vals) / len(vals) / float(n.weight), 4) if vals and n.weight
                     else None))
    start = max(r + 1, 22)                       # below the first chart (about 300 px)
    breaks.append(start)
    r = _table(book, ws, start, ("二级指标", "平均得分率"), rows, bold, RATE)
    _bar(book, ws, name, "各二级指标平均得分率", start, [b for _, b in rows], "平均得分率", rate=True, horizontal=True)
    units = sorted((s for s in readable if s.exec_rate is not None), key=lambda s: s.exec_rate)
    start = max(r + 1, start + 2 + (110 + 24 * len(level2)) // ROW_PX)
    breaks.append(start)
    if len(units) <= UNIT_CHART_MAX:
        rows = [(s.unit_name or s.unit_code or s.file_name, s.exec_rate) for s in units]
        _table(book, ws, start, ("单位", "预算执行率"), rows, bold, RATE)
        _bar(book, ws, name, "各单位预算执行率", start, [b for _, b in rows], "预算执行率", rate=True, horizontal=True)
    else:
        bands = [("<50%", 0, .5), ("50%–60%", .5, .6), ("60%–70%", .6, .7), ("70%–80%", .7, .8),
                 ("80%–90%", .8, .9), ("90%–100%", .9, 1.0), ("≥100%", 1.0, 9e9)]
        rows = [(name, sum(1 for s in units if lo <= s.exec_rate < hi)) for name, lo, hi in bands]
        _table(book, ws, start, ("预算执行率区间", "单位数"), rows, bold)
        _bar(book, ws, name, "预算执行率分布（单位数）", start, [b for _, b in rows], "单位数", count=True)
    ws.set_h_pagebreaks(breaks)
    # portrait: a page is tall enough for one bar per unit (UNIT_CHART_MAX) beside their table
    book.print_setup(ws, name, [40, 12, 2, 600 / 7], portrait=True)


def _table(book, ws, r0, header, rows, bold, num=None) -> int:
    """A two-column bordered table at row ``r0``; returns the row after it."""
    book.put(ws, r0, 0, header[0], bold)
    book.put(ws, r0, 1, header[1], bold)
    text, fmt = book.fmt(border=True), book.fmt(num, border=True)
    for i, (a, b) in enumerate(rows, 1):
        book.put(ws, r0 + i, 0, a, text)
        book.put(ws, r0 + i, 1, b, fmt)
    return r0 + len(rows) + 1


def _bar(book, ws, sheet, title, header_row, values, y_title, *, horizontal=False, rate=False, count=False):
    """A bar chart of the table at ``header_row``, placed beside it: every category labelled (one bar a line),
    rates on a percent axis from 0 to 100% (further when a rate is above it), counts in whole numbers."""
    n = len(values)
    numbers = [v for v in values if isinstance(v, (int, float))]
    if n == 0:
        return
    ch = book.wb.add_chart({"type": "bar" if horizontal else "column"})
    ch.add_series({"name": y_title, "categories": [sheet, header_row + 1, 0, header_row + n, 0],
                   "values": [sheet, header_row + 1, 1, header_row + n, 1],
                   "fill": {"color": "#2F5597"}, "gap": 60,
                   "data_labels": {"value": True, "num_format": "0.0%" if rate else "0",
                                   "font": {"size": 8}}})
    ch.set_title({"name": title, "name_font": {"size": 12, "bold": True}})
    ch.set_legend({"none": True})
    value = {"min": 0, "num_format": "0%" if rate else "0", "num_font": {"size": 9},
             "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}}
    if rate:
        top = max([1.0] + numbers)
        value.update(max=float(-(-top * 10 // 1) / 10), major_unit=0.2 if top <= 1.2 else None)
        value = {k: v for k, v in value.items() if v is not None}
    if count:
        value["major_unit"] = 1 if max(numbers or [0]) <= 10 else None
        value = {k: v for k, v in value.items() if v is not None}
    category = {"interval_unit": 1, "num_font": {"size": 8 if n > 20 else 9}}   # every label, none dropped
    if horizontal:
        category["reverse"] = True                # first row at the top, as in the table
        ch.set_x_axis(value)
        ch.set_y_axis(category)
        height = 90 + 16 * n
    else:
        ch.set_x_axis(category)
        ch.set_y_axis(value)
        height = 300
    ch.set_size({"width": 600, "height": height})
    ws.insert_chart(header_row, 3, ch, {"y_offset": 4})     # inside its page, not on the break


def _review_sheets(book, review: list[dict], sample: list[dict] | None, seed=None, size=None):
    """The summary workbook's 复核 sheet (one row per form) and, with --sample, its 抽查 sheet."""
    cols = [Column("文件", 18), Column("来源", 13), Column("工作表", 12), Column("单位", 16), Column("项目名称", 18),
            Column("项目编码", 10), Column("自评总分", 8, "0.00##"), Column("复核总分", 8, "0.00##"),
            Column("差额", 7, "0.00##"), Column("高于规则的行数", 7), Column("高于规则的指标（单元格：自评，复核）", 44),
            Column("无法复核的行数", 7), Column("校验状态", 8)]
    _sheet(book, "复核", cols, ([r[k] for k in REVIEW_KEYS] for r in review),
           note="每份自评表一行：自评总分、按表中数据用同一计分引擎复核的总分及差额（差额 > 0 为自评高于复核）；"
                "wbtool 模板的得分即公式结果。", status_col=12)
    if sample is not None:
        scols = [Column(h, 10 if k in ("order", "self", "recomputed", "diff", "flagged_count") else 22)
                 for k, h in SAMPLE_HEADERS]
        _sheet(book, "抽查", scols, ([r.get(k) for k, _ in SAMPLE_HEADERS] for r in sample),
               note=f"随机抽查 {len(sample)} 份（--sample {size} --seed {seed}；同样的文件、份数和种子抽出同样的清单）。",
               status_col=len(SAMPLE_HEADERS) - 1)


def _suffix(spec: Spec) -> str:
    """A form's sheet-name suffix: its id in brackets, cut so 扣分统计（…） stays within Excel's 31 characters."""
    return f"（{spec.id[:25]}）"


def _sections_note(data: SummaryInput) -> str:
    n = Counter(s.spec_id for s in data.kept if s.readable)
    forms = "，".join(f"{sp.id} {n.get(sp.id, 0)} 份" for sp in data.sections)    # titles: in each form's sheets
    return (f"本次汇总 {len(data.sections)} 种表单（见“表单”列）：{forms}；指标得分、扣分统计、图表按表单分表，"
            "表名括号内为表单编号。")


def summary_title(spec: Spec | None) -> str:
    """The printed title: 部门整体支出绩效自评表 → 部门整体支出绩效自评汇总表."""
    return spec.title.replace("自评表", "自评汇总表") if spec and "自评表" in spec.title else "绩效自评汇总表"


def write_summary(data: SummaryInput, output: str | Path) -> dict:
    """Write the summary workbook atomically; returns counts for the caller's report."""
    wb = _Book(summary_title(data.spec))
    roster_codes = {u.code for u in data.roster}
    if data.spec:        # report --summary on this workbook names the spec as the database does
        wb.wb.set_custom_property("wbtool_spec", data.spec.id)
    if data.db:          # report --summary on this workbook reads this database (overview.database_of)
        wb.wb.set_custom_property("wbtool_db", str(data.db))
    _, n_units = _units_sheet(wb, data, roster_codes)
    _rollup_sheet(wb, data)
    project_subs = _project_subs(data)
    if project_subs:
        _projects_sheet(wb, data, project_subs)
        _unit_projects_sheet(wb, data, project_subs)
    for spec, suffix in data.section_specs():
        _deduction_sheet(wb, data, _matrix_sheet(wb, data, roster_codes, spec, suffix), suffix, spec)
    _findings_sheet(wb, data)
    returned = {s.unit_code for s in data.kept if s.unit_code}   # 无法读取 is not 未报送
    missing = _missing_sheet(wb, data, returned) if data.roster else []
    _duplicates_sheet(wb, data)
    _ledger_sheet(wb, data)
    if data.review or data.sample is not None:
        _review_sheets(wb, data.review, data.sample, seed=data.sample_label[1], size=data.sample_label[0])
    for spec, suffix in data.section_specs():
        _charts_sheet(wb, data, spec, suffix)
    data_bytes = wb.close()
    with atomic_output(output) as fh:
        fh.write(data_bytes)
    statuses = Counter(s.status for s in data.kept)
    return {"rows": n_units, "missing": [{"unit_code": m[0], "unit_name": m[1]} for m in missing],
            "statuses": dict(statuses)}



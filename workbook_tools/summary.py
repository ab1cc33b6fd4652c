"""The bureau's summary workbook: one row per unit, indicator matrix, deductions, problems, gaps, charts."""
from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import xlsxwriter

from .atomic import atomic_output
from .collect import (PASS, RETURN, UNREADABLE, is_project_workbook, link_note, project_label, project_tally,
                      single_project, spec_fund_types, unit_view)
from .spec import Spec
from .text import excel_text

HEAD_FILL = "#D9E1F2"
STATUS_FILL = {PASS: "#C6EFCE", RETURN: "#FFC7CE", UNREADABLE: "#D9D9D9"}
MONEY, RATE, SCORE = "#,##0.00", "0.00%", "0.00##"


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


class _Book:
    """An xlsxwriter workbook (several times faster than openpyxl for 10,000-row sheets) with cached formats."""

    def __init__(self):
        self.buf = io.BytesIO()
        # strings are always written with write_string: text from returned files never becomes a formula
        self.wb = xlsxwriter.Workbook(self.buf, {"in_memory": True, "strings_to_formulas": False,
                                                 "strings_to_urls": False, "strings_to_numbers": False})
        self._formats = {}

    def fmt(self, num: str | None = None, bold: bool = False, bg: str | None = None):
        key = (num, bold, bg)
        if key not in self._formats:
            props = {"font_name": "宋体", "font_size": 10}
            if num:
                props["num_format"] = num
            if bold:
                props["bold"] = True
            if bg:
                props.update(bg_color=bg, pattern=1)
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]

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
           status_col: int | None = None):
    """A table sheet: optional note line, bold header, typed cells; print-ready. Returns (sheet, rows, header row)."""
    ws = book.wb.add_worksheet(title)
    for i, col in enumerate(columns):
        ws.set_column(i, i, col.width)
    h = 0
    if note:
        book.put(ws, 0, 0, note)
        h = 1
    head = book.fmt(bold=True, bg=HEAD_FILL)
    for i, col in enumerate(columns):
        book.put(ws, h, i, col.header, head)
    fmts = [book.fmt(col.fmt) if col.fmt else None for col in columns]
    n = 0
    for n, row in enumerate(rows, 1):
        r = h + n
        for i, v in enumerate(row):
            fmt = book.fmt(columns[i].fmt, bg=STATUS_FILL[v]) if status_col == i and v in STATUS_FILL else fmts[i]
            book.put(ws, r, i, v, fmt)
    ws.freeze_panes(h + 1, 0)
    ws.repeat_rows(h)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    return ws, n, h


def _letter(i: int) -> str:
    from .layout import col_letter
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
    nodes = _subtotal_nodes(data.spec)
    cols = ([Column("序号", 6), Column("单位编码", 14), Column("单位名称", 30), Column("主管部门", 20),
             Column("总分", 9, "0.00"), Column("等级", 6)]
            + [Column(_label(n), 12, SCORE) for n in nodes]
            + [Column("预算（万元）", 14, MONEY), Column("实际支出（万元）", 14, MONEY), Column("执行率", 9, RATE),
               Column("错误数", 7), Column("警告数", 7), Column("状态", 8), Column("填报日期", 11),
               Column("备注", 18), Column("来源文件", 40)])
    status_col = len(cols) - 6

    def rows():
        order = sorted(data.kept, key=lambda s: (s["status"] == UNREADABLE, s.get("unit_code") or "~", s["file_name"]))
        for i, s in enumerate(order, 1):
            d = s.get("data") or {}
            note = []
            if s["status"] == UNREADABLE:
                note.append(s.get("error_message") or "")
            elif roster_codes and s.get("unit_code") not in roster_codes:
                note.append("不在名单中")
            if is_project_workbook(s):
                note.append(f"项目工作簿：{len(s.get('projects') or [])} 个项目，总分为已自评项目平均分")
            elif single_project(s) is not None and project_label(single_project(s)):
                note.append(f"项目：{project_label(single_project(s))}")
            note += s.get("notes") or []
            note.append(link_note(s))
            yield ([i, s.get("unit_code") or "", s.get("unit_name") or "", d.get("parent", ""),
                    s.get("display"), s.get("grade")]
                   + [(d.get("nodes") or {}).get(n.id) for n in nodes]
                   + [s.get("budget"), s.get("actual"), s.get("exec_rate"), s.get("errors"), s.get("warnings"),
                      s["status"], s.get("fill_date"), "；".join(x for x in note if x), s["path"]])
    ws, n, h = _sheet(wb, "汇总", cols, rows(), status_col=status_col)
    ws.autofilter(h, 0, h + n, len(cols) - 1)
    return ws, n


def _matrix_sheet(wb, data: SummaryInput):
    spec = data.spec
    leaves = spec.leaves()
    cols = [Column("单位编码", 14), Column("单位名称", 28)] + [Column(_label(n), 10, SCORE) for n in leaves]
    units = [s for s in data.kept if s["readable"] and s.get("spec_id") == spec.id and not is_project_workbook(s)]
    frame = pd.DataFrame([(s.get("data") or {}).get("leaves", {}) for s in units], columns=[n.id for n in leaves])

    def rows():
        for s, (_, r) in zip(units, frame.iterrows()):
            yield [s.get("unit_code") or "", s.get("unit_name") or ""] + [None if pd.isna(x) else float(x) for x in r]
        if units:
            yield ["平均", ""] + [None if pd.isna(x) else round(float(x), 4) for x in frame.mean()]
    _sheet(wb, "指标得分", cols, rows())
    return frame, units


def _deduction_sheet(wb, data: SummaryInput, frame: pd.DataFrame, units: list[dict]):
    spec = data.spec
    cols = [Column("编号", 8), Column("指标", 30), Column("分值", 7, SCORE), Column("扣分单位数", 10),
            Column("扣分合计", 10, SCORE), Column("平均扣分", 10, SCORE), Column("平均得分", 10, SCORE),
            Column("得分率", 9, RATE), Column("常见扣分原因", 70)]

    def rows():
        for leaf in spec.leaves():
            col = frame[leaf.id] if leaf.id in frame else pd.Series(dtype=float)
            scored = col.dropna()
            lost = (float(leaf.weight) - scored).clip(lower=0)
            losers = lost[lost > 0]
            reasons = Counter((units[i].get("data") or {}).get("reasons", {}).get(leaf.id)
                              for i in losers.index)
            reasons.pop(None, None)
            common = "；".join(f"{r}（{c}）" for r, c in reasons.most_common(3))
            mean = float(scored.mean()) if len(scored) else None
            yield [leaf.id, leaf.name, float(leaf.weight), int(len(losers)), round(float(losers.sum()), 4),
                   round(float(losers.mean()), 4) if len(losers) else 0, round(mean, 4) if mean is not None else None,
                   round(mean / float(leaf.weight), 4) if mean is not None and leaf.weight else None, common]
    _sheet(wb, "扣分统计", cols, rows())


def _findings_sheet(wb, data: SummaryInput):
    subs = {s["id"]: s for s in data.all_subs}
    cols = [Column("单位编码", 14), Column("单位名称", 26), Column("文件", 30), Column("严重性", 8), Column("代码", 26),
            Column("单元格", 14), Column("指标", 8), Column("问题", 70), Column("已说明", 7)]
    projects = any(f.get("project") for f in data.findings)
    if projects:
        cols.append(Column("项目", 30))

    def rows():
        for f in data.findings:
            s = subs.get(f["submission_id"], {})
            yield [s.get("unit_code") or "", s.get("unit_name") or "", s.get("file_name", ""),
                   "错误" if f["severity"] == "error" else "警告", f["code"], f["cell"] or "", f["indicator"] or "",
                   f["message"], "是" if f["explained"] else ""] + ([f.get("project") or ""] if projects else [])
    _sheet(wb, "问题清单", cols, rows())


def _missing_sheet(wb, data: SummaryInput, returned: set):
    cols = [Column("单位编码", 14), Column("单位名称", 30), Column("主管部门", 24)]
    rows = [[u.code, u.name, u.parent_name or u.parent_code] for u in data.roster if u.code not in returned]
    note = f"名单 {len(data.roster)} 个单位，未报送 {len(rows)} 个。"
    if data.projects is not None:     # overall forms with project returns beside them: who sent projects only
        sent = Counter(s.get("unit_code") for s in data.projects)
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
        if s.get("readable") and s.get("unit_code"):
            groups.setdefault(s["unit_code"], []).append(s)
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
        grades = Counter(s.get("grade") for s in got)
        budget = sum(s.get("budget") or 0 for s in got)
        actual = sum(s.get("actual") or 0 for s in got)
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
                   if s["readable"] and s.get("projects")),
                  key=lambda s: (s.get("unit_code") or "~", s["file_name"]))


def _projects_sheet(wb, data: SummaryInput, subs: list[dict]):
    """项目汇总: every project of the current returns, one row each."""
    cols = [Column("单位编码", 14), Column("单位名称", 26), Column("文件", 30), Column("工作表", 9),
            Column("项目编码", 16), Column("项目名称", 30), Column("资金性质", 13), Column("预算（万元）", 14, MONEY),
            Column("实际支出（万元）", 14, MONEY), Column("执行率", 9, RATE), Column("总分", 8, "0.00"),
            Column("等级", 6), Column("状态", 8), Column("错误数", 7), Column("警告数", 7)]

    def rows():
        for s in subs:
            for p in s["projects"]:
                yield [s.get("unit_code") or "", s.get("unit_name") or "", s["file_name"], p.get("sheet") or "",
                       p.get("project_code") or "", p.get("project_name") or "", p.get("fund_type") or "",
                       p.get("budget"), p.get("actual"), p.get("exec_rate"), p.get("display"), p.get("grade") or "",
                       p.get("status") or "", p.get("errors"), p.get("warnings")]
    ws, n, h = _sheet(wb, "项目汇总", cols, rows(),
                      note="每个项目一行（项目工作簿的每张项目表，或一个项目一个文件）；状态：未完成 = 尚有指标未评分，"
                           "待完善 = 尚有提示，已完成 = 全部评完。")
    ws.autofilter(h, 0, h + n, len(cols) - 1)


def _unit_projects_sheet(wb, data: SummaryInput, subs: list[dict]):
    """单位项目统计: per unit, its projects counted as the 项目清单 counts them (the engine's tally)."""
    types = tuple(spec_fund_types(data.spec.id)) if data.spec is not None and data.spec.kind == "project" else ()
    if not types:
        types = spec_fund_types(next((s.get("spec_id") for s in subs if s.get("spec_id")), None))
    grades = [g.name for g in data.spec.grades] if data.spec else ["优", "良", "中", "差"]
    cols = ([Column("单位编码", 14), Column("单位名称", 26), Column("文件数", 7), Column("项目数", 7)]
            + [Column(f"已自评·{t}", 12) for t in types]
            + [Column("已自评合计", 10), Column("已自评平均分", 11, "0.00")]
            + [Column(g, 5) for g in grades]
            + [Column("有错误的项目数", 12), Column("预算合计（万元）", 16, MONEY),
               Column("实际支出合计（万元）", 16, MONEY), Column("执行率", 9, RATE)])
    groups: dict[str, list[dict]] = {}
    for s in subs:
        groups.setdefault(s.get("unit_code") or s["file_name"], []).append(s)

    def rows():
        for code, group in groups.items():
            projects = [p for s in group for p in s["projects"]]
            tally = project_tally(projects, types)
            done = [p for p in projects if p.get("status") != "未完成" and p.get("fund_type") in types]
            by_grade = Counter(p.get("grade") for p in done)
            yield ([group[0].get("unit_code") or "", group[0].get("unit_name") or "", len(group), len(projects)]
                   + [tally.counts.get(t, 0) for t in types]
                   + [tally.count, _float(tally.average)]
                   + [by_grade.get(g, 0) for g in grades]
                   + [sum(1 for p in projects if p.get("errors")), _float(tally.budget), _float(tally.actual),
                      _float(tally.rate)])
    _sheet(wb, "单位项目统计", cols, rows(),
           note="已自评 = 状态不是“未完成”的项目（与项目清单的统计口径一致）；平均分与等级分布按已自评项目计。")


def _float(x):
    return None if x is None else float(x)


def _ledger_sheet(wb, data: SummaryInput):
    if not data.ledger_rows:
        return
    cols = [Column("单位编码", 14), Column("单位名称", 26), Column("文件", 30), Column("代码", 28), Column("单元格", 14),
            Column("问题", 70), Column("台账值", 14), Column("文件值", 14)]
    projects = any(r.get("project") for r in data.ledger_rows)
    if projects:
        cols.append(Column("项目", 30))
    _sheet(wb, "台账核对", cols, ([r.get("unit_code") or "", r.get("unit_name") or "", r.get("file_name") or "",
                                 r["code"], r.get("cell") or "", r["message"], r.get("expected"), r.get("found")]
                                + ([r.get("project") or ""] if projects else []) for r in data.ledger_rows))


def _charts_sheet(book: _Book, data: SummaryInput):
    """Charts need their numbers in cells: small tables, each with a bar chart beside it."""
    ws = book.wb.add_worksheet("图表")
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 12)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)        # tables and charts side by side on the printed page
    bold = book.fmt(bold=True)
    readable = [s for s in data.kept if s["readable"]]
    grades = Counter(s.get("grade") for s in readable)
    names = [g.name for g in data.spec.grades] if data.spec else ["优", "良", "中", "差"]
    r = _table(book, ws, 0, ("等级", "单位数"), [(g, grades.get(g, 0)) for g in names], bold)
    _bar(book, ws, "总分等级分布", 0, len(names), "D1", "单位数")
    level2 = [n for n in data.spec.nodes() if n.depth == 2] if data.spec else []
    if not level2 and data.spec:
        level2 = list(data.spec.tree)
    rows = []
    for n in level2:
        key = "leaves" if n.is_leaf else "nodes"
        vals = [((s.get("data") or {}).get(key) or {}).get(n.id) for s in readable]
        vals = [v for v in vals if v is not None]
        rows.append((f"{n.id} {n.name}", round(sum(vals) / len(vals) / float(n.weight), 4) if vals and n.weight
                     else None))
    start = r + 1
    r = _table(book, ws, start, ("二级指标", "平均得分率"), rows, bold, RATE)
    _bar(book, ws, "各二级指标平均得分率", start, len(level2), "D18", "平均得分率")
    units = sorted((s for s in readable if s.get("exec_rate") is not None), key=lambda s: s["exec_rate"])
    start = r + 1
    if len(units) <= 100:
        rows = [(s.get("unit_name") or s.get("unit_code") or s["file_name"], s["exec_rate"]) for s in units]
        _table(book, ws, start, ("单位", "预算执行率"), rows, bold, RATE)
        _bar(book, ws, "各单位预算执行率", start, len(units), "D36", "预算执行率", horizontal=True)
    else:
        bands = [("<50%", 0, .5), ("50%–60%", .5, .6), ("60%–70%", .6, .7), ("70%–80%", .7, .8),
                 ("80%–90%", .8, .9), ("90%–100%", .9, 1.0), ("≥100%", 1.0, 9e9)]
        rows = [(name, sum(1 for s in units if lo <= s["exec_rate"] < hi)) for name, lo, hi in bands]
        _table(book, ws, start, ("预算执行率区间", "单位数"), rows, bold)
        _bar(book, ws, "预算执行率分布", start, len(bands), "D36", "单位数")


def _table(book, ws, r0, header, rows, bold, num=None) -> int:
    """A two-column table at row ``r0``; returns the row after it."""
    book.put(ws, r0, 0, header[0], bold)
    book.put(ws, r0, 1, header[1], bold)
    fmt = book.fmt(num) if num else None
    for i, (a, b) in enumerate(rows, 1):
        book.put(ws, r0 + i, 0, a)
        book.put(ws, r0 + i, 1, b, fmt)
    return r0 + len(rows) + 1


def _bar(book, ws, title, header_row, n, anchor, y_title, horizontal=False):
    if n == 0:
        return
    ch = book.wb.add_chart({"type": "bar" if horizontal else "column"})
    ch.add_series({"name": y_title, "categories": ["图表", header_row + 1, 0, header_row + n, 0],
                   "values": ["图表", header_row + 1, 1, header_row + n, 1]})
    ch.set_title({"name": title})
    ch.set_legend({"none": True})
    axis = {"min": 0}                           # bars start at zero, or small differences look large
    ch.set_x_axis(axis) if horizontal else ch.set_y_axis(axis)
    ch.set_size({"width": 640, "height": int(300 + (14 * n if horizontal else 0))})
    ws.insert_chart(anchor, ch)


def write_summary(data: SummaryInput, output: str | Path) -> dict:
    """Write the summary workbook atomically; returns counts for the caller's report."""
    wb = _Book()
    roster_codes = {u.code for u in data.roster}
    _, n_units = _units_sheet(wb, data, roster_codes)
    _rollup_sheet(wb, data)
    project_subs = _project_subs(data)
    if project_subs:
        _projects_sheet(wb, data, project_subs)
        _unit_projects_sheet(wb, data, project_subs)
    if data.spec:
        frame, units = _matrix_sheet(wb, data)
        _deduction_sheet(wb, data, frame, units)
    _findings_sheet(wb, data)
    returned = {s.get("unit_code") for s in data.kept if s.get("readable")}
    missing = _missing_sheet(wb, data, returned) if data.roster else []
    _duplicates_sheet(wb, data)
    _ledger_sheet(wb, data)
    if data.review or data.sample is not None:
        from .foreign.review import review_sheets
        review_sheets(wb, data.review, data.sample, seed=data.sample_label[1], size=data.sample_label[0])
    if data.spec:
        _charts_sheet(wb, data)
    data_bytes = wb.close()
    with atomic_output(output) as fh:
        fh.write(data_bytes)
    statuses = Counter(s["status"] for s in data.kept)
    return {"rows": n_units, "missing": [{"unit_code": m[0], "unit_name": m[1]} for m in missing],
            "statuses": dict(statuses)}



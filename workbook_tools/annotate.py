"""Annotated copy: every finding marked on its cell, a 校验结果 sheet with links, warnings pre-listed for explanation."""
from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from .atomic import atomic_output
from .catalogue import ERROR
from .errors import UsageError
from .findings import Report
from .layout import EXPLAIN_ROWS, SHEET_EXPLAIN

RESULT_SHEET = "校验结果"
FILLS = {"error": PatternFill("solid", fgColor="FFC7CE"), "warning": PatternFill("solid", fgColor="FFEB9C")}
SEV_ZH = {"error": "错误（强制性）", "warning": "警告（提示性）"}


def set_text(cell, value):
    """Write text that is never interpreted as a formula (=, +, -, @ stay literal)."""
    cell.value = None if value is None else str(value)
    if value is not None:
        cell.data_type = "s"


def annotate_workbook(path: str | Path, report: Report, output: str | Path, lang: str = "zh") -> Path:
    """Write ``output``: a copy of ``path`` with the report marked on it (the original is not touched)."""
    path, output = Path(path), Path(output)
    if output.resolve() == path.resolve():
        raise UsageError("--annotate 的输出文件不能是原文件本身。", "--annotate must not overwrite the original")
    wb = load_workbook(io.BytesIO(path.read_bytes()), keep_vba=path.suffix.lower() == ".xlsm")
    for f in report.findings:
        if f.sheet not in wb.sheetnames or not f.coord:
            continue
        cell = wb[f.sheet][f.coord]
        cell.fill = FILLS["warning" if f.explained else f.severity]
        text = f"[{f.code}] {f.message(lang)}"
        if cell.comment is not None and cell.comment.text:
            text = cell.comment.text + "\n" + text
        cell.comment = Comment(text[:30000], "wbtool")
        cell.comment.width, cell.comment.height = 320, 140
    _result_sheet(wb, report, lang)
    _prelist(wb, report, lang)
    buf = io.BytesIO()
    wb.save(buf)
    with atomic_output(output) as fh:
        fh.write(buf.getvalue())
    return output


def _result_sheet(wb, report: Report, lang: str):
    if RESULT_SHEET in wb.sheetnames:
        del wb[RESULT_SHEET]
    ws = wb.create_sheet(RESULT_SHEET, 0)
    heads = ("序号", "严重性", "检查代码", "单元格", "指标", "问题", "应为", "实际", "情况说明")
    for i, h in enumerate(heads, 1):
        c = ws.cell(row=1, column=i, value=h)
        c.font = Font(bold=True)
    for r, f in enumerate(report.findings, 2):
        ws.cell(row=r, column=1, value=r - 1)
        set_text(ws.cell(row=r, column=2), SEV_ZH[f.severity] if lang != "en" else f.severity)
        set_text(ws.cell(row=r, column=3), f.code)
        link = ws.cell(row=r, column=4)
        set_text(link, f.cell)
        if f.sheet in wb.sheetnames and f.coord:
            link.hyperlink = f"#'{f.sheet}'!{f.coord}"
            link.font = Font(color="0563C1", underline="single")
        set_text(ws.cell(row=r, column=5), f.indicator)
        set_text(ws.cell(row=r, column=6), f.message(lang))
        d = f.to_dict(lang)
        set_text(ws.cell(row=r, column=7), d["expected"])
        set_text(ws.cell(row=r, column=8), d["found"])
        set_text(ws.cell(row=r, column=9), f.explanation if f.explained else "")
        ws.cell(row=r, column=2).fill = FILLS["warning" if f.explained else f.severity]
    for col, w in zip("ABCDEFGHI", (6, 14, 26, 16, 10, 70, 18, 18, 30)):
        ws.column_dimensions[col].width = w
    ws.freeze_panes = "A2"
    if not report.findings:
        set_text(ws.cell(row=2, column=6), "未发现问题。" if lang != "en" else "No findings.")
    wb.active = 0


def _prelist(wb, report: Report, lang: str):
    """List unexplained warnings in 情况说明 so the unit only has to write the explanation."""
    if SHEET_EXPLAIN not in wb.sheetnames:
        return
    ws = wb[SHEET_EXPLAIN]
    listed = {(str(ws.cell(row=3 + n, column=2).value or ""), str(ws.cell(row=3 + n, column=3).value or ""))
              for n in range(1, EXPLAIN_ROWS + 1)}
    free = [3 + n for n in range(1, EXPLAIN_ROWS + 1) if not ws.cell(row=3 + n, column=2).value]
    for f in report.findings:
        if f.severity == ERROR or f.explained or (f.code, f.cell) in listed or not free:
            continue
        r = free.pop(0)
        set_text(ws.cell(row=r, column=2), f.code)
        set_text(ws.cell(row=r, column=3), f.cell)
        set_text(ws.cell(row=r, column=4), f.message(lang))

"""Annotated copy: every finding marked on its cell, a 校验结果 sheet with links, warnings pre-listed for explanation."""
from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from .atomic import atomic_output
from .catalogue import ERROR
from .errors import UsageError, WbtoolError
from .findings import Report
from .layout import EXPLAIN_ROWS, SHEET_EXPLAIN
from .text import excel_text

RESULT_SHEET = "校验结果"
FILLS = {"error": PatternFill("solid", fgColor="FFC7CE"), "warning": PatternFill("solid", fgColor="FFEB9C")}
SEV_ZH = {"error": "错误（强制性）", "warning": "警告（提示性）"}


def set_text(cell, value):
    """Write text that is never interpreted as a formula (=, +, -, @ stay literal)."""
    cell.value = None if value is None else excel_text(str(value))
    if value is not None:
        cell.data_type = "s"


MARK_SHEET = "_wbtool_marks"    # original fills and comments, so `wbtool clear` can put them back


def annotate_workbook(path: str | Path, report: Report, output: str | Path, lang: str = "zh") -> Path:
    """Write ``output``: a copy of ``path`` with the report marked on it (the original is not touched)."""
    path, output = Path(path), Path(output)
    if output.resolve() == path.resolve():
        raise UsageError("--annotate 的输出文件不能是原文件本身。", "--annotate must not overwrite the original")
    data = marked_bytes(path.read_bytes(), report, lang, xlsm=path.suffix.lower() == ".xlsm")
    with atomic_output(output) as fh:
        fh.write(data)
    return output


def marked_bytes(data: bytes, report: Report, lang: str = "zh", *, xlsm: bool = False) -> bytes:
    """The workbook with findings marked; formula values refreshed so non-calculating readers see numbers."""
    wb = load_workbook(io.BytesIO(_cleared(data, xlsm)), keep_vba=xlsm)
    log = wb.create_sheet(MARK_SHEET)
    log.sheet_state = "veryHidden"
    for f in report.findings:
        if f.sheet not in wb.sheetnames or not f.coord:
            continue
        cell = wb[f.sheet][f.coord]
        old = cell.comment
        log.append([f.sheet, f.coord, cell.fill.fgColor.rgb if cell.fill and cell.fill.fill_type else None,
                    old.text if old else None, old.author if old else None])
        cell.fill = FILLS["warning" if f.explained else f.severity]
        text = f"[{f.code}] {f.message(lang)}"
        if old is not None and old.text:
            text = old.text + "\n" + text
        cell.comment = Comment(excel_text(text[:30000]), "wbtool")
        cell.comment.width, cell.comment.height = 320, 140
    _result_sheet(wb, report, lang)
    _prelist(wb, report, lang)
    return _refresh(wb)


def clear_bytes(data: bytes, *, xlsm: bool = False) -> tuple[bytes, int]:
    """The workbook without our marks: fills and comments restored, 校验结果 removed."""
    wb = load_workbook(io.BytesIO(data), keep_vba=xlsm)
    n = _unmark(wb)
    return _refresh(wb), n


def _cleared(data: bytes, xlsm: bool) -> bytes:
    wb = load_workbook(io.BytesIO(data), keep_vba=xlsm)
    if MARK_SHEET not in wb.sheetnames and RESULT_SHEET not in wb.sheetnames:
        return data
    _unmark(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _unmark(wb) -> int:
    n = 0
    if MARK_SHEET in wb.sheetnames:
        for row in wb[MARK_SHEET].iter_rows(values_only=True):
            # trailing empty cells (no comment, no author) are not stored: pad the row back to five
            sheet, coord, rgb, text, author = (tuple(row) + (None,) * 5)[:5]
            if sheet not in wb.sheetnames or not coord:
                continue
            cell = wb[sheet][coord]
            cell.fill = PatternFill("solid", fgColor=rgb) if rgb else PatternFill(fill_type=None)
            cell.comment = Comment(text, author or "") if text else None
            n += 1
        del wb[MARK_SHEET]
    if RESULT_SHEET in wb.sheetnames:
        del wb[RESULT_SHEET]
    return n


def _refresh(wb) -> bytes:
    """openpyxl drops cached formula values; put them back as Excel would compute them."""
    from .fill import refresh_values
    buf = io.BytesIO()
    wb.save(buf)
    try:
        return refresh_values(buf.getvalue())
    except WbtoolError:      # not one of our forms: the marked file is still useful as it is
        return buf.getvalue()


def mark_workbook(path: str | Path, report: Report, lang: str = "zh") -> Path:
    """Write the findings into the workbook itself (WPS desks), keeping a backup; returns the backup."""
    from .atomic import make_backup
    path = Path(path)
    data = marked_bytes(path.read_bytes(), report, lang, xlsm=path.suffix.lower() == ".xlsm")
    bak = make_backup(path)
    with atomic_output(path) as fh:
        fh.write(data)
    return bak


def clear_workbook(path: str | Path) -> tuple[int, Path | None]:
    """Remove marks written by ``mark_workbook``; the file is only rewritten when there were marks."""
    from .atomic import make_backup
    path = Path(path)
    raw = path.read_bytes()
    data, n = clear_bytes(raw, xlsm=path.suffix.lower() == ".xlsm")
    if n == 0 and not _has_result_sheet(raw):
        return 0, None
    bak = make_backup(path)
    with atomic_output(path) as fh:
        fh.write(data)
    return n, bak


def _has_result_sheet(data: bytes) -> bool:
    from .xlsxfile import FileBook
    return RESULT_SHEET in FileBook("x.xlsx", data).sheet_names()


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

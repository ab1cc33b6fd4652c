"""Annotated copies and marks in place: findings on their cells, a 校验结果 sheet, warnings pre-listed.

Written at the XML level (xmlmarks) so whatever our reader accepts can be marked, and charts, images and
macros a unit added stay as they were; the marks log format is marklog's, shared with live marks.
"""
from __future__ import annotations

from pathlib import Path

from workbook_tools.files.atomic import atomic_output, make_backup
from workbook_tools.catalogue import ERROR
from workbook_tools.cells import Mark
from workbook_tools.errors import UsageError
from workbook_tools.checks.findings import Report
from workbook_tools.model.layout import EXPLAIN_ROWS, SHEET_EXPLAIN
from workbook_tools.files.marklog import MARK_COLORS, MARK_SHEET, NOTE_TAG, RESULT_SHEET  # noqa: F401  (re-exported: one name each)
from workbook_tools.files import xmlmarks as xm
from workbook_tools.files.xlsxfile import FileBook

SEV_ZH = {"error": "错误", "warning": "提示"}
# what the unit reads: the check's title, never its code; the code trails off the print area, for the
# 情况说明 sheet (explanations are keyed by code and cell) and for scripts
HEADS = ("序号", "严重性", "检查项", "单元格", "指标", "问题及怎么改", "应为", "实际", "情况说明", "代码")
HEADS_EN = ("No.", "Severity", "Check", "Cell", "Indicator", "Problem", "Expected", "Found", "Explanation", "Code")
WIDTHS = (6, 8, 22, 12, 8, 50, 14, 14, 30, 8)


def annotate_workbook(path: str | Path, report: Report, output: str | Path, lang: str = "zh") -> Path:
    """Write ``output``: a copy of ``path`` with the report marked on it (the original is not touched)."""
    path, output = Path(path), Path(output)
    if output.resolve() == path.resolve():
        raise UsageError("--annotate 的输出文件不能是原文件本身。", "--annotate must not overwrite the original")
    data = marked_bytes(path.read_bytes(), report, lang, source=str(path))
    with atomic_output(output) as fh:
        fh.write(data)
    return output


def finding_marks(report: Report, lang: str = "zh") -> list[Mark]:
    """One mark per finding that names a cell (explained warnings are shown as warnings) — file and live alike."""
    return [Mark(f.sheet, f.coord, "warning" if f.explained else f.severity, note_text(f, lang))
            for f in report.findings if f.sheet and f.coord]


def note_text(f, lang: str = "zh") -> str:
    """A cell note as the clerk reads it: the check's title, the message and how to fix it (no code)."""
    if lang == "en":
        return f"{f.entry.title('en')}: {f.message('en')}"
    fix = f"\n怎么改：{f.entry.fix}" if f.entry.fix else ""
    return f"{f.entry.title_zh}：{f.message(lang)}{fix}"


def merge_marks(marks: list[Mark]) -> list[Mark]:
    """One mark per cell: the worst severity, every text (a cell flagged twice is logged once)."""
    out: dict[tuple[str, str], Mark] = {}
    for m in marks:
        key = (m.sheet, m.coord.replace("$", "").upper())
        old = out.get(key)
        if old is None:
            out[key] = Mark(key[0], key[1], m.severity, m.text)
        else:
            sev = ERROR if ERROR in (old.severity, m.severity) else old.severity
            out[key] = Mark(key[0], key[1], sev, old.text + "\n" + m.text)
    return list(out.values())


def marked_bytes(data: bytes, report: Report, lang: str = "zh", *, xlsm: bool = False,
                 source: str = "workbook") -> bytes:
    """The workbook with findings marked (earlier marks cleared first); untouched parts stay byte-identical."""
    data = clear_bytes(data, source=source)[0] if _has_marks(data, source) else data
    pkg = xm.Package(data, source)
    _prelist(pkg, report, lang)
    names = set(pkg.book.sheet_names())
    marks = [m for m in merge_marks(finding_marks(report, lang)) if m.sheet in names]
    cells = [xm.Cell(m.sheet, m.coord, fill=MARK_COLORS.get(m.severity, MARK_COLORS["warning"]),
                     append=f"{NOTE_TAG} {m.text}"[:30000]) for m in marks]
    entries = xm.apply_cells(pkg, cells, remember=True)
    xm.add_sheet(pkg, _result_sheet(pkg, report, lang, names, source))
    xm.add_sheet(pkg, xm.log_sheet(entries))
    return pkg.write()


def clear_bytes(data: bytes, *, xlsm: bool = False, source: str = "workbook") -> tuple[bytes, int]:
    """The workbook without our marks: fills and notes restored, 校验结果 and the marks log removed."""
    pkg = xm.Package(data, source)
    n = xm.restore_cells(pkg, xm.read_log(pkg))
    found = xm.remove_sheet(pkg, MARK_SHEET)
    found = xm.remove_sheet(pkg, RESULT_SHEET) or found
    return (pkg.write() if found or n else data), n


def _has_marks(data: bytes, source: str) -> bool:
    names = FileBook(source, data).sheet_names()
    return MARK_SHEET in names or RESULT_SHEET in names


def mark_workbook(path: str | Path, report: Report, lang: str = "zh") -> Path:
    """Write the findings into the workbook itself (WPS desks), keeping a backup; returns the backup."""
    path = Path(path)
    data = marked_bytes(path.read_bytes(), report, lang, source=str(path))
    bak = make_backup(path)
    with atomic_output(path) as fh:
        fh.write(data)
    return bak


def clear_workbook(path: str | Path) -> tuple[int, Path | None]:
    """Remove marks written by ``mark_workbook`` or ``validate --live``; the file is only rewritten when there
    were marks."""
    path = Path(path)
    raw = path.read_bytes()
    if not _has_marks(raw, str(path)):
        return 0, None
    data, n = clear_bytes(raw, source=str(path))
    bak = make_backup(path)
    with atomic_output(path) as fh:
        fh.write(data)
    return n, bak


def result_rows(report: Report, lang: str = "zh") -> list[list]:
    """The 校验结果 table (header first) — the same rows in a file and in a live workbook."""
    rows = [list(HEADS_EN if lang == "en" else HEADS)]
    for i, f in enumerate(report.findings, 1):
        d = f.to_dict(lang)
        problem = f.message(lang)
        if lang != "en" and f.entry.fix:
            problem += "\n怎么改：" + f.entry.fix
        rows.append([i, SEV_ZH[f.severity] if lang != "en" else f.severity, f.entry.title(lang), f.cell,
                     f.indicator, problem, _text(d["expected"]), _text(d["found"]),
                     f.explanation if f.explained else "", f.code])
    if not report.findings:
        rows.append(["", "", "", "", "", "未发现问题。" if lang != "en" else "No findings.", "", "", "", ""])
    return rows


def _lines(value, width: float) -> int:
    """How many lines ``value`` wraps to in a column ``width`` characters wide (CJK characters count two)."""
    if value is None or value == "":
        return 1
    import math
    import unicodedata
    n = 0
    for part in str(value).split("\n"):
        w = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in part)
        n += max(1, math.ceil(w / max(width - 1, 1)))
    return n


def _text(v):
    return "" if v is None else str(v)


def _result_sheet(pkg: xm.Package, report: Report, lang: str, names: set, source: str = "") -> xm.Sheet:
    rows = result_rows(report, lang)
    fname = Path(source).name.replace("&", "&&") if source else ""
    title = (f"Validation results — {fname}" if lang == "en" else f"校验结果 — {fname}").rstrip(" —")
    page = xm.Page(landscape=True, title_rows=1, print_cols=len(HEADS) - 1, header=f'&C&"-,Bold"&12{title}',
                   footer="&CPage &P of &N" if lang == "en" else "&C第 &P 页，共 &N 页")
    sh = xm.Sheet(RESULT_SHEET, rows, position=0, widths=list(WIDTHS), freeze_header=True, active=True, page=page)
    cell = pkg.xf_with(0, border=True, wrap=True)
    head = pkg.xf_with(0, font={"bold": True}, fill="#D9E1F2", border=True, wrap=True)
    link = pkg.xf_with(0, font={"underline": True, "color": "#0563C1"}, border=True, wrap=True)
    sev = {k: pkg.xf_with(0, fill=v, border=True, wrap=True) for k, v in MARK_COLORS.items()}
    for r, row in enumerate(rows, 1):
        for c in range(1, len(HEADS) + 1):
            sh.styles[(r, c)] = head if r == 1 else cell
        lines = max(_lines(v, w) for v, w in zip(row, WIDTHS))
        if lines > 1:                 # wrapped text gets its height in print, not one clipped line
            sh.heights[r] = round(15 * lines, 1)
    for r, f in enumerate(report.findings, 2):
        sh.styles[(r, 2)] = sev["warning" if f.explained else f.severity]
        if f.sheet in names and f.coord:
            sh.links[f"D{r}"] = f"'{f.sheet}'!{f.coord}"
            sh.styles[(r, 4)] = link
    return sh


def _prelist(pkg: xm.Package, report: Report, lang: str) -> None:
    """List unexplained warnings in 情况说明 so the unit only has to write the explanation (only its first rows
    are read: a sheet padded to a million rows costs no more than the template's)."""
    part = pkg.sheet_part(SHEET_EXPLAIN)
    if not part or not pkg.has(part):
        return
    rows = range(4, 4 + EXPLAIN_ROWS)
    cells = xm.read_top(pkg, part, rows[-1])
    val = lambda r, c: cells.get(f"{c}{r}")  # noqa: E731
    listed = {(str(val(r, "B") or ""), str(val(r, "C") or "")) for r in rows}
    free = [r for r in rows if not val(r, "B")]
    texts = {}
    for f in report.findings:
        # named by the title the unit reads in 校验结果 (never an English code); the code is still understood
        title = f.entry.title_zh if lang == "zh" else f.entry.title_en
        if f.severity == ERROR or f.explained or not free or {(f.code, f.cell), (title, f.cell)} & listed:
            continue
        r = free.pop(0)
        texts.update({f"B{r}": title, f"C{r}": f.cell, f"D{r}": f.message(lang)})
    if texts:
        pkg.put(part, xm.put_text(pkg.get(part), texts))

"""The open workbook in Excel, through xlwings: the same Book interface as files, plus marks on cells."""
from __future__ import annotations

import platform
import re
from typing import Iterable

from .cells import CellData, CellWrite, Mark
from .errors import UsageError

MARK_SHEET = "_wbtool_marks"          # remembers original fills so `wbtool clear --live` can restore them
RESULT_SHEET = "校验结果"
NOTE_TAG = "[wbtool]"
COLORS = {"error": (255, 199, 206), "warning": (255, 235, 156)}
_HOW = ("WPS 或没有 Excel 的电脑：保存文件后运行 wbtool validate 文件名.xlsx --annotate 标注.xlsx，"
        "结果写入标注副本（见 docs/excel.md）。")


def _xlwings():
    """Import xlwings or say exactly what is missing."""
    system = platform.system()
    try:
        import xlwings as xw
    except ImportError:
        raise UsageError("--live 需要 xlwings，但本机未安装。请运行 pip install 'wbtool[excel]'，"
                         "并在 Windows 或 macOS 上安装 Microsoft Excel。" + _HOW,
                         "--live needs xlwings, which is not installed: pip install 'wbtool[excel]' "
                         "(and Microsoft Excel on Windows or macOS).", code="live-unavailable") from None
    if system not in ("Windows", "Darwin"):
        raise UsageError(f"--live 通过 xlwings 操作 Microsoft Excel，只能在 Windows 或 macOS 上使用；本机是 {system}，"
                         f"没有可操作的 Excel。" + _HOW,
                         f"--live drives Microsoft Excel through xlwings, which needs Windows or macOS; this is {system}.",
                         code="live-unavailable")
    return xw


def open_live(book: str | None = None) -> "LiveBook":
    """The workbook open in Excel: the one named ``book`` or the active one."""
    xw = _xlwings()
    try:
        if not xw.apps:
            raise UsageError("Excel 没有运行，请先在 Excel 中打开自评表。", "Excel is not running", code="live-unavailable")
        wb = xw.books[book] if book else xw.books.active
    except (KeyError, IndexError):
        raise UsageError(f"Excel 中没有打开名为“{book}”的工作簿。", f"no open workbook named '{book}'",
                         code="live-unavailable") from None
    except UsageError:
        raise
    except Exception as e:   # COM / AppleScript errors differ by platform; say what happened
        raise UsageError(f"无法连接 Excel：{e}", f"cannot reach Excel: {e}", code="live-unavailable") from None
    if wb is None:
        raise UsageError("Excel 中没有打开的工作簿。", "no workbook is open in Excel", code="live-unavailable")
    return LiveBook(wb)


class LiveBook:
    """A Book backed by an open xlwings workbook. Never saves: the user's unsaved edits stay theirs."""

    def __init__(self, wb):
        self.wb = wb
        self.source = wb.name
        self._cache: dict[str, dict[str, CellData]] = {}

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.wb.sheets]

    def read_sheet(self, sheet: str) -> dict[str, CellData]:
        if sheet in self._cache:
            return self._cache[sheet]
        ws = self.wb.sheets[sheet]
        rng = ws.used_range
        values = rng.options(ndim=2).value or []
        formulas = rng.formula
        formulas = [formulas] if formulas and not isinstance(formulas[0], (list, tuple)) else (formulas or [])
        out = {}
        for i, row in enumerate(values):
            for j, v in enumerate(row):
                f = formulas[i][j] if i < len(formulas) and j < len(formulas[i]) else None
                f = f if isinstance(f, str) and f.startswith("=") else None
                if v is None and f is None:
                    continue
                out[_coord(rng.row + i, rng.column + j)] = CellData(_value(v), f)
        self._cache[sheet] = out
        return out

    def defined_names(self) -> dict[str, str]:
        out = {}
        for n in self.wb.names:
            ref = n.refers_to or ""
            out[n.name.split("!")[-1]] = ref[1:] if ref.startswith("=") else ref
        return out

    def write_cells(self, writes: Iterable[CellWrite]) -> None:
        for w in writes:
            rng = self.wb.sheets[w.sheet].range(w.coord)
            if w.formula:
                rng.formula = w.formula
            else:
                rng.value = w.value
            self._cache.pop(w.sheet, None)

    # ------------------------------------------------------------ marks
    def mark(self, marks: list[Mark], findings_rows: list[list]) -> None:
        """Colour and annotate cells, remembering their original fill; list findings in 校验结果 with links."""
        self.clear()
        log = self._mark_log()
        r = 1
        for m in marks:
            rng = self.wb.sheets[m.sheet].range(m.coord)
            log.range((r, 1)).value = [m.sheet, m.coord, _color_text(rng.color)]
            r += 1
            rng.color = COLORS.get(m.severity, COLORS["warning"])
            try:                   # keep the user's own note: ours is appended after a tag
                if rng.note is not None:
                    rng.note.text = f"{rng.note.text}\n{NOTE_TAG} {m.text}"
                else:
                    rng.add_note(f"{NOTE_TAG} {m.text}")
            except Exception:      # notes are a nicety; a failure must not stop the marking
                pass
        res = self.wb.sheets.add(RESULT_SHEET, before=self.wb.sheets[0])
        res.range("A1").value = ["序号", "严重性", "检查代码", "单元格", "指标", "问题"]
        for i, row in enumerate(findings_rows, 2):
            res.range((i, 1)).value = [i - 1] + [("'" + x if isinstance(x, str) and x[:1] in "=+-@" else x)
                                                 for x in row]
            sheet, _, coord = str(row[2]).partition("!")
            if coord:
                res.range((i, 4)).add_hyperlink(f"#'{sheet}'!{coord}", row[2])

    def clear(self) -> int:
        """Remove the marks of the last run: restore fills, delete our notes and the 校验结果 sheet."""
        names = self.sheet_names()
        n = 0
        if MARK_SHEET in names:
            log = self.wb.sheets[MARK_SHEET]
            for sheet, coord, color in log.used_range.options(ndim=2).value or []:
                if sheet in names and coord:
                    rng = self.wb.sheets[sheet].range(coord)
                    rng.color = _parse_color(color)
                    try:
                        text = str(rng.note.text) if rng.note is not None else ""
                        if NOTE_TAG in text:
                            own = text.split(NOTE_TAG)[0].rstrip("\n")
                            if own:
                                rng.note.text = own
                            else:
                                rng.note.delete()
                    except Exception:
                        pass
                    n += 1
            log.delete()
        if RESULT_SHEET in self.sheet_names():
            self.wb.sheets[RESULT_SHEET].delete()
        return n

    def _mark_log(self):
        ws = self.wb.sheets.add(MARK_SHEET, after=self.wb.sheets[-1])
        try:
            ws.api.Visible = 2        # xlSheetVeryHidden on Windows; other platforms keep it visible
        except Exception:
            pass
        return ws


def _coord(row: int, col: int) -> str:
    from .layout import col_letter
    return f"{col_letter(col)}{row}"


def _value(v):
    """xlwings gives floats for every number; whole numbers come back as int like the file reader's."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


def _color_text(c) -> str:
    return "" if c is None else ",".join(str(x) for x in c)


def _parse_color(text):
    if not text:
        return None
    parts = [int(x) for x in re.findall(r"\d+", str(text))]
    return tuple(parts[:3]) if len(parts) >= 3 else None


# ------------------------------------------------------------------ the jobs behind --live

def validate_live(book: str | None = None, *, only=None, skip=None, lang: str = "zh"):
    """Read the open workbook, run the checks, mark the findings in Excel; returns the Report."""
    return _validate_on(open_live(book), only=only, skip=skip, lang=lang)


def fill_live(book: str | None = None):
    """Restore standard formulas in the open workbook; Excel computes the values itself."""
    return _fill_on(open_live(book))


def clear_live(book: str | None = None) -> int:
    return open_live(book).clear()


def _validate_on(live: LiveBook, *, only=None, skip=None, lang: str = "zh"):
    from .reader import read_forms
    from .validate import validate_forms
    rep = validate_forms(read_forms(live), only=only, skip=skip)     # a project workbook: every project sheet
    marks = [Mark(f.sheet, f.coord, "warning" if f.explained else f.severity, f"[{f.code}] {f.message(lang)}")
             for f in rep.findings if f.sheet and f.coord]
    rows = [[f.severity, f.code, f.cell, f.indicator, f.message(lang)] for f in rep.findings]
    live.mark(marks, rows)
    return rep


def _fill_on(live: LiveBook):
    """(first form's result, restored formulas, project tally or None); only broken formulas are written."""
    from .fill import plan_forms
    from .reader import read_forms
    writes, restored, results, tally = plan_forms(read_forms(live))
    broken = {tuple(r.cell.split("!", 1)) for r in restored}
    live.write_cells([w for w in writes if (w.sheet, w.coord) in broken])   # Excel recalculates the rest
    return results[0], restored, tally


# ------------------------------------------------------------------ called from Excel buttons (xlwings RunPython)

def _caller() -> LiveBook:
    import xlwings as xw
    return LiveBook(xw.Book.caller())


def button_validate():
    """校验 button: check the workbook that called us and mark the findings on it."""
    return _validate_on(_caller()).exit_code()


def button_fill():
    """计算 button: restore standard formulas in the workbook that called us."""
    _fill_on(_caller())


def button_clear():
    _caller().clear()

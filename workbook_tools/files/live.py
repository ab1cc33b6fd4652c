"""The open workbook in Excel, through xlwings: the same Book interface as files, plus marks on cells."""
from __future__ import annotations

import platform
from typing import Iterable

from workbook_tools.cells import CellData, CellWrite, Mark
from workbook_tools.errors import UsageError

from workbook_tools.files.marklog import MARK_COLORS, MARK_SHEET, NOTE_TAG, RESULT_SHEET, Entry, from_rows, rgb_to_hex, to_rows
from workbook_tools.model.layout import col_letter
from workbook_tools.files.annotate import finding_marks, merge_marks, result_rows
from workbook_tools.files.reader import read_forms
from workbook_tools.checks.validate import validate_forms
from workbook_tools.files.fill import plan_forms
from workbook_tools.numbers import date_to_serial

COLORS = {k: tuple(int(v[i:i + 2], 16) for i in (1, 3, 5)) for k, v in MARK_COLORS.items()}
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
        """The used range as the file reader sees it: numbers int when whole, dates as serials, errors as text."""
        if sheet in self._cache:
            return self._cache[sheet]
        ws = self.wb.sheets[sheet]
        rng = ws.used_range
        values = rng.options(ndim=2, err_to_str=True).value or []
        formulas = _grid(rng.formula)
        out = {}
        for i, row in enumerate(values):
            for j, v in enumerate(row):
                f = formulas[i][j] if i < len(formulas) and j < len(formulas[i]) else None
                f = f if isinstance(f, str) and f.startswith("=") and len(f) > 1 else None
                if v is None and f is None:
                    continue
                if v is None:               # a formula showing "": xlwings gives None, a file stores ""
                    v = ""
                out[_coord(rng.row + i, rng.column + j)] = CellData(_value(v), f)
        self._cache[sheet] = out
        return out

    def defined_names(self) -> dict[str, str]:
        """Workbook-level names only, like the file reader (sheet-scoped ones are spelt "Sheet!name")."""
        out = {}
        for n in self.wb.names:
            if "!" in n.name:
                continue
            ref = n.refers_to or ""
            out[n.name] = ref[1:] if ref.startswith("=") else ref
        return out

    def write_cells(self, writes: Iterable[CellWrite]) -> None:
        for w in writes:
            rng = self.wb.sheets[w.sheet].range(w.coord)
            if w.formula:
                rng.formula = w.formula
            else:
                rng.value = _cell_text(w.value)
            self._cache.pop(w.sheet, None)

    # ------------------------------------------------------------ marks
    def mark(self, marks: list[Mark], rows: list[list]) -> None:
        """Colour and annotate cells, remembering what they were in the marks log (the same log file marks
        write, see marklog); list the findings (``rows``, header first) in 校验结果 with links."""
        self.clear()
        names = set(self.sheet_names())
        entries = []
        for m in merge_marks(marks):
            if m.sheet not in names:
                continue
            rng = self.wb.sheets[m.sheet].range(m.coord)
            try:
                note = rng.note
                own = str(note.text or "") if note is not None else ""
            except Exception:          # notes unreadable on this platform: the fill still marks the cell
                own = ""
            entries.append(Entry(m.sheet, m.coord, rgb_to_hex(rng.color), own))
            rng.color = MARK_COLORS.get(m.severity, MARK_COLORS["warning"])
            _set_note(rng, f"{own}\n{NOTE_TAG} {m.text}" if own else f"{NOTE_TAG} {m.text}")
        res = self.wb.sheets.add(RESULT_SHEET, before=self.wb.sheets[0])
        res.range("A1").value = [[_cell_text(x) for x in row] for row in rows]
        for i, row in enumerate(rows[1:], 2):
            ref = str(row[3] if len(row) > 3 else "")
            sheet, _, coord = ref.partition("!")
            if coord and sheet in names:
                res.range((i, 4)).add_hyperlink(f"#'{sheet}'!{coord}", _cell_text(ref))
        log = self._mark_log()
        log.range("A1").value = [[_cell_text(x) for x in row] for row in to_rows(entries)]

    def clear(self) -> int:
        """Undo the last marks, whoever made them (validate --live or wbtool mark): fills and notes as logged,
        校验结果 and the log removed."""
        names = self.sheet_names()
        n = 0
        if MARK_SHEET in names:
            log = self.wb.sheets[MARK_SHEET]
            for e in from_rows(log.used_range.options(ndim=2).value or []):
                if e.sheet not in names:
                    continue
                rng = self.wb.sheets[e.sheet].range(e.coord)
                if rng.color in COLORS.values():     # a colour the unit chose since marking stays theirs
                    rng.color = e.rgb    # None: no fill (a file fill that is not one colour is dropped too)
                if NOTE_TAG in _note_text(rng) or (e.note and rng.note is None):
                    _set_note(rng, e.note)
                n += 1
            log.delete()
        if RESULT_SHEET in self.sheet_names():
            self.wb.sheets[RESULT_SHEET].delete()
        return n

    def _mark_log(self):
        ws = self.wb.sheets.add(MARK_SHEET, after=self.wb.sheets[-1])
        try:
            ws.api.Visible = 2        # xlSheetVeryHidden (Windows COM)
        except Exception:
            try:
                ws.visible = False    # elsewhere: hidden at least
            except Exception:
                pass
        return ws


def _grid(f):
    """Range.formula as rows: xlwings gives a str for one cell and a tuple of tuples for several."""
    if f is None:
        return []
    if isinstance(f, str):
        return [[f]]
    if f and not isinstance(f[0], (list, tuple)):
        return [list(f)]
    return [list(r) for r in f]


def _cell_text(x):
    """A value written so Excel keeps it as typed: text never becomes a number, date or formula."""
    if isinstance(x, str):
        return "'" + x if x else None
    return x


def _note_text(rng) -> str:
    try:
        note = rng.note
        return str(note.text or "") if note is not None else ""
    except Exception:
        return ""


def _set_note(rng, text: str) -> None:
    """Give ``rng`` the note ``text`` ("" removes it). xlwings edits existing notes only; a new one is made
    with the native Range.AddComment. Notes are a nicety: a failure must not stop the marking."""
    try:
        note = rng.note
        if not text:
            if note is not None:
                note.delete()
        elif note is not None:
            note.text = text
        else:
            rng.api.AddComment(text)
    except Exception:
        pass


def _coord(row: int, col: int) -> str:
    return f"{col_letter(col)}{row}"


def _value(v):
    """What the file reader gives for the same cell: whole floats as int, dates as their serial number."""
    import datetime as _dt
    if isinstance(v, _dt.date):
        d = date_to_serial(v)
        return int(d) if d == int(d) else float(d)
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


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
    rep = validate_forms(read_forms(live), only=only, skip=skip)     # a project workbook: every project sheet
    live.mark(finding_marks(rep, lang), result_rows(rep, lang))
    return rep


def _fill_on(live: LiveBook):
    """(first form's result, restored formulas, project tally or None); only broken formulas are written."""
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

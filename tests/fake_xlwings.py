"""An in-memory stand-in for the part of xlwings' API that LiveBook uses, built from a real .xlsx (read with
openpyxl, another program's reader) and behaving as xlwings 0.3x does on Windows with Excel.

Each behaviour cites where xlwings defines it (github.com/xlwings/xlwings, read at aee5b72c):
  [values]   _xlwindows._clean_value_data_element: "" and empty cells → None; COM dates → datetime.datetime;
             numbers come from Excel as float (Excel stores doubles); cell errors are COM ints (cell_errors),
             → None, or "#DIV/0!" etc. with options(err_to_str=True) (main.Range.options, 0.28+).
  [ndim]     conversion/standard.AdjustDimensionsStage: ndim None squeezes 1×1 → scalar, 1×n / n×1 → list;
             options(ndim=2) always gives a list of lists.
  [write]    conversion/standard.WriteValueToRangeStage: a scalar fills one cell, a 1-D list a row, a 2-D list a
             block; Excel parses what is written like typed input ("=…" a formula, "12" a number,
             "'text" text without the apostrophe) — Range.Value semantics of Excel itself.
  [formula]  _xlwindows.Range.formula/formula2 return Excel's Range.Formula/Formula2: a str for one cell, a
             tuple of tuples for several (COM 2-D arrays); a constant's Formula is its text, an empty cell's "".
  [color]    _xlwindows.Range.color: None when Interior.ColorIndex is xlColorIndexNone, else an (r, g, b) tuple;
             the setter takes a tuple, an int or a "#rrggbb" hex string, None removes the fill.
  [note]     main.Range.note: a Note or None; Note.text get/set "the note must already exist", Note.delete().
             xlwings has no add_note: a new note is made with the native Range.AddComment (range.api).
  [sheets]   _xlwindows.Sheets.__call__ → COM Worksheets(name): an unknown name is a COM error, not KeyError;
             Sheets.add(name=None, before=None, after=None); a duplicate name is a COM error too.
  [names]    main.Name.refers_to: "=" + A1 reference; sheet-scoped names are spelt "Sheet!name".
  [save]     main.Book.save(path=None, password=None): writes the file (recorded here; LiveBook must never call it).
"""
from __future__ import annotations

import datetime as dt
import re

import openpyxl
from openpyxl.utils import get_column_letter, range_boundaries

ERRORS = {"#DIV/0!": -2146826281, "#N/A": -2146826246, "#NAME?": -2146826259, "#NULL!": -2146826288,
          "#NUM!": -2146826252, "#REF!": -2146826265, "#VALUE!": -2146826273}     # [values] cell_errors


class ComError(Exception):
    """What pywintypes.com_error looks like to a caller: not a KeyError/IndexError."""


class _Error:
    def __init__(self, text):
        self.text = text


class _NoteImpl:
    def __init__(self, cell):
        self._cell = cell

    @property
    def text(self):
        return self._cell["note"]

    @text.setter
    def text(self, value):
        self._cell["note"] = str(value)

    def delete(self):
        self._cell["note"] = None


class _RangeApi:
    """The native Range object (range.api): only AddComment is used."""

    def __init__(self, rng):
        self._rng = rng

    def AddComment(self, Text=None):  # noqa: N802,N803 - the COM names
        cell = self._rng._cell()
        if cell["note"] is not None:
            raise ComError("a cell can hold one comment")     # Excel: AddComment on a commented cell fails
        cell["note"] = "" if Text is None else str(Text)


def _excel_value(v):
    """[values] what xlwings hands back for a stored cell value."""
    if isinstance(v, bool) or v is None or isinstance(v, (str, dt.datetime)):
        return None if v == "" else v
    if isinstance(v, _Error):
        return v
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day)
    if isinstance(v, (int, float)):
        return float(v)
    return v


def _constant_text(v) -> str:
    """[formula] Range.Formula of a constant cell: its text as typed."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, _Error):
        return v.text
    if isinstance(v, dt.datetime):
        return f"{v.year}/{v.month}/{v.day}"
    return str(v)


_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


class Range:
    def __init__(self, sheet, row, col, nrows=1, ncols=1, **options):
        self.sheet, self.row, self.column, self.nrows, self.ncols = sheet, row, col, nrows, ncols
        self._options = options

    def _cell(self, r=None, c=None):
        key = (r or self.row, c or self.column)
        return self.sheet.cells.setdefault(key, {"value": None, "formula": None, "color": None, "note": None})

    def _peek(self, r, c):
        return self.sheet.cells.get((r, c)) or {"value": None, "formula": None, "color": None, "note": None}

    @property
    def api(self):
        return _RangeApi(self)

    @property
    def address(self):
        a = f"${get_column_letter(self.column)}${self.row}"
        if self.nrows == 1 and self.ncols == 1:
            return a
        return a + f":${get_column_letter(self.column + self.ncols - 1)}${self.row + self.nrows - 1}"

    def options(self, convert=None, **options):
        return Range(self.sheet, self.row, self.column, self.nrows, self.ncols, **options)

    # ------------------------------------------------------------ value
    def _clean(self, v):
        v = _excel_value(v)
        if isinstance(v, _Error):
            return v.text if self._options.get("err_to_str") else None
        return v

    @property
    def value(self):
        grid = [[self._clean(self._peek(self.row + i, self.column + j)["value"]) for j in range(self.ncols)]
                for i in range(self.nrows)]
        ndim = self._options.get("ndim")
        if ndim == 2:
            return grid
        if len(grid) == 1:                              # [ndim] squeeze
            return grid[0][0] if len(grid[0]) == 1 else grid[0]
        if len(grid[0]) == 1:
            return [x[0] for x in grid]
        return grid

    @value.setter
    def value(self, v):
        if not isinstance(v, (list, tuple)):
            grid = [[v]]
        elif v and isinstance(v[0], (list, tuple)):
            grid = v
        else:
            grid = [v]                                    # [write] a 1-D list is a row
        for i, row in enumerate(grid):
            for j, x in enumerate(row):
                self._typed(self._cell(self.row + i, self.column + j), x)

    @staticmethod
    def _typed(cell, x):
        """[write] Excel's Range.Value = x: text is parsed like typed input."""
        cell["formula"] = None
        if isinstance(x, str):
            if x.startswith("'"):
                cell["value"] = x[1:] or None
            elif x.startswith("="):
                cell["formula"], cell["value"] = x, None        # Excel would calculate it
            elif _NUMBER.match(x.strip()):
                cell["value"] = float(x)
            else:
                cell["value"] = x or None
        elif isinstance(x, (int, float)) and not isinstance(x, bool):
            cell["value"] = float(x)
        else:
            cell["value"] = x

    # ------------------------------------------------------------ formula
    def _formula_grid(self):
        def f(c):
            return c["formula"] or _constant_text(_excel_value(c["value"]))
        return tuple(tuple(f(self._peek(self.row + i, self.column + j)) for j in range(self.ncols))
                     for i in range(self.nrows))

    @property
    def formula(self):
        grid = self._formula_grid()
        return grid[0][0] if self.nrows == 1 and self.ncols == 1 else grid     # [formula] str vs tuple

    @formula.setter
    def formula(self, text):
        if isinstance(text, (list, tuple)):
            self.value = [list(r) if isinstance(r, (list, tuple)) else r for r in text]
            return
        self._typed(self._cell(), text)

    formula2 = formula

    # ------------------------------------------------------------ format, notes, links
    @property
    def color(self):
        return self._peek(self.row, self.column)["color"]

    @color.setter
    def color(self, c):
        if isinstance(c, str):                         # [color] "#rrggbb"
            h = c.lstrip("#")
            c = (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))
        elif isinstance(c, int):
            c = (c & 255, (c >> 8) & 255, (c >> 16) & 255)
        for i in range(self.nrows):
            for j in range(self.ncols):
                self._cell(self.row + i, self.column + j)["color"] = tuple(c) if c is not None else None

    @property
    def note(self):
        cell = self._peek(self.row, self.column)
        return _NoteImpl(self._cell()) if cell["note"] is not None else None

    def add_hyperlink(self, address, text_to_display=None, screen_tip=None):
        cell = self._cell()
        cell["link"] = address
        self._typed(cell, text_to_display if text_to_display is not None else address)


class _SheetApi:
    def __init__(self, sheet):
        self._sheet = sheet

    @property
    def Visible(self):  # noqa: N802
        return self._sheet.visibility

    @Visible.setter
    def Visible(self, v):  # noqa: N802
        self._sheet.visibility = v               # -1 visible, 0 hidden, 2 xlSheetVeryHidden


class Sheet:
    def __init__(self, book, name):
        self.book, self.name, self.cells = book, name, {}
        self.visibility = -1

    @property
    def api(self):
        return _SheetApi(self)

    @property
    def visible(self):
        return self.visibility == -1

    @visible.setter
    def visible(self, v):
        self.visibility = -1 if v else 0

    def range(self, ref, ref2=None):
        if isinstance(ref, tuple):
            if ref2 is not None:
                return Range(self, ref[0], ref[1], ref2[0] - ref[0] + 1, ref2[1] - ref[1] + 1)
            return Range(self, ref[0], ref[1])
        c1, r1, c2, r2 = range_boundaries(ref.replace("$", ""))
        return Range(self, r1, c1, r2 - r1 + 1, c2 - c1 + 1)

    def __getitem__(self, ref):
        return self.range(ref)

    @property
    def used_range(self):
        used = [k for k, c in self.cells.items() if c["value"] is not None or c["formula"] or c["color"] or c["note"]]
        if not used:
            return Range(self, 1, 1)
        rows = [r for r, _ in used]
        cols = [c for _, c in used]
        return Range(self, min(rows), min(cols), max(rows) - min(rows) + 1, max(cols) - min(cols) + 1)

    def delete(self):
        self.book._sheets.remove(self)


class Sheets(list):
    def __init__(self, book):
        super().__init__()
        self.book = book

    def __getitem__(self, key):
        if isinstance(key, str):
            for s in self:
                if s.name.lower() == key.lower():        # Excel sheet names are case-insensitive
                    return s
            raise ComError(f"Worksheets('{key}'): subscript out of range")      # [sheets]
        return list.__getitem__(self, key)

    def add(self, name=None, before=None, after=None):
        if name is not None and any(s.name.lower() == name.lower() for s in self):
            raise ComError(f"a sheet named '{name}' exists")
        s = Sheet(self.book, name or f"Sheet{len(self) + 1}")
        if before is not None:
            self.insert(self.index(before), s)
        elif after is not None:
            self.insert(self.index(after) + 1, s)
        else:
            self.insert(0, s)                          # Excel adds before the active sheet; ours is the first
        return s


class Name:
    def __init__(self, name, ref):
        self.name, self.refers_to = name, "=" + ref


class FakeBook:
    """Looks like ``xlwings.Book`` for LiveBook, holding what Excel would hold after opening ``path``."""

    def __init__(self, path):
        self.name = str(path).replace("\\", "/").rsplit("/", 1)[-1]
        self.fullname = str(path)
        self.saves: list = []
        self._sheets = Sheets(self)
        wf = openpyxl.load_workbook(path)
        wv = openpyxl.load_workbook(path, data_only=True)
        for ws in wf.worksheets:
            sheet = Sheet(self, ws.title)
            self._sheets.append(sheet)
            sheet.visibility = {"visible": -1, "hidden": 0, "veryHidden": 2}[ws.sheet_state]
            for row in ws.iter_rows():
                for c in row:
                    fill = c.fill.fgColor.rgb if c.fill is not None and c.fill.fill_type == "solid" else None
                    if c.value is None and c.comment is None and not isinstance(fill, str):
                        continue
                    v = wv[ws.title][c.coordinate].value
                    is_f = isinstance(c.value, str) and c.value.startswith("=") and c.data_type == "f"
                    if isinstance(v, str) and v in ERRORS and (is_f or c.data_type == "e"):
                        v = _Error(v)
                    color = None
                    if isinstance(fill, str) and len(fill) == 8:
                        color = (int(fill[2:4], 16), int(fill[4:6], 16), int(fill[6:8], 16))
                    sheet.cells[(c.row, c.column)] = {"value": v, "formula": c.value if is_f else None,
                                                      "color": color,
                                                      "note": c.comment.text if c.comment is not None else None}
        self.names = []
        for n, d in wf.defined_names.items():
            self.names.append(Name(n, d.attr_text))
        for ws in wf.worksheets:                            # [names] sheet-scoped: "Sheet!name"
            for n, d in ws.defined_names.items():
                self.names.append(Name(f"{ws.title}!{n}", d.attr_text))

    @property
    def sheets(self):
        return self._sheets

    def save(self, path=None, password=None):
        """[save] Write what Excel holds to ``path`` (or where it was opened from), fills, notes and hidden
        sheets included — so a file saved after live marks can be handed to the file commands."""
        from openpyxl.comments import Comment
        from openpyxl.styles import PatternFill
        self.saves.append(path)
        out = openpyxl.Workbook()
        out.remove(out.active)
        for s in self._sheets:
            ws = out.create_sheet(s.name)
            ws.sheet_state = {-1: "visible", 0: "hidden", 2: "veryHidden"}[s.visibility]
            for (r, c), cell in s.cells.items():
                x = ws.cell(row=r, column=c)
                v = cell["value"]
                x.value = cell["formula"] or (v.text if isinstance(v, _Error) else v)
                if cell["color"]:
                    x.fill = PatternFill("solid", fgColor="FF%02X%02X%02X" % cell["color"])
                if cell["note"]:
                    x.comment = Comment(cell["note"], "Excel")
        for n in self.names:
            if "!" not in n.name:
                from openpyxl.workbook.defined_name import DefinedName
                out.defined_names[n.name] = DefinedName(n.name, attr_text=n.refers_to[1:])
        out.save(path or self.fullname)

    @property
    def saved(self) -> bool:
        return bool(self.saves)

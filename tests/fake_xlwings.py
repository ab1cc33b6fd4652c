"""A small in-memory stand-in for the part of xlwings' Book API that LiveBook uses (built from a real file)."""
from __future__ import annotations

import openpyxl
from openpyxl.utils import range_boundaries


class _Note:
    def __init__(self, cell):
        self._cell = cell

    @property
    def text(self):
        return self._cell["note"]

    @text.setter
    def text(self, value):
        self._cell["note"] = value

    def delete(self):
        self._cell["note"] = None


class _Range:
    def __init__(self, sheet, row, col, nrows=1, ncols=1):
        self.sheet, self.row, self.column, self.nrows, self.ncols = sheet, row, col, nrows, ncols

    def _cell(self, r=None, c=None):
        key = (r or self.row, c or self.column)
        return self.sheet.cells.setdefault(key, {"value": None, "formula": None, "color": None, "note": None})

    def options(self, ndim=2):
        return self

    @property
    def value(self):
        if self.nrows == 1 and self.ncols == 1:
            return self._cell()["value"]
        return [[self._cell(self.row + i, self.column + j)["value"] for j in range(self.ncols)]
                for i in range(self.nrows)]

    @value.setter
    def value(self, v):
        vals = v if isinstance(v, list) else [v]
        for j, x in enumerate(vals):
            cell = self._cell(self.row, self.column + j)
            cell["value"], cell["formula"] = x, None

    @property
    def formula(self):
        def f(c):
            return c["formula"] if c["formula"] else ("" if c["value"] is None else str(c["value"]))
        return tuple(tuple(f(self._cell(self.row + i, self.column + j)) for j in range(self.ncols))
                     for i in range(self.nrows))

    @formula.setter
    def formula(self, text):
        cell = self._cell()
        cell["formula"] = text
        cell["value"] = None          # a real Excel would recalculate; the fake leaves it to the test

    @property
    def color(self):
        return self._cell()["color"]

    @color.setter
    def color(self, rgb):
        self._cell()["color"] = rgb

    @property
    def note(self):
        return _Note(self._cell()) if self._cell()["note"] else None

    def add_note(self, text):
        self._cell()["note"] = text

    def add_hyperlink(self, address, text):
        self._cell()["link"] = address


class _Sheet:
    def __init__(self, book, name):
        self.book, self.name, self.cells = book, name, {}

    def range(self, ref, *more):
        if isinstance(ref, tuple):
            return _Range(self, ref[0], ref[1])
        c1, r1, c2, r2 = range_boundaries(ref)
        return _Range(self, r1, c1, r2 - r1 + 1, c2 - c1 + 1)

    @property
    def used_range(self):
        if not self.cells:
            return _Range(self, 1, 1)
        rows = [r for r, _ in self.cells]
        cols = [c for _, c in self.cells]
        return _Range(self, min(rows), min(cols), max(rows) - min(rows) + 1, max(cols) - min(cols) + 1)

    def delete(self):
        self.book._sheets.remove(self)


class _Sheets(list):
    def __init__(self, book):
        super().__init__()
        self.book = book

    def __getitem__(self, key):
        if isinstance(key, str):
            return next(s for s in self if s.name == key)
        return list.__getitem__(self, key)

    def add(self, name, before=None, after=None):
        s = _Sheet(self.book, name)
        if before is not None:
            self.insert(self.index(before), s)
        else:
            self.append(s)
        return s


class _Name:
    def __init__(self, name, ref):
        self.name, self.refers_to = name, "=" + ref


class FakeBook:
    """Looks like ``xlwings.Book`` for LiveBook; ``saved`` stays False (LiveBook must never save)."""

    def __init__(self, path):
        self.name = str(path).rsplit("/", 1)[-1]
        self.saved = False
        self._sheets = _Sheets(self)
        wf = openpyxl.load_workbook(path)
        wv = openpyxl.load_workbook(path, data_only=True)
        for ws in wf.worksheets:
            sheet = self._sheets.add(ws.title)
            for row in ws.iter_rows():
                for c in row:
                    if c.value is None:
                        continue
                    v = wv[ws.title][c.coordinate].value
                    is_f = isinstance(c.value, str) and c.value.startswith("=")
                    sheet.cells[(c.row, c.column)] = {"value": v, "formula": c.value if is_f else None,
                                                      "color": None, "note": None}
        self.names = [_Name(n, d.attr_text) for n, d in wf.defined_names.items()]

    @property
    def sheets(self):
        return self._sheets

    def save(self, *a):           # pragma: no cover - must never be called
        self.saved = True



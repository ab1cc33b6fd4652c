"""The one reader: a workbook (file or live) → the spec it was made from and every value with its cell."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from .cells import Book, CellData
from .errors import SpecError, UnreadableInput
from .layout import SHEET_META, Layout, layout_for
from .numbers import excel_serial_to_date, num
from .spec import Spec, load_spec


@dataclass(frozen=True)
class Field:
    """One value of the form and the cell it came from."""
    key: str
    value: object
    cell: str          # 评分表!J8
    label: str = ""
    indicator: str = ""


@dataclass
class Returned:
    """A workbook read against its spec: the raw inputs plus everything stored in our cells."""
    source: str
    spec: Spec
    layout: Layout
    book: Book
    meta: dict
    inputs: dict[str, object]
    stored: dict[str, CellData]
    extra_sheets: list[str] = field(default_factory=list)
    has_macros: bool = False
    sha256: str | None = None

    def field(self, key: str) -> Field:
        c = self.layout[key]
        return Field(key, self.stored[key].value, c.addr, c.label, c.indicator)

    def value(self, key: str):
        return self.stored[key].value if key in self.stored else None

    def cover(self) -> dict[str, object]:
        """Cover values with dates as ``datetime.date``."""
        out = {}
        for f in self.spec.cover:
            v = self.inputs.get(f"cover.{f.key}")
            if f.type == "date":
                v = as_date(v)
            out[f.key] = v
        return out


def as_date(v):
    """A date cell (serial number, datetime or common text forms) → date; anything else unchanged."""
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if num(v) is not None:
        return excel_serial_to_date(v) or v
    if isinstance(v, str):
        m = re.match(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$", v)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return v
    return v


def identify(book: Book, spec: Spec | None = None) -> tuple[dict, Spec]:
    """Which spec made this workbook, from its hidden identity sheet (``spec`` given: must match)."""
    src = Path(book.source).name
    if SHEET_META not in book.sheet_names():
        raise UnreadableInput(
            f"{src} 不是由 wbtool 模板生成的自评表（缺少表单标识）。请使用财政局下发的模板填报。",
            f"{src} was not made from a wbtool template (no form identity sheet)", code="form-unknown")
    cells = book.read_sheet(SHEET_META)
    meta = {}
    for r in range(1, 20):
        k, v = cells.get(f"A{r}"), cells.get(f"B{r}")
        if k and isinstance(k.value, str):
            meta[k.value] = "" if v is None or v.value is None else str(v.value)
    spec_id = meta.get("spec_id", "")
    if spec is not None and spec.id != spec_id:
        spec = None
    elif spec is None:
        try:
            spec = load_spec(spec_id) if spec_id else None
        except SpecError:
            spec = None
    if spec is None:
        raise UnreadableInput(
            f"{src} 来自未知的表单规格“{spec_id or '空'}”，无法校验。请使用财政局下发的模板填报。",
            f"{src} comes from an unknown form spec '{spec_id}'", code="spec-unknown")
    if meta.get("spec_version") != spec.version:
        raise UnreadableInput(
            f"{src} 使用的是旧版或不同版本的表单（版本 {meta.get('spec_version')}，当前版本 {spec.version}），"
            f"请用新版模板重新填报。",
            f"{src} uses form version {meta.get('spec_version')}, current is {spec.version}",
            code="spec-outdated")
    return meta, spec


def read_book(book: Book, *, spec: Spec | None = None, sha256: str | None = None,
              has_macros: bool = False) -> Returned:
    """Read every layout cell of ``book`` (a FileBook or a live book)."""
    meta, spec = identify(book, spec)
    layout = layout_for(spec)
    names = book.sheet_names()
    missing = [s for s in layout.sheets if s not in names]
    if missing:
        src = Path(book.source).name
        extra = [s for s in names if s not in layout.sheets]
        hint = f"；文件中多出的工作表：{'、'.join(extra)}（是否被改名？）" if extra else ""
        raise UnreadableInput(
            f"{src} 缺少工作表：{'、'.join(missing)}{hint}。请勿删除或重命名模板中的工作表。",
            f"{src} lacks sheet(s): {', '.join(missing)}", code="sheet-missing")
    sheets = {s: book.read_sheet(s) for s in layout.sheets}
    stored, inputs = {}, {}
    empty = CellData()
    for key, c in layout.cells.items():
        data = sheets[c.sheet].get(c.coord, empty)
        stored[key] = data
        if c.role == "input":
            inputs[key] = data.value
    return Returned(source=book.source, spec=spec, layout=layout, book=book, meta=meta, inputs=inputs,
                    stored=stored, extra_sheets=[s for s in names if s not in layout.sheets],
                    has_macros=has_macros, sha256=sha256)


def read_workbook(path: str | Path, spec: Spec | None = None) -> Returned:
    """Check the file is a safe, readable workbook, then read it (against ``spec`` when given)."""
    from .safety import check_workbook_file
    from .xlsxfile import FileBook
    info = check_workbook_file(path)
    book = FileBook(path, info.data)     # the very bytes that were checked, read once
    return read_book(book, spec=spec, sha256=info.sha256, has_macros=info.has_macros)

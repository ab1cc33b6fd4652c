"""The one small interface through which checks and engine see a workbook: files or a live Excel."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol


@dataclass(frozen=True)
class CellData:
    """What a cell holds: its value (number, str, bool, None) and its formula text ("=…") if any."""
    value: object = None
    formula: str | None = None


@dataclass(frozen=True)
class CellWrite:
    sheet: str
    coord: str
    value: object = None
    formula: str | None = None


@dataclass(frozen=True)
class Mark:
    """A finding shown on a cell: severity colours it, the text becomes a comment."""
    sheet: str
    coord: str
    severity: str
    text: str


class Book(Protocol):
    """A workbook seen as sheets of cells, read and written by sheet name and A1 coordinate."""

    source: str

    def sheet_names(self) -> list[str]: ...

    def read_sheet(self, sheet: str) -> dict[str, CellData]: ...

    def defined_names(self) -> dict[str, str]: ...

    def write_cells(self, writes: Iterable[CellWrite]) -> None: ...


def col_letter(c: int) -> str:
    """3 → "C"."""
    s = ""
    while c:
        c, r = divmod(c - 1, 26)
        s = chr(65 + r) + s
    return s


def col_index(letters: str) -> int:
    """"C" → 3 (letters already upper-case)."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n

"""The report document model: a Document of blocks (Heading, Para, Table, …) that every renderer reads."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

# Every report (this one, and an overview of many units) is a Document of blocks; the renderers
# (report/docx.py, md.py, html.py) import only this module: they know blocks, never workbooks.


@dataclass
class Heading:
    level: int                 # 1 一、  2 （一）  3 1.
    text: str


@dataclass
class Para:
    text: str
    lead: str = ""             # a bold lead-in before the text ("1.整体效能：")

    @property
    def full(self) -> str:
        return self.lead + self.text


@dataclass
class Notice:
    """A visible warning box (a report forced out of a workbook with errors)."""
    title: str
    lines: list[str]


@dataclass
class Table:
    caption: str
    header: list[str]
    rows: list[list[str]]
    group: int = 0             # leading columns whose repeated values are merged (indicator levels)
    foot: list[str] | None = None
    numeric: tuple[int, ...] = ()   # right-aligned columns


@dataclass
class Signature:
    """The signing block at the end of a report: right-aligned lines (单位（盖章）, 日期)."""
    lines: list[str]


@dataclass
class PageBreak:
    """Start a new page where pages exist (Word); a rule or nothing elsewhere."""


@dataclass
class Bar:
    label: str
    weight: Decimal
    score: Decimal | None


@dataclass
class Chart:
    caption: str
    bars: list[Bar]
    count: str = ""            # bars are counts of this ("单位数"), not scores against weights


@dataclass
class Document:
    title: str
    blocks: list = field(default_factory=list)
    author: str = ""
    source: str = ""

    def section_text(self, start: str, stop: str | None = None) -> str:
        """Plain text of the blocks from the heading ``start`` up to the heading ``stop`` (one line per block)."""
        out, inside = [], False
        for b in self.blocks:
            if isinstance(b, Heading) and b.text == stop:
                break
            if isinstance(b, Heading) and b.text == start:
                inside = True
            if inside and isinstance(b, (Heading, Para)):
                out.append(b.text if isinstance(b, Heading) else b.full)
        return "\n".join(out)


# ====================================================================== numbers in the seed's style


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """Text without the control characters XML (Word, HTML) cannot hold; a cell may carry them (_x0001_)."""
    return _NOT_XML.sub("", text)

"""The marks log: one format for the hidden `_wbtool_marks` sheet, written and read by file marks and live marks.

Each row remembers what a marked cell looked like before wbtool touched it, so `clear` (file or --live) can put
it back whichever path made the marks:

    sheet | coord | fill | note | author | style

- fill:   "" (no fill), "#RRGGBB" (a solid colour) or "fill:<n>" (another fill of the file, by fillId);
- note:   the cell's own comment/note text before marking ("" = none);
- author: that comment's author;
- style:  "s<n>" the file's original style index (a hint for file clears; live marks leave it empty).

Every field is text that starts with a character Excel never turns into a number or formula, so the log reads
back the same through a file reader and through Excel (xlwings gives floats for numbers).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MARK_SHEET = "_wbtool_marks"
RESULT_SHEET = "校验结果"
NOTE_TAG = "[wbtool]"                    # live notes: our text follows this tag
MARK_COLORS = {"error": "#FFC7CE", "warning": "#FFEB9C"}
HEADER = ["sheet", "coord", "fill", "note", "author", "style"]


@dataclass(frozen=True)
class Entry:
    sheet: str
    coord: str
    fill: str = ""          # "", "#RRGGBB" or "fill:<n>"
    note: str = ""
    author: str = ""
    style: str = ""         # "s<n>" or ""

    @property
    def rgb(self) -> tuple[int, int, int] | None:
        """The original fill as an RGB tuple (None: no fill, or a fill that is not one solid colour)."""
        return hex_to_rgb(self.fill)

    @property
    def style_index(self) -> int | None:
        m = re.fullmatch(r"s(\d+)", self.style or "")
        return int(m.group(1)) if m else None


def to_rows(entries: list[Entry]) -> list[list[str]]:
    """The log's rows (the header first), every cell text."""
    return [HEADER] + [[e.sheet, e.coord, e.fill, e.note, e.author, e.style] for e in entries]


def from_rows(rows) -> list[Entry]:
    """Entries from the log's rows as any reader gives them (files: text; Excel: text, floats or None).

    Older logs are read too: live marks wrote ``sheet, coord, "R,G,B"``; file marks wrote
    ``sheet, coord, aRGB, comment text, comment author``.
    """
    out = []
    for row in rows or []:
        cells = ["" if v is None else _text(v) for v in (list(row) + [None] * 6)[:6]]
        sheet, coord, fill, note, author, style = cells
        if not sheet or not coord or [sheet, coord] == HEADER[:2]:
            continue
        out.append(Entry(sheet, coord.replace("$", "").upper(), normalise_fill(fill), note, author, style))
    return out


def _text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def normalise_fill(text: str) -> str:
    """Any spelling of a colour the logs have held ("#FFC7CE", "FFFFC7CE", "255,199,206") → "#RRGGBB"."""
    text = (text or "").strip()
    if not text or text.startswith("fill:"):
        return text
    parts = re.findall(r"\d+", text) if "," in text else []
    if len(parts) >= 3:
        return rgb_to_hex(tuple(int(x) for x in parts[:3]))
    h = text.lstrip("#")
    if re.fullmatch(r"[0-9A-Fa-f]{8}", h):
        h = h[2:]                    # aRGB: the alpha byte is not a colour
    if re.fullmatch(r"[0-9A-Fa-f]{6}", h):
        return "#" + h.upper()
    return ""


def rgb_to_hex(rgb) -> str:
    if rgb is None:
        return ""
    r, g, b = (max(0, min(255, int(x))) for x in rgb[:3])
    return f"#{r:02X}{g:02X}{b:02X}"


def hex_to_rgb(text: str) -> tuple[int, int, int] | None:
    h = normalise_fill(text)
    if not h.startswith("#"):
        return None
    return int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16)

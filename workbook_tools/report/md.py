"""Markdown rendering of a report Document (headings, paragraphs, warning box, pipe table)."""
from __future__ import annotations

import re

from workbook_tools.report.document import Chart, Document, Heading, Notice, PageBreak, Para, Signature, Table, xml_safe

_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
_LINE_START = re.compile(r"^(#|>|[-+] |\d+[.)] )")


def escape(text: str) -> str:
    """Markdown-neutral text: emphasis, links and HTML characters escaped, no accidental list or heading."""
    text = _SPECIAL.sub(r"\\\1", xml_safe(text))
    m = _LINE_START.match(text)
    return "\\" + text if m else text


def _table(t: Table) -> list[str]:
    def row(cells):
        return "| " + " | ".join(escape(c).replace("\n", " ") for c in cells) + " |"
    out = [f"**{escape(t.caption)}**", "", row(t.header),
           "|" + "|".join("---:" if i in t.numeric else "---" for i in range(len(t.header))) + "|"]
    prev: list[str] = []
    for cells in t.rows:
        shown = list(cells)
        for i in range(t.group):            # a repeated indicator name is left blank, as if merged
            if cells[:i + 1] == prev[:i + 1]:
                shown[i] = ""
        out.append(row(shown))
        prev = cells
    if t.foot:
        out.append(row(t.foot))
    return out


def _block(b) -> list[str]:
    if isinstance(b, Heading):
        return ["#" * (b.level + 1) + " " + escape(b.text)]
    if isinstance(b, Para):
        # no bold lead-in: CommonMark cannot close ** between CJK punctuation and a letter
        return [escape(b.full)]
    if isinstance(b, Notice):
        return [f"> **{escape(b.title)}**", ">"] + [f"> - {escape(line)}" for line in b.lines]
    if isinstance(b, Table):
        return _table(b)
    if isinstance(b, Signature):            # right-aligned on paper; in Markdown one line each
        return [escape(line) + "  " for line in b.lines]
    if isinstance(b, (Chart, PageBreak)):
        return []                           # the chart is drawn in HTML only; the table holds its numbers
    raise TypeError(type(b).__name__)


def render_markdown(doc: Document) -> str:
    out = [f"# {escape(doc.title)}"]
    for b in doc.blocks:
        lines = _block(b)
        if lines:
            out += ["", *lines]
    return "\n".join(out) + "\n"

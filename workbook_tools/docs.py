"""Generated documentation: `python -m workbook_tools.docs` rewrites docs/checks.md from the catalogue."""
from __future__ import annotations

from pathlib import Path

from workbook_tools.checks.catalogue_doc import catalogue_markdown

DOCS = Path(__file__).resolve().parent.parent / "docs"


def write_docs(root: Path = DOCS) -> list[Path]:
    root.mkdir(exist_ok=True)
    path = root / "checks.md"
    path.write_text(catalogue_markdown() + "\n", encoding="utf-8")
    return [path]


if __name__ == "__main__":
    for p in write_docs():
        print(p)

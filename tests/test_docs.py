from pathlib import Path

from workbook_tools.checks.catalogue import CATALOGUE
from workbook_tools.checks.catalogue_doc import catalogue_markdown

ROOT = Path(__file__).resolve().parent.parent


def test_checks_doc_is_generated_from_the_catalogue():
    doc = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    assert doc == catalogue_markdown() + "\n", "docs/checks.md is stale: run `python -m workbook_tools.docs`"
    for code in CATALOGUE:
        assert f"`{code}`" in doc


def test_catalogue_entries_are_complete():
    for code, e in CATALOGUE.items():
        assert code == code.lower() and " " not in code and "_" not in code
        assert e.severity in ("error", "warning") and e.title_zh and e.title_en and e.trigger and e.fix

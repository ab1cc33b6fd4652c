from pathlib import Path

from workbook_tools.catalogue import CATALOGUE
from workbook_tools.docs import checks_markdown, rules_markdown, specs_markdown
from workbook_tools.model.rules import RULES
from workbook_tools.model.specformat import schema_text

ROOT = Path(__file__).resolve().parent.parent


def test_checks_doc_is_generated_from_the_catalogue():
    doc = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    assert doc == checks_markdown() + "\n", "docs/checks.md is stale: run `python -m workbook_tools.docs`"
    for code in CATALOGUE:
        assert f"`{code}`" in doc


def test_catalogue_entries_are_complete():
    for code, e in CATALOGUE.items():
        assert code == code.lower() and " " not in code and "_" not in code
        assert e.severity in ("error", "warning") and e.title_zh and e.title_en and e.trigger and e.fix


def test_rule_reference_in_specs_doc_is_generated_from_the_registry():
    doc = (ROOT / "docs" / "specs.md").read_text(encoding="utf-8")
    assert doc == specs_markdown(doc), "docs/specs.md's rule reference is stale: run `python -m workbook_tools.docs`"
    ref = rules_markdown()
    assert ref in doc
    for name, r in RULES.items():          # every registered rule: its name, label, parameters and an example
        assert f"`{name}`" in ref and r.label in ref
        assert r.examples, f"rule {name} has no YAML example"
        for k in r.params:
            assert f"`{k}`" in ref
        for ex in r.examples:
            assert ex.splitlines()[0] in ref


def test_spec_schema_file_is_generated_from_the_format():
    text = (ROOT / "docs" / "spec.schema.json").read_text(encoding="utf-8")
    assert text == schema_text(), "docs/spec.schema.json is stale: run `python -m workbook_tools.docs`"

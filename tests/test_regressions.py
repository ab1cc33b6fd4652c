"""Cases found by fuzzing and fault injection, kept so they stay fixed."""
import datetime as dt

import pytest

from click.testing import CliRunner
from faults import consistent
from randomfill import fill_bytes

from conftest import ROOT, SAMPLE_ANSWERS
from workbook_tools.model.answers import answers_to_values, load_answers
from workbook_tools.cli import main
from workbook_tools.bureau.collect import run_collect
from workbook_tools.files.specsheet import load_spec
from workbook_tools.model.template import build_template
from workbook_tools.checks.validate import validate_workbook

GD = load_spec()
BASE = answers_to_values(GD, load_answers(SAMPLE_ANSWERS))


def test_control_characters_are_escaped_not_fatal(tmp_path):
    """Hypothesis: a cover value '\\x08' made the XML writer raise; Excel stores it as _x0008_."""
    p = tmp_path / "x.xlsx"
    p.write_bytes(fill_bytes(build_template(GD), GD, {"cover.agencyCode": "\x08", "node.2.5.5.reason": "a\x01b"}))
    rep = validate_workbook(p)
    assert rep.readable and any(f.code == "cover-format" for f in rep.findings)
    out = tmp_path / "a.xlsx"
    r = CliRunner().invoke(main, ["validate", str(p), "--annotate", str(out)])
    assert r.exit_code == 1 and out.exists() and "Traceback" not in r.output


def test_braces_in_user_text_are_not_template_fields(tmp_path):
    """Hypothesis: text like '{label}' typed by a unit must be shown as typed, not formatted."""
    p = tmp_path / "x.xlsx"
    p.write_bytes(consistent(GD, {**BASE, "cover.phone": "{label}{x"}))
    f = next(f for f in validate_workbook(p).findings if f.code == "cover-format")
    assert "{label}{x" in f.message()


def test_date_values_from_a_live_book_are_dates(tmp_path):
    """A live Excel gives datetimes for date cells; the cover checks took them for numbers."""
    from workbook_tools.checks import make_ctx
    from workbook_tools.checks.entries import check
    from workbook_tools.files.reader import read_workbook
    p = tmp_path / "x.xlsx"
    p.write_bytes(consistent(GD, BASE))
    ret = read_workbook(p)
    ret.inputs["cover.fillDate"] = dt.datetime(2024, 3, 15)
    assert [f.code for f in check(make_ctx(ret))] == []


def test_feedback_names_never_escape_the_folder(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    for i, (code, name) in enumerate([("../../evil", "CON"), ("..\\..\\x", "a/b"), ("NUL", "LPT1.txt")]):
        (inbox / f"{i}.xlsx").write_bytes(consistent(GD, {**BASE, "cover.agencyCode": code, "cover.unitName": name,
                                                         "node.2.5.5.reason": None}))
    fb = tmp_path / "退回"
    result = run_collect([inbox], tmp_path / "s.xlsx", feedback_dir=fb, jobs=1)
    assert len(result["feedback"]) == 3
    for p in result["feedback"]:
        assert str(tmp_path / "退回") in p
    assert sorted(p.parent for p in fb.rglob("*.xlsx")) == [fb] * 3
    assert not (tmp_path / "evil").exists() and not list(tmp_path.parent.glob("evil*"))


def test_a_file_that_vanishes_mid_batch_is_reported_not_fatal(tmp_path):
    from workbook_tools.bureau.collect import UNREADABLE, process_file
    rec = process_file(str(tmp_path / "已删除.xlsx"))
    assert rec.status == UNREADABLE and rec.error_code == "file-missing" and "已删除.xlsx" in rec.error_message


@pytest.mark.parametrize("name, total", [("taiping_2023_de55e64.xlsx", "95.86"),
                                         ("national_project_template_de55e64.xlsx", None)])
def test_returns_on_templates_issued_by_the_previous_round_still_validate(name, total):
    """Files issued last round (committed as that round built them) read as they are: a new wbtool must not turn
    every returned file of a season into formula-deleted errors (target-row helpers are opt-in: form_values)."""
    rep = validate_workbook(ROOT / "tests" / "issued" / name)
    structural = {"formula-deleted", "formula-overwritten", "header-changed", "formula-changed", "spec-unknown"}
    assert not [f for f in rep.findings if f.code in structural], [f"{f.code} {f.cell}" for f in rep.findings]
    if total:
        assert not rep.errors and str(rep.summary["display"]) == total

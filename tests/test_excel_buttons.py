"""The VBA buttons module (excel/wbtool_buttons.bas): checked as text for what broke before, and the command
lines it builds run for real against a saved workbook."""
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from conftest import SAMPLE
from workbook_tools.files import live
from workbook_tools.cli import main
from workbook_tools.files.marklog import MARK_SHEET, RESULT_SHEET
from workbook_tools.checks.validate import validate_workbook
from workbook_tools.files.xlsxfile import FileBook

BAS = Path(__file__).resolve().parents[1] / "excel" / "wbtool_buttons.bas"


def _subs(text):
    return dict(re.findall(r"(?ms)^(?:Private )?(?:Sub|Function) (\S+?)\(.*?\n(.*?)^End (?:Sub|Function)", text))


def test_module_is_importable_vba():
    text = BAS.read_text(encoding="utf-8")
    assert text.startswith('Attribute VB_Name = "') and "Option Explicit" in text
    assert len(re.findall(r"(?m)^(?:Private )?(?:Sub|Function) ", text)) == \
        len(re.findall(r"(?m)^End (?:Sub|Function)", text))


def test_buttons_never_close_their_own_workbook():
    """Closing ThisWorkbook ends the macro in Excel: the command would run with nobody waiting for it."""
    text = BAS.read_text(encoding="utf-8")
    assert not re.search(r"ThisWorkbook\.Close", text)
    assert not re.search(r"(?i)Application\.Quit", text)


def test_buttons_save_then_wait_for_the_command_and_read_its_exit_code():
    body = _subs(BAS.read_text(encoding="utf-8"))
    run = body["RunWbtool"]
    assert ".Exec(" in run and re.search(r"Do While \w+\.Status = 0", run)      # waits until it finished
    assert re.search(r"RunWbtool = \w+\.ExitCode", run)                         # the exit code is read
    for name in ("校验_保存后", "计算_保存后"):
        sub = body[name]
        assert sub.index("ThisWorkbook.Save") < sub.index("RunWbtool(")          # the saved file is checked
        assert "code" in sub[sub.index("RunWbtool("):] and "Workbooks.Open" in sub


def test_xlwings_buttons_call_functions_that_exist():
    text = BAS.read_text(encoding="utf-8")
    for fn in re.findall(r"l\.(\w+)\(\)", text):
        assert callable(getattr(live, fn)), fn


def _command(sub_body):
    """The wbtool command line a macro builds, as an argument list with the VBA string joins resolved."""
    m = re.search(r'RunWbtool\("(.*)", out\)', sub_body)
    expr = m.group(1)
    expr = expr.replace('""" & ThisWorkbook.FullName & """', "{book}").replace('""" & copyPath & """', "{copy}")
    return expr.split()


def test_the_command_lines_the_buttons_build_do_what_the_buttons_show(tmp_path):
    body = _subs(BAS.read_text(encoding="utf-8"))
    book = tmp_path / "自评表.xlsx"
    shutil.copy(SAMPLE, book)
    from faults import typed_over
    from workbook_tools.files.specsheet import load_spec
    book.write_bytes(typed_over(book.read_bytes(), load_spec(), "node.1.1.3.score", 10))
    before = book.read_bytes()
    copy = tmp_path / "自评表.校验结果.xlsx"
    args = [a.format(book=book, copy=copy) for a in _command(body["校验_保存后"])]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 1                                   # the macro opens the marked copy on 1
    assert book.read_bytes() == before                        # the open workbook's file is never rewritten
    assert FileBook(copy).sheet_names()[0] == RESULT_SHEET and MARK_SHEET in FileBook(copy).sheet_names()
    filled = tmp_path / "自评表.计算结果.xlsx"
    args = [a.format(book=book, copy=filled) for a in _command(body["计算_保存后"])]
    r = CliRunner().invoke(main, args)
    assert r.exit_code in (0, 1) and book.read_bytes() == before
    assert "formula-overwritten" not in {f.code for f in validate_workbook(filled).findings}


def test_wps_desks_mark_and_clear_the_saved_file(tmp_path):
    """WPS has no xlwings: `wbtool mark` writes the 校验结果 sheet into the saved file, `clear` takes it out."""
    book = tmp_path / "自评表.xlsx"
    from faults import consistent
    from test_checks import BASE, GD
    book.write_bytes(consistent(GD, {**BASE, "node.2.5.5.reason": None}))
    r = CliRunner().invoke(main, ["mark", str(book)])
    assert r.exit_code == 1 and "wbtool clear" in r.output
    names = FileBook(book).sheet_names()
    assert names[0] == RESULT_SHEET and MARK_SHEET in names
    assert any(v.value == "deduction-without-reason" for v in FileBook(book).read_sheet(RESULT_SHEET).values())
    assert validate_workbook(book).readable                  # the marked file is still a return wbtool reads
    r = CliRunner().invoke(main, ["clear", str(book)])
    assert r.exit_code == 0 and "备份" in r.output
    assert RESULT_SHEET not in FileBook(book).sheet_names()
    assert {f.code for f in validate_workbook(book).findings} >= {"deduction-without-reason"}

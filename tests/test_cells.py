"""One cell interface, two implementations: the file one here, the live Excel one wherever Excel runs."""
import platform

import pytest
from book_contract import check_book_contract, excel_unavailable
from click.testing import CliRunner
from fake_xlwings import FakeBook

from conftest import SAMPLE
from workbook_tools.files import live
from workbook_tools.cells import Mark
from workbook_tools.cli import main
from workbook_tools.files.xlsxfile import FileBook


def test_file_book_honours_the_contract():
    check_book_contract(FileBook(SAMPLE))




@pytest.mark.skipif(excel_unavailable() is not None, reason=str(excel_unavailable()))
def test_live_book_honours_the_contract(tmp_path):  # pragma: no cover - runs only where Excel is installed
    import shutil

    import xlwings as xw
    path = tmp_path / "sample.xlsx"
    shutil.copy(SAMPLE, path)
    app = xw.App(visible=False)
    try:
        wb = app.books.open(str(path))
        check_book_contract(live.LiveBook(wb))
    finally:
        app.quit()


def test_live_book_code_paths_on_a_stand_in():
    """LiveBook's reading, marking and clearing, driven against an in-memory xlwings stand-in."""
    fake = FakeBook(SAMPLE)
    book = live.LiveBook(fake)
    check_book_contract(book)
    sheet = fake.sheets["评分表"]
    own = sheet.range("K29").color                     # the template's input colour
    sheet.range("K29").api.AddComment("单位自己的批注")
    book.mark([Mark("评分表", "K29", "error", "缺少扣分原因"), Mark("收支情况", "B11", "warning", "偏低")],
              [["序号", "严重性", "检查代码", "单元格", "指标", "问题"],
               [1, "error", "deduction-without-reason", "评分表!K29", "2.5.5", "=缺少"]])
    assert fake.sheets[0].name == live.RESULT_SHEET
    assert sheet.range("K29").color == live.COLORS["error"]
    assert "单位自己的批注" in sheet.range("K29").note.text and live.NOTE_TAG in sheet.range("K29").note.text
    res = fake.sheets[live.RESULT_SHEET]
    assert res.range("F2").value == "=缺少" and res.range("F2").formula == "=缺少"    # text stays text
    assert res.range("D2")._cell().get("link") == "#'评分表'!K29"
    assert book.clear() == 2
    assert sheet.range("K29").color == own and sheet.range("K29").note.text == "单位自己的批注"
    assert live.RESULT_SHEET not in book.sheet_names() and live.MARK_SHEET not in book.sheet_names()
    assert fake.saved is False


@pytest.mark.skipif(platform.system() in ("Windows", "Darwin"), reason="checks the message shown without Excel")
@pytest.mark.parametrize("args", [["validate", "--live"], ["fill", "--live"], ["clear", "--live"]])
def test_live_without_excel_says_what_is_missing(args, monkeypatch):
    # xlwings itself imports on Linux; make it present whether or not the 'excel' extra is installed
    import sys
    import types
    monkeypatch.setitem(sys.modules, "xlwings", types.ModuleType("xlwings"))
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2
    assert "Windows 或 macOS" in r.output and "Linux" in r.output and "--annotate" in r.output


def test_live_without_xlwings_says_how_to_install(monkeypatch):
    import builtins
    real = builtins.__import__

    def no_xlwings(name, *a, **k):
        if name == "xlwings":
            raise ImportError("no xlwings")
        return real(name, *a, **k)
    monkeypatch.setattr(builtins, "__import__", no_xlwings)
    r = CliRunner().invoke(main, ["--lang", "en", "validate", "--live"])
    assert r.exit_code == 2 and "pip install 'wbtool[excel]'" in r.output

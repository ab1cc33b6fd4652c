"""The live Excel path against a faithful xlwings stand-in (tests/fake_xlwings.py, each behaviour cited there):
a contract real xlwings+Excel can run too, live reads equal to file reads over the fault corpus, and one marks
log shared by file marks and live marks (clear works whichever path marked)."""
import datetime as dt
import io
import shutil

import openpyxl
import pytest
from book_contract import excel_unavailable
from fake_xlwings import ComError, FakeBook
from test_checks import CASES

from conftest import SAMPLE
from workbook_tools.files import live
from workbook_tools.files.annotate import clear_workbook, finding_marks, mark_workbook, marked_bytes, merge_marks
from workbook_tools.files.marklog import MARK_COLORS, MARK_SHEET, RESULT_SHEET, hex_to_rgb
from workbook_tools.files.reader import read_forms
from workbook_tools.checks.validate import validate_forms, validate_workbook
from workbook_tools.files.xlsxfile import FileBook
from workbook_tools.files.xmlmarks import Package, read_log


NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"




def _open_fake(path):
    return FakeBook(path), lambda: None


def _open_excel(path):  # pragma: no cover - runs only where Excel is installed
    import xlwings as xw
    app = xw.App(visible=False)
    return app.books.open(str(path)), app.quit


BACKENDS = [pytest.param(_open_fake, id="stand-in"),
            pytest.param(_open_excel, id="excel", marks=pytest.mark.skipif(excel_unavailable() is not None,
                                                                           reason=str(excel_unavailable())))]


@pytest.fixture
def probe(tmp_path):
    """A workbook made by XlsxWriter holding each kind of value the live reader must handle."""
    import xlsxwriter
    path = tmp_path / "probe.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("数据")
    ws.write_number("A1", 3)
    ws.write_number("A2", 2.5)
    ws.write_datetime("A3", dt.datetime(2024, 3, 15), wb.add_format({"num_format": "yyyy-mm-dd"}))
    ws.write_formula("A5", "=1/0", None, "#DIV/0!")
    ws.write_formula("A6", "=A1*2", None, 6)
    ws.write_formula("A7", '=""', None, "")
    ws.write_string("B1", "文字")
    ws.write_comment("B1", "原批注")
    wb.add_worksheet("其他")
    wb.define_name("总分", "='数据'!$A$6")
    wb.close()
    # Excel stores a formula's empty text result as t="str" (XlsxWriter leaves the type out): do as Excel does
    from faults import edit_part

    def as_excel(root):
        next(c for c in root.iter(NS + "c") if c.get("r") == "A7").set("t", "str")
    path.write_bytes(edit_part(path.read_bytes(), "xl/worksheets/sheet1.xml", as_excel))
    return path


@pytest.mark.parametrize("opener", BACKENDS)
def test_xlwings_behaviour_contract(opener, probe):
    """What LiveBook relies on, asserted the same way on the stand-in and on real xlwings+Excel."""
    wb, close = opener(probe)
    try:
        s = wb.sheets["数据"]
        assert s.range("A1").value == 3.0 and isinstance(s.range("A1").value, float)       # [values] floats
        assert s.range("A2").value == 2.5
        assert s.range("A3").value == dt.datetime(2024, 3, 15)                              # [values] dates
        assert s.range("A4").value is None                                                  # [values] empty
        assert s.range("A5").value is None                                                  # [values] errors
        assert s.range("A5").options(err_to_str=True).value == "#DIV/0!"
        assert s.range("A7").value is None                                                  # [values] "" → None
        assert s.range("A1:A2").value == [3.0, 2.5]                                         # [ndim] squeeze
        assert s.range("A1:B1").value == [3.0, "文字"]
        assert s.range("A1").options(ndim=2).value == [[3.0]]
        assert s.range("A6").formula == "=A1*2" and isinstance(s.range("A6").formula, str)  # [formula]
        assert s.range("A5:A6").formula == (("=1/0",), ("=A1*2",))
        assert s.range("A1").formula == "3" and s.range("A4").formula == ""
        assert s.range("A6").formula2 == "=A1*2"
        assert s.range("A1").color is None                                                  # [color]
        s.range("A1").color = "#FFC7CE"
        assert s.range("A1").color == (255, 199, 206)
        s.range("A1").color = None
        assert s.range("A1").color is None
        assert s.range("A1").note is None and s.range("B1").note.text == "原批注"             # [note]
        assert not hasattr(s.range("A1"), "add_note")
        s.range("C1").value = "'=不是公式"                                                   # [write]
        assert s.range("C1").value == "=不是公式" and s.range("C1").formula == "=不是公式"
        s.range("C2").value = "12"
        assert s.range("C2").value == 12.0
        s.range("C3").value = ["a", "b"]
        assert s.range("D3").value == "b"
        with pytest.raises(Exception) as e:                                                 # [sheets]
            wb.sheets["没有这张表"]
        assert not isinstance(e.value, (KeyError, IndexError))
        assert [n.refers_to.replace("'", "") for n in wb.names if n.name == "总分"] == ["=数据!$A$6"]  # [names]
    finally:
        close()


def test_the_stand_in_records_saves_and_comerrors(probe, tmp_path):
    wb = FakeBook(probe)
    with pytest.raises(ComError):
        wb.sheets.add("数据")
    wb.save(str(tmp_path / "saved.xlsx"))                                                 # [save]
    assert wb.saved and openpyxl.load_workbook(tmp_path / "saved.xlsx").sheetnames == ["数据", "其他"]


def test_live_reads_like_the_file_reader(probe):
    """Dates come back as serials, errors as their text, a formula's "" as "": the file reader's values."""
    f = FileBook(probe).read_sheet("数据")
    lv = live.LiveBook(FakeBook(probe)).read_sheet("数据")
    for coord in ("A1", "A2", "A3", "A5", "A6", "A7", "B1"):
        assert (lv[coord].value, lv[coord].formula) == (f[coord].value, f[coord].formula), coord
    assert live.LiveBook(FakeBook(probe)).defined_names() == FileBook(probe).defined_names()


# ------------------------------------------------------------------ live = file over the fault corpus

LIVE_ONLY_DIFFERS = {"macros": "macros are seen by the file safety check; a live desk's .xlsm carries its buttons"}


@pytest.mark.parametrize("case", sorted(set(CASES) - set(LIVE_ONLY_DIFFERS)))
def test_live_and_file_give_the_same_findings_scores_and_marks(case, tmp_path):
    path = tmp_path / f"{case}.xlsx"
    path.write_bytes(CASES[case][0]())
    file_rep = validate_workbook(path)
    fake = FakeBook(path)
    live_rep = live._validate_on(live.LiveBook(fake))
    key = lambda r: sorted((f.code, f.cell, f.indicator, f.message()) for f in r.findings)  # noqa: E731
    assert key(live_rep) == key(file_rep)
    assert live_rep.summary.get("total") == file_rep.summary.get("total")
    assert live_rep.summary.get("grade") == file_rep.summary.get("grade")
    # the same cells marked the same way
    pkg = Package(marked_bytes(path.read_bytes(), file_rep))
    file_marks = {(e.sheet, e.coord) for e in read_log(pkg)}
    live_marks = {(m.sheet, m.coord) for m in merge_marks(finding_marks(live_rep))}
    assert file_marks == live_marks
    for m in merge_marks(finding_marks(live_rep)):
        assert fake.sheets[m.sheet].range(m.coord).color == hex_to_rgb(MARK_COLORS[m.severity])
    assert not fake.saved


# ------------------------------------------------------------------ one marks log, both paths

def _faulty(tmp_path):
    return tmp_path / "u.xlsx", CASES["scores"][0]()


def test_clear_on_the_file_after_validate_live(tmp_path):
    """validate --live, then Excel saves, then `wbtool clear file` (was: "Colors must be aRGB")."""
    path, data = _faulty(tmp_path)
    path.write_bytes(data)
    fake = FakeBook(path)
    fake.sheets["评分表"].range("J11").api.AddComment("单位批注")
    fake.sheets["评分表"].range("J13").color = (1, 2, 3)
    rep = live._validate_on(live.LiveBook(fake))
    assert fake.sheets["评分表"].range("J13").color == (255, 199, 206)
    fake.save()                                  # the unit saves in Excel
    marked = openpyxl.load_workbook(path)
    assert marked[MARK_SHEET].sheet_state == "veryHidden"
    n, bak = clear_workbook(path)
    assert n == len(merge_marks(finding_marks(rep))) and bak.exists()
    wb = openpyxl.load_workbook(path)
    assert RESULT_SHEET not in wb.sheetnames and MARK_SHEET not in wb.sheetnames
    ws = wb["评分表"]
    assert ws["J13"].fill.fgColor.rgb.endswith("010203")
    assert ws["J11"].comment.text == "单位批注" and ws["J35"].comment is None
    was = openpyxl.load_workbook(io.BytesIO(data))["评分表"]["J35"].fill      # the input cell's own colour
    assert ws["J35"].fill.fgColor.rgb[-6:] == was.fgColor.rgb[-6:] and was.fill_type == "solid"


def test_clear_live_after_mark_on_the_file(tmp_path):
    """`wbtool mark file`, the unit opens it in Excel, then `clear --live` (was: an unpacking crash)."""
    path, data = _faulty(tmp_path)
    path.write_bytes(data)
    original = FakeBook(path)
    rep = validate_workbook(path)
    mark_workbook(path, rep)
    fake = FakeBook(path)
    flagged = merge_marks(finding_marks(rep))
    assert fake.sheets[flagged[0].sheet].range(flagged[0].coord).note is not None
    assert live.LiveBook(fake).clear() == len(flagged)
    names = [s.name for s in fake.sheets]
    assert RESULT_SHEET not in names and MARK_SHEET not in names
    for m in flagged:
        got, was = fake.sheets[m.sheet].range(m.coord), original.sheets[m.sheet].range(m.coord)
        assert got.color == was.color and got.note is None, m.coord
    assert not fake.saved


def test_live_marks_twice_then_clear_restores_the_units_own(tmp_path):
    path, data = _faulty(tmp_path)
    path.write_bytes(data)
    fake = FakeBook(path)
    sheet = fake.sheets["评分表"]
    sheet.range("K29").api.AddComment("单位自己的批注")
    sheet.range("J13").color = "#00FF00"
    book = live.LiveBook(fake)
    live._validate_on(book)
    live._validate_on(book)                      # marks again: the log still holds the unit's own state
    assert sheet.range("J13").color == (255, 199, 206)
    res = fake.sheets[RESULT_SHEET]
    assert fake.sheets[0] is res and res.range("A1").value == "序号"
    assert res.range("D2")._cell().get("link", "").startswith("#'")
    assert book.clear() >= 1
    assert sheet.range("J13").color == (0, 255, 0) and sheet.range("K29").note.text == "单位自己的批注"
    assert sheet.range("J11").note is None and not fake.saved


def test_live_marks_show_formula_like_text_as_text(tmp_path):
    path, data = _faulty(tmp_path)
    path.write_bytes(data)
    fake = FakeBook(path)
    live.LiveBook(fake).mark([], [["序号", "问题"], [1, "=1+1"]])
    assert fake.sheets[RESULT_SHEET].range("B2").value == "=1+1"
    assert fake.sheets[RESULT_SHEET].range("B2").formula == "=1+1"       # text: Excel shows it, never computes
    assert fake.sheets[MARK_SHEET].visibility == 2


def test_live_fill_writes_only_broken_formulas(tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_bytes(CASES["typed-over"][0]())
    fake = FakeBook(path)
    result, restored, _ = live._fill_on(live.LiveBook(fake))
    assert [r.cell for r in restored] == ["评分表!J8"]
    assert fake.sheets["评分表"].range("J8").formula.startswith("=")


def test_forms_read_live_equal_forms_read_from_file():
    forms_f = read_forms(FileBook(SAMPLE))
    forms_l = read_forms(live.LiveBook(FakeBook(SAMPLE)))
    assert forms_l.forms[0].inputs == forms_f.forms[0].inputs
    assert validate_forms(forms_l).findings == validate_forms(forms_f).findings == []


def test_sample_copy_is_untouched(tmp_path):
    p = tmp_path / "s.xlsx"
    shutil.copy(SAMPLE, p)
    before = p.read_bytes()
    live._validate_on(live.LiveBook(FakeBook(p)))
    assert p.read_bytes() == before


def test_xlwings_buttons_run_on_the_calling_workbook(tmp_path, monkeypatch):
    """RunPython buttons: xlwings.Book.caller() is the workbook whose button was pressed."""
    import sys
    import types
    path, data = _faulty(tmp_path)
    path.write_bytes(data)
    fake = FakeBook(path)
    xw = types.ModuleType("xlwings")
    xw.Book = types.SimpleNamespace(caller=lambda: fake)
    monkeypatch.setitem(sys.modules, "xlwings", xw)
    assert live.button_validate() == 1
    assert fake.sheets[0].name == RESULT_SHEET
    live.button_clear()
    assert RESULT_SHEET not in [s.name for s in fake.sheets] and not fake.saved
    live.button_fill()
    assert not fake.saved


def test_clear_leaves_what_the_unit_changed_after_marking(tmp_path):
    """A fill or note the unit set on a marked cell after marking is theirs: clear (file or live) keeps it."""
    path, data = _faulty(tmp_path)
    path.write_bytes(data)
    fake = FakeBook(path)
    book = live.LiveBook(fake)
    live._validate_on(book)
    s = fake.sheets["评分表"]
    s.range("J13").color = (0, 0, 255)
    s.range("J11").note.delete()
    s.range("J11").api.AddComment("已改正")
    book.clear()
    assert s.range("J13").color == (0, 0, 255) and s.range("J11").note.text == "已改正"
    # the same on a file
    rep = validate_workbook(path)
    mark_workbook(path, rep)
    wb = openpyxl.load_workbook(path)
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill
    wb["评分表"]["J13"].fill = PatternFill("solid", fgColor="FF0000FF")
    wb["评分表"]["J11"].comment = Comment("已改正", "单位")
    wb.save(path)                                   # the unit edits and saves (another program writes it)
    clear_workbook(path)
    ws = openpyxl.load_workbook(path)["评分表"]
    assert ws["J13"].fill.fgColor.rgb.endswith("0000FF") and ws["J11"].comment.text == "已改正"
    assert ws["J35"].comment is None and RESULT_SHEET not in openpyxl.load_workbook(path).sheetnames

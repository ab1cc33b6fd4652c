"""The 校验结果 sheet and the notes a unit reads (issue 16 items 9, 12): printed on A4 landscape one page wide with
the header row repeated, header/footer, borders and wrapped text; check titles and 怎么改 instead of check codes
(the code only in a trailing 代码 column off the print area); clear removes all of it, print names included."""
import io
import shutil
import subprocess
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner
from faults import consistent, edit_part
from lxml import etree

from conftest import SAMPLE_ANSWERS
from lo_recalc import run_soffice, soffice_path
from workbook_tools.files.annotate import clear_bytes, marked_bytes
from workbook_tools.model.answers import answers_to_values, load_answers
from workbook_tools.catalogue import CATALOGUE
from workbook_tools.cli import main
from workbook_tools.files.marklog import MARK_SHEET, RESULT_SHEET
from workbook_tools.files.specsheet import load_spec
from workbook_tools.checks.validate import validate_workbook
from workbook_tools.files.xlsxfile import FileBook

GD = load_spec()
BASE = answers_to_values(GD, load_answers(SAMPLE_ANSWERS))
NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
CODES = set(CATALOGUE)


FAULTS = {"node.2.2.1.score": None, "cover.contact": None,              # errors
          "funds.0.actual": float(BASE["funds.0.adjusted"]) + 100}      # spent over budget: a warning


def _faulty():
    """A missing score and an empty cover field (errors), spending over the budget (a warning)."""
    return consistent(GD, {**BASE, **FAULTS})


def _marked(tmp_path, lang="zh"):
    src = tmp_path / "某单位自评表.xlsx"
    src.write_bytes(_faulty())
    rep = validate_workbook(src)
    assert rep.errors and rep.warnings
    out = tmp_path / "out.xlsx"
    out.write_bytes(marked_bytes(src.read_bytes(), rep, lang, source=str(src)))
    return src, rep, out


def _names(data):
    wb = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("xl/workbook.xml"))
    sheets = [s.get("name") for s in wb.iter(NS + "sheet")]
    return [(d.get("name"), sheets[int(d.get("localSheetId"))] if d.get("localSheetId") else None, d.text)
            for d in wb.iter(NS + "definedName")]


def test_result_sheet_prints_on_a4_landscape_one_page_wide(tmp_path):
    src, rep, out = _marked(tmp_path)
    wb = openpyxl.load_workbook(out)
    ws = wb[RESULT_SHEET]
    ps = ws.page_setup
    assert (ps.orientation, str(ps.paperSize), ps.fitToWidth, ps.fitToHeight) == ("landscape", "9", 1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.print_title_rows == "$1:$1"
    assert ws.print_area == f"'{RESULT_SHEET}'!$A$1:$I${len(rep.findings) + 1}"      # 代码 (J) does not print
    assert "校验结果 — 某单位自评表.xlsx" in ws.oddHeader.center.text
    assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
    assert 0.3 <= ws.page_margins.left <= 0.5 and 0.3 <= ws.page_margins.right <= 0.5
    heads = [c.value for c in ws[1]]
    assert heads == ["序号", "严重性", "检查项", "单元格", "指标", "问题及怎么改", "应为", "实际", "情况说明", "代码"]
    assert [round(ws.column_dimensions[c].width) for c in "ABCDEFGHIJ"] == [6, 8, 22, 12, 8, 50, 14, 14, 30, 8]
    for r in (1, 2, ws.max_row):
        for c in "ABCDEFGHIJ":
            cell = ws[f"{c}{r}"]
            assert cell.border.left.style == "thin" and cell.border.bottom.style == "thin", cell.coordinate
    assert ws["F2"].alignment.wrap_text and ws["I2"].alignment.wrap_text
    # a row whose 问题 wraps is tall enough to show it when printed
    tall = [r for r in range(2, ws.max_row + 1) if "\n" in str(ws[f"F{r}"].value)]
    assert tall and all((ws.row_dimensions[r].height or 0) >= 30 for r in tall)


def test_sheet_scoped_names_follow_the_sheets_through_mark_and_clear(tmp_path):
    """The unit's own sheet-scoped name keeps its sheet while 校验结果 is inserted first and removed again."""
    data = _faulty()
    sheets = FileBook("x.xlsx", data).sheet_names()

    def add_name(root):
        dn = root.find(NS + "definedNames")
        if dn is None:
            dn = etree.SubElement(root, NS + "definedNames")
            root.find(NS + "sheets").addnext(dn)
        etree.SubElement(dn, NS + "definedName", name="本单位", localSheetId="1").text = f"'{sheets[1]}'!$B$2"
    data = edit_part(data, "xl/workbook.xml", add_name)
    before = _names(data)
    src = tmp_path / "x.xlsx"
    src.write_bytes(data)
    marked = marked_bytes(data, validate_workbook(src), source=str(src))
    after = _names(marked)
    assert ("本单位", sheets[1], f"'{sheets[1]}'!$B$2") in after
    assert ("_xlnm.Print_Titles", RESULT_SHEET, f"'{RESULT_SHEET}'!$1:$1") in after
    cleared, n = clear_bytes(marked)
    assert n > 0 and _names(cleared) == before
    assert RESULT_SHEET not in FileBook("x.xlsx", cleared).sheet_names()
    # marking twice replaces our names instead of piling them up
    again = marked_bytes(marked, validate_workbook(src), source=str(src))
    assert sum(1 for n, s, _ in _names(again) if n == "_xlnm.Print_Titles" and s == RESULT_SHEET) == 1


def _comments(wb):
    return {(ws.title, c.coordinate): c.comment.text for ws in wb.worksheets for row in ws.iter_rows()
            for c in row if c.comment}


def test_no_check_codes_where_the_unit_reads(tmp_path):
    src, rep, out = _marked(tmp_path)
    wb = openpyxl.load_workbook(out)
    notes = _comments(wb)
    assert notes
    for key, text in notes.items():
        assert not any(code in text for code in CODES), (key, text)
    ws = wb[RESULT_SHEET]
    for row in ws.iter_rows(min_row=1, max_col=9, values_only=True):
        assert not any(code in str(v) for v in row if v is not None for code in CODES), row
    f = next(f for f in rep.findings if f.sheet and f.coord)
    note = notes[(f.sheet, f.coord)]
    assert f.entry.title_zh in note and f.message("zh") in note and "怎么改：" + f.entry.fix in note
    assert note.startswith("[wbtool] ")                   # clear's tag
    # the code stays for machines: the trailing 代码 column, in finding order
    assert [ws[f"J{r}"].value for r in range(2, len(rep.findings) + 2)] == [x.code for x in rep.findings]
    assert [ws[f"C{r}"].value for r in range(2, len(rep.findings) + 2)] == [x.entry.title_zh for x in rep.findings]


def test_english_output_stays_english(tmp_path):
    src, rep, out = _marked(tmp_path, "en")
    wb = openpyxl.load_workbook(out)
    ws = wb[RESULT_SHEET]
    assert ws["C1"].value == "Check" and ws["C2"].value == rep.findings[0].entry.title_en
    assert ws.oddFooter.center.text == "Page &P of &N"
    f = next(f for f in rep.findings if f.sheet and f.coord)
    assert _comments(wb)[(f.sheet, f.coord)] == f"[wbtool] {f.entry.title_en}: {f.message('en')}"


def test_mark_and_clear_cli_leave_nothing_behind(tmp_path):
    p = tmp_path / "u.xlsx"
    p.write_bytes(_faulty())
    wb0 = openpyxl.load_workbook(p)
    notes0, names0 = _comments(wb0), _names(p.read_bytes())
    r = CliRunner().invoke(main, ["mark", str(p)])
    assert r.exit_code == 1, r.output
    assert RESULT_SHEET in FileBook(p).sheet_names() and _comments(openpyxl.load_workbook(p)) != notes0
    r = CliRunner().invoke(main, ["clear", str(p)])
    assert r.exit_code == 0, r.output
    names = FileBook(p).sheet_names()
    assert RESULT_SHEET not in names and MARK_SHEET not in names
    assert _comments(openpyxl.load_workbook(p)) == notes0 and _names(p.read_bytes()) == names0


@pytest.mark.lo
@pytest.mark.skipif(soffice_path() is None or shutil.which("pdftotext") is None, reason="needs LibreOffice")
def test_result_sheet_printed_by_libreoffice(tmp_path):
    """LibreOffice prints 校验结果 first: landscape, the header with the file name, page x of y, titles, no codes."""
    src, rep, out = _marked(tmp_path)
    rc, so, se = run_soffice(["--convert-to", "pdf", "--outdir", str(tmp_path), str(out)], 300)
    pdf = tmp_path / "out.pdf"
    assert pdf.exists(), (rc, so, se)
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "1", str(pdf)], capture_output=True, text=True).stdout
    size = next(line for line in info.splitlines() if line.startswith("Page    1 size"))
    w, h = (float(x) for x in size.split(":")[1].split("pts")[0].split("x"))
    assert w > h and abs(w - 842) < 3                       # A4 landscape
    page1 = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"],
                           capture_output=True, text=True).stdout
    assert "校验结果 — 某单位自评表.xlsx" in page1 and "第 1 页，共" in page1
    assert "检查项" in page1 and "情况说明" in page1 and "代码" not in page1
    assert not any(code in page1 for code in CODES)
    assert rep.findings[0].entry.title_zh in page1


@pytest.mark.parametrize("by", ["code", "title"])
def test_explanation_matched_by_code_or_by_the_title_the_unit_reads(tmp_path, by):
    """情况说明 keeps matching by 检查代码 and cell; the title copied from 校验结果 names the check as well."""
    src = tmp_path / "a.xlsx"
    src.write_bytes(_faulty())
    w = next(f for f in validate_workbook(src).findings if f.severity == "warning" and f.sheet)
    key = w.code if by == "code" else w.entry.title_zh
    src.write_bytes(consistent(GD, {**BASE, **FAULTS, "explain.1.code": key, "explain.1.cell": w.cell,
                                    "explain.1.text": "年底追加的项目资金未能按期支付，已结转下年。"}))
    again = next(f for f in validate_workbook(src).findings if (f.code, f.cell) == (w.code, w.cell))
    assert again.explained and again.explanation.startswith("年底追加")

"""Marks written at the XML level (issue 15 item 3): whatever validate reads, --annotate / mark / clear /
collect --feedback can mark; parts a unit added (charts, images, notes) survive; one marks log."""
import io
import re
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner
from faults import consistent, edit_part

from conftest import SAMPLE_ANSWERS
from workbook_tools.files.annotate import clear_bytes, marked_bytes
from workbook_tools.model.answers import answers_to_values, load_answers
from workbook_tools.cli import main
from workbook_tools.bureau.collect import run_collect
from workbook_tools.checks.findings import Finding, Report
from workbook_tools.model.layout import layout_for
from workbook_tools.files.marklog import MARK_SHEET, RESULT_SHEET
from workbook_tools.files.specsheet import load_spec
from workbook_tools.checks.validate import validate_workbook
from workbook_tools.files.xlsxfile import FileBook

GD = load_spec()
L = layout_for(GD)
BASE = answers_to_values(GD, load_answers(SAMPLE_ANSWERS))
NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _sheet_part(data, name):
    return FileBook("x.xlsx", data).sheet_part(name)


def _cell_el(root, coord):
    return next(c for c in root.iter(NS + "c") if c.get("r") == coord)


def _faulty():
    """A return with a missing score (J13 flagged) and a low execution rate (B11 warned)."""
    return consistent(GD, {**BASE, "node.2.2.1.score": None, "funds.0.actual": 10000})


def nan_value(data):
    """<v>NaN</v> in a number cell: our reader takes it (a finding), openpyxl refused the file."""
    c = L["funds.0.actual"]
    return edit_part(data, _sheet_part(data, c.sheet), lambda root: _set_v(root, c.coord, "NaN"))


def bad_date(data):
    """A t="d" cell whose text is no ISO date (the fill date): openpyxl raised on load."""
    c = L["cover.fillDate"]

    def edit(root):
        el = _cell_el(root, c.coord)
        for ch in list(el):
            el.remove(ch)
        el.set("t", "d")
        el.append(root.makeelement(NS + "v", {}))
        el[0].text = "2024-13-45T99"
    return edit_part(data, _sheet_part(data, c.sheet), edit)


def overlapping_merges(data):
    """Two merged ranges over the flagged score cell J13: openpyxl failed on the comment of a merged cell."""
    def edit(root):
        mc = root.find(NS + "mergeCells")
        if mc is None:
            mc = root.makeelement(NS + "mergeCells", {})
            root.find(NS + "sheetData").addnext(mc)
        for ref in ("J13:K13", "J13:J14"):
            mc.append(root.makeelement(NS + "mergeCell", {"ref": ref}))
        mc.set("count", str(len(mc)))
    return edit_part(data, _sheet_part(data, "评分表"), edit)


def _set_v(root, coord, text):
    el = _cell_el(root, coord)
    for ch in list(el):
        el.remove(ch)
    el.attrib.pop("t", None)
    v = root.makeelement(NS + "v", {})
    v.text = text
    el.append(v)


REPRODUCERS = [nan_value, bad_date, overlapping_merges]


@pytest.mark.parametrize("make", REPRODUCERS, ids=lambda f: f.__name__)
def test_marking_never_fails_where_validate_reads(make, tmp_path):
    path = tmp_path / "u.xlsx"
    path.write_bytes(make(_faulty()))
    rep = validate_workbook(path)
    assert rep.readable and rep.findings
    # --annotate
    out = tmp_path / "a.xlsx"
    r = CliRunner().invoke(main, ["validate", str(path), "--annotate", str(out)])
    assert r.exit_code == 1 and "Traceback" not in r.output and "内部错误" not in r.output, r.output
    book = FileBook(out)
    assert book.sheet_names()[0] == RESULT_SHEET and MARK_SHEET in book.sheet_names()
    flagged = {f.cell for f in rep.findings if f.coord}
    listed = {v.value for k, v in book.read_sheet(RESULT_SHEET).items() if k.startswith("D") and k != "D1"}
    assert flagged <= listed
    # mark in place, then clear: back to the original cells
    before = path.read_bytes()
    r = CliRunner().invoke(main, ["mark", str(path)])
    assert r.exit_code == 1 and "Traceback" not in r.output, r.output
    assert MARK_SHEET in FileBook(path).sheet_names()
    r = CliRunner().invoke(main, ["clear", str(path)])
    assert r.exit_code == 0, r.output
    after = path.read_bytes()
    for name in FileBook("x", before).sheet_names():
        if name != "情况说明":          # warnings pre-listed there stay for the unit to explain
            assert repr(FileBook("x", after).read_sheet(name)) == repr(FileBook("x", before).read_sheet(name))
    assert _styles_of(after, "评分表") == _styles_of(before, "评分表")


@pytest.mark.parametrize("make", REPRODUCERS, ids=lambda f: f.__name__)
def test_feedback_copies_are_written_for_files_openpyxl_refuses(make, tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "u.xlsx").write_bytes(make(_faulty()))
    result = run_collect([inbox], tmp_path / "s.xlsx", feedback_dir=tmp_path / "退回", jobs=1)
    assert len(result["feedback"]) == 1
    assert FileBook(result["feedback"][0]).sheet_names()[0] == RESULT_SHEET


def _styles_of(data, sheet, prefix=""):
    z = zipfile.ZipFile(io.BytesIO(data))
    body = z.read(_sheet_part(data, sheet)).decode()
    return dict(re.findall(r'<%sc r="([A-Z]+\d+)"[^>]*? s="(\d+)"' % prefix, body))


def _report(cells):
    return Report("x.xlsx", findings=[Finding("score-missing", c, "x") for c in cells])


@pytest.fixture
def unit_book(tmp_path):
    """A workbook made by XlsxWriter with what units add: a chart, an image, a note of their own, a fill."""
    import xlsxwriter
    png = tmp_path / "logo.png"
    png.write_bytes(_png(40, 20))
    path = tmp_path / "unit.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("评分表")
    yellow = wb.add_format({"bg_color": "#FFF2CC", "bold": True})
    for r in range(1, 8):
        ws.write(r, 0, f"指标{r}")
        ws.write(r, 1, r * 1.5)
    ws.write(3, 2, "自填", yellow)
    ws.write_comment("B3", "单位自己的批注")
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": "='评分表'!$B$2:$B$8"})
    ws.insert_chart("E2", chart)
    ws.insert_image("E20", str(png))
    wb.close()
    return path


def test_charts_images_and_notes_survive_mark_and_clear(unit_book):
    data = unit_book.read_bytes()
    kept = {n: b for n, b in _parts(data).items() if n.startswith(("xl/charts/", "xl/media/", "xl/drawings/drawing"))}
    assert any(n.startswith("xl/charts/") for n in kept) and any(n.startswith("xl/media/") for n in kept)
    marked = marked_bytes(data, _report(["评分表!B3", "评分表!C4", "评分表!B6", "评分表!Z40"]))
    parts = _parts(marked)
    for name, body in kept.items():
        assert parts[name] == body, f"{name} changed"
    wb = openpyxl.load_workbook(io.BytesIO(marked))            # another reader sees the marks
    ws = wb["评分表"]
    assert ws["B3"].comment.text.startswith("单位自己的批注") and "未评分" in ws["B3"].comment.text
    assert "未评分" in ws["B6"].comment.text and "未评分" in ws["Z40"].comment.text
    assert ws["C4"].fill.fgColor.rgb.endswith("FFC7CE") and ws["C4"].font.b     # its own font kept
    assert ws["Z40"].fill.fgColor.rgb.endswith("FFC7CE")                       # a cell the sheet lacked
    assert wb.sheetnames[0] == RESULT_SHEET and wb[MARK_SHEET].sheet_state == "veryHidden"
    cleared, n = clear_bytes(marked)
    assert n == 4
    parts2 = _parts(cleared)
    for name, body in kept.items():
        assert parts2[name] == body
    ws = openpyxl.load_workbook(io.BytesIO(cleared))["评分表"]
    assert ws["B3"].comment.text == "单位自己的批注" and ws["B6"].comment is None and ws["Z40"].comment is None
    assert ws["C4"].fill.fgColor.rgb.endswith("FFF2CC") and ws["C4"].font.b
    assert ws["B6"].fill.fill_type is None
    assert set(openpyxl.load_workbook(io.BytesIO(cleared)).sheetnames) == {"评分表"}


@pytest.mark.lo
def test_libreoffice_opens_a_marked_unit_book(unit_book, tmp_path):
    import subprocess
    marked = tmp_path / "m.xlsx"
    marked.write_bytes(marked_bytes(unit_book.read_bytes(), _report(["评分表!B3", "评分表!C4"])))
    subprocess.run(["soffice", "--headless", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(tmp_path), str(marked)],
                   check=True, capture_output=True, timeout=180)
    text = (tmp_path / "m.csv").read_text(encoding="utf-8", errors="replace")
    assert "序号" in text and "score-missing" in text        # the first sheet LibreOffice sees is 校验结果
    subprocess.run(["soffice", "--headless", "--convert-to", "ods", "--outdir", str(tmp_path), str(marked)],
                   check=True, capture_output=True, timeout=180)
    content = zipfile.ZipFile(tmp_path / "m.ods").read("content.xml").decode("utf-8")
    notes = re.findall(r"<office:annotation\b.*?</office:annotation>", content, re.S)
    assert len(notes) == 2 and all("未评分：" in n and "score-missing" not in n for n in notes)            # our notes, as notes
    assert any("单位自己的批注" in n for n in notes)                                 # the unit's own kept


def _png(w, h):
    """A small red PNG (no imaging library needed)."""
    import struct
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\xc8\x1e\x1e" * w for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _parts(data):
    z = zipfile.ZipFile(io.BytesIO(data))
    return {n: z.read(n) for n in z.namelist()}


def test_marking_twice_logs_each_cell_once_and_clear_restores(tmp_path):
    data = _faulty()
    rep = Report("x", findings=[Finding("score-missing", "评分表!J13", "2.2.1"),
                                Finding("deduction-without-reason", "评分表!J13", "2.2.1")])
    once = marked_bytes(data, rep)
    twice = marked_bytes(once, rep)
    book = FileBook("x", twice)
    log = [v.value for k, v in book.read_sheet(MARK_SHEET).items() if k.startswith("B") and k != "B1"]
    assert log == ["J13"]
    cleared, n = clear_bytes(twice)
    assert n == 1 and _styles_of(cleared, "评分表") == _styles_of(data, "评分表")
    assert FileBook("x", cleared).sheet_names() == FileBook("x", data).sheet_names()
    wb = openpyxl.load_workbook(io.BytesIO(twice))
    assert wb.active.title == RESULT_SHEET and [w.title for w in wb if w.sheet_view.tabSelected] == [RESULT_SHEET]
    wb = openpyxl.load_workbook(io.BytesIO(cleared))       # one selected tab again, the one shown on opening
    assert wb.active.sheet_state == "visible" and [w.title for w in wb if w.sheet_view.tabSelected] == [wb.active.title]


def test_a_huge_sheet_is_marked_without_a_dom(tmp_path, monkeypatch):
    """Flagged sheets and 情况说明 are patched as bytes: no worksheet part is parsed into a tree."""
    from workbook_tools.files import xlsxfile, xmlmarks
    data = _faulty()
    parts = {_sheet_part(data, n) for n in ("评分表", "收支情况", "情况说明")}
    parsed = []
    real = xmlmarks.Package.xml

    def spy(self, name, *a):
        parsed.append(name)
        return real(self, name, *a)
    monkeypatch.setattr(xmlmarks.Package, "xml", spy)
    real_parse = xlsxfile._parse
    monkeypatch.setattr(xlsxfile, "_parse", lambda d, part, src: (parsed.append(part), real_parse(d, part, src))[1])
    rep = Report("x", findings=[Finding("score-missing", "评分表!J13", "2.2.1"),
                                Finding("low-exec-rate", "收支情况!B11", "")])
    out = marked_bytes(data, rep)
    assert not parts & set(parsed)
    assert FileBook("x", out).read_sheet("情况说明")["B4"].value == "预算执行率偏低未说明"     # its title


def test_damaged_files_validate_reads_are_marked_and_cleared(tmp_path):
    """Over the fuzz corpus (bit flips, truncation, odd parts): wherever validate reads, mark and clear work."""
    from test_fuzz import corpus
    tried = []
    for name, data in corpus(n_random=25) + [("prefixed", prefixed_sheet(_faulty()))]:
        p = tmp_path / f"{name}.xlsx"
        p.write_bytes(data)
        r = CliRunner().invoke(main, ["validate", str(p)])
        if r.exit_code not in (0, 1):
            continue
        tried.append(name)
        r = CliRunner().invoke(main, ["mark", str(p)])
        assert r.exit_code in (0, 1) and "Traceback" not in r.output and "内部错误" not in r.output, (name, r.output)
        r = CliRunner().invoke(main, ["clear", str(p)])
        assert r.exit_code == 0 and "内部错误" not in r.output, (name, r.output)
        assert RESULT_SHEET not in FileBook(p).sheet_names()
    assert {"shuffled", "bad-cell-refs", "prefixed"} <= set(tried), tried


def prefixed_sheet(data):
    """评分表 written with a namespace prefix (<x:c …>), as some tools do; the marks must keep that prefix."""
    part = _sheet_part(data, "评分表")
    src = zipfile.ZipFile(io.BytesIO(data))
    body = src.read(part).decode("utf-8")
    body = body.replace('<worksheet xmlns="http://schemas', '<worksheet xmlns:x="http://schemas', 1)
    body = re.sub(r"<(/?)([A-Za-z]+)([\s>/])", r"<\1x:\2\3", body)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info, body.encode("utf-8") if info.filename == part else src.read(info.filename))
    return out.getvalue()


def test_a_prefixed_sheet_is_marked_with_its_prefix():
    data = prefixed_sheet(_faulty())
    assert b"<x:c " in zipfile.ZipFile(io.BytesIO(data)).read(_sheet_part(data, "评分表"))
    rep = validate_workbook_bytes(data)
    marked = marked_bytes(data, Report("x", findings=rep.findings + [Finding("score-missing", "评分表!Q90", "x")]))
    body = zipfile.ZipFile(io.BytesIO(marked)).read(_sheet_part(marked, "评分表"))
    assert b"<c " not in body and b'<x:c r="Q90"' in body and b"<x:legacyDrawing" in body
    wb = openpyxl.load_workbook(io.BytesIO(marked))
    assert wb["评分表"]["J13"].fill.fgColor.rgb.endswith("FFC7CE") and "未评分" in wb["评分表"]["J13"].comment.text
    assert wb["评分表"]["Q90"].fill.fgColor.rgb.endswith("FFC7CE")
    cleared, _ = clear_bytes(marked)
    before, after = _styles_of(data, "评分表", "x:"), _styles_of(cleared, "评分表", "x:")
    assert before and after == {**before, "Q90": after["Q90"]}        # Q90 was added; every other style back
    assert openpyxl.load_workbook(io.BytesIO(cleared))["评分表"]["J13"].comment is None


def validate_workbook_bytes(data):
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "x.xlsx"
        p.write_bytes(data)
        return validate_workbook(p)

"""Printed papers (issue 16 items 8–10): what a person sees on paper, measured — table widths within the
text width, no column so narrow that names wrap one character per line, signature blocks, print setups."""
from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from conftest import SAMPLE
from workbook_tools.bureau.overview import OverviewData, build_overview
from workbook_tools.files.reader import read_workbook
from workbook_tools.report.narrative import build_report, write_document
from workbook_tools.report.docx import CELL_PAD_CM, MIN_CHARS, TABLE_PT, TEXT_WIDTH_CM, text_em

LONG_NAMES = ["广州市从化区太平镇人民政府", "广州市从化区城市管理和综合执法局（区林业和园林局）",
              "广州市从化区人力资源和社会保障局（区社会保险基金管理中心）", "从化区教育局", "区档案馆"]


def overview_data(n: int = 51) -> OverviewData:
    units = [{"unit_code": f"4401170{i:02d}", "unit_name": LONG_NAMES[i % len(LONG_NAMES)], "display": 50 + i % 50,
              "grade": "优良中差"[i % 4], "status": ["通过", "需退回", "通过", "无法读取"][i % 4], "errors": i % 3,
              "file": f"回收/{i}.xlsx"} for i in range(n)]
    leaves = [{"id": f"2.{i}", "name": "采购合同签订时效性" * (1 + i % 2), "weight": 3.0, "mean": 1.5 + i / 10,
               "losers": i, "reasons": [("部分政府采购合同未在规定时限内完成备案，下一步加强合同管理。", i + 1)]}
              for i in range(8)]
    return OverviewData(units, leaves, [{"unit_code": "440117999", "unit_name": LONG_NAMES[2]}])


def twips_cm(v) -> float:
    return int(v) / 1440 * 2.54


def check_tables(path):
    """Every table: fixed layout, tblW = Σ grid ≤ the text width, every cell's tcW its grid column(s), and
    each column wide enough for min(its longest line, 4) characters on one line."""
    d = docx.Document(str(path))
    assert d.tables
    for table in d.tables:
        tbl = table._tbl
        assert tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
        grid = [int(c.get(qn("w:w"))) for c in tbl.tblGrid.findall(qn("w:gridCol"))]
        tblw = tbl.tblPr.find(qn("w:tblW"))
        assert tblw.get(qn("w:type")) == "dxa" and int(tblw.get(qn("w:w"))) == sum(grid)
        assert twips_cm(sum(grid)) <= TEXT_WIDTH_CM + 0.01, (twips_cm(sum(grid)), table.cell(0, 0).text)
        for tr in tbl.findall(qn("w:tr")):
            col = 0
            for tc in tr.findall(qn("w:tc")):
                span = tc.tcPr.find(qn("w:gridSpan"))
                n = int(span.get(qn("w:val"))) if span is not None else 1
                width = twips_cm(tc.tcPr.find(qn("w:tcW")).get(qn("w:w")))
                assert abs(width - twips_cm(sum(grid[col:col + n]))) < 0.02
                text = "".join(t.text or "" for t in tc.iter(qn("w:t")))
                if text and n == 1:
                    per_line = (width - CELL_PAD_CM + 0.05) / (TABLE_PT * 2.54 / 72)
                    longest = max(text_em(w) for w in text.split())
                    assert per_line >= min(longest, MIN_CHARS), (text, width)
                col += n
    return d


def test_unit_report_tables_fit_and_sign(tmp_path):
    out = write_document(build_report(read_workbook(SAMPLE)), tmp_path / "r.docx")
    d = check_tables(out)
    table = d.tables[0]
    widths = [twips_cm(c.get(qn("w:w"))) for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert widths[3] < widths[2] and widths[4] < widths[5]          # 分值 / 得分 narrow, names and reasons wide
    paras = [p for p in d.paragraphs if p.text.startswith(("单位（盖章）", "日期："))]
    assert [p.text for p in paras] == ["单位（盖章）：广州市从化区太平镇人民政府", "日期：2024 年 3 月 15 日"]
    assert all(p.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.RIGHT for p in paras)
    text = "\n".join(p.text for p in d.paragraphs)
    assert "自评得分 95.86 分，评价等级为“优”。" in text and "19.8894" not in text and "17.9 个百分点" in text
    assert [c.text for c in table.rows[2].cells[3:5]] == ["20", "19.89"]


def test_markdown_and_html_sign(tmp_path):
    doc = build_report(read_workbook(SAMPLE))
    md = write_document(doc, tmp_path / "r.md").read_text(encoding="utf-8")
    html = write_document(doc, tmp_path / "r.html").read_text(encoding="utf-8")
    for text in (md, html):
        assert "单位（盖章）：广州市从化区太平镇人民政府" in text and "日期：2024 年 3 月 15 日" in text
    assert md.index("单位（盖章）") > md.index("四、下一步改进措施") and md.index("单位（盖章）") < md.index("附表")


def test_bureau_overview_tables_fit_with_long_names(tmp_path):
    out = write_document(build_overview(overview_data()), tmp_path / "o.docx")
    d = check_tables(out)
    follow = next(t for t in d.tables if t.cell(0, 1).text == "单位名称")
    widths = [twips_cm(c.get(qn("w:w"))) for c in follow._tbl.tblGrid.findall(qn("w:gridCol"))]
    # the code column holds a 9-digit code on one line; the name column is the widest but the 说明 keeps room
    assert widths[0] >= (9 * 0.55 * TABLE_PT * 2.54 / 72) + CELL_PAD_CM - 0.01
    assert widths[1] == max(widths)
    low = next(t for t in d.tables if t.cell(0, 0).text == "编号")
    lw = [twips_cm(c.get(qn("w:w"))) for c in low._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert lw[1] == max(lw) and lw[0] < 2.5            # 指标 the widest, 编号 narrow (was 4.5 cm against 1.3 cm)


def test_overview_html_grade_legend_counts_units(tmp_path):
    html = write_document(build_overview(overview_data()), tmp_path / "o.html").read_text(encoding="utf-8")
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert "单位数" in svg and "得分" not in svg and "扣分" not in svg
    assert svg.count('class="bar-count"') == 4


# ---------------------------------------------------------------- the summary workbook (collect → summary.xlsx)

def _submission(i: int, spec):
    from workbook_tools.bureau.records import Submission
    status = ["通过", "需退回", "通过", "通过"][i % 4]
    leaves = {leaf.id: float(leaf.weight) * (0.8 + (i % 5) / 25) for leaf in spec.leaves()}
    nodes = {n.id: float(n.weight) * 0.9 for n in spec.nodes() if not n.is_leaf}
    name = LONG_NAMES[i % len(LONG_NAMES)] + ("" if i < len(LONG_NAMES) else f"{i}")
    return Submission(id=i, unit_code=f"4401171{i:02d}", unit_name=name, status=status, readable=True,
                      display=80 + i % 20, grade="优" if i % 20 >= 10 else "良", errors=int(status != "通过"),
                      warnings=0, budget=1000.0 + i, actual=950.0 + i, exec_rate=0.55 + (i % 45) / 100,
                      fill_date="2024-03-15", file_name=f"{i}.xlsx", path=f"回收/{i}.xlsx", spec_id=spec.id,
                      sha256=f"sha{i}", kind="overall",
                      data={"leaves": leaves, "nodes": nodes, "reasons": {}, "parent": "广州市从化区人民政府"})


@pytest.fixture(scope="module")
def summary51(tmp_path_factory):
    from workbook_tools.files.specsheet import load_spec
    from workbook_tools.bureau.summary import SummaryInput, write_summary
    spec = load_spec("gd-dept-overall-2023")
    # 68 returns, every fourth to be sent back: the charts count the 51 accepted ones (statistics.accepted)
    subs = [_submission(i, spec) for i in range(68)]
    out = tmp_path_factory.mktemp("sum") / "汇总.xlsx"
    write_summary(SummaryInput(spec, subs, subs, [], []), out)
    return out


def test_every_summary_sheet_prints_on_a4(summary51):
    import openpyxl
    wb = openpyxl.load_workbook(summary51)
    for ws in wb.worksheets:
        ps = ws.page_setup
        assert int(ps.paperSize) == 9, ws.title
        assert ps.orientation in ("portrait", "landscape"), ws.title
        fit = ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage
        if fit:
            assert ps.fitToWidth in (1, None) and ps.fitToHeight == 0, ws.title
        else:      # too wide to fit at a readable size: bands of columns, the code and name repeated
            assert int(ps.scale) >= 60 and ws.print_title_cols, ws.title
        assert "汇总表" in ws.oddHeader.center.text and "&P" in ws.oddFooter.center.text, ws.title
        if ws.title != "图表":
            assert ws.print_title_rows and ws.print_area, ws.title
            head = next(r for r in ws.iter_rows(max_row=2) if r[0].value in ("序号", "单位编码", "编号", "编码"))
            assert all(c.border.left.style == "thin" and c.font.b for c in head), ws.title
    assert wb["汇总"].page_setup.orientation == "landscape"


def test_rows_to_send_back_are_highlighted(summary51):
    import openpyxl
    ws = openpyxl.load_workbook(summary51)["汇总"]
    head = [c.value for c in ws[1]]
    status = head.index("状态") + 1
    for r in range(2, ws.max_row + 1):
        fill = ws.cell(r, 3).fill
        back = ws.cell(r, status).value == "需退回"
        assert (fill.fill_type == "solid") == back, r
        assert ws.cell(r, 3).border.bottom.style == "thin"


def test_charts_label_every_unit_and_show_rates_as_percent(summary51):
    charts = {}
    with zipfile.ZipFile(summary51) as z:
        for name in z.namelist():
            if name.startswith("xl/charts/chart"):
                charts[name] = z.read(name).decode()
    assert len(charts) == 3
    by_title = {next(t for t in ("等级", "二级指标", "各单位") if t in xml): xml for xml in charts.values()}
    for key in ("二级指标", "各单位"):
        xml = by_title[key]
        val = re.search(r"<c:valAx>.*?</c:valAx>", xml).group(0)
        assert 'formatCode="0%"' in val and re.search(r'<c:max val="1(\.0)?"/>', val)   # 0–100%, not 0–1.2
        assert '<c:tickLblSkip val="1"/>' in xml                                      # no label dropped
    cat = re.search(r"<c:cat>.*?</c:cat>", by_title["各单位"]).group(0)
    first, last = map(int, re.search(r"\$A\$(\d+):\$A\$(\d+)", cat).groups())
    assert last - first + 1 == 51                                                     # one bar per unit
    assert 'formatCode="0"' in re.search(r"<c:valAx>.*?</c:valAx>", by_title["等级"]).group(0)


@pytest.mark.lo
def test_the_51_unit_chart_prints_on_one_page(summary51, tmp_path):
    """LibreOffice prints the 图表 sheet: the per-unit chart and its table on one page, every unit named."""
    import shutil
    import subprocess
    if not shutil.which("soffice") or not shutil.which("pdftotext"):
        pytest.skip("LibreOffice or pdftotext not installed")
    from test_report import docx_to_pdf
    pdf = docx_to_pdf(summary51, tmp_path)
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    pages = [re.sub(r"\s", "", p) for p in pages]
    unit_pages = [p for p in pages if "各单位预算执行率" in p]
    assert len(unit_pages) == 1
    # every unit is named on that page twice: in the table and as the chart's label (none dropped or moved)
    for i in (i for i in range(5, 68) if i % 4 != 1):           # the accepted returns
        name = LONG_NAMES[i % len(LONG_NAMES)] + str(i)
        assert unit_pages[0].count(name[-6:]) >= 2, name


# ---------------------------------------------------------------- the template (wbtool template)

def test_wrapped_text_gets_its_lines_and_stays_growable(tmp_path):
    """评分标准 (labels) and 扣分原因 (typed text) never print over the next row: every wrapped text that needs
    more lines than one has a row that tall; those rows are not 'custom' so Excel still grows them as staff type."""
    import math
    import openpyxl
    from workbook_tools.model.answers import answers_to_values, load_answers
    from workbook_tools.files.specsheet import load_spec
    from workbook_tools.model.template import build_template
    from conftest import SAMPLE_ANSWERS
    spec = load_spec("gd-dept-overall-2023")
    out = tmp_path / "t.xlsx"
    build_template(spec, out, answers_to_values(spec, load_answers(SAMPLE_ANSWERS)))
    wb = openpyxl.load_workbook(out)
    checked = 0
    for name in ("评分表", "绩效目标", "封面"):
        ws = wb[name]
        merged = {(m.min_row, m.min_col): m for m in ws.merged_cells.ranges}
        for row in ws.iter_rows():
            for c in row:
                if not isinstance(c.value, str) or c.value.startswith("=") or not c.alignment.wrap_text:
                    continue
                m = merged.get((c.row, c.column))
                if m is not None and m.max_row > m.min_row:
                    continue
                cols = range(c.column, (m.max_col if m else c.column) + 1)
                width = sum(ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width or 8.43 for i in cols)
                # a deliberately plain measure: 1.7 units a CJK character, 1 otherwise
                units = sum(1.7 if ord(ch) > 0x2E7F else 1 for ch in c.value)
                lines = math.ceil(units / width)
                if lines > 1:
                    height = ws.row_dimensions[c.row].height
                    assert height is not None and height >= 12 * lines, (name, c.coordinate, c.value, height)
                    checked += 1
    assert checked >= 10
    with zipfile.ZipFile(out) as z:
        sheet = z.read("xl/worksheets/sheet6.xml").decode()      # 评分表
    reason_row = re.search(r'<row r="8"[^>]*>', sheet).group(0)      # 1.1.2 with its 扣分原因
    assert 'ht="' in reason_row and "customHeight" not in reason_row


def test_cover_has_places_to_sign_and_seal():
    import openpyxl
    from workbook_tools.model.layout import layout_for
    from workbook_tools.files.specsheet import load_spec
    spec = load_spec("gd-dept-overall-2023")
    L = layout_for(spec)
    assert L["cover.leader"].role == "input"
    labels = {c.value for c in L.free if c.sheet == "封面"}
    assert {"单位（盖章）", "单位负责人（签字）", "填报人（签字）："} <= labels
    wb = openpyxl.load_workbook(SAMPLE)
    ws = wb["封面"]
    texts = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    seal = texts["单位（盖章）"]
    assert ws.row_dimensions[seal.row].height >= 60           # room for the stamp
    assert any(str(m) == f"B{seal.row}:C{seal.row}" for m in ws.merged_cells.ranges)
    labels_col_a = [ws.cell(r, 1).value for r in range(1, seal.row)]
    for need in ("填报人（必填）", "联系电话（必填）", "填报日期（必填）", "单位负责人"):
        assert need in labels_col_a
    assert ws.page_setup.fitToWidth in (1, None) and ws.sheet_properties.pageSetUpPr.fitToPage


@pytest.mark.parametrize("name", ["self_eval_template.xlsx", "national_project_template.xlsx"])
def test_every_template_sheet_prints_on_a4(name):
    import openpyxl
    from conftest import ROOT
    wb = openpyxl.load_workbook(ROOT / "templates" / name)
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        assert int(ws.page_setup.paperSize) == 9, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == (1 if ws.title == "校验" else 0), ws.title  # 校验: one page by design
        wide = sum((d.width or 8.43) for d in ws.column_dimensions.values()) > 120
        if wide:
            assert ws.page_setup.orientation == "landscape", ws.title

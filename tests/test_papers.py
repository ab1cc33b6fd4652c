"""Printed papers (issue 16 items 8–10): what a person sees on paper, measured — table widths within the
text width, no column so narrow that names wrap one character per line, signature blocks, print setups."""
from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from conftest import SAMPLE
from workbook_tools.overview import OverviewData, build_overview
from workbook_tools.reader import read_workbook
from workbook_tools.report import build_report, write_document
from workbook_tools.report_docx import CELL_PAD_CM, MIN_CHARS, TABLE_PT, TEXT_WIDTH_CM, text_em

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

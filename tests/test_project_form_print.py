"""The project form (项目支出绩效自评表) prints on one A4 page, as the national form is printed and attached.

The print setup is checked in the file (fit to 1 × 1 page, A4, print area within the form's columns, a scale
that stays readable), and a filled project sheet is printed by LibreOffice: one page for the form, with its
title, funds block, indicator rows and total on it.
"""
from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from projectfill import project_values, write_project_workbook

from workbook_tools.files.fill import fill_workbook
from workbook_tools.model.layout import FORM_PRINT_LAST, col_index
from workbook_tools.model.projectbook import form_base
from workbook_tools.files.specsheet import load_spec

SPEC = load_spec("national-project-2020")
A4_PORTRAIT_PT = (595.3, 841.9)
CHAR_PT = 5.6          # one Excel width unit of 宋体 10 pt, printed (about 7.5 px at 96 dpi)
DEFAULT_ROW_PT = 15.0


def _typical(tmp_path: Path, n: int = 2) -> Path:
    """A filled project workbook: 1–6 产出, 1–4 效益, 1–2 满意度 rows per project (tests/projectfill.py)."""
    path = write_project_workbook(tmp_path / "项目自评.xlsx", SPEC, project_values(SPEC, random.Random(16), n))
    fill_workbook(path, backup=False)
    return path


def test_the_spec_sizes_a_typical_project_on_one_page():
    kinds = {k.key: k.rows for k in SPEC.targets.kinds}
    assert kinds["output"] >= 6 and kinds["benefit"] >= 4 and kinds["satisfaction"] >= 2
    assert sum(kinds.values()) <= 16


def test_print_setup_fits_one_a4_page_at_a_readable_scale(tmp_path):
    wb = openpyxl.load_workbook(_typical(tmp_path))
    base = form_base(SPEC)
    for name in ("项目001", "项目002"):          # the rendered sheet and its package-level copy
        ws = wb[name]
        ps = ws.page_setup
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert (ps.fitToWidth, ps.fitToHeight) == (1, 1)
        assert str(ps.paperSize) == ws.PAPERSIZE_A4 and ps.orientation == "portrait"
        area = ws.print_area
        assert area == f"'{name}'!$A$1:${FORM_PRINT_LAST}${base.print_area['__form__'].split(FORM_PRINT_LAST)[-1]}"
        last_row = int(area.rsplit("$", 1)[1])
        # every printed cell of the form lies inside the area; the working columns (提示 …) lie outside it
        printed = [c for c in base.all_cells() if c.col <= col_index(FORM_PRINT_LAST)]
        assert max(c.row for c in printed) == last_row
        assert base["target.output.1.ratio"].col > col_index(FORM_PRINT_LAST)
        assert base["node.1.hint"].col > col_index(FORM_PRINT_LAST)
        # the scale fit-to-page comes to: width and height of the area against the printable A4 page
        m = ws.page_margins
        width = sum((ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width or 8.43)
                    for c in range(1, col_index(FORM_PRINT_LAST) + 1)) * CHAR_PT
        height = sum(ws.row_dimensions[r].height or DEFAULT_ROW_PT for r in range(1, last_row + 1))
        page_w = A4_PORTRAIT_PT[0] - (m.left + m.right) * 72
        page_h = A4_PORTRAIT_PT[1] - (m.top + m.bottom) * 72
        scale = min(1, page_w / width, page_h / height)
        assert scale >= 0.6, scale


@pytest.mark.lo
def test_libreoffice_prints_one_project_form_on_one_page(tmp_path):
    if not shutil.which("soffice") or not shutil.which("pdfinfo"):
        pytest.skip("LibreOffice or poppler-utils not installed (CI installs them)")
    from test_report import docx_to_pdf
    wb = openpyxl.load_workbook(_typical(tmp_path))
    for name in wb.sheetnames:                  # print one form: its sheet alone
        if name != "项目001":
            del wb[name]
    one = tmp_path / "项目001.xlsx"
    wb.save(one)
    pdf = docx_to_pdf(one, tmp_path)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Pages:           1" in info, info
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    for words in ("项目支出绩效自评表", "年度资金总额", "其中：本年财政拨款", "预期目标", "实际完成情况", "一级指标",
                  "三级指标", "年度指标值", "实际完成值", "偏差原因分析及改进措施", "产出指标", "满意度指标", "总分",
                  "等级", "填报人"):
        assert words in text, words
    assert "提示" not in text and "完成比例" not in text      # the working columns stay off the page
    if shutil.which("pdftoppm"):                # a picture to look at (kept in tmp_path)
        subprocess.run(["pdftoppm", "-r", "70", "-png", str(pdf), str(tmp_path / "form")], check=True)


def test_every_form_sheet_keeps_its_print_area_when_cells_are_locked():
    """distribute locks ledger figures on some projects: the sheets are copies of two seeds, each its own area."""
    import io

    from workbook_tools.model.template import build_projects_template
    covers = [{"cover.projectName": f"项目{i}", "cover.projectCode": f"P00{i}", "cover.fundType": "一般公共预算"}
              for i in range(4)]
    data = build_projects_template(SPEC, covers, locked=[{"funds.0.initial"}, set(), {"funds.0.initial"}, set()])
    wb = openpyxl.load_workbook(io.BytesIO(data))
    last = form_base(SPEC).print_area["__form__"].rsplit(FORM_PRINT_LAST, 1)[1]
    for name in ("项目001", "项目002", "项目003", "项目004"):
        assert wb[name].print_area == f"'{name}'!$A$1:${FORM_PRINT_LAST}${last}"
        assert wb[name].page_setup.fitToHeight == 1
    assert wb["项目001"]["C8"].protection.locked and not wb["项目002"]["C8"].protection.locked
    assert form_base(SPEC)["funds.0.initial"].coord == "C8"

"""The live 校验 sheet: built from the catalogue's declarations, placed after the cover, Excel 2010 / WPS functions only."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
from lxml import etree

from workbook_tools.catalogue import CATALOGUE, catalogue_markdown
from workbook_tools.model.checksheet import (ALLOWED_FUNCTIONS, GENERATORS, SHEET_CHECK, SHEET_DETAIL, candidates)
from workbook_tools.model.layout import layout_for
from workbook_tools.model.spec import list_specs
from workbook_tools.files.specsheet import load_spec
from workbook_tools.model.template import build_projects_template, build_template
from workbook_tools.model.checksheet import LIST_TOP
from workbook_tools.model.projectbook import projects_layout
from workbook_tools.model.projectcheck import (FIRST_CAND, NAME_CELL, PROJECT_HEADS, grid_coord, mark_formula,
                                               project_check)

ROOT = Path(__file__).resolve().parent.parent
KITCHEN = ROOT / "tests" / "specs" / "kitchen-sink.yaml"
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
_STRING = re.compile(r'"(?:[^"]|"")*"')
_QUOTED_SHEET = re.compile(r"'(?:[^']|'')*'!")
_FUNC = re.compile(r"(?<![A-Za-z0-9_.])((?:_xlfn\.|_xlws\.|_xll\.)?[A-Za-z][A-Za-z0-9._]*)\s*\(")


def functions_of(formula: str) -> set[str]:
    """Names of the functions a formula calls (text in quotes and quoted sheet names left out)."""
    body = _QUOTED_SHEET.sub("S!", _STRING.sub('""', formula))
    return {m.group(1).upper() for m in _FUNC.finditer(body)}


def formulas_of(data: bytes) -> list[tuple[str, str]]:
    """(where, formula) of every formula in a workbook: cells, data validations, conditional formats, names."""
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if not (name.startswith("xl/worksheets/sheet") or name == "xl/workbook.xml"):
                continue
            root = etree.fromstring(z.read(name))
            for tag in ("f", "formula", "formula1", "formula2", "definedName"):
                for el in root.iter(f"{{{NS['m']}}}{tag}"):
                    if el.text:
                        out.append((f"{name}:{tag}", el.text))
    return out


def _workbooks():
    for sid in list_specs():
        yield sid, build_template(sid)
    yield "kitchen-sink", build_template(load_spec(str(KITCHEN)))
    yield "words-and-shapes", build_template(load_spec(str(KITCHEN.parent / "words-and-shapes.yaml")))
    proj = load_spec("national-project-2020")
    yield "project workbook", build_projects_template(proj, [{"cover.projectName": f"项目{i}", "cover.projectCode": f"P{i}",
                                                              "cover.fundType": "一般公共预算"} for i in range(3)])
    for p in sorted((ROOT / "templates").glob("*.xlsx")) + [ROOT / "samples" / "taiping_2023.xlsx"]:
        yield p.name, p.read_bytes()


def test_the_function_scanner_sees_what_older_excel_lacks():
    f = '=IF(A1="TEXTJOIN(x)",_xlfn.TEXTJOIN(",",TRUE,\'FILTER(\'!A1:A3),SUM(B1:B2))'
    assert functions_of(f) == {"IF", "_XLFN.TEXTJOIN", "SUM"}
    assert functions_of("=LET(x,1,x)+XLOOKUP(1,A:A,B:B)") == {"LET", "XLOOKUP"}
    assert not {"FILTER", "TEXTJOIN", "LET", "LAMBDA", "XLOOKUP", "IFS", "CONCAT"} & ALLOWED_FUNCTIONS


def test_every_template_formula_uses_only_excel_2010_and_wps_functions():
    seen, bad, project_grid = set(), [], 0
    for label, data in _workbooks():
        for where, f in formulas_of(data):
            fs = functions_of(f)
            seen |= fs
            bad += [f"{label} {where}: {name} in {f[:120]}" for name in sorted(fs - ALLOWED_FUNCTIONS)]
            project_grid += label == "project workbook" and ("wbcheck_grid" in f or f.startswith("INT("))
    assert not bad, "\n".join(bad[:20])
    assert project_grid > 3 * 300        # the scan reached the project workbook's 校验明细 grid and its marks
    assert {"SUMPRODUCT", "COUNTIFS", "HYPERLINK", "INDEX", "MATCH"} <= seen     # the scan reached the 校验 sheet


def test_live_declarations_and_generators_are_the_same_checks():
    live = {code for code, e in CATALOGUE.items() if e.live}
    assert live == set(GENERATORS)
    made = set()
    judged = KITCHEN.parent / "judged-rows.yaml"        # rows the unit scores (row_score): no shipped spec has them
    for sid in list_specs() + [str(KITCHEN), str(KITCHEN.parent / "words-and-shapes.yaml"), str(judged)]:
        made |= {c.code for c in candidates(layout_for(load_spec(sid)))}
    assert made == live, sorted(live - made)       # every live check has cells in some shipped form


def test_candidates_name_real_cells_of_the_form():
    for sid in list_specs():
        L = layout_for(load_spec(sid))
        at = {(c.sheet, c.coord) for c in L.cells.values()}
        for c in candidates(L):
            assert (c.sheet, c.coord) in at, c


def test_check_sheet_follows_the_cover_and_is_protected():
    for sid in list_specs():
        wb = openpyxl.load_workbook(io.BytesIO(build_template(sid)))
        names = wb.sheetnames
        assert names.index(SHEET_CHECK) == names.index("封面") + 1
        ws, detail = wb[SHEET_CHECK], wb[SHEET_DETAIL]
        assert ws.sheet_state == "visible" and detail.sheet_state == "hidden"
        assert ws.protection.sheet and detail.protection.sheet
        assert "$A$1:$E$38" in str(ws.print_area) and ws.page_setup.fitToHeight == 1
        assert ws.page_setup.orientation == "landscape"
        assert ws["A4"].value.startswith("强制性问题") and ws["C4"].value.startswith("=COUNTIFS(")
        assert "wbcheck_errors" in wb.defined_names and "wbcheck_warnings" in wb.defined_names
        # the cells concerned are marked on their own sheets
        rules = [r for rng in wb["评分表"].conditional_formatting for r in rng.rules]
        assert any("wbcheck_errors" in r.formula[0] for r in rules)


def _project_book(n=3):
    proj = load_spec("national-project-2020")
    covers = [{"cover.projectName": f"项目{i}", "cover.projectCode": f"P{i}", "cover.fundType": "一般公共预算"}
              for i in range(n)]
    return proj, build_projects_template(proj, covers)


def test_project_workbooks_carry_the_check_sheet_after_the_project_list():
    proj, data = _project_book()
    wb = openpyxl.load_workbook(io.BytesIO(data))
    names = wb.sheetnames
    assert names.index(SHEET_CHECK) == names.index("项目清单") + 1
    ws, detail = wb[SHEET_CHECK], wb[SHEET_DETAIL]
    assert ws.sheet_state == "visible" and detail.sheet_state == "hidden"
    assert ws.protection.sheet and detail.protection.sheet
    assert ws["A4"].value.startswith("强制性问题") and ws["C4"].value.startswith("=SUM(")
    assert [ws.cell(LIST_TOP - 1, c).value for c in range(1, 7)] == list(PROJECT_HEADS)
    assert "$A$1:$F$38" in str(ws.print_area)
    assert {"wbcheck_grid", "wbcheck_sheets", "wbcheck_coords"} <= set(wb.defined_names)
    for sheet in ("项目001", "项目002", "项目003"):      # copies of the styled form: marks and their own name
        assert wb[sheet][NAME_CELL].value == sheet
        rules = [r.formula[0] for rng in wb[sheet].conditional_formatting for r in rng.rules]
        assert mark_formula("err") in rules and mark_formula("warn") in rules
    helptext = " ".join(str(c.value) for row in wb["填报说明"].iter_rows() for c in row if c.value)
    assert "“项目清单”表之后的“校验”表" in helptext


def test_each_project_column_checks_its_own_sheet():
    """The grid is checksheet's candidates of the one form, renamed per sheet: the same as each form's own."""
    proj, data = _project_book()
    P = projects_layout(proj, ["项目001", "项目002", "项目003"])
    pc = project_check(P)
    for F in P.forms:
        mine = candidates(F)
        assert [(c.code, c.coord) for c in mine] == [(c.code, c.coord) for c in pc.cands]
        assert [c.flag for c in mine] == [pc.flag(c, F.form) for c in pc.cands]
    detail = openpyxl.load_workbook(io.BytesIO(data))[SHEET_DETAIL]
    for j in range(len(pc.cands)):
        f = detail[grid_coord(1, j)].value
        assert f.startswith("=INT(") and "'项目001'!" not in f and "'项目003'!" not in f
        assert "'项目002'!" in f or pc.cands[j].flag.count("!") == 0
    assert detail[grid_coord(2, len(pc.cands) - 1)].value is not None
    assert detail[grid_coord(3, 0)].value is None          # no fourth project


def test_project_check_sheet_follows_the_spec_severities():
    proj, data = _project_book(1)
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    sev = {row[0]: row[1] for row in wb[SHEET_DETAIL].iter_rows(min_row=FIRST_CAND, max_col=2, values_only=True)
           if row[0]}
    assert sev["deduction-without-reason"] == "强制性" and sev["overspend"] == "提示性"
    assert set(sev) == {c.code for c in candidates(layout_for(proj)) if c.code in sev}


def test_instructions_refer_only_to_what_the_file_has():
    """Item 5: no button that does not exist; every “…”表 the help sheet names is a sheet the file has — or, in a
    sentence about the other kind of file of the same spec (单项目文件 / 项目工作簿), a sheet that kind has; the
    校验结果 sheet named there is the one wbtool mark adds."""
    books = [(label, openpyxl.load_workbook(io.BytesIO(data), read_only=True)) for label, data in _workbooks()]
    everywhere = {n for _, wb in books for n in wb.sheetnames} | {"校验结果"}
    for label, wb in books:
        for row in wb["填报说明"].iter_rows(values_only=True):
            for text in (str(v) for v in row if v):
                assert "按钮" not in text, label
                other_kind = "项目工作簿" in text or "单项目文件" in text
                for name in re.findall(r"“([^”]+)”表(?!格)", text):
                    assert name in (everywhere if other_kind else set(wb.sheetnames) | {"校验结果"}), (label, name)


def test_docs_say_which_checks_run_live():
    md = catalogue_markdown()
    assert "| 运行于 |" in md
    assert "| `deduction-without-reason` |" in md and "表内实时" in md and "仅 validate" in md
    row = next(line for line in md.splitlines() if line.startswith("| `formula-overwritten` |"))
    assert row.endswith("| 仅 validate |")


def test_severity_overrides_reach_the_sheet():
    wb = openpyxl.load_workbook(io.BytesIO(build_template("gd-dept-overall-2023")), read_only=True)
    sev = {row[0]: row[1] for row in wb[SHEET_DETAIL].iter_rows(min_row=3, max_col=2, values_only=True) if row[0]}
    assert sev["low-exec-rate"] == "强制性" and sev["narrative-missing"] == "强制性"     # the spec's severities:
    assert sev["overspend"] == "提示性"
    wb = openpyxl.load_workbook(io.BytesIO(build_template("national-dept-2020")), read_only=True)
    sev = {row[0]: row[1] for row in wb[SHEET_DETAIL].iter_rows(min_row=3, max_col=2, values_only=True) if row[0]}
    assert sev["low-exec-rate"] == "提示性"

from pathlib import Path

import openpyxl
import pytest
from meaning import diff_meaning, workbook_meaning

from workbook_tools.model.layout import SHEET_META, layout_for
from workbook_tools.files.specsheet import load_spec
from workbook_tools.model.template import build_template

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("spec_id,committed", [
    ("gd-dept-overall-2023", "templates/self_eval_template.xlsx"),
    ("national-project-2020", "templates/national_project_template.xlsx"),
])
def test_committed_template_is_what_the_builder_makes(tmp_path, spec_id, committed):
    out = tmp_path / "t.xlsx"
    build_template(spec_id, out)
    diffs = diff_meaning(workbook_meaning(ROOT / committed), workbook_meaning(out))
    assert not diffs, "committed template is stale; run `wbtool template -o ...`:\n" + "\n".join(diffs)


def test_committed_sample_is_what_its_answers_build(tmp_path):
    from workbook_tools.model.answers import answers_to_values, load_answers
    doc = load_answers(ROOT / "samples" / "taiping_2023.yaml")
    spec = load_spec(doc["spec"])
    out = tmp_path / "s.xlsx"
    build_template(spec, out, answers_to_values(spec, doc))
    diffs = diff_meaning(workbook_meaning(ROOT / "samples" / "taiping_2023.xlsx"), workbook_meaning(out))
    assert not diffs, "sample is stale; run `wbtool template --values samples/taiping_2023.yaml -o ...`:\n" + "\n".join(diffs)


def test_template_structure(tmp_path):
    spec = load_spec()
    out = tmp_path / "t.xlsx"
    build_template(spec, out)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["填报说明", "封面", "校验", "收支情况", "绩效目标", "评分表", "汇总", "文字说明", "情况说明",
                             "校验明细", SHEET_META, "_wbtool_spec"]   # 校验 / 校验明细: the live check sheet (issue 17);
                                                                      # the spec itself (speclib; tests/test_speclib.py)
    assert wb[SHEET_META].sheet_state == "veryHidden" and wb["_wbtool_spec"].sheet_state == "veryHidden"
    assert wb[SHEET_META]["B1"].value == spec.id and wb[SHEET_META]["B3"].value == spec.fingerprint
    L = layout_for(spec)
    for c in L.cells.values():
        ws = wb[c.sheet]
        cell = ws[c.coord]
        if c.role == "input":
            assert cell.protection.locked is False, c.key
            assert c.name in wb.defined_names, c.key
        elif c.role == "formula":
            assert cell.protection.locked is True and cell.value == c.formula, c.key
            col = c.coord.rstrip("0123456789")
            if c.kind == "helper":      # a target row's hidden helper: no defined name (model/targetvalue)
                assert c.name is None and ws.column_dimensions[col].hidden, c.key
                continue
            assert wb.defined_names[c.name].attr_text == f"'{c.sheet}'!${col}${c.row}", c.key
    for name in ("封面", "收支情况", "绩效目标", "评分表", "汇总"):
        ws = wb[name]
        assert ws.protection.sheet and int(ws.page_setup.paperSize) == 9
    # every input has a data validation with a Chinese prompt or error message
    covered = set()
    for ws in wb.worksheets:
        for dv in ws.data_validations.dataValidation:
            assert dv.error and any("\u4e00" <= ch <= "\u9fff" for ch in dv.error)
            for rng in dv.sqref.ranges:
                for row in ws[rng.coord] if ":" in rng.coord else [[ws[rng.coord]]]:
                    for cell in row:
                        covered.add((ws.title, cell.coordinate))
    missing = [c.key for c in L.by_role("input") if (c.sheet, c.coord) not in covered]
    assert not missing
    assert wb["评分表"].freeze_panes and wb["评分表"].print_title_rows


def test_template_formula_cells_carry_values(tmp_path):
    out = tmp_path / "t.xlsx"
    build_template(None, out)
    wb = openpyxl.load_workbook(out, data_only=True)
    L = layout_for(load_spec())
    assert wb["汇总"][L["summary.total"].coord].value == 0
    assert wb["汇总"][L["summary.grade"].coord].value == "未完成"      # no grade until the form is complete
    assert wb["评分表"][L["node.2.1.1.hint"].coord].value == "未评分"


def test_template_survives_openpyxl_round_trip(tmp_path):
    """Only features openpyxl reads and writes back intact are used."""
    out = tmp_path / "t.xlsx"
    build_template(None, out)
    before = workbook_meaning(out)
    wb = openpyxl.load_workbook(out)
    wb.save(tmp_path / "rt.xlsx")
    assert not diff_meaning(before, workbook_meaning(tmp_path / "rt.xlsx"))

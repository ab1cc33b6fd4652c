"""`wbtool validate` through the CLI: formats, exit codes, selections, explanations, annotation, bad input."""
import csv
import io
import json
import shutil

import openpyxl
import pytest
from click.testing import CliRunner
from faults import consistent, edit_part, rename_sheet, set_cell

import badfiles
from conftest import SAMPLE_ANSWERS
from workbook_tools.model.answers import answers_to_values, load_answers
from workbook_tools.cli import main
from workbook_tools.model.layout import layout_for
from workbook_tools.checks.render import csv_safe
from workbook_tools.files.specsheet import load_spec
from workbook_tools.checks.validate import validate_workbook

GD = load_spec()
BASE = answers_to_values(GD, load_answers(SAMPLE_ANSWERS))


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def faulty(tmp_path, name="faulty.xlsx", **changes):
    p = tmp_path / name
    p.write_bytes(consistent(GD, {**BASE, **changes}))
    return p


def test_sample_is_clean(sample):
    r = run("validate", sample)
    assert r.exit_code == 0, r.output
    assert "校验通过" in r.output and "95.86" in r.output and "优" in r.output


def test_json_output_equals_the_library_report(sample, tmp_path):
    path = faulty(tmp_path, **{"node.2.5.5.reason": None, "funds.0.actual": 10000})
    r = run("validate", path, "--format", "json")
    assert r.exit_code == 1
    assert json.loads(r.output) == validate_workbook(path).to_dict("zh")
    data = json.loads(r.output)
    # the form says a rate below 90% 须说明原因: the shipped spec makes low-exec-rate an error
    assert data["schema"] == "wbtool.report/1" and data["counts"]["errors"] == 2
    codes = {(f["code"], f["cell"]) for f in data["findings"]}
    assert {f["code"]: f["severity"] for f in data["findings"]}["low-exec-rate"] == "error"
    assert ("deduction-without-reason", "评分表!K29") in codes and ("low-exec-rate", "收支情况!B11") in codes


def test_text_report_groups_by_sheet_and_english(tmp_path):
    path = faulty(tmp_path, **{"node.2.5.5.reason": None, "cover.phone": "12"})
    r = run("validate", path)
    assert r.exit_code == 1
    assert "[封面]" in r.output and "[评分表]" in r.output and "评分表!K29" in r.output and "2.5.5" in r.output
    assert "合同备案时效性" in r.output and "共 2 个错误" in r.output
    en = run("--lang", "en", "validate", path)
    assert "2 error(s)" in en.output and "no reason given" in en.output
    en2 = run("validate", path, "--lang", "en")
    assert en2.output == en.output


def test_csv_output_and_formula_injection_is_neutralised(tmp_path):
    path = faulty(tmp_path, **{"node.2.5.5.reason": "=HYPERLINK(\"http://x\")", "node.2.2.2.reason": "@SUM(1)"})
    r = run("validate", path, "--format", "csv")
    assert r.output.startswith("\ufeff")           # Excel reads UTF-8 CSV as UTF-8 only with a BOM
    rows = list(csv.DictReader(io.StringIO(r.output.lstrip("\ufeff"))))
    assert rows and set(rows[0]) >= {"文件", "严重程度", "检查代码", "单元格", "说明", "怎么改"}
    assert {row["严重程度"] for row in rows} == {"警告"} and {row["已说明"] for row in rows} == {"否"}
    rows = [{"found": row["实际"], "code": row["检查代码"], **row} for row in rows]
    found = [row["found"] for row in rows if row["code"] == "full-score-with-reason"]
    assert found == ["'@SUM(1)"]
    assert all(not v.startswith(("=", "+", "@")) for row in rows for v in row.values())
    assert csv_safe("-1") == "'-1" and csv_safe(5) == 5
    en = run("--lang", "en", "validate", path, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(en.output.lstrip("\ufeff"))))
    assert {row["severity"] for row in rows} == {"warning"} and {row["explained"] for row in rows} == {"no"}
    out = tmp_path / "问题.csv"
    run("validate", path, "--format", "csv", "-o", out)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf") and "严重程度" in out.read_text(encoding="utf-8-sig")


def test_strict_only_skip(tmp_path):
    path = faulty(tmp_path, **{"funds.adjust_reason": None})          # a warning only
    assert run("validate", path).exit_code == 0
    assert run("validate", path, "--strict").exit_code == 1
    r = run("validate", path, "--format", "json", "--skip", "budget-adjusted-without-reason")
    assert json.loads(r.output)["counts"]["warnings"] == 0
    bad = faulty(tmp_path, "b.xlsx", **{"node.2.5.5.reason": None, "funds.adjust_reason": None})
    r = run("validate", bad, "--format", "json", "--only", "budget-adjusted-without-reason,cover-missing")
    assert {f["code"] for f in json.loads(r.output)["findings"]} == {"budget-adjusted-without-reason"}
    assert run("validate", bad, "--only", "no-such-check").exit_code == 2


def test_explanations_make_warnings_explained(tmp_path):
    L = layout_for(GD)
    path = faulty(tmp_path, **{"funds.0.adjusted": 1, "funds.adjust_reason": None,
                               "explain.1.code": "overspend", "explain.1.cell": "收支情况!D4",
                               "explain.1.text": "受疫情影响，追加支出已报批。",
                               "explain.2.code": "budget-adjusted-without-reason", "explain.2.cell": "C8",
                               "explain.2.text": "结合自评情况，说明"})
    rep = validate_workbook(path)
    by = {f.code: f for f in rep.findings}
    assert by["overspend"].explained and "疫情" in by["overspend"].explanation
    assert not by["budget-adjusted-without-reason"].explained      # placeholder text does not count
    assert rep.exit_code(strict=True) == 1
    assert L["explain.1.text"].sheet == "情况说明"
    r = run("validate", path)
    assert "已说明" in r.output and "受疫情影响" in r.output


def test_annotate_marks_cells_and_keeps_the_original(tmp_path):
    path = faulty(tmp_path, **{"node.2.5.5.reason": "=1+1", "node.2.2.1.score": None, "funds.adjust_reason": None})
    before = path.read_bytes()
    out = tmp_path / "annotated.xlsx"
    r = run("validate", path, "--annotate", out)
    assert r.exit_code == 1 and out.exists() and path.read_bytes() == before
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "校验结果"
    ws = wb["校验结果"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    cells = {row[3] for row in rows}
    assert {"评分表!J13", "收支情况!C8"} <= cells
    link = next(c for c in ws["D"] if c.value == "评分表!J13")
    assert link.hyperlink.location == "'评分表'!J13" or link.hyperlink.target.endswith("J13")
    marked = wb["评分表"]["J13"]
    assert marked.fill.fgColor.rgb.endswith("FFC7CE") and "未评分" in marked.comment.text and "score-missing" not in marked.comment.text
    assert wb["收支情况"]["C8"].fill.fgColor.rgb.endswith("FFEB9C")
    expl = wb["情况说明"]
    assert expl["B4"].value == "预算调整未说明" and expl["C4"].value == "收支情况!C8"     # the title, not the code
    # text that looks like a formula stays text in the annotated copy
    assert all(not (isinstance(c.value, str) and c.data_type == "f") for row in ws.iter_rows() for c in row)
    # the annotated copy is still a workbook wbtool reads, and its pre-listed rows can now be explained
    assert validate_workbook(out).readable
    expl["E4"] = "年中按区财政通知追加预算"          # the unit writes only the explanation beside the pre-listed row
    wb.save(out)
    [f] = [f for f in validate_workbook(out).findings if f.code == "budget-adjusted-without-reason"]
    assert f.explained


def test_annotate_refuses_to_overwrite_the_original(sample):
    r = run("validate", sample, "--annotate", sample)
    assert r.exit_code == 2 and "原文件" in r.output


BAD = [
    ("make_directory", "file-is-directory", "文件夹"),
    ("make_empty", "file-empty", "空的"),
    ("make_csv_renamed", "not-a-workbook", "名单.xlsx"),
    ("make_truncated_zip", "corrupt-zip", "损坏"),
    ("make_xls_extension", "legacy-xls", "97-2003"),        # .xls is read (foreign forms); this one is damaged
    ("make_legacy_xls_header", "legacy-xls", "97-2003"),
    ("make_encrypted_xlsx", "encrypted-workbook", "密码"),
    ("make_zip_bomb", "zip-bomb", "拒绝"),
    ("make_billion_laughs", "unsafe-xml", "不安全"),
    ("make_external_entity", "unsafe-xml", "不安全"),
    ("make_valid_xlsx", "form-unknown", "模板"),
]


@pytest.mark.parametrize("maker,code,needle", BAD)
def test_bad_input_exits_3_with_a_message(tmp_path, maker, code, needle):
    path = getattr(badfiles, maker)(tmp_path)
    r = run("validate", path, "--format", "json")
    assert r.exit_code == 3
    data = json.loads(r.output)
    assert data["readable"] is False and data["findings"][0]["code"] == code
    assert needle in data["findings"][0]["message"]
    text = run("validate", path)
    assert text.exit_code == 3 and "Traceback" not in text.output and needle in text.output


def test_not_a_file(tmp_path):
    r = run("validate", tmp_path / "nope.xlsx")
    assert r.exit_code == 3 and "找不到文件" in r.output


def test_xlsm_with_macros_is_read_with_a_warning(tmp_path, sample):
    from faults import add_part
    p = tmp_path / "带宏.xlsm"
    p.write_bytes(add_part(sample.read_bytes(), "xl/vbaProject.bin", b"macro bytes"))
    r = run("validate", p, "--format", "json")
    assert r.exit_code == 0
    assert [f["code"] for f in json.loads(r.output)["findings"]] == ["macros-present"]


@pytest.mark.parametrize("edit,code", [
    (lambda d: edit_part(d, "xl/workbook.xml", rename_sheet("评分表", "评分")), "sheet-missing"),
    (lambda d: set_cell(d, "_wbtool", "B2", "2022.1"), "spec-outdated"),
    (lambda d: set_cell(d, "_wbtool", "B1", "xx-other-2019"), "spec-unknown"),
])
def test_other_or_altered_templates(tmp_path, sample, edit, code):
    p = tmp_path / "x.xlsx"
    p.write_bytes(edit(sample.read_bytes()))
    r = run("validate", p, "--format", "json")
    assert r.exit_code == 3 and json.loads(r.output)["findings"][0]["code"] == code


def test_several_files_exit_with_the_worst(tmp_path, sample):
    shutil.copy(sample, tmp_path / "a.xlsx")
    r = run("validate", tmp_path / "a.xlsx", faulty(tmp_path, **{"cover.phone": "1"}), "--format", "json")
    data = json.loads(r.output)
    assert r.exit_code == 1 and len(data) == 2 and data[0]["ok"] and not data[1]["ok"]

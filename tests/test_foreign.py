"""Foreign forms: national-layout 项目支出绩效自评表 made by XlsxWriter, openpyxl and LibreOffice (.xls and .xlsx),
found by their labels in several layouts, re-scored with the engine and reported with cell references."""
from __future__ import annotations

import csv
import json
import shutil
from decimal import Decimal

import pytest
from click.testing import CliRunner

from foreignfiles import DEPT, ROWS, Form, soffice_convert, write_openpyxl, write_xlsxwriter
from workbook_tools.cli import main
from workbook_tools.foreign import read_foreign, rescore_file, validate_foreign
from workbook_tools.checks.validate import validate_workbook

HAS_LO = shutil.which("soffice") is not None or shutil.which("libreoffice") is not None


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def reading(path, layout=None) -> list[dict]:
    """What was read, without where: fields, money, each row's typed values and the scores (self and recomputed)."""
    fr, checks = rescore_file(path, layout)
    out = []
    for fc in checks:
        f = fc.form
        out.append({"fields": {k: v.value for k, v in f.fields.items()},
                    "funds": {n: {k: v.value for k, v in c.items() if v.value not in (None, "-")}
                              for n, c in f.funds.items()},
                    "goal": {k: v.value for k, v in f.goal.items()},
                    "rows": [(r.row.kind, r.row.name, r.row.get("value"), r.row.get("actual"), r.weight, r.self,
                              r.recomputed) for r in fc.rows],
                    "total": (fc.self_total, fc.recomputed_total, fc.funds_self, fc.funds_recomputed)})
    return out


def by_code(rep):
    out = {}
    for f in rep.findings:
        out.setdefault(f.code, []).append(f)
    return out


# ------------------------------------------------------------------ read, re-score, report with cells

def test_xlsxwriter_form_is_rescored_with_cell_references(tmp_path):
    p = write_xlsxwriter(tmp_path / "自评.xlsx", [Form()])
    rep = validate_workbook(p)
    assert rep.readable and rep.exit_code() == 1
    assert rep.summary["kind"] == "foreign" and rep.summary["layout"] == "national-project-form"
    f = by_code(rep)
    # 8 of ≥10 个 is 16 of 20, typed 20; 792/880 = 90% is 9 of 10, typed 10; total 97 typed, 92 recomputed
    row = f["self-score-above-rule"][0]
    assert row.cell == "项目支出绩效自评表!G14" and row.expected == Decimal(16) and row.found == Decimal(20)
    assert "≥10个" in row.message() and "8个" in row.message()
    funds = f["self-score-above-rule"][1]
    assert funds.cell == "项目支出绩效自评表!H6" and funds.expected == Decimal(9)
    total = f["self-total-above-rule"][0]
    assert total.cell == "项目支出绩效自评表!G21" and total.found == Decimal(97) and total.expected == Decimal(92)
    form = rep.summary["forms"][0]
    assert (form["self"], form["recomputed"], form["diff"], form["flagged_count"]) == (97, 92, 5, 2)
    # 部分达成 scored 12 of 15 stays inside its band (60–80%): not flagged
    assert not any("良性运行" in x.message() for x in rep.findings)


def test_catalogue_checks_apply_to_foreign_rows(tmp_path):
    rows = list(ROWS)
    rows[1] = rows[1][:6] + (12, "")                  # 12 of weight 10: out of range
    rows[2] = rows[2][:6] + (8, "")                   # a deduction without a reason
    p = write_xlsxwriter(tmp_path / "f.xlsx", [Form(rows=rows, actual=880, total=99)])
    f = by_code(validate_foreign(p))
    assert [x.cell for x in f["score-out-of-range"]] == ["项目支出绩效自评表!G15"]
    assert [x.cell for x in f["deduction-without-reason"]] == ["项目支出绩效自评表!H16"]
    mism = f["total-mismatch"][0]                     # typed 99, the rows add up to 10+20+12+8+10+15+12+10 = 97
    assert mism.cell == "项目支出绩效自评表!G21" and mism.expected == Decimal(97)
    assert "self-score-above-rule" in f                 # 12 > 10 (≥95% → 98%) and 8个 of ≥10个


def test_weights_that_do_not_add_up(tmp_path):
    rows = list(ROWS)
    rows[0] = rows[0][:5] + (25, 20, "")            # 产出 rows weigh 55
    f = by_code(validate_foreign(write_xlsxwriter(tmp_path / "w.xlsx", [Form(rows=rows)])))
    w = f["target-weight-sum"][0]
    assert w.cell == "项目支出绩效自评表!F14" and w.found == Decimal(55) and w.expected == Decimal(50)


# ------------------------------------------------------------------ layouts of the same form

BASE = {}


def _base(tmp_path):
    if "r" not in BASE:
        BASE["r"] = reading(write_xlsxwriter(tmp_path / "base.xlsx", [Form()]))
    return BASE["r"]


@pytest.mark.parametrize("kw", [
    {"top": 6, "left": 3},                               # shifted blocks
    {"extra_col": True},                                 # an inserted column
    {"swap": True},                                      # other column order
    {"blank_rows": 2},                                   # blank rows between the blocks
    {"merged_header": False},                            # one-row header
    {"extra_col": True, "swap": True, "blank_rows": 1, "top": 2, "left": 1},
])
def test_layout_variants_read_the_same(tmp_path, kw):
    assert reading(write_xlsxwriter(tmp_path / "v.xlsx", [Form()], **kw)) == _base(tmp_path)


def test_openpyxl_file_with_a_cover_sheet_reads_the_same(tmp_path):
    assert reading(write_openpyxl(tmp_path / "o.xlsx", [Form()])) == _base(tmp_path)


def test_two_forms_on_one_sheet_stacked_and_side_by_side(tmp_path):
    forms = [Form(project="甲项目"), Form(project="乙项目", actual=880)]
    for kw in ({}, {"side_by_side": True}):
        got = reading(write_xlsxwriter(tmp_path / "two.xlsx", forms, **kw))
        assert [g["fields"]["projectName"] for g in got] == ["甲项目", "乙项目"]
        assert got[0] == _base(tmp_path)[0] | {"fields": got[0]["fields"]}
        assert got[1]["total"][3] == Decimal(10)          # 880/880: the full 10 points


def test_national_dept_form(tmp_path):
    p = write_xlsxwriter(tmp_path / "部门.xlsx", [Form(project="某某局")], **DEPT)
    rep = validate_foreign(p)
    assert rep.summary["layout"] == "national-dept-form" and rep.spec_id == "national-dept-2020"
    assert rep.summary["unitName"] == "某某局"
    assert (rep.summary["total"], rep.summary["recomputed"]) == (97, 92)


# ------------------------------------------------------------------ other programs: LibreOffice .xls and .xlsx

@pytest.mark.lo
@pytest.mark.skipif(not HAS_LO, reason="LibreOffice not installed")
def test_libreoffice_xls_and_xlsx_read_like_the_source(tmp_path):
    src = write_openpyxl(tmp_path / "源.xlsx", [Form(), Form(project="乙项目", actual=880)], extra_col=True, blank_rows=1)
    want = reading(src)
    xls = soffice_convert(src, "xls", tmp_path / "xls")
    assert xls.read_bytes()[:8] == bytes.fromhex("D0CF11E0A1B11AE1")     # a real BIFF (OLE2) file
    lo_xlsx = soffice_convert(xls, "xlsx", tmp_path / "xlsx")            # and Calc's own .xlsx of it
    for p in (xls, lo_xlsx):
        assert reading(p) == want
    r = run("validate", xls, "--format", "json")
    assert r.exit_code == 1
    data = json.loads(r.output)
    cells = {f["cell"] for f in data["findings"] if f["code"] == "self-score-above-rule"}
    assert cells and all(c.startswith("自评表!") for c in cells)
    assert data["summary"]["format"] == "xls" and len(data["summary"]["forms"]) == 2


# ------------------------------------------------------------------ a real published form

# 天长市水利局 2022 年度 项目支出绩效自评表 (水旱灾害防御经费), typed from the published page
# (search corpus "pages": 天长市水利局水旱灾害防御股项目支出绩效自评, published 2023-12-05) into XlsxWriter.
TIANCHANG = [
    ("产出指标\n（50分）", "数量指标", "指标1:完成中型灌区节水改造项目数量", 1, 1, 10, 10, ""),
    ("产出指标\n（50分）", "数量指标", "指标2:完成农业综合水价改革项目", 1, 1, 10, 10, ""),
    ("产出指标\n（50分）", "质量指标", "指标1:工程质量合格", None, None, 10, 10, ""),
    ("产出指标\n（50分）", "时效指标", "指标1:年度资金支付完成率100%", None, None, 10, 10, ""),
    ("产出指标\n（50分）", "成本指标", "指标1:资金执行在预算范围内", None, None, 10, 10, ""),
    ("效益指标\n（30分）", "经济效益指标", "指标1:全市安全度汛", None, None, 10, 10, ""),
    ("效益指标\n（30分）", "社会效益指标", "指标1:保护全市人口财产不受损失", None, None, 10, 10, ""),
    ("效益指标\n（30分）", "可持续影响指标", "指标1:已建工程良性运行", None, None, 10, 10, ""),
    ("满意度指标\n（10分）", "服务对象满意度指标", "指标1:服务对象满意度", "90%", "100%", 10, 10, ""),
]


def test_published_tianchang_form(tmp_path):
    p = write_xlsxwriter(tmp_path / "天长.xlsx", [Form(project="水旱灾害防御经费", supervisor="", actual=880,
                                                     rows=TIANCHANG, total=100)])
    rep = validate_foreign(p)
    f = by_code(rep)
    assert "self-score-above-rule" not in f and "self-total-above-rule" not in f
    # rows without a target and an actual value cannot be re-scored: said so, their self score stands
    assert len(f["foreign-row-unscorable"]) == 6
    assert rep.summary["forms"][0]["recomputed"] == 100
    # the empty 主管部门 is read as empty, not as the next label (实施单位)
    fr = read_foreign(p)
    assert fr.forms[0].fields["supervisor"].value is None
    assert fr.forms[0].fields["unitName"].value == "天长市水利局"


# ------------------------------------------------------------------ not understood

def test_a_form_not_understood_names_the_block(tmp_path):
    import openpyxl
    p = write_openpyxl(tmp_path / "缺表头.xlsx", [Form()])
    wb = openpyxl.load_workbook(p)
    ws = wb["自评表"]
    for row in ws.iter_rows():
        for c in row:
            if c.value == "得分":
                c.value = "评分"                       # the indicator table's 得分 header renamed
    wb.save(p)
    r = run("validate", p)
    assert r.exit_code == 3 and "绩效指标表" in r.output and "得分" in r.output and "Traceback" not in r.output
    i = run("inspect", p)
    assert i.exit_code == 3 and "未找到 绩效指标表" in i.output


def test_a_workbook_without_any_form(tmp_path):
    import openpyxl
    wb = openpyxl.Workbook()
    wb.active["A1"] = "名单"
    wb.save(tmp_path / "x.xlsx")
    r = run("validate", tmp_path / "x.xlsx", "--format", "json")
    assert r.exit_code == 3
    msg = json.loads(r.output)["findings"][0]
    assert msg["code"] == "form-unknown" and "项目支出绩效自评表" in msg["message"] and "模板" in msg["message"]


# ------------------------------------------------------------------ inspect, export, write paths refused

def test_inspect_lists_blocks_and_rows(tmp_path):
    p = write_xlsxwriter(tmp_path / "i.xlsx", [Form()], top=3, left=2)
    r = run("inspect", p, "--format", "json")
    assert r.exit_code == 0
    d = json.loads(r.output)
    form = d["forms"][0]
    blocks = {b["block"]: b["range"] for b in form["blocks"]}
    assert blocks["title"] == "C4" and blocks["indicators"].startswith("C15:") and blocks["funds"].startswith("C8:")
    assert [r["cells"]["score"] for r in form["rows"]][:2] == ["项目支出绩效自评表!I17", "项目支出绩效自评表!I18"]
    assert form["rows"][0]["recomputed"] == 16 and form["rows"][0]["self"] == 20
    text = run("inspect", p)
    assert "indicators" in text.output and "97 → 92" in text.output


def test_inspect_our_own_template(sample):
    r = run("inspect", sample)
    assert r.exit_code == 0 and "gd-dept-overall-2023" in r.output


def test_export_foreign(tmp_path):
    p = write_xlsxwriter(tmp_path / "e.xlsx", [Form()])
    r = run("export", p)
    assert r.exit_code == 0
    d = json.loads(r.output)
    assert d["schema"] == "wbtool.foreign/1" and d["forms"][0]["score"]["recomputed"] == 92


@pytest.mark.parametrize("cmd", [["fill"], ["mark"], ["validate", "--annotate", "标注.xlsx"]])
def test_write_paths_refuse_foreign_files(tmp_path, cmd):
    p = write_xlsxwriter(tmp_path / "f.xlsx", [Form()])
    before = p.read_bytes()
    args = [c if c != "标注.xlsx" else tmp_path / c for c in cmd]
    r = run(*args[:1], p, *args[1:])
    assert r.exit_code in (2, 3) and "Traceback" not in r.output
    assert "wbtool" in r.output and p.read_bytes() == before
    assert not (tmp_path / "标注.xlsx").exists()


@pytest.mark.lo
@pytest.mark.skipif(not HAS_LO, reason="LibreOffice not installed")
def test_write_paths_refuse_xls(tmp_path):
    xls = soffice_convert(write_openpyxl(tmp_path / "s.xlsx", [Form()]), "xls", tmp_path / "lo")
    before = xls.read_bytes()
    for args in (["fill", xls], ["mark", xls], ["validate", xls, "--annotate", tmp_path / "a.xlsx"]):
        r = run(*args)
        assert r.exit_code in (2, 3) and "Traceback" not in r.output, r.output
    assert xls.read_bytes() == before


# ------------------------------------------------------------------ collect: mixed inbox, 复核, 抽查

@pytest.mark.lo
@pytest.mark.skipif(not HAS_LO, reason="LibreOffice not installed")
def test_collect_mixed_inbox_with_review_and_sample(tmp_path, sample):
    import openpyxl
    inbox = tmp_path / "回收"
    inbox.mkdir()
    shutil.copy(sample, inbox / "太平镇.xlsx")
    write_xlsxwriter(inbox / "项目甲.xlsx", [Form(project="甲项目")])
    src = write_openpyxl(tmp_path / "乙丙.xlsx", [Form(project="乙项目", actual=880), Form(project="丙项目")])
    shutil.copy(soffice_convert(src, "xls", tmp_path / "lo"), inbox / "乙丙.xls")
    out = tmp_path / "汇总.xlsx"
    r = run("collect", inbox, "-o", out, "-j", "1", "--sample", "2", "--seed", "5", "--sample-csv",
            tmp_path / "抽查.csv", "--format", "json")
    assert r.exit_code == 1, r.output
    res = json.loads(r.output)
    assert res["units"] >= 1 and res["projects"] == 3
    wb = openpyxl.load_workbook(out, read_only=True)
    assert {"复核", "抽查", "项目汇总"} <= set(wb.sheetnames)
    review = [row for row in wb["复核"].iter_rows(min_row=3, values_only=True)]
    assert sorted((r[0], r[4]) for r in review) == [("乙丙.xls", "丙项目"), ("乙丙.xls", "乙项目"),
                                                    ("太平镇.xlsx", None), ("项目甲.xlsx", "甲项目")]
    by_name = {r[4]: r for r in review}
    assert (by_name["甲项目"][6], by_name["甲项目"][7], by_name["甲项目"][8]) == (97, 92, 5)
    assert (by_name["乙项目"][6], by_name["乙项目"][7]) == (97, 93)
    assert by_name[None][1] == "wbtool 模板" and by_name[None][8] == 0
    projects = [row for row in wb["项目汇总"].iter_rows(min_row=3, values_only=True)]
    assert sorted(p[5] for p in projects) == ["丙项目", "乙项目", "甲项目"]
    drawn = list(csv.reader((tmp_path / "抽查.csv").open(encoding="utf-8")))[1:]
    assert len(drawn) == 2
    again = run("collect", inbox, "-o", tmp_path / "again.xlsx", "-j", "1", "--sample", "2", "--seed", "5",
                "--sample-csv", tmp_path / "again.csv")
    assert list(csv.reader((tmp_path / "again.csv").open(encoding="utf-8")))[1:] == drawn
    pct = run("collect", inbox, "-o", tmp_path / "pct.xlsx", "-j", "1", "--sample", "50%", "--seed", "5",
              "--format", "json")
    assert len(json.loads(pct.output)["review"]["sample"]) == 2


def test_sample_size_is_checked(tmp_path):
    r = run("collect", tmp_path, "-o", tmp_path / "s.xlsx", "--sample", "abc")
    assert r.exit_code == 2 and "--sample" in r.output


def test_collect_feedback_for_foreign_forms_is_a_csv(tmp_path, sample):
    inbox = tmp_path / "回收"
    inbox.mkdir()
    shutil.copy(sample, inbox / "太平镇.xlsx")
    p = write_xlsxwriter(inbox / "项目甲.xlsx", [Form(project="甲项目")])
    before = p.read_bytes()
    r = run("collect", inbox, "-o", tmp_path / "汇总.xlsx", "-j", "1", "--feedback", tmp_path / "退回")
    assert r.exit_code == 1 and "复核：2 份自评表，其中 1 份" in r.output
    [fb] = list((tmp_path / "退回").iterdir())
    raw = fb.read_bytes()
    assert raw.startswith("\ufeff".encode())            # Excel/WPS read it as UTF-8 (issue 16)
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert fb.name.endswith("_问题清单.csv") and {x["单元格"] for x in rows} >= {"项目支出绩效自评表!G14"}
    assert p.read_bytes() == before


@pytest.mark.parametrize("value,direction,unit,actual,want", [
    ("≥90%", None, None, "95%", ("≥", Decimal("0.9"), Decimal("0.95"))),
    ("≥90%", None, None, 95, ("≥", Decimal("0.9"), Decimal("0.95"))),        # 95 typed against a percent target
    ("≤880万元", None, None, "870万元", ("≤", Decimal(880), Decimal(870))),
    ("=100%", None, None, 1, ("=", Decimal(1), Decimal(1))),
    (100, "=", "%", 98, ("=", Decimal(1), Decimal("0.98"))),                 # Sichuan: 指标性质 and 度量单位 columns
    (90, "≥", "%", 0.95, ("≥", Decimal("0.9"), Decimal("0.95"))),
    ("不低于10次", None, None, "12次", ("≥", Decimal(10), Decimal(12))),
    (5, None, None, 5, ("≥", Decimal(5), Decimal(5))),                      # no sign: 正向
])
def test_target_values_as_typed(value, direction, unit, actual, want):
    from workbook_tools.foreign.rescore import parse_actual, parse_target
    t = parse_target(value, direction, unit)
    assert (t.direction, t.value, parse_actual(actual, t)) == want


def test_a_note_naming_the_form_does_not_split_it(tmp_path):
    import openpyxl
    p = write_openpyxl(tmp_path / "注.xlsx", [Form()])
    wb = openpyxl.load_workbook(p)
    ws = wb["自评表"]
    ws.insert_rows(14)
    ws["A14"] = "注：项目支出绩效自评表中定性指标按达成情况评分"
    wb.save(p)
    assert len(read_foreign(p).forms) == 1 and len(reading(p)[0]["rows"]) == len(ROWS)

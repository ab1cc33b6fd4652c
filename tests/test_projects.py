"""Project workbooks: 项目清单 + one form per sheet, read, validated, filled and exported by the same engine."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from workbook_tools.cells import CellWrite
from workbook_tools.cli import main
from workbook_tools.model.engine import compute
from workbook_tools.files.export import export_workbook
from workbook_tools.files.fill import fill_workbook, recalc_bytes, refresh_values
from workbook_tools.model.layout import layout_for
from workbook_tools.model.projectbook import form_base, project_sheet_name, projects_layout
from workbook_tools.files.reader import read_workbook, read_workbook_forms
from workbook_tools.files.specsheet import load_spec
from workbook_tools.model.template import build_projects_template, build_template
from workbook_tools.checks.validate import validate_workbook
from workbook_tools.files.xlsxfile import FileBook

SPEC = load_spec("national-project-2020")
TYPES = ("一般公共预算", "政府性基金预算", "其他")


def worked_example(n: int = 1, fund_type: str = "一般公共预算", output_hit: float = 1.0) -> dict:
    """The 2022 town form: 产出 8+8+8+8+8+10, 效益 10+10+10, 满意度 10, 执行率 89.974 / 89.974, cover complete."""
    vals = {"cover.projectName": f"示例项目{n}", "cover.projectCode": f"2022-{n:03d}", "cover.supervisor": "太平镇人民政府",
            "cover.unitName": "太平镇人民政府", "cover.agencyCode": "440117001", "cover.fundType": fund_type,
            "cover.fiscalYear": 2022, "cover.goalPlanned": "完成道路养护 12 公里", "cover.goalActual": "完成道路养护 12 公里",
            "cover.preparer": "张三", "cover.phone": "020-87654321", "cover.fillDate": dt.datetime(2023, 3, 15),
            "funds.0.initial": 89.974, "funds.0.adjusted": 89.974, "funds.0.actual": 89.974}
    cats = ["数量指标", "质量指标", "时效指标", "成本指标", "数量指标", "质量指标"]
    for i, w in enumerate([8, 8, 8, 8, 8, 10], 1):
        vals |= {f"target.output.{i}.category": cats[i - 1], f"target.output.{i}.name": f"产出{i}",
                 f"target.output.{i}.direction": "≥", f"target.output.{i}.value": 1,
                 f"target.output.{i}.actual": output_hit if i == 1 else 1, f"target.output.{i}.weight": w}
    if output_hit < 1:
        vals["target.output.1.reason"] = vals["node.1.reason"] = "受天气影响，部分路段延期至次年"
    return vals | benefit_and_satisfaction()


def benefit_and_satisfaction() -> dict:
    """效益 10 + 10 + 10 (定性, 达成) and 满意度 10 (≥ 90%, 95%): full marks on both."""
    vals = {}
    for i in (1, 2, 3):
        vals |= {f"target.benefit.{i}.category": "社会效益指标", f"target.benefit.{i}.name": f"效益{i}",
                 f"target.benefit.{i}.direction": "定性", f"target.benefit.{i}.value": "有效改善",
                 f"target.benefit.{i}.actual": "达成", f"target.benefit.{i}.weight": 10}
    vals |= {"target.satisfaction.1.category": "服务对象满意度指标", "target.satisfaction.1.name": "群众满意度",
             "target.satisfaction.1.direction": "≥", "target.satisfaction.1.value": 0.9,
             "target.satisfaction.1.actual": 0.95, "target.satisfaction.1.weight": 10}
    return vals


COVER = ("cover.projectName", "cover.projectCode", "cover.fundType")


def make_projects(path: Path, values: list[dict]) -> Path:
    """A project workbook: cover keys given to the builder, every other input typed into its sheet, recalculated."""
    data = build_projects_template(SPEC, [{k: v[k] for k in COVER if k in v} for v in values])
    P = projects_layout(SPEC, [project_sheet_name(i) for i in range(1, len(values) + 1)])
    book = FileBook(path, data)
    book.write_cells([CellWrite(F[k].sheet, F[k].coord, v) for F, vals in zip(P.forms, values)
                      for k, v in vals.items() if k not in COVER])
    buf = io.BytesIO()
    book.save(buf)
    path.write_bytes(recalc_bytes(buf.getvalue(), spec=SPEC))     # as Excel saves it: values current
    return path


@pytest.fixture
def three(tmp_path) -> Path:
    """Three complete projects (one losing 4 points on 产出1) and an empty fourth one."""
    vals = [worked_example(1, "一般公共预算"), worked_example(2, "政府性基金预算", output_hit=0.5),
            worked_example(3, "一般公共预算"), {"cover.projectName": "未开始的项目", "cover.fundType": "其他"}]
    return make_projects(tmp_path / "projects.xlsx", vals)


# ---------------------------------------------------------------- layout

def test_one_sheet_form_has_every_key_of_the_classic_form():
    classic = {k for k in layout_for(SPEC).cells if not k.startswith(("meta.", "help.", "explain."))}
    base = form_base(SPEC)
    assert set(base.cells) == classic
    assert {c.sheet for c in base.cells.values()} == {"__form__"}
    # the formulas of the one-sheet form never reach into another sheet
    assert not [c.key for c in base.by_role("formula") if "!" in c.formula]


def test_projects_layout_cells_are_on_their_own_sheets():
    P = projects_layout(SPEC, ["项目001", "项目002"])
    assert P.sheets == ["填报说明", "项目清单", "项目001", "项目002", "情况说明", "_wbtool"]
    F = P.forms[1]
    assert F["summary.total"].addr == f"项目002!{form_base(SPEC)['summary.total'].coord}"
    assert F["list.total"].sheet == "项目清单" and "'项目002'!" in F["list.total"].formula
    assert "explain.1.text" in P.forms[0].cells and "explain.1.text" not in F.cells   # shared sheets: checked once


# ---------------------------------------------------------------- engine: the worked example on a project sheet

def test_worked_example_scores_on_a_project_sheet(three):
    forms = read_workbook_forms(three)
    assert forms.is_projects and [r.layout.form for r in forms.forms] == ["项目001", "项目002", "项目003", "项目004"]
    r1 = compute(SPEC, forms.forms[0].inputs)
    assert r1.values["node.4.basis"] == 1 and r1.leaf_scores["4"] == 10      # 89.974 / 89.974 = 100%
    assert [r1.leaf_scores[i] for i in "123"] == [50, 30, 10]
    assert r1.total == 100 and r1.grade == "优"
    r2 = compute(SPEC, forms.forms[1].inputs)
    assert r2.leaf_scores["1"] == 46 and r2.display == 96
    assert r2.values["list.status"] == "已完成" and r1.values["list.name"] == "示例项目1"
    r4 = compute(SPEC, forms.forms[3].inputs)
    assert r4.values["list.status"] == "未完成"


# ---------------------------------------------------------------- fill, validate, export

def test_fill_stores_every_form_and_the_list_totals(three, tmp_path):
    out = tmp_path / "filled.xlsx"
    rep = fill_workbook(three, out)
    assert rep.tally.counts == {"一般公共预算": 2, "政府性基金预算": 1, "其他": 0}
    assert rep.tally.average == D("98.67")                    # (100 + 96 + 100) / 3
    wb = openpyxl.load_workbook(out, data_only=True)
    ws = wb["项目清单"]
    rows = [[ws.cell(r, c).value for c in range(1, 12)] for r in range(4, 8)]
    assert [r[1] for r in rows] == ["项目001", "项目002", "项目003", "项目004"]
    assert [r[3] for r in rows] == ["示例项目1", "示例项目2", "示例项目3", "未开始的项目"]
    assert [r[8] for r in rows] == [100, 96, 100, 0]
    assert [r[10] for r in rows] == ["已完成", "已完成", "已完成", "未完成"]
    P = rep.forms.projects
    got = {k: ws[P.shared[k].coord].value for k in P.totals}
    assert got["plist.count.0"] == 2 and got["plist.count.1"] == 1 and got["plist.count.2"] == 0
    assert got["plist.count"] == 3 and got["plist.average"] == pytest.approx(98.67)
    assert wb["项目002"][P.forms[1]["summary.display"].coord].value == 96
    # filling again changes nothing it computes
    again = fill_workbook(out, tmp_path / "again.xlsx")
    assert again.restored == [] and again.tally.values == rep.tally.values


def test_validate_names_the_project_of_every_finding(three):
    rep = validate_workbook(three)
    s = rep.summary
    assert s["kind"] == "projects" and s["project_count"] == 4 and s["evaluated"] == 3
    assert s["counts"] == {"一般公共预算": 2, "政府性基金预算": 1, "其他": 0} and s["average"] == 98.67
    by_sheet = {}
    for f in rep.findings:
        by_sheet.setdefault(f.sheet, set()).add(f.code)
    assert set(by_sheet) == {"项目004"}                        # the three complete forms are clean
    assert {"cover-missing", "funds-missing", "targets-missing"} <= by_sheet["项目004"]
    assert all(f.project == "项目004 未开始的项目" for f in rep.findings)


def test_a_fault_on_one_sheet_is_reported_there_only(three, tmp_path):
    P = projects_layout(SPEC, [project_sheet_name(i) for i in range(1, 5)])
    F = P.forms[2]
    book = FileBook(three)
    book.write_cells([CellWrite(F["target.output.2.actual"].sheet, F["target.output.2.actual"].coord, 0.5),
                      CellWrite("项目清单", P.shared["plist.average"].coord, 99)])      # typed over a total
    bad, buf = tmp_path / "bad.xlsx", io.BytesIO()
    book.save(buf)
    bad.write_bytes(refresh_values(buf.getvalue(), spec=SPEC))       # saved by Excel: the typed-over total stays
    rep = validate_workbook(bad)
    got = {(f.code, f.cell) for f in rep.findings if f.sheet != "项目004"}
    assert got == {("deduction-without-reason", F["node.1.reason"].addr),
                   ("target-missed-without-reason", F["target.output.2.reason"].addr),
                   ("formula-overwritten", P.shared["plist.average"].addr)}
    assert {f.project for f in rep.findings if f.sheet == "项目003"} == {"项目003 示例项目3（2022-003）"}
    fixed = fill_workbook(bad, tmp_path / "fixed.xlsx")
    assert [x.cell for x in fixed.restored] == [P.shared["plist.average"].addr]


def test_export_lists_every_project(three):
    doc = export_workbook(three)
    assert doc["schema"] == "wbtool.projects/1"
    assert [p["sheet"] for p in doc["projects"]] == ["项目001", "项目002", "项目003", "项目004"]
    p2 = doc["projects"][1]
    assert p2["cover"]["projectCode"]["value"] == "2022-002" and p2["totals"]["display"] == 96
    assert p2["cover"]["projectCode"]["cell"].startswith("项目002!")
    assert doc["totals"]["evaluated"] == 3 and doc["totals"]["average"] == 98.67


def test_one_form_commands_refuse_a_project_workbook_clearly(three):
    with pytest.raises(Exception) as e:
        read_workbook(three)
    assert "项目工作簿" in str(e.value)
    res = CliRunner().invoke(main, ["report", str(three), "-o", str(three.with_suffix(".md"))])
    assert res.exit_code == 2 and "项目工作簿" in res.output and "Traceback" not in res.output


# ---------------------------------------------------------------- the project list file and `wbtool template --projects`

def _csv(path: Path, text: str, encoding="utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_template_from_a_project_list(tmp_path):
    src = _csv(tmp_path / "projects.csv", "项目编码,项目名称,资金性质,主管部门,实施单位,单位编码,年度,年度总体目标（预期目标）\n"
               "001,道路养护,一般公共预算,太平镇,太平镇,440117001,2022,养护 12 公里\n"
               "002,污水治理,政府性基金预算,太平镇,太平镇,440117001,2022,\n", "gbk")
    out = tmp_path / "p.xlsx"
    res = CliRunner().invoke(main, ["template", "--projects", str(src), "-o", str(out)])
    assert res.exit_code == 0, res.output
    forms = read_workbook_forms(out)
    assert [r.inputs["cover.projectCode"] for r in forms.forms] == ["001", "002"]      # leading zeros kept
    assert forms.forms[0].inputs["cover.goalPlanned"] == "养护 12 公里"
    assert forms.forms[1].inputs["cover.fiscalYear"] == 2022
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:5] == ["填报说明", "项目清单", "校验", "项目001", "项目002"]     # 校验: issue 17
    assert wb["项目清单"]["B4"].hyperlink.location == "'项目001'!A1"
    assert wb["项目001"].protection.sheet


@pytest.mark.parametrize("text, needle", [
    ("项目编码,资金性质\n001,一般公共预算\n", "缺少“项目名称”列"),
    ("项目名称,资金性质\n甲,专项资金\n", "资金性质“专项资金”"),
    ("项目编码,项目名称\n001,甲\n001,乙\n", "项目编码 001 重复"),
    ("项目编码,项目名称\n", "没有任何项目行"),
])
def test_a_bad_project_list_is_a_usage_error(tmp_path, text, needle):
    src = _csv(tmp_path / "projects.csv", text)
    res = CliRunner().invoke(main, ["template", "--projects", str(src), "-o", str(tmp_path / "p.xlsx")])
    assert res.exit_code == 2 and needle in res.output, res.output
    assert not (tmp_path / "p.xlsx").exists()


# ---------------------------------------------------------------- the overall form and its unit's project forms

def test_fill_overall_from_projects_and_validate_the_link(three, tmp_path, sample):
    gd = load_spec("gd-dept-overall-2023")
    L = layout_for(gd)
    single = tmp_path / "single.xlsx"            # a one-project file counts too
    build_template(SPEC, single, {k: v for k, v in worked_example(9, "其他").items()})
    out = tmp_path / "overall.xlsx"
    r = CliRunner().invoke(main, ["fill", str(sample), "-o", str(out), "--projects", str(three),
                                  "--projects", str(single)])
    assert r.exit_code == 0, r.output
    ret = read_workbook(out)
    assert [ret.inputs[f"funds.{i}.projects"] for i in range(4)] == [2, 1, 0, 1]
    assert ret.inputs["funds.projects_average"] == pytest.approx(99.0)        # (100 + 96 + 100 + 100) / 4
    ok = CliRunner().invoke(main, ["validate", str(out), "--projects", str(three), "--projects", str(single)])
    assert ok.exit_code == 0, ok.output
    # the seed sample says 141 / 83 / 0 / 1 and no average: every differing cell is named
    rep = validate_workbook(sample, projects=__import__("workbook_tools.model.projectlink", fromlist=["x"])
                            .tally_project_files([three]), only=["projects-count-mismatch", "projects-average-mismatch"])
    assert {(f.code, f.cell) for f in rep.findings} == {
        ("projects-count-mismatch", L["funds.0.projects"].addr), ("projects-count-mismatch", L["funds.1.projects"].addr),
        ("projects-count-mismatch", L["funds.3.projects"].addr),
        ("projects-average-mismatch", L["funds.projects_average"].addr)}


def test_the_same_project_twice_is_refused(three, tmp_path, sample):
    r = CliRunner().invoke(main, ["validate", str(sample), "--projects", str(three), "--projects", str(three)])
    assert r.exit_code == 2 and "项目编码 2022-001 出现两次" in r.output


def test_projects_option_needs_project_forms(tmp_path, sample):
    r = CliRunner().invoke(main, ["fill", str(sample), "-o", str(tmp_path / "o.xlsx"), "--projects", str(sample)])
    assert r.exit_code == 2 and "不是项目支出绩效自评表" in r.output
    assert not (tmp_path / "o.xlsx").exists()


def test_a_fund_type_without_a_source_row_is_a_warning_not_a_count(three, tmp_path):
    import yaml
    from workbook_tools.model.projectlink import tally_project_files
    from workbook_tools.model.spec import parse_spec, spec_dir
    data = yaml.safe_load((spec_dir() / "gd-dept-overall-2023.yaml").read_text(encoding="utf-8"))
    data["funds"]["project_counts"] = {"一般公共预算": "一般公共预算"}       # 政府性基金预算 has no row here
    gd = parse_spec(data, "test")
    path = tmp_path / "overall.xlsx"
    build_template(gd, path)
    pt = tally_project_files([three])
    L = layout_for(gd)
    rep = validate_workbook(path, spec=gd, projects=pt, only=["projects-count-mismatch", "projects-type-unmapped"])
    assert {(f.code, f.cell, f.params.get("fund_type")) for f in rep.findings} == {
        ("projects-count-mismatch", L["funds.0.projects"].addr, None),
        ("projects-type-unmapped", L["funds.0.projects"].addr, "政府性基金预算")}
    assert rep.findings[0].expected == 2


def test_mark_and_clear_a_project_workbook(three, tmp_path):
    """WPS users mark the findings into the file itself and clear them again (a cell without a comment too)."""
    path = tmp_path / "m.xlsx"
    path.write_bytes(three.read_bytes())
    r = CliRunner().invoke(main, ["mark", str(path)])
    assert r.exit_code == 1, r.output
    P = projects_layout(SPEC, [project_sheet_name(i) for i in range(1, 5)])
    cell = P.forms[3]["cover.supervisor"]
    wb = openpyxl.load_workbook(path)
    assert "封面必填项为空" in wb[cell.sheet][cell.coord].comment.text
    r = CliRunner().invoke(main, ["clear", str(path)])
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(path)
    assert wb[cell.sheet][cell.coord].comment is None and wb[cell.sheet][cell.coord].fill.fgColor.rgb == "00FFF2CC"
    assert validate_workbook(path).summary["evaluated"] == 3


def test_the_shipped_project_list_builds(tmp_path):
    """The README's `template --projects samples/taiping_projects_2022.csv`."""
    src = Path(__file__).resolve().parent.parent / "samples" / "taiping_projects_2022.csv"
    out = tmp_path / "p.xlsx"
    r = CliRunner().invoke(main, ["template", "--projects", str(src), "-o", str(out)])
    assert r.exit_code == 0, r.output
    forms = read_workbook_forms(out)
    types = [ret.inputs["cover.fundType"] for ret in forms.forms]
    assert types.count("一般公共预算") == 4 and types.count("政府性基金预算") == 2 and types.count("其他") == 1
    assert {ret.inputs["cover.agencyCode"] for ret in forms.forms} == {"440117101"}


def test_fill_cli_on_a_project_workbook_keeps_a_backup(three):
    r = CliRunner().invoke(main, ["fill", str(three), "--format", "json"])
    assert r.exit_code == 1, r.output            # project 4 is unfinished: errors remain, so fill says so
    out = __import__("json").loads(r.output)
    assert out["backup"] and Path(out["backup"]).exists() and out["output"] == str(three)
    assert out["counts"] == {"一般公共预算": 2, "政府性基金预算": 1, "其他": 0} and out["average"] == 98.67
    assert [p["status"] for p in out["projects"]] == ["已完成", "已完成", "已完成", "未完成"]
    r = CliRunner().invoke(main, ["fill", str(three), "--no-backup"])
    assert r.exit_code == 1 and "已自评 3 个" in r.output and "平均分 98.67" in r.output and "仍有" in r.output


def test_live_excel_validates_and_repairs_a_project_workbook(three):
    """`validate --live` / `fill --live` (and the Excel buttons) on an open project workbook: an xlwings stand-in."""
    from fake_xlwings import FakeBook

    from workbook_tools.files import live
    P = projects_layout(SPEC, [project_sheet_name(i) for i in range(1, 5)])
    fake = FakeBook(three)
    book = live.LiveBook(fake)
    rep = live._validate_on(book)
    assert rep.summary["kind"] == "projects" and rep.summary["evaluated"] == 3
    cell = P.forms[3]["cover.supervisor"]
    assert fake.sheets[cell.sheet].range(cell.coord).color == live.COLORS["error"]
    assert book.clear() == len([f for f in rep.findings if f.coord])
    avg = P.shared["plist.average"]
    fake.sheets["项目清单"].range(avg.coord).value = 99          # typed over a total
    result, restored, tally = live._fill_on(live.LiveBook(fake))
    assert [x.cell for x in restored] == [avg.addr] and tally.average == D("98.67")
    assert fake.sheets["项目清单"].range(avg.coord).formula == avg.formula     # one cell: xlwings gives a str


@pytest.mark.parametrize("layout", ["one-project file", "project workbook"])
@pytest.mark.parametrize("reason", [True, False])
def test_a_not_applicable_target_row_is_dropped_and_the_rest_rescaled(tmp_path, layout, reason):
    """实际完成值 “不适用”: the row is not scored, its 10 points leave the total, the rest is rescaled to 100."""
    vals = worked_example(1)
    vals["target.output.6.actual"] = "不适用"
    vals["target.output.1.actual"] = 0.5                  # 8 × 0.5: 4 points really lost
    vals["target.output.1.reason"] = vals["node.1.reason"] = "部分路段延期"
    if reason:
        vals["target.output.6.reason"] = "本年度未安排该项工作"
    r = compute(SPEC, vals)
    assert r.values["target.output.6.score"] is None and r.leaf_scores["1"] == 36
    assert r.values["summary.applicable_weight"] == 90 and r.total == D("95.5556")     # 86 × 100 / 90
    path = tmp_path / "p.xlsx"
    if layout == "one-project file":
        build_template(SPEC, path, vals)
        L = layout_for(SPEC)
    else:
        make_projects(path, [vals])
        L = projects_layout(SPEC, ["项目001"]).forms[0]
    rep = validate_workbook(path)
    expected = set() if reason else {("target-not-applicable-without-reason", L["target.output.6.reason"].addr)}
    assert {(f.code, f.cell) for f in rep.findings} == expected, [f.message() for f in rep.findings]
    assert rep.summary["display"] == 95.56 if layout == "one-project file" else rep.summary["average"] == 95.56


@pytest.mark.parametrize("name", ["项目001", "项目清单", "", "a/b"])
def test_a_damaged_list_of_project_sheets_is_unreadable(three, tmp_path, name):
    """The hidden identity sheet names the form sheets: a repeated, shared or impossible name is refused (exit 3)."""
    book = FileBook(three)
    book.write_cells([CellWrite("_wbtool", "B22", name)])       # the second project sheet's entry
    bad = tmp_path / "bad.xlsx"
    with open(bad, "wb") as fh:
        book.save(fh)
    r = CliRunner().invoke(main, ["validate", str(bad)])
    assert r.exit_code == 3 and "项目表清单已损坏" in r.output and "Traceback" not in r.output


def test_a_copied_project_sheet_is_not_silently_ignored(three, tmp_path):
    """Staff add a project by copying a sheet: it is not one of the workbook's forms, and validate says so."""
    wb = openpyxl.load_workbook(three)
    wb.copy_worksheet(wb["项目003"]).title = "项目003 (2)"
    wb.create_sheet("说明").cell(1, 1).value = "单位自己的备注表"      # an unrelated extra sheet is fine
    bad = tmp_path / "copied.xlsx"
    wb.save(bad)
    rep = validate_workbook(bad, skip=["stale-value"])
    assert {(f.code, f.cell) for f in rep.findings if f.code == "project-sheet-unlisted"} == {
        ("project-sheet-unlisted", "项目003 (2)!A1")}
    assert rep.summary["project_count"] == 4


def _report_dict(rep):
    d = rep.to_dict()
    d.pop("file", None)
    return d


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="parts are forked processes (Linux)")
def test_validating_in_parts_gives_the_one_process_report(three, tmp_path, monkeypatch):
    """`validate -j 2` splits a big project workbook between processes; the report is the same, finding by finding."""
    import pickle

    import workbook_tools.checks.validate as V
    P = projects_layout(SPEC, [project_sheet_name(i) for i in range(1, 5)])
    book = FileBook(three)
    F = P.forms[2]
    book.write_cells([CellWrite(F["target.output.2.actual"].sheet, F["target.output.2.actual"].coord, 0.5),
                      CellWrite("情况说明", "B4", "stale-value"), CellWrite("情况说明", "C4", "项目004!B6")])
    path = tmp_path / "faults.xlsx"
    with open(path, "wb") as fh:
        book.save(fh)
    one = validate_workbook(path, jobs=1)
    assert {f.sheet for f in one.findings} >= {"项目003", "项目004"}
    monkeypatch.setattr(V, "PART_MIN", 2)             # 4 sheets: two parts of two
    import os
    forks, real_fork = [], os.fork
    monkeypatch.setattr(os, "fork", lambda: forks.append(1) or real_fork())
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    two = validate_workbook(path, jobs=2)
    assert forks == [1] and _report_dict(two) == _report_dict(one)
    assert [r.values["list.status"] for r in two.result] == [r.values["list.status"] for r in one.result]
    # a part that fails in its process is checked by the parent instead
    monkeypatch.setattr(pickle, "dumps", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("child fails")))
    again = validate_workbook(path, jobs=2)
    assert _report_dict(again) == _report_dict(one)


def test_projects_option_is_for_the_overall_form(three, tmp_path):
    r = CliRunner().invoke(main, ["fill", str(three), "-o", str(tmp_path / "o.xlsx"), "--projects", str(three)])
    assert r.exit_code == 2 and "是项目工作簿" in r.output and "部门整体自评表" in r.output
    assert not (tmp_path / "o.xlsx").exists()

"""`wbtool crosscheck` with project-level ledger rows: project workbooks and one-project files, per 项目编码."""
import json
from decimal import Decimal

import pytest
from click.testing import CliRunner
from ledgerfiles import write_csv, write_xlsx

from workbook_tools.catalogue import CATALOGUE
from workbook_tools.cells import CellWrite
from workbook_tools.cli import main
from workbook_tools.bureau.crosscheck import (PROJECT_MISSING, PROJECT_NOT_IN_WORKBOOK, crosscheck_forms,
                                       crosscheck_returned, crosscheck_workbook)
from workbook_tools.errors import UsageError
from workbook_tools.files.fill import fill_workbook
from workbook_tools.model.layout import layout_for
from workbook_tools.bureau.ledger import Figures, read_ledger
from workbook_tools.files.reader import read_workbook, read_workbook_forms
from workbook_tools.files.specsheet import load_spec
from workbook_tools.model.template import build_projects_template, build_template
from workbook_tools.files.xlsxfile import FileBook

NP = load_spec("national-project-2020")
UNIT, UNIT_NAME = "440117101", "广州市从化区太平镇人民政府"
SRC = NP.funds.sources                     # 本年财政拨款, 上年结转资金, 其他资金
# 项目编码 → (项目名称, {source index: (年初预算数, 全年预算数 A, 全年执行数 B)}) in 万元
PROJECTS = {
    "P2023001": ("乡村道路维护", {0: ("120.5", "130.25", "128.4"), 1: ("0", "10", "9.5")}),
    "P2023002": ("垃圾分类处理", {0: ("80", "80", "64.32"), 2: ("5", "5", "5")}),
    "P2023003": ("农田水利建设", {0: ("300", "320.8", "301.77")}),
}
MONEY = ("initial", "adjusted", "actual")
HEADS = ("年初预算数", "全年预算数", "全年执行数")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def cover(code: str, name: str) -> dict:
    return {"cover.projectName": name, "cover.projectCode": code, "cover.fundType": "一般公共预算",
            "cover.agencyCode": UNIT, "cover.unitName": UNIT_NAME, "cover.supervisor": UNIT_NAME}


def funds_inputs(funds: dict) -> dict:
    return {f"funds.{i}.{k}": float(Decimal(v)) for i, figs in funds.items() for k, v in zip(MONEY, figs)}


def project_book(path, codes=tuple(PROJECTS)):
    """A real project workbook: one sheet per project, cover and funds typed in, every formula computed."""
    projects = [{**cover(c, PROJECTS[c][0]), **funds_inputs(PROJECTS[c][1])} for c in codes]
    build_projects_template(NP, projects, path)
    return path


def retype(path, writes: dict):
    """Change input cells of a project workbook as a unit would (sheet, key → value), then recompute (wbtool fill)."""
    forms = read_workbook_forms(path)
    by_sheet = {r.layout.form: r.layout for r in forms.forms}
    book = FileBook(path)
    book.write_cells([CellWrite(sheet, by_sheet[sheet][k].coord, v) for (sheet, k), v in writes.items()])
    with open(path, "wb") as fh:
        book.save(fh)
    fill_workbook(path, backup=False)
    return path


def ledger_lines(projects=PROJECTS, *, unit="万元", extra=()):
    """Header with the money unit in brackets, then one row per project and fund source (in ``unit``)."""
    lines = [["单位编码", "单位名称", "项目编码", "项目名称", "资金来源"] + [f"{h}（{unit}）" for h in HEADS]]
    for code, (name, funds) in list(projects.items()) + list(extra):
        for i, figs in funds.items():
            lines.append([UNIT, UNIT_NAME, code, name, SRC[i]] + [_amount(v, unit) for v in figs])
    return lines


def _amount(v, unit):
    d = Decimal(v)
    return format(d * 10000 if unit == "元" else d, "f")


def totals_lines(projects=PROJECTS, *, unit="万元"):
    """One row per project, no 资金来源 column: the project's totals."""
    lines = [["单位编码", "项目编码", "项目名称"] + [f"{h}（{unit}）" for h in HEADS]]
    for code, (name, funds) in projects.items():
        tot = [sum(Decimal(f[j]) for f in funds.values()) for j in range(3)]
        lines.append([UNIT, code, name] + [_amount(v, unit) for v in tot])
    return lines


def pairs(findings):
    return {(f.code, f.cell) for f in findings}


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return project_book(tmp_path_factory.mktemp("pb") / "项目自评.xlsx")


# ------------------------------------------------------------------ the ledger

def test_project_rows_are_kept_per_project_and_still_add_up_per_unit(tmp_path):
    led = read_ledger(write_csv(tmp_path / "l.csv", ledger_lines()))
    assert set(led.projects) == set(PROJECTS) and led.has_projects
    p = led.projects["P2023001"]
    assert (p.unit, p.name, p.unit_name) == (UNIT, "乡村道路维护", UNIT_NAME)
    assert p.sources == {"本年财政拨款": Figures(Decimal("120.5"), Decimal("130.25"), Decimal("128.4")),
                         "上年结转资金": Figures(Decimal("0"), Decimal("10"), Decimal("9.5"))}
    assert p.total == Figures(Decimal("120.5"), Decimal("140.25"), Decimal("137.9")) and p.by_source
    assert p.rows == {"本年财政拨款": [2], "上年结转资金": [3]}
    # the unit's figures are the sum of its projects, as for any ledger with a 项目编码 column
    assert led.units[UNIT].sources["本年财政拨款"] == Figures(Decimal("500.5"), Decimal("531.05"), Decimal("494.49"))
    assert led.units[UNIT].sources["其他资金"] == Figures(Decimal("5"), Decimal("5"), Decimal("5"))


def test_yuan_and_gbk_give_the_same_wan(tmp_path):
    a = read_ledger(write_csv(tmp_path / "a.csv", ledger_lines()))
    b = read_ledger(write_csv(tmp_path / "b.csv", ledger_lines(unit="元"), encoding="gbk"))
    c = read_ledger(write_xlsx(tmp_path / "c.xlsx", ledger_lines(unit="元"), money_from=5))
    assert a.projects == b.projects == c.projects
    assert b.money_unit == "元" and a.money_unit == "万元"


def test_total_rows_per_project_without_source_column(tmp_path):
    led = read_ledger(write_csv(tmp_path / "t.csv", totals_lines()))
    p = led.projects["P2023002"]
    assert not p.by_source and p.sources == {}
    assert p.total == Figures(Decimal("85"), Decimal("85"), Decimal("69.32"))
    assert p.rows == {"合计": [3]}
    assert led.units == {}          # a total cannot be split into fund sources: not part of the unit's figures


def test_project_total_row_next_to_source_rows_is_not_counted_twice(tmp_path):
    lines = ledger_lines()
    lines.append([UNIT, UNIT_NAME, "P2023003", "农田水利建设", "合计", "300", "320.8", "301.77"])
    led = read_ledger(write_csv(tmp_path / "l.csv", lines))
    assert led.units[UNIT].sources["本年财政拨款"].initial == Decimal("500.5")
    assert led.projects["P2023003"].total_row == Figures(Decimal("300"), Decimal("320.8"), Decimal("301.77"))


def test_project_rows_problems_are_listed_with_row_numbers(tmp_path):
    lines = ledger_lines()
    lines.append(["440117102", "别的单位", "P2023001", "乡村道路维护", "其他资金", "1", "1", "1"])
    lines.append([UNIT, UNIT_NAME, "P2023002", "垃圾分类处理", "本年财政拨款", "1", "1", "1"])
    with pytest.raises(UsageError) as e:
        read_ledger(write_csv(tmp_path / "bad.csv", lines))
    msg = e.value.message("zh")
    assert "有 2 处问题" in msg
    assert "第 7 行的项目编码 P2023001 在第 2 行属于单位 440117101，此行为单位 440117102" in msg
    assert "第 8 行与第 4 行重复（单位 440117101，项目 P2023002，本年财政拨款）" in msg


def test_source_column_still_required_without_project_column(tmp_path):
    lines = [["单位编码", "年初预算数", "全年预算数", "全年执行数"], [UNIT, "1", "1", "1"]]
    with pytest.raises(UsageError) as e:
        read_ledger(write_csv(tmp_path / "l.csv", lines), unit="万元")
    assert "缺少台账的必需列“资金来源”" in e.value.message("zh")


# ------------------------------------------------------------------ a project workbook against it

@pytest.mark.parametrize("kind", ["csv-utf8-wan", "csv-gbk-yuan", "xlsx-yuan", "xlsx-wan", "totals-xlsx-yuan"])
def test_matching_ledger_gives_no_findings(book, tmp_path, kind):
    if kind == "csv-utf8-wan":
        path = write_csv(tmp_path / "台账.csv", ledger_lines())
    elif kind == "csv-gbk-yuan":
        path = write_csv(tmp_path / "台账.csv", ledger_lines(unit="元"), encoding="gbk")
    elif kind == "xlsx-yuan":
        path = write_xlsx(tmp_path / "台账.xlsx", ledger_lines(unit="元"), money_from=5)
    elif kind == "xlsx-wan":
        path = write_xlsx(tmp_path / "台账.xlsx", ledger_lines(), money_from=5)
    else:
        path = write_xlsx(tmp_path / "台账.xlsx", totals_lines(unit="元"), money_from=3)
    rep = crosscheck_workbook(book, read_ledger(path))
    assert rep.findings == [] and rep.exit_code() == 0
    assert rep.summary["kind"] == "projects" and rep.summary["project_count"] == 3
    led = rep.summary["ledger"]["projects"]
    assert [(x["sheet"], x["projectCode"], x["found"]) for x in led] == [
        ("项目001", "P2023001", True), ("项目002", "P2023002", True), ("项目003", "P2023003", True)]
    assert led[1]["exec_rate"] == 0.8155 and led[1]["scores"] == {"4": 8.155}   # 69.32 / 85


def test_mismatches_name_the_project_sheet_cells(tmp_path):
    path = retype(project_book(tmp_path / "p.xlsx"), {("项目002", "funds.2.actual"): 4,
                                                      ("项目003", "funds.0.initial"): 310})
    led = read_ledger(write_csv(tmp_path / "l.csv", ledger_lines(unit="元"), encoding="gbk"))
    rep = crosscheck_workbook(path, led)
    assert pairs(rep.findings) == {
        ("ledger-actual-mismatch", "项目002!F10"),          # 其他资金 全年执行数 4 vs 5
        ("ledger-rate-mismatch", "项目002!I7"),            # 68.32 / 85 = 80.38% vs the ledger's 81.55%
        ("ledger-rate-mismatch", "项目002!I35"),            # its score 8.038 vs 8.155
        ("ledger-initial-mismatch", "项目003!C8"),         # 年初预算数 310 vs 300 (no effect on the rate)
    }
    by = {(f.code, f.cell): f for f in rep.findings}
    f = by[("ledger-actual-mismatch", "项目002!F10")]
    assert f.project == "项目002 垃圾分类处理（P2023002）"
    assert f.message() == "其他资金全年执行数（B）为 4 万元，台账为 5 万元（表中减台账 -1 万元）。"
    assert by[("ledger-rate-mismatch", "项目002!I7")].message() == "按台账金额计算，预算执行率应为 81.55%，表中为 80.38%。"
    assert by[("ledger-initial-mismatch", "项目003!C8")].project == "项目003 农田水利建设（P2023003）"
    assert [f.sheet for f in rep.findings] == ["项目002"] * 3 + ["项目003"]      # in sheet order
    assert rep.exit_code() == 1


def test_total_only_ledger_compares_the_total_row(tmp_path):
    path = retype(project_book(tmp_path / "p.xlsx"), {("项目001", "funds.1.adjusted"): 12})
    rep = crosscheck_workbook(path, read_ledger(write_csv(tmp_path / "t.csv", totals_lines())))
    assert pairs(rep.findings) == {("ledger-total-mismatch", "项目001!D7"),    # 142.25 vs 140.25
                                   ("ledger-rate-mismatch", "项目001!I7"), ("ledger-rate-mismatch", "项目001!I35")}
    total = next(f for f in rep.findings if f.code == "ledger-total-mismatch")
    assert (total.expected, total.found) == (Decimal("140.25"), Decimal("142.25"))


def test_project_not_in_ledger_and_ledger_project_not_in_workbook(book, tmp_path):
    projects = {k: v for k, v in PROJECTS.items() if k != "P2023003"}
    extra = [("P2023009", ("公厕改造", {0: ("40", "40", "36")})), ("P2023010", ("零星项目", {0: ("0", "0", "0")}))]
    led = read_ledger(write_csv(tmp_path / "l.csv", ledger_lines(projects, extra=extra)))
    rep = crosscheck_workbook(book, led)
    assert pairs(rep.findings) == {(PROJECT_MISSING, "项目003!J3"), (PROJECT_NOT_IN_WORKBOOK, "")}
    missing = next(f for f in rep.findings if f.code == PROJECT_MISSING)
    assert missing.project == "项目003 农田水利建设（P2023003）" and missing.found == "P2023003"
    assert "P2023003" in missing.message() and "l.csv" in missing.message()
    extra_f = next(f for f in rep.findings if f.code == PROJECT_NOT_IN_WORKBOOK)
    assert extra_f.params["project_code"] == "P2023009"       # the all-zero P2023010 is not reported
    if PROJECT_NOT_IN_WORKBOOK == "ledger-source-missing-in-workbook":
        assert extra_f.message() == ("台账中有“项目 P2023009 公厕改造”资金（调整后预算 40 万元，实际支出 36 万元），"
                                     "表中没有该项目的项目表。")
    assert rep.exit_code() == 1
    assert all(CATALOGUE[f.code].severity == "error" for f in rep.findings)


def test_projects_of_other_units_are_not_reported(book, tmp_path):
    lines = ledger_lines()
    lines.append(["440117999", "别的单位", "P9", "别的项目", "本年财政拨款", "1", "1", "1"])
    rep = crosscheck_workbook(book, read_ledger(write_csv(tmp_path / "l.csv", lines)))
    assert rep.findings == []


def test_unit_level_ledger_against_a_project_workbook_is_a_usage_error(book, tmp_path):
    lines = [["单位编码", "单位名称", "资金来源", "年初预算数", "全年预算数", "全年执行数"],
             [UNIT, UNIT_NAME, "本年财政拨款", "500.5", "531.05", "494.49"]]
    ledger = write_csv(tmp_path / "单位台账.csv", lines)
    led = read_ledger(ledger, unit="万元", sources=NP.funds.sources)
    with pytest.raises(UsageError) as e:
        crosscheck_forms(read_workbook_forms(book), led)
    assert "是项目工作簿（3 张项目表）" in e.value.message("zh") and "项目台账" in e.value.message("zh")
    r = run("crosscheck", book, "--ledger", ledger, "--unit", "万元", "--spec", "national-project-2020")
    assert r.exit_code == 2
    assert r.stderr.startswith("错误：项目自评.xlsx 是项目工作簿") and "单位台账.csv" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_crosscheck_forms_is_pure_and_matches_the_report(book, tmp_path):
    led = read_ledger(write_csv(tmp_path / "l.csv", ledger_lines({"P2023001": PROJECTS["P2023001"]})))
    forms = read_workbook_forms(book)
    found = crosscheck_forms(forms, led)
    assert pairs(found) == {(PROJECT_MISSING, "项目002!J3"), (PROJECT_MISSING, "项目003!J3")}
    assert pairs(crosscheck_workbook(book, led).findings) == pairs(found)


# ------------------------------------------------------------------ one project per file

def test_one_project_file_is_matched_by_project_code(tmp_path):
    name, funds = PROJECTS["P2023002"]
    path = tmp_path / "一个项目.xlsx"
    build_template(NP, path, {**cover("P2023002", name), **funds_inputs(funds)})
    led = read_ledger(write_csv(tmp_path / "l.csv", ledger_lines()))
    assert crosscheck_workbook(path, led).findings == []
    changed = {**PROJECTS, "P2023002": (name, {0: ("80", "80", "70"), 2: ("5", "5", "5")})}
    led = read_ledger(write_csv(tmp_path / "l2.csv", ledger_lines(changed)))
    L = layout_for(NP)
    found = crosscheck_returned(read_workbook(path), led)
    assert pairs(found) == {("ledger-actual-mismatch", L["funds.0.actual"].addr),
                            ("ledger-rate-mismatch", L["funds.exec_rate"].addr),
                            ("ledger-rate-mismatch", L["node.4.score"].addr)}
    assert all(f.project == "" for f in found)            # a one-form file: the file is the project


# ------------------------------------------------------------------ the command

def test_cli_project_workbook(book, tmp_path):
    ok = write_xlsx(tmp_path / "台账.xlsx", ledger_lines(unit="元"), money_from=5)
    r = run("crosscheck", book, "--ledger", ok)
    assert r.exit_code == 0, r.output
    assert "项目表 3 张" in r.stdout and "共 0 个错误" in r.stdout
    changed = {**PROJECTS, "P2023001": ("乡村道路维护", {0: ("120.5", "130.25", "128.4"), 1: ("0", "10", "9")})}
    bad = write_csv(tmp_path / "台账.csv", ledger_lines(changed), encoding="gbk")
    r = run("crosscheck", book, "--ledger", bad)
    assert r.exit_code == 1
    assert "[项目001 乡村道路维护（P2023001）]" in r.stdout
    assert "项目001!F9  上年结转资金全年执行数（B）为 9.5 万元，台账为 9 万元（表中减台账 0.5 万元）。" in r.stdout
    r = run("crosscheck", book, "--ledger", bad, "--format", "json")
    doc = json.loads(r.stdout)
    rows = {(f["code"], f["cell"], f["project"]) for f in doc["findings"]}
    assert rows == {("ledger-actual-mismatch", "项目001!F9", "项目001 乡村道路维护（P2023001）"),
                    ("ledger-rate-mismatch", "项目001!I7", "项目001 乡村道路维护（P2023001）"),
                    ("ledger-rate-mismatch", "项目001!I35", "项目001 乡村道路维护（P2023001）")}
    assert doc["summary"]["ledger"]["file"] == "台账.csv"
    r = run("crosscheck", book, "--ledger", bad, "--tolerance", "0.5", "--format", "json")
    assert r.exit_code == 1          # the amount is within the tolerance; the rate and score it gives are not
    assert {f["code"] for f in json.loads(r.stdout)["findings"]} == {"ledger-rate-mismatch"}

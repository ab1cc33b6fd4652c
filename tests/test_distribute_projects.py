"""`wbtool distribute --projects`: one project workbook per unit, covers from the list and the roster, each
project's money from a project-level ledger pre-filled and locked."""
import csv
import datetime as dt
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner
from ledgerfiles import write_csv, write_roster, write_xlsx
from test_projects import benefit_and_satisfaction

from workbook_tools.cells import CellWrite
from workbook_tools.cli import main
from workbook_tools.bureau.distribute import MANIFEST, distribute
from workbook_tools.errors import UsageError
from workbook_tools.files.fill import fill_workbook
from workbook_tools.bureau.ledger import read_ledger
from workbook_tools.numbers import num
from workbook_tools.files.reader import read_workbook_forms
from workbook_tools.files.specsheet import load_spec
from workbook_tools.model.template import FILL_LOCKED, LOCK_NOTE
from workbook_tools.checks.validate import validate_workbook
from workbook_tools.files.xlsxfile import FileBook

NP = load_spec("national-project-2020")
SRC = NP.funds.sources                     # 本年财政拨款, 上年结转资金, 其他资金
MONEY = ("initial", "adjusted", "actual")
A, B, C = ("440117101", "太平镇人民政府", "从化区人民政府"), ("440117102", "鳌头镇人民政府", "从化区人民政府"), \
    ("440117103", "温泉镇人民政府", "")
FILE_A, FILE_B = f"{A[0]}_{A[1]}_项目自评.xlsx", f"{B[0]}_{B[1]}_项目自评.xlsx"
# the bureau-wide list: 单位编码, 项目编码, 项目名称, 资金性质, 主管部门 (blank → the roster's parent)
LIST = [(A[0], "P2023001", "乡村道路维护", "一般公共预算", ""),
        (A[0], "P2023002", "垃圾分类处理", "政府性基金预算", "区城市管理局"),
        (B[0], "P2023003", "农田水利建设", "一般公共预算", ""),
        (B[0], "P2023004", "河涌清淤", "一般公共预算", ""),          # the ledger has only its 合计 row
        (B[0], "P2023006", "敬老院运营", "其他", ""),                 # not in the ledger
        ("440117999", "P2023009", "外单位项目", "其他", "")]          # a unit the roster lacks
# the ledger, 万元 per (项目编码, 资金来源); written in 元. P2023005 is in the ledger only.
LEDGER = {("P2023001", 0): ("120.5", "130.25", "128.4"), ("P2023001", 1): ("0", "10", "9.5"),
          ("P2023002", 0): ("80", "80", "64.3217"), ("P2023002", 2): ("5", "5", "5"),
          ("P2023003", 0): ("300", "320.8", "301.77"),
          ("P2023004", None): ("50", "50", "45"),
          ("P2023005", 0): ("12", "12", "12")}
UNIT_OF = {"P2023001": A, "P2023002": A, "P2023003": B, "P2023004": B, "P2023005": B}
LOCKED = {f"funds.{i}.{k}" for i in range(len(SRC)) for k in MONEY}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def list_lines(rows=LIST, head=("单位编码", "项目编码", "项目名称", "资金性质", "主管部门")):
    return [list(head)] + [list(r) for r in rows]


def ledger_lines():
    lines = [["金额单位：元"], ["单位编码", "单位名称", "项目编码", "项目名称", "资金来源", "年初预算数", "全年预算数", "全年执行数"]]
    for (code, i), figs in LEDGER.items():
        unit = UNIT_OF[code]
        lines.append([unit[0], unit[1], code, code, SRC[i] if i is not None else "合计"]
                     + [format(Decimal(v) * 10000, "f") for v in figs])
    return lines


@pytest.fixture
def files(tmp_path):
    roster = write_roster(tmp_path / "单位名单.csv", [A, B, C])
    plist = write_csv(tmp_path / "项目清单.csv", list_lines(), "gbk")
    ledger = write_csv(tmp_path / "项目台账.csv", ledger_lines(), "gbk")
    return roster, plist, ledger


def manifest(outbox) -> dict[str, dict]:
    with open(outbox / MANIFEST, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {r["单位编码"]: r for r in rows}


def by_code(path):
    forms = read_workbook_forms(path)
    assert forms.is_projects
    return {f.inputs["cover.projectCode"]: f for f in forms.forms}


def expected_funds(code) -> dict[str, Decimal]:
    out = {k: Decimal(0) for k in LOCKED}
    for (c, i), figs in LEDGER.items():
        if c == code:
            out.update({f"funds.{i}.{k}": Decimal(v) for k, v in zip(MONEY, figs)})
    return out


def test_one_project_workbook_per_unit_with_covers_and_locked_ledger_money(files, tmp_path):
    roster, plist, ledger_path = files
    ledger = read_ledger(ledger_path, sources=SRC)
    out = tmp_path / "下发"
    d = distribute(roster, out, ledger=ledger, year=2023, projects=plist)
    assert sorted(p.name for p in out.iterdir()) == sorted([FILE_A, FILE_B, MANIFEST])

    a, b = by_code(out / FILE_A), by_code(out / FILE_B)
    assert list(a) == ["P2023001", "P2023002"] and list(b) == ["P2023003", "P2023004", "P2023006"]   # file order
    one = a["P2023001"].inputs
    assert one["cover.projectName"] == "乡村道路维护" and one["cover.fundType"] == "一般公共预算"
    assert one["cover.unitName"] == A[1] and one["cover.agencyCode"] == A[0]
    assert one["cover.supervisor"] == A[2]                                      # roster parent: row had none
    assert a["P2023002"].inputs["cover.supervisor"] == "区城市管理局"            # the row's own value wins
    assert int(one["cover.fiscalYear"]) == 2023
    assert b["P2023003"].inputs["cover.unitName"] == B[1]

    # money in 万元, exact (元 ÷ 10000), every source of a by-source project (0 where the ledger has none)
    for code, ret in [*a.items(), ("P2023003", b["P2023003"])]:
        got = {k: num(ret.inputs.get(k)) for k in LOCKED}
        assert got == expected_funds(code), code
    assert num(a["P2023002"].inputs["funds.0.actual"]) == Decimal("64.3217")
    for code in ("P2023004", "P2023006"):       # 合计 only / not in the ledger: left to the unit
        assert all(b[code].inputs.get(k) in (None, "") for k in LOCKED), code

    # locked: protected, grey, the bureau's comment and prompt; the unit's own projects stay open
    wb = openpyxl.load_workbook(out / FILE_B)
    for code, locked in (("P2023003", True), ("P2023004", False), ("P2023006", False)):
        L = b[code].layout
        ws = wb[L.form]
        assert ws.protection.sheet
        for k in sorted(LOCKED):
            cell = ws[L[k].coord]
            assert cell.protection.locked is locked, (code, k)
            assert (cell.fill.fgColor.rgb == FILL_LOCKED.fgColor.rgb) is locked
            assert (cell.comment is not None and cell.comment.text == LOCK_NOTE) is locked
        prompts = [dv for dv in ws.data_validations.dataValidation if dv.promptTitle == "台账数据"]
        assert bool(prompts) is locked
        if locked:
            assert {L[k].coord for k in LOCKED} <= {c for dv in prompts for c in str(dv.sqref).split()}
        assert ws[L["funds.low_rate_reason"].coord].protection.locked is False     # still the unit's to fill
    assert "预填并锁定" in wb["填报说明"][b["P2023003"].layout["help.notice"].coord].value
    wb_a = openpyxl.load_workbook(out / FILE_A)
    assert [s for s in wb_a.sheetnames if s.startswith("项目0")] == ["项目001", "项目002"]
    assert all(wb_a[s][a["P2023001"].layout["funds.0.actual"].coord].protection.locked for s in ("项目001", "项目002"))

    # the manifest: existing columns, then 项目数 and the access code; units without projects and unknown units have no file
    m = manifest(out)
    with open(out / MANIFEST, encoding="utf-8-sig", newline="") as fh:
        assert next(csv.reader(fh)) == ["单位编码", "单位名称", "文件", "预填资金", "备注", "项目数", "访问码"]
    assert (m[A[0]]["文件"], m[A[0]]["预填资金"], m[A[0]]["项目数"]) == (FILE_A, "是", "2")
    assert (m[B[0]]["文件"], m[B[0]]["项目数"]) == (FILE_B, "3")
    assert "河涌清淤（P2023004）" in m[B[0]]["备注"] and "只有合计" in m[B[0]]["备注"]
    assert "敬老院运营（P2023006）" in m[B[0]]["备注"] and "台账中没有的项目" in m[B[0]]["备注"]
    assert "P2023005" in m[B[0]]["备注"] and "项目清单中没有" in m[B[0]]["备注"]
    assert (m[C[0]]["文件"], m[C[0]]["项目数"]) == ("", "0") and "没有此单位的项目" in m[C[0]]["备注"]
    assert m["440117999"]["文件"] == "" and m["440117999"]["项目数"] == "1"
    assert "不在名单中" in m["440117999"]["备注"] and "P2023009" in m["440117999"]["备注"]
    assert [u.code for u in d.without_projects] == [C[0]] and list(d.unknown_units) == ["440117999"]
    assert [r.values["cover.projectCode"] for r in d.projects_not_in_ledger] == ["P2023006"]
    assert [p.code for p in d.ledger_not_in_list] == ["P2023005"]


def test_xlsx_list_without_ledger_prefills_covers_only(tmp_path, files):
    roster = files[0]
    plist = write_xlsx(tmp_path / "项目清单.xlsx", list_lines(), sheet="项目", money_from=99)
    out = tmp_path / "out"
    distribute(roster, out, projects=plist)
    b = by_code(out / FILE_B)
    assert list(b) == ["P2023003", "P2023004", "P2023006"]
    assert b["P2023006"].inputs["cover.fundType"] == "其他" and b["P2023006"].inputs["cover.fiscalYear"] is None
    wb = openpyxl.load_workbook(out / FILE_B)
    L = b["P2023003"].layout
    assert wb[L.form][L["funds.0.initial"].coord].protection.locked is False
    m = manifest(out)
    assert (m[A[0]]["预填资金"], m[A[0]]["项目数"], m[A[0]]["备注"]) == ("否", "2", "")


def targets(vals: dict) -> dict:
    """What a unit still types in a distributed project form: the cover's own fields, target rows, reasons."""
    vals = dict(vals)
    vals |= {"cover.goalPlanned": "完成年度任务", "cover.goalActual": "已完成年度任务", "cover.preparer": "张三",
             "cover.phone": "020-87654321", "cover.fillDate": dt.datetime(2024, 3, 15),
             "funds.adjust_reason": "年中根据项目实际需要追加预算。", "node.4.reason": "部分资金未支出。"}
    for i, w in enumerate([10, 10, 10, 10, 10], 1):
        vals |= {f"target.output.{i}.category": "数量指标", f"target.output.{i}.name": f"产出{i}",
                 f"target.output.{i}.direction": "≥", f"target.output.{i}.value": 1,
                 f"target.output.{i}.actual": 1, f"target.output.{i}.weight": w}
    return vals | benefit_and_satisfaction()


def test_a_distributed_workbook_filled_in_validates_and_fills(files, tmp_path):
    roster, plist, ledger_path = files
    out = tmp_path / "下发"
    distribute(roster, out, ledger=read_ledger(ledger_path, sources=SRC), year=2023, projects=plist)
    path = out / FILE_A
    before = validate_workbook(path)
    assert {f.code for f in before.findings if f.severity == "error"} <= {
        "cover-missing", "targets-missing", "deduction-without-reason", "budget-adjusted-without-reason",
        "narrative-missing"}, [f.code for f in before.findings]
    forms = read_workbook_forms(path)
    book = FileBook(path)
    book.write_cells([CellWrite(r.layout[k].sheet, r.layout[k].coord, v)
                      for r in forms.forms for k, v in targets({}).items()])
    with open(path, "wb") as fh:
        book.save(fh)
    fill_workbook(path, backup=False)
    rep = validate_workbook(path)
    assert rep.exit_code() == 0, [(f.code, f.cell, f.message) for f in rep.findings]
    a = by_code(path)
    assert num(a["P2023001"].inputs["funds.0.adjusted"]) == Decimal("130.25")       # ledger money kept
    assert rep.summary["project_count"] == 2
    # the crosscheck against the same ledger finds nothing
    r = run("crosscheck", path, "--ledger", ledger_path, "--spec", "national-project-2020")
    assert r.exit_code == 0, r.output


def test_cli_writes_the_workbooks_and_reports(files, tmp_path):
    roster, plist, ledger_path = files
    out = tmp_path / "下发"
    r = run("distribute", "--roster", roster, "--projects", plist, "--ledger", ledger_path, "--year", 2023,
            "-o", out)
    assert r.exit_code == 0, r.output
    assert "2 个项目工作簿" in r.output and "共 5 个项目" in r.output
    assert "440117999" in r.output and C[0] in r.output and "P2023005" in r.output
    assert (out / FILE_A).is_file() and (out / FILE_B).is_file() and manifest(out)[A[0]]["项目数"] == "2"
    r = run("distribute", "--roster", roster, "--projects", plist, "--ledger", ledger_path, "-o",
            tmp_path / "s", "--strict")
    assert r.exit_code == 1


@pytest.mark.parametrize("case", ["no-column", "blank-code"])
def test_project_rows_without_unit_code_are_a_usage_error(files, tmp_path, case):
    roster = files[0]
    if case == "no-column":
        lines = [r[1:] for r in list_lines()]
    else:
        rows = list(LIST)
        rows[1] = ("",) + rows[1][1:]
        rows[3] = (" ",) + rows[3][1:]
        lines = list_lines(rows)
    plist = write_csv(tmp_path / "清单.csv", lines, "gbk")
    out = tmp_path / "下发"
    r = run("distribute", "--roster", roster, "--projects", plist, "-o", out)
    assert r.exit_code == 2, r.output
    assert "单位编码" in r.output and "Traceback" not in r.output
    if case == "blank-code":
        assert "第 3、5" in r.output              # file rows of the two projects (header is row 1)
    assert not out.exists() or not any(out.iterdir())
    with pytest.raises(UsageError):
        distribute(roster, out, projects=plist)


def test_a_unit_level_ledger_cannot_prefill_projects(files, tmp_path):
    roster, plist, _ = files
    unit_ledger = write_csv(tmp_path / "台账.csv", [["单位编码", "资金来源", "年初预算数（万元）", "全年预算数（万元）",
                                                    "全年执行数（万元）"], [A[0], SRC[0], "1", "1", "1"]])
    out = tmp_path / "下发"
    r = run("distribute", "--roster", roster, "--projects", plist, "--ledger", unit_ledger, "-o", out)
    assert r.exit_code == 2 and "项目编码" in r.output
    assert not out.exists() or not any(out.iterdir())

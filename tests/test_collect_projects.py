"""`wbtool collect` over project returns: project workbooks (项目清单 + one sheet per project) and
one-project files, through the database, the summary workbook, `status` and `report --summary`."""
import datetime as dt
import json
import os
import shutil
import sqlite3
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner

from workbook_tools.cli import main
from workbook_tools.bureau.collect import run_collect, unit_status
from workbook_tools.model.engine import tally_projects
from workbook_tools.numbers import to_float
from workbook_tools.model.projectbook import fund_types
from workbook_tools.files.reader import read_workbook_forms
from workbook_tools.files.specsheet import load_spec
from workbook_tools.bureau.store import SCHEMA_VERSION, open_store
from workbook_tools.model.template import build_projects_template, build_template
from workbook_tools.checks.validate import validate_forms

NAT = load_spec("national-project-2020")
TYPES = fund_types(NAT)
A, B, C = ("440117101", "太平镇人民政府"), ("440117102", "街口街道办事处"), ("440117103", "鳌头镇人民政府")


def project(code, name, unit, fund="一般公共预算", *, budget=100.0, actual=95.0, ratio=1.0, fill=dt.date(2023, 3, 1),
            reasons=True, satisfaction=0.95):
    """A filled project form: 5 output rows (row 1 completes ``ratio``), 3 benefit rows, 1 satisfaction row."""
    v = {"cover.projectName": name, "cover.projectCode": code, "cover.supervisor": "从化区财政局",
         "cover.unitName": unit[1], "cover.agencyCode": unit[0], "cover.fundType": fund, "cover.fiscalYear": 2022,
         "cover.goalPlanned": "完成年度建设任务", "cover.goalActual": "已完成", "cover.preparer": "张三",
         "cover.phone": "020-87654321", "cover.fillDate": fill,
         "funds.0.initial": budget, "funds.0.adjusted": budget, "funds.0.actual": actual}
    for n in range(1, 6):
        v |= {f"target.output.{n}.category": "数量指标", f"target.output.{n}.name": f"产出{n}",
              f"target.output.{n}.direction": "≥", f"target.output.{n}.value": 100, f"target.output.{n}.unit": "个",
              f"target.output.{n}.actual": 100 * (ratio if n == 1 else 1), f"target.output.{n}.weight": 10}
    for n in (1, 2, 3):
        v |= {f"target.benefit.{n}.category": "社会效益指标", f"target.benefit.{n}.name": f"效益{n}",
              f"target.benefit.{n}.direction": "定性", f"target.benefit.{n}.value": "有效提升",
              f"target.benefit.{n}.actual": "达成", f"target.benefit.{n}.weight": 10}
    v |= {"target.satisfaction.1.category": "服务对象满意度指标", "target.satisfaction.1.name": "群众满意度",
          "target.satisfaction.1.direction": "≥", "target.satisfaction.1.value": 0.9, "target.satisfaction.1.unit": "%",
          "target.satisfaction.1.actual": satisfaction, "target.satisfaction.1.weight": 10}
    if reasons:
        if ratio < 1:
            v |= {"target.output.1.reason": "受天气影响工期延后", "node.1.reason": "产出指标 1 未完成"}
        if satisfaction < 0.9:
            v |= {"target.satisfaction.1.reason": "宣传不足", "node.3.reason": "满意度未达标"}
        if actual < budget:
            v["node.4.reason"] = "部分资金结转下年"
        if actual < 0.9 * budget:
            v["funds.low_rate_reason"] = "项目验收延期，尾款未支付"
    return v


UNIT_A = [project("P-A01", "乡村道路维护", A, budget=120, actual=120),
          project("P-A02", "农田水利", A, "政府性基金预算", budget=80, actual=76, ratio=0.8),
          project("P-A03", "垃圾分类", A, "其他", budget=50, actual=40),
          project("P-A04", "河道整治", A, budget=60, actual=60, ratio=0.9, reasons=False)]   # errors: no reasons
UNIT_B = [project("P-B01", "社区养老", B, budget=200, actual=190),
          project("P-B02", "文体设施", B, budget=30, actual=30),
          project("P-B03", "治安巡防", B, "政府性基金预算", budget=45, actual=44.1, satisfaction=0.8)]


def _files(box):
    """Two project workbooks and three one-project files of unit C (one an older copy of another)."""
    box.mkdir(parents=True, exist_ok=True)
    build_projects_template(NAT, UNIT_A, box / "太平镇项目.xlsx")
    build_projects_template(NAT, UNIT_B, box / "街口项目.xlsx")
    build_template(NAT, box / "鳌头_C01.xlsx", values=project("P-C01", "农村饮水", C, budget=10, actual=9.8,
                                                              fill=dt.date(2023, 3, 5)))
    build_template(NAT, box / "鳌头_C01_旧.xlsx", values=project("P-C01", "农村饮水", C, budget=10, actual=5,
                                                               fill=dt.date(2023, 2, 1)))
    build_template(NAT, box / "鳌头_C02.xlsx", values=project("P-C02", "村容整治", C, "其他", budget=20, actual=20))
    return box


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    return _files(tmp_path_factory.mktemp("projects") / "inbox")


@pytest.fixture(scope="module")
def collected(inbox, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    return run_collect([inbox], out / "summary.xlsx", jobs=2), out     # worker processes: records cross over


def expected(path):
    """What the engine and validate_forms say about one file, independently of collect."""
    forms = read_workbook_forms(path)
    rep = validate_forms(forms)
    rows = []
    for ret, res in zip(forms.forms, rep.result if forms.is_projects else [rep.result]):
        sheet = ret.layout.form or ret.layout["cover.projectName"].sheet
        mine = [f for f in rep.findings if not forms.is_projects or f.sheet == sheet]
        v = res.values
        rows.append({"sheet": sheet, "project_code": v["list.code"], "project_name": v["list.name"],
                     "fund_type": v["list.fundType"], "budget": to_float(v["list.budget"]),
                     "actual": to_float(v["list.actual"]), "exec_rate": to_float(v["list.rate"]),
                     "total": to_float(res.total), "display": to_float(res.display), "grade": res.grade,
                     "status": v["list.status"], "errors": sum(f.severity == "error" for f in mine),
                     "warnings": sum(f.severity == "warning" for f in mine)})
    results = rep.result if forms.is_projects else [rep.result]
    tally = tally_projects(TYPES, [r.values for r in results])
    return rows, tally, rep


def _db(out):
    return sqlite3.connect(out / "summary.db")


def _table(path, sheet, header_row):
    ws = openpyxl.load_workbook(path)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    head = rows[header_row]
    return [dict(zip(head, r)) for r in rows[header_row + 1:]]


# ---------------------------------------------------------------- database

def test_project_rows_in_database_match_engine(collected, inbox):
    result, out = collected
    assert result["read"] == 5 and result["units"] == 3 and result["spec"] == "national-project-2020"
    db = _db(out)
    cols = ("sheet", "project_code", "project_name", "fund_type", "budget", "actual", "exec_rate", "total", "display",
            "grade", "status", "errors", "warnings")
    for name in ("太平镇项目.xlsx", "街口项目.xlsx", "鳌头_C01.xlsx", "鳌头_C02.xlsx", "鳌头_C01_旧.xlsx"):
        rows, _, _ = expected(inbox / name)
        got = [dict(zip(cols, r)) for r in db.execute(
            f"SELECT {', '.join(cols)} FROM projects p JOIN files f ON f.submission_id=p.submission_id "
            "WHERE f.path=? ORDER BY p.rowid", (str((inbox / name).resolve()),))]
        assert got == rows, name
    # the project without deduction reasons carries its own errors; the others of that workbook have none
    a = {r[0]: r[1] for r in db.execute("SELECT project_code, errors FROM projects WHERE project_code LIKE 'P-A%'")}
    assert a["P-A04"] >= 2 and a["P-A01"] == a["P-A02"] == a["P-A03"] == 0
    assert db.execute("SELECT count(*) FROM projects").fetchone()[0] == 4 + 3 + 3
    assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    # findings know their project
    labels = {r[0] for r in db.execute("SELECT project FROM findings WHERE cell LIKE '项目004!%'")}
    assert labels == {"项目004 河道整治（P-A04）"}


def test_unit_level_fields_of_a_project_workbook(collected, inbox):
    _, out = collected
    _, tally, rep = expected(inbox / "太平镇项目.xlsx")
    row = _db(out).execute("SELECT unit_code, unit_name, fiscal_year, total, display, grade, budget, actual, exec_rate, "
                           "errors, status FROM submissions WHERE file_name='太平镇项目.xlsx'").fetchone()
    assert row[:3] == (A[0], A[1], "2022")
    assert row[3] == row[4] == float(tally.average) == rep.summary["average"] and row[5] == ""
    assert (row[6], row[7]) == (float(tally.budget), float(tally.actual)) == (310.0, 296.0)
    assert row[8] == float(tally.rate)
    assert row[9] == sum(f.severity == "error" for f in rep.findings) > 0 and row[10] == "需退回"
    b = _db(out).execute("SELECT status, errors FROM submissions WHERE file_name='街口项目.xlsx'").fetchone()
    assert b == ("通过", 0)


# ---------------------------------------------------------------- current returns and duplicates

def test_one_project_files_keyed_by_unit_and_project(collected):
    result, _ = collected
    kept = sorted(r["file_name"] for r in result["rows"])
    assert kept == ["太平镇项目.xlsx", "街口项目.xlsx", "鳌头_C01.xlsx", "鳌头_C02.xlsx"]
    assert [(d["dropped"], d["kept"], d["project"]) for d in result["duplicates"]] == [
        ("鳌头_C01_旧.xlsx", "鳌头_C01.xlsx", "农村饮水（P-C01）")]
    assert "填报日期" in result["duplicates"][0]["reason"]
    assert result["projects"] == 4 + 3 + 1 + 1


def test_json_rows_carry_projects(collected, inbox):
    result, _ = collected
    rows = {r["file_name"]: r for r in result["rows"]}
    want, tally, _ = expected(inbox / "街口项目.xlsx")
    assert rows["街口项目.xlsx"]["projects"] == want
    assert rows["街口项目.xlsx"]["display"] == float(tally.average) and rows["街口项目.xlsx"]["grade"] == ""
    assert [p["project_code"] for p in rows["鳌头_C02.xlsx"]["projects"]] == ["P-C02"]


# ---------------------------------------------------------------- summary workbook

def test_projects_sheet(collected, inbox):
    _, out = collected
    rows = _table(out / "summary.xlsx", "项目汇总", 1)
    want = []
    for name in ("太平镇项目.xlsx", "街口项目.xlsx", "鳌头_C01.xlsx", "鳌头_C02.xlsx"):
        for p in expected(inbox / name)[0]:
            want.append((name, p["sheet"], p["project_code"], p["project_name"], p["fund_type"], p["budget"],
                         p["actual"], p["exec_rate"], p["display"], p["grade"], p["status"], p["errors"], p["warnings"]))
    got = [(r["文件"], r["工作表"], r["项目编码"], r["项目名称"], r["资金性质"], r["预算（万元）"], r["实际支出（万元）"],
            r["执行率"], r["总分"], r["等级"], r["状态"], r["错误数"], r["警告数"]) for r in rows]
    assert got == want
    assert {r["单位编码"] for r in rows} == {A[0], B[0], C[0]}
    ws = openpyxl.load_workbook(out / "summary.xlsx")["项目汇总"]
    assert ws["H3"].number_format == "#,##0.00" and ws["J3"].number_format == "0.00%"
    assert isinstance(ws["H3"].value, (int, float)) and ws["A3"].data_type == "s"


def test_unit_projects_sheet(collected, inbox):
    _, out = collected
    rows = {r["单位编码"]: r for r in _table(out / "summary.xlsx", "单位项目统计", 1)}
    assert set(rows) == {A[0], B[0], C[0]}
    for code, files in ((A[0], ["太平镇项目.xlsx"]), (B[0], ["街口项目.xlsx"]), (C[0], ["鳌头_C01.xlsx", "鳌头_C02.xlsx"])):
        projects = [p for f in files for p in expected(inbox / f)[0]]
        tally = tally_projects(TYPES, [{"list.status": p["status"], "list.fundType": p["fund_type"],
                                        "list.total": Decimal(str(p["display"])), "list.budget": Decimal(str(p["budget"])),
                                        "list.actual": Decimal(str(p["actual"]))} for p in projects])
        r = rows[code]
        assert (r["文件数"], r["项目数"]) == (len(files), len(projects))
        assert [r[f"已自评·{t}"] for t in TYPES] == [tally.counts[t] for t in TYPES]
        assert r["已自评合计"] == tally.count and r["已自评平均分"] == pytest.approx(float(tally.average))
        done = [p for p in projects if p["status"] != "未完成"]
        assert [r[g] for g in ("优", "良", "中", "差")] == [sum(p["grade"] == g for p in done) for g in "优良中差"]
        assert r["有错误的项目数"] == sum(1 for p in projects if p["errors"])
        assert r["预算合计（万元）"] == pytest.approx(sum(p["budget"] for p in projects))
    # unit A by the workbook's own 项目清单 totals: one per 资金性质 plus P-A04 → 2 一般公共预算
    _, tally_a, rep_a = expected(inbox / "太平镇项目.xlsx")
    assert rows[A[0]]["已自评平均分"] == rep_a.summary["average"]
    assert rows[A[0]]["有错误的项目数"] == 1


def test_units_sheet_problems_and_duplicates(collected, inbox):
    _, out = collected
    units = {r["来源文件"].rsplit("/", 1)[-1]: r for r in _table(out / "summary.xlsx", "汇总", 0)}
    _, tally, _ = expected(inbox / "街口项目.xlsx")
    assert units["街口项目.xlsx"]["总分"] == float(tally.average) and units["街口项目.xlsx"]["状态"] == "通过"
    assert "项目工作簿：3 个项目" in units["街口项目.xlsx"]["备注"]
    assert units["鳌头_C02.xlsx"]["备注"] == "项目：村容整治（P-C02）"
    problems = _table(out / "summary.xlsx", "问题清单", 0)
    assert {p["项目"] for p in problems if p["单元格"].startswith("项目004!")} == {"项目004 河道整治（P-A04）"}
    dup = _table(out / "summary.xlsx", "重复报送", 1)
    assert [(d["未采用文件"].rsplit("/", 1)[-1], d["项目"]) for d in dup] == [("鳌头_C01_旧.xlsx", "农村饮水（P-C01）")]


def test_classic_batch_has_no_project_sheets(tmp_path, sample):
    result = run_collect([sample], tmp_path / "s.xlsx", jobs=1)
    assert result["projects"] == 0 and result["rows"][0]["projects"] == []
    assert "项目汇总" not in openpyxl.load_workbook(tmp_path / "s.xlsx").sheetnames


# ---------------------------------------------------------------- re-runs

def test_rerun_and_changed_workbook(inbox, tmp_path):
    box = tmp_path / "box"
    shutil.copytree(inbox, box)
    out = tmp_path / "s.xlsx"
    first = run_collect([box], out, jobs=1)
    assert (first["read"], first["cached"]) == (5, 0)
    second = run_collect([box], out, jobs=1)
    assert (second["read"], second["cached"]) == (0, 5) and second["projects"] == first["projects"]
    # unit B corrects a project and adds one: only that file is read again, its rows replace the old ones
    fixed = [project("P-B01", "社区养老", B, budget=200, actual=200), *UNIT_B[1:],
             project("P-B04", "消防设施", B, budget=15, actual=15)]
    build_projects_template(NAT, fixed, box / "街口项目.xlsx")
    st = (box / "街口项目.xlsx").stat()
    os.utime(box / "街口项目.xlsx", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    third = run_collect([box], out, jobs=1)
    assert (third["read"], third["cached"]) == (1, 4)
    rows = [r for r in _table(out, "项目汇总", 1) if r["单位编码"] == B[0]]
    want, tally, _ = expected(box / "街口项目.xlsx")
    assert [(r["项目编码"], r["总分"]) for r in rows] == [(p["project_code"], p["display"]) for p in want]
    assert [r["项目编码"] for r in rows] == ["P-B01", "P-B02", "P-B03", "P-B04"]
    stats = {r["单位编码"]: r for r in _table(out, "单位项目统计", 1)}
    assert stats[B[0]]["项目数"] == 4 and stats[B[0]]["已自评平均分"] == float(tally.average)
    db = sqlite3.connect(tmp_path / "s.db")
    assert db.execute("SELECT count(*) FROM submissions WHERE unit_code=?", (B[0],)).fetchone()[0] == 2  # history
    assert db.execute("SELECT count(*) FROM projects").fetchone()[0] == 4 + 3 + 3 + 4


OLD_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE submissions (id INTEGER PRIMARY KEY, sha256 TEXT UNIQUE NOT NULL, file_name TEXT, path TEXT,
    size INTEGER, mtime REAL, status TEXT NOT NULL, readable INTEGER NOT NULL, error_code TEXT, error_message TEXT,
    spec_id TEXT, spec_version TEXT, unit_code TEXT, unit_name TEXT, fiscal_year TEXT, fill_date TEXT,
    total REAL, display REAL, grade TEXT, budget REAL, actual REAL, exec_rate REAL, errors INTEGER, warnings INTEGER,
    data TEXT, read_at TEXT NOT NULL);
CREATE TABLE findings (submission_id INTEGER NOT NULL REFERENCES submissions(id), code TEXT, severity TEXT,
    cell TEXT, indicator TEXT, message TEXT, expected TEXT, found TEXT, explained INTEGER);
CREATE TABLE files (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, sha256 TEXT,
    submission_id INTEGER REFERENCES submissions(id), first_seen TEXT, last_seen TEXT);
CREATE TABLE runs (id INTEGER PRIMARY KEY, started TEXT, finished TEXT, inboxes TEXT,
    files_found INTEGER DEFAULT 0, files_read INTEGER DEFAULT 0, files_cached INTEGER DEFAULT 0);
INSERT INTO meta VALUES ('schema_version', '1');
"""


def test_database_of_the_old_schema_keeps_working(inbox, tmp_path):
    """A version-1 database: opened, upgraded in place, and its one-project submissions get their rows."""
    db_path = tmp_path / "s.db"
    old = sqlite3.connect(db_path)
    old.executescript(OLD_SCHEMA)
    old.close()
    store = open_store(db_path)
    store.close()
    db = sqlite3.connect(db_path)
    assert "project" in {r[1] for r in db.execute("PRAGMA table_info(findings)")}
    assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    box = tmp_path / "box"
    box.mkdir()
    for name in ("鳌头_C01.xlsx", "鳌头_C02.xlsx"):
        shutil.copy(inbox / name, box / name)
    first = run_collect([box], tmp_path / "s.xlsx", jobs=1)
    assert first["read"] == 2
    # what a version-1 run left behind: submissions and files, but no project rows and a summary without them
    db.execute("DELETE FROM projects")
    db.execute("UPDATE submissions SET data=json_remove(data, '$.kind')")
    db.commit()
    (tmp_path / "s.xlsx").unlink()
    (tmp_path / "s.xlsx").write_bytes(b"old summary")     # a summary written before: must be rebuilt
    again = run_collect([box], tmp_path / "s.xlsx", jobs=1)
    assert again["read"] == 2 and again["projects"] == 2
    assert [r["项目编码"] for r in _table(tmp_path / "s.xlsx", "项目汇总", 1)] == ["P-C01", "P-C02"]
    assert db.execute("SELECT count(*) FROM submissions").fetchone()[0] == 2        # the same submissions
    assert sorted(r[0] for r in db.execute("SELECT project_code FROM projects")) == ["P-C01", "P-C02"]
    third = run_collect([box], tmp_path / "s.xlsx", jobs=1)
    assert (third["read"], third["cached"]) == (0, 2)


# ---------------------------------------------------------------- command line, status, overview

def test_cli_collect_status_and_overview(inbox, tmp_path):
    out = tmp_path / "s.xlsx"
    r = CliRunner().invoke(main, ["collect", str(inbox), "-o", str(out), "--format", "json", "-j", "1"])
    assert r.exit_code == 1, r.output                     # unit A's 河道整治 lacks its reasons
    data = json.loads(r.output)
    assert data["projects"] == 9 and data["units"] == 3
    assert {p["project_code"] for row in data["rows"] for p in row["projects"]} == {
        "P-A01", "P-A02", "P-A03", "P-A04", "P-B01", "P-B02", "P-B03", "P-C01", "P-C02"}
    text = CliRunner().invoke(main, ["collect", str(inbox), "-o", str(out), "-j", "1"])
    assert text.exit_code == 1 and "其中项目自评 9 个" in text.output and "Traceback" not in text.output
    st = CliRunner().invoke(main, ["status", "--db", str(tmp_path / "s.db"), "--format", "json"])
    assert st.exit_code == 0
    rows = {r["unit_code"]: r for r in json.loads(st.output)}
    assert set(rows) == {A[0], B[0], C[0]}                # one row per unit, whatever it sent
    assert (rows[A[0]]["projects"], rows[A[0]]["status"], rows[A[0]]["projects_with_errors"]) == (4, "需退回", 1)
    assert (rows[B[0]]["projects"], rows[B[0]]["status"]) == (3, "通过")
    c = rows[C[0]]
    assert c["projects"] == 2 and len(c["files"]) == 2 and c["submissions"] == 3
    p1, p2 = expected(inbox / "鳌头_C01.xlsx")[0][0], expected(inbox / "鳌头_C02.xlsx")[0][0]
    assert c["display"] == round((p1["display"] + p2["display"]) / 2, 2) and c["status"] == "通过"
    plain = CliRunner().invoke(main, ["status", "--db", str(tmp_path / "s.db")])
    assert "（4 个项目）" in plain.output and "等 2 个文件" in plain.output
    en = CliRunner().invoke(main, ["--lang", "en", "status", "--db", str(tmp_path / "s.db")])
    assert "(4 projects)" in en.output
    csv = CliRunner().invoke(main, ["--lang", "en", "status", "--db", str(tmp_path / "s.db"), "--format", "csv"])
    head, *lines = csv.output.lstrip("\ufeff").strip().splitlines()
    zh = CliRunner().invoke(main, ["status", "--db", str(tmp_path / "s.db"), "--format", "csv"]).output
    assert zh.startswith("\ufeff单位编码,单位名称,状态,") and zh.splitlines()[0].endswith(",项目数")
    assert head.split(",")[-1] == "projects" and any(line.startswith(f"{A[0]},") and line.endswith(",4")
                                                      for line in lines)
    assert unit_status(tmp_path / "s.db") == json.loads(st.output)
    for src in ("s.db", "s.xlsx"):
        md = tmp_path / f"overview_{src}.md"
        rep = CliRunner().invoke(main, ["report", "--summary", str(tmp_path / src), "-o", str(md)])
        assert rep.exit_code == 0, rep.output
        assert "其中项目支出自评 9 个项目，来自 3 个单位" in md.read_text(encoding="utf-8")


def test_ledger_checks_each_project(inbox, tmp_path):
    from workbook_tools.bureau.ledger import read_ledger
    box = tmp_path / "box"
    box.mkdir()
    shutil.copy(inbox / "街口项目.xlsx", box / "街口项目.xlsx")
    led = tmp_path / "台账.csv"
    led.write_text("金额单位：万元\n单位编码,单位名称,项目编码,项目名称,资金来源,年初预算数,全年预算数,全年执行数\n"
                   f"{B[0]},{B[1]},P-B01,社区养老,合计,200,200,180\n{B[0]},{B[1]},P-B02,文体设施,合计,30,30,30\n"
                   f"{B[0]},{B[1]},P-B03,治安巡防,合计,45,45,44.1\n", encoding="utf-8")
    result = run_collect([box], tmp_path / "s.xlsx", jobs=1, ledger=read_ledger(led))
    rows = _table(tmp_path / "s.xlsx", "台账核对", 0)
    assert rows and all(r["文件"] == "街口项目.xlsx" for r in rows)
    assert {r["项目"] for r in rows} == {"项目001 社区养老（P-B01）"}          # only the project that differs
    assert any(r["台账值"] in (180, "180") and r["文件值"] in (190, "190") for r in rows), rows
    # a ledger without 项目编码 cannot check project sheets: said once per file, the batch still completes
    unit_led = tmp_path / "单位台账.csv"
    unit_led.write_text("金额单位：万元\n单位编码,单位名称,资金来源,年初预算数,全年预算数,全年执行数\n"
                        f"{B[0]},{B[1]},一般公共预算,275,275,264.1\n", encoding="utf-8")
    run_collect([box], tmp_path / "s2.xlsx", jobs=1, ledger=read_ledger(unit_led))
    rows = _table(tmp_path / "s2.xlsx", "台账核对", 0)
    assert [(r["代码"], "项目编码" in r["问题"]) for r in rows] == [("ledger-no-projects", True)]
    assert result["projects"] == 3


def test_feedback_copies_per_workbook_and_per_project_file(inbox, tmp_path):
    box = tmp_path / "box"
    box.mkdir()
    shutil.copy(inbox / "太平镇项目.xlsx", box / "太平镇项目.xlsx")
    for code in ("P-C08", "P-C09"):        # two faulty one-project files of one unit: two copies, not one overwritten
        build_template(NAT, box / f"鳌头_{code}.xlsx", values=project(code, "村道硬化", C, ratio=0.9, reasons=False))
    result = run_collect([box], tmp_path / "s.xlsx", jobs=1, feedback_dir=tmp_path / "退回")
    assert sorted(p.name for p in (tmp_path / "退回").iterdir()) == [
        f"{A[0]}_{A[1]}_问题标注.xlsx", f"{C[0]}_{C[1]}_P-C08_问题标注.xlsx", f"{C[0]}_{C[1]}_P-C09_问题标注.xlsx"]
    assert len(result["feedback"]) == 3
    wb = openpyxl.load_workbook(tmp_path / "退回" / f"{A[0]}_{A[1]}_问题标注.xlsx")
    assert wb.sheetnames[0] == "校验结果" and "项目004" in wb.sheetnames

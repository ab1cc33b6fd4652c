"""`wbtool collect` over a mixed inbox: units' overall forms (部门整体) and their project forms side by side,
and the overall form's project counts checked against each unit's projects (the ``links`` checks)."""
import datetime as dt
import json
import os
import shutil
import sqlite3

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from test_collect_projects import project

from workbook_tools.model import spec as spec_module
from workbook_tools.cli import main
from workbook_tools.bureau.collect import run_collect, unit_status
from workbook_tools.files.fill import fill_workbook
from workbook_tools.model.layout import layout_for
from workbook_tools.model.projectlink import tally_project_files
from workbook_tools.model.spec import spec_dir
from workbook_tools.files.specsheet import load_spec
from workbook_tools.model.template import build_projects_template, build_template
from workbook_tools.checks.validate import validate_workbook

GD, NAT = load_spec("gd-dept-overall-2023"), load_spec("national-project-2020")
L = layout_for(GD)
LINKS = ["projects-count-mismatch", "projects-average-mismatch", "projects-type-unmapped"]
A, B, C, D = (("440117101", "广州市从化区太平镇人民政府"), ("440117102", "街口街道办事处"), ("440117103", "鳌头镇人民政府"),
              ("440117104", "吕田镇人民政府"))
OLD = "gd-dept-overall-2022"          # an old overall form: same kind, another spec

A_WB = [project("P-A01", "乡村道路维护", A, budget=120, actual=120),
        project("P-A02", "农田水利", A, "政府性基金预算", budget=80, actual=76, ratio=0.8),
        project("P-A03", "垃圾分类", A, "其他", budget=50, actual=40)]
A_ONE = project("P-A05", "公共照明改造", A, budget=30, actual=30)
B_WB = [project("P-B01", "社区养老", B, budget=200, actual=190),
        project("P-B02", "文体设施", B, budget=30, actual=30),
        project("P-B03", "治安巡防", B, "政府性基金预算", budget=45, actual=44.1, satisfaction=0.8)]


@pytest.fixture(scope="module")
def specs(tmp_path_factory):
    """The shipped specs plus an old overall spec (a copy of the 2023 one under another id)."""
    d = tmp_path_factory.mktemp("specs")
    for p in spec_dir().glob("*.yaml"):
        shutil.copy(p, d / p.name)
    data = yaml.safe_load((spec_dir() / "gd-dept-overall-2023.yaml").read_text(encoding="utf-8"))
    data.update(id=OLD, title="部门整体支出绩效自评表（2022 版）")
    (d / f"{OLD}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return d


@pytest.fixture
def with_old_spec(specs, monkeypatch):
    monkeypatch.setattr(spec_module, "spec_dir", lambda: specs)      # jobs=1 below: files are read in this process


def overall(src, dest, unit, **inputs):
    """A copy of the seed sample for ``unit``, with the given input values (e.g. its project counts)."""
    fill_workbook(src, dest, backup=False, inputs={"cover.agencyCode": unit[0], "cover.unitName": unit[1], **inputs})
    return dest


def counts(*n, average=None):
    return {**{f"funds.{i}.projects": k for i, k in enumerate(n)}, "funds.projects_average": average}


def make_inbox(box, sample):
    box.mkdir(parents=True, exist_ok=True)
    build_projects_template(NAT, A_WB, box / "太平镇项目.xlsx")
    build_template(NAT, box / "太平镇_P-A05.xlsx", values=A_ONE)
    build_projects_template(NAT, B_WB, box / "街口项目.xlsx")
    build_template(NAT, box / "鳌头_C01.xlsx", values=project("P-C01", "农村饮水", C, budget=10, actual=9.8))
    build_template(NAT, box / "鳌头_C02.xlsx", values=project("P-C02", "村容整治", C, "其他", budget=20, actual=20))
    # A: the counts the projects give (2 一般公共预算, 1 政府性基金预算, 1 其他 → 其他资金) and their average
    avg = float(tally_project_files([box / "太平镇项目.xlsx", box / "太平镇_P-A05.xlsx"]).tally.average)
    overall(sample, box / "太平镇整体.xlsx", A, **counts(2, 1, 0, 1, average=avg))
    # B: 5 一般公共预算 projects and an average of 80 — its project workbook has 2 and another average
    overall(sample, box / "街口整体.xlsx", B, **counts(5, 1, 0, 0, average=80))
    overall(sample, box / "街口整体_旧.xlsx", B, **{**counts(5, 1, 0, 0, average=80), "cover.fillDate": dt.date(2024, 1, 2)})
    return box, avg


@pytest.fixture
def inbox(tmp_path, sample):
    return make_inbox(tmp_path / "inbox", sample)


def _table(path, sheet, header_row):
    rows = list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[header_row], r)) for r in rows[header_row + 1:]]


def _name(path):
    return str(path).rsplit("/", 1)[-1]


# ---------------------------------------------------------------- the batch

def test_mixed_inbox_is_one_batch(inbox, tmp_path):
    box, avg = inbox
    out = tmp_path / "s.xlsx"
    result = run_collect([box], out, jobs=2)           # worker processes: the records cross over
    assert result["spec"] == "gd-dept-overall-2023" and result["files"] == 8 and result["read"] == 8
    kinds = {r["file_name"]: r["kind"] for r in result["rows"]}
    assert kinds == {"太平镇整体.xlsx": "overall", "街口整体.xlsx": "overall", "太平镇项目.xlsx": "project",
                     "太平镇_P-A05.xlsx": "project", "街口项目.xlsx": "project", "鳌头_C01.xlsx": "project",
                     "鳌头_C02.xlsx": "project"}
    # no false duplicate (overall form vs project workbook of one unit); the older overall copy is one
    assert [(d["dropped"], d["kept"]) for d in result["duplicates"]] == [("街口整体_旧.xlsx", "街口整体.xlsx")]
    # no file is "another form"
    db = sqlite3.connect(tmp_path / "s.db")
    assert db.execute("SELECT count(*) FROM findings WHERE code='spec-unexpected'").fetchone()[0] == 0
    problems = _table(out, "问题清单", 0)
    assert not [p for p in problems if p["代码"] == "spec-unexpected"]
    units = {_name(r["来源文件"]): r for r in _table(out, "汇总", 0)}
    assert "表单" not in "".join(r["备注"] or "" for r in units.values())
    # the project forms have their own verdicts: unit B's 治安巡防 lacks nothing, all pass
    assert result["project_statuses"] == {"通过": 5} and result["project_returns"] == 5 and result["projects"] == 9
    assert result["statuses"] == {"通过": 1, "需退回": 1} and result["units"] == 3 and result["ok"] is False


def test_link_findings_per_unit(inbox, tmp_path):
    box, avg = inbox
    out = tmp_path / "s.xlsx"
    result = run_collect([box], out, jobs=1)
    rows = {r["file_name"]: r for r in result["rows"]}
    a, b = rows["太平镇整体.xlsx"], rows["街口整体.xlsx"]
    assert (a["status"], a["errors"]) == ("通过", 0)
    assert a["link"] == {"forms": 4, "files": [str(box / "太平镇_P-A05.xlsx"), str(box / "太平镇项目.xlsx")],
                         "errors": 0, "warnings": 0, "problem": None}
    assert (b["status"], b["errors"], b["link"]["forms"], b["link"]["errors"]) == ("需退回", 2, 3, 2)
    assert result["linked_units"] == 2 and result["link_checks"]["checked"] == 2
    db = sqlite3.connect(tmp_path / "s.db")
    sid = db.execute("SELECT submission_id FROM files WHERE path=?", (str((box / "街口整体.xlsx").resolve()),)).fetchone()[0]
    got = db.execute("SELECT code, cell, severity, expected, found FROM findings WHERE submission_id=? ORDER BY code",
                     (sid,)).fetchall()
    assert got == [("projects-average-mismatch", "收支情况!B18", "error", "99.4", "80"),
                   ("projects-count-mismatch", "收支情况!I4", "error", "2", "5")]
    assert L["funds.0.projects"].addr == "收支情况!I4" and L["funds.projects_average"].addr == "收支情况!B18"
    assert float(tally_project_files([box / "街口项目.xlsx"]).tally.average) == 99.4
    assert db.execute("SELECT status, errors, warnings FROM submissions WHERE id=?", (sid,)).fetchone() == ("需退回", 2, 0)
    # exactly what `validate --projects` says of that overall form and those project files
    rep = validate_workbook(box / "街口整体.xlsx", projects=tally_project_files([box / "街口项目.xlsx"]), only=LINKS)
    problems = [p for p in _table(out, "问题清单", 0) if p["文件"] == "街口整体.xlsx"]
    assert [(p["代码"], p["单元格"], p["严重性"], p["问题"]) for p in problems] == [
        (f.code, f.cell, "错误", f.to_dict("zh")["message"]) for f in rep.findings]
    assert "街口项目.xlsx" in problems[0]["问题"]
    rep_a = validate_workbook(box / "太平镇整体.xlsx", only=LINKS,
                              projects=tally_project_files([box / "太平镇项目.xlsx", box / "太平镇_P-A05.xlsx"]))
    assert rep_a.findings == [] and avg == 98.88
    # 汇总: the overall rows only, with the check said in 备注 and B's status
    units = {r["单位编码"]: r for r in _table(out, "汇总", 0)}
    assert set(units) == {A[0], B[0]} and {_name(r["来源文件"]) for r in units.values()} == {"太平镇整体.xlsx", "街口整体.xlsx"}
    assert units[A[0]]["备注"] == "开展绩效自评项目数已与 4 个项目自评表核对，一致"
    assert units[B[0]]["备注"] == "开展绩效自评项目数已与 3 个项目自评表核对，2 处不一致"
    assert (units[B[0]]["状态"], units[B[0]]["错误数"]) == ("需退回", 2)
    assert (units[A[0]]["状态"], units[A[0]]["总分"]) == ("通过", 95.86)
    # 项目汇总: every project of every unit, whatever sent the overall form
    projects = _table(out, "项目汇总", 1)
    assert sorted((r["单位编码"], r["项目编码"]) for r in projects) == [
        (A[0], "P-A01"), (A[0], "P-A02"), (A[0], "P-A03"), (A[0], "P-A05"),
        (B[0], "P-B01"), (B[0], "P-B02"), (B[0], "P-B03"), (C[0], "P-C01"), (C[0], "P-C02")]
    stats = {r["单位编码"]: r for r in _table(out, "单位项目统计", 1)}
    assert (stats[A[0]]["文件数"], stats[A[0]]["项目数"], stats[A[0]]["已自评平均分"]) == (2, 4, avg)
    assert (stats[C[0]]["文件数"], stats[C[0]]["项目数"]) == (2, 2)
    # the main sheets come from the overall forms
    assert {r["单位编码"] for r in _table(out, "指标得分", 0) if r["单位编码"] != "平均"} == {A[0], B[0]}
    wb = openpyxl.load_workbook(out)
    assert {"扣分统计", "图表", "重复报送"} <= set(wb.sheetnames)


def test_roster_gap_names_units_with_projects_only(inbox, tmp_path):
    box, _ = inbox
    roster = tmp_path / "名单.csv"
    roster.write_text("单位编码,单位名称\n" + "\n".join(f"{c},{n}" for c, n in (A, B, C, D)) + "\n", encoding="utf-8")
    run_collect([box], tmp_path / "s.xlsx", jobs=1, roster_path=roster)
    missing = _table(tmp_path / "s.xlsx", "未报送", 1)
    assert [(r["单位编码"], r["备注"]) for r in missing] == [(C[0], "仅报送了项目自评表"), (D[0], "")]


def test_rerun_checks_only_changed_units_and_clears_gone_projects(inbox, tmp_path, sample):
    box, _ = inbox
    out = tmp_path / "s.xlsx"
    first = run_collect([box], out, jobs=1)
    assert first["link_checks"]["checked"] == 2
    again = run_collect([box], out, jobs=1)
    assert (again["read"], again["link_checks"]["checked"]) == (0, 0)
    # B corrects its overall form: only B is checked again, and passes
    overall(sample, box / "街口整体.xlsx", B, **counts(2, 1, 0, 0, average=99.4))
    st = (box / "街口整体.xlsx").stat()
    os.utime(box / "街口整体.xlsx", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    third = run_collect([box], out, jobs=1)
    assert (third["read"], third["link_checks"]["checked"], third["link_checks"]["cached"]) == (1, 1, 1)
    rows = {r["file_name"]: r for r in third["rows"]}
    assert (rows["街口整体.xlsx"]["status"], rows["街口整体.xlsx"]["errors"]) == ("通过", 0)
    # B's wrong form again, and its project workbook is gone: nothing to check against, its own verdict stands
    overall(sample, box / "街口整体.xlsx", B, **counts(5, 1, 0, 0, average=80))
    (box / "街口项目.xlsx").unlink()
    shutil.move(box / "街口整体_旧.xlsx", tmp_path / "旧.xlsx")
    fourth = run_collect([box], out, jobs=1)
    rows = {r["file_name"]: r for r in fourth["rows"]}
    assert (rows["街口整体.xlsx"]["status"], rows["街口整体.xlsx"]["errors"], "link" in rows["街口整体.xlsx"]) == (
        "通过", 0, False)
    db = sqlite3.connect(tmp_path / "s.db")
    assert db.execute("SELECT count(*) FROM findings f JOIN files USING (submission_id) WHERE files.path=? AND "
                      "f.code LIKE 'projects-%'", (str((box / "街口整体.xlsx").resolve()),)).fetchone()[0] == 0
    units = {r["单位编码"]: r for r in _table(out, "汇总", 0)}
    assert not units[B[0]]["备注"] and units[B[0]]["状态"] == "通过"


# ---------------------------------------------------------------- another overall spec; --spec

def test_old_overall_spec_is_still_flagged(inbox, tmp_path, sample, with_old_spec):
    box, _ = inbox
    old = load_spec(OLD)
    ret = __import__("workbook_tools.files.reader", fromlist=["x"]).read_workbook(sample)
    build_template(old, box / "吕田镇_旧表.xlsx", values={**ret.inputs, "cover.agencyCode": D[0], "cover.unitName": D[1]})
    assert validate_workbook(box / "吕田镇_旧表.xlsx").exit_code() == 0
    result = run_collect([box], tmp_path / "s.xlsx", jobs=1)
    rows = {r["file_name"]: r for r in result["rows"]}
    assert result["spec"] == "gd-dept-overall-2023"
    assert (rows["吕田镇_旧表.xlsx"]["status"], rows["吕田镇_旧表.xlsx"]["errors"]) == ("需退回", 1)
    assert all(rows[f]["status"] == "通过" for f in ("太平镇项目.xlsx", "街口项目.xlsx", "鳌头_C01.xlsx"))
    units = {r["单位编码"]: r for r in _table(tmp_path / "s.xlsx", "汇总", 0)}
    assert units[D[0]]["备注"] == f"表单 {OLD} 与本次汇总的 gd-dept-overall-2023 不同"
    # --spec names the main spec: the old form gets its spec-unexpected finding, project forms none
    r = run_collect([box], tmp_path / "t.xlsx", db_path=tmp_path / "t.db", jobs=1, spec_ref="gd-dept-overall-2023")
    db = sqlite3.connect(tmp_path / "t.db")
    flagged = db.execute("SELECT s.file_name FROM findings f JOIN submissions s ON s.id=f.submission_id "
                         "WHERE f.code='spec-unexpected'").fetchall()
    assert flagged == [("吕田镇_旧表.xlsx",)]
    assert r["project_returns"] == 5 and r["project_statuses"] == {"通过": 5}


def test_project_spec_given_keeps_todays_behaviour(inbox, tmp_path):
    """--spec of the project form: every file is a main row and the overall forms are another form."""
    box, _ = inbox
    result = run_collect([box], tmp_path / "s.xlsx", jobs=1, spec_ref="national-project-2020")
    rows = {r["file_name"]: r for r in result["rows"]}
    assert rows["太平镇整体.xlsx"]["status"] == "需退回" and "project_returns" not in result
    assert rows["街口项目.xlsx"]["status"] == "通过"


# ---------------------------------------------------------------- command line and status

def test_cli_collect_and_status(inbox, tmp_path):
    box, _ = inbox
    out = tmp_path / "s.xlsx"
    r = CliRunner().invoke(main, ["collect", str(box), "-o", str(out), "--format", "json", "-j", "1"])
    assert r.exit_code == 1, r.output                      # B's overall form must be returned
    data = json.loads(r.output)
    assert data["linked_units"] == 2 and data["statuses"] == {"通过": 1, "需退回": 1}
    text = CliRunner().invoke(main, ["collect", str(box), "-o", str(out), "-j", "1"])
    assert text.exit_code == 1 and "Traceback" not in text.output
    assert "另有项目自评 9 个，共 5 份报送：通过 5，需退回 0" in text.output
    assert "2 个单位的部门整体自评表已与其项目自评表核对项目数" in text.output
    st = CliRunner().invoke(main, ["status", "--db", str(tmp_path / "s.db"), "--format", "json"])
    assert st.exit_code == 0, st.output
    rows = {r["unit_code"]: r for r in json.loads(st.output)}
    assert set(rows) == {A[0], B[0], C[0]}
    a, b, c = rows[A[0]], rows[B[0]], rows[C[0]]
    assert (a["status"], a["display"], a["grade"], a["projects"], a["project_status"]) == ("通过", 95.86, "优", 4, "通过")
    assert _name(a["file"]) == "太平镇整体.xlsx" and len(a["files"]) == 3
    assert (b["status"], b["errors"], b["projects"], b["project_status"], _name(b["file"])) == (
        "需退回", 2, 3, "通过", "街口整体.xlsx")
    assert (c["status"], c["projects"], c["project_status"]) == ("通过", 2, "通过")
    assert unit_status(tmp_path / "s.db") == json.loads(st.output)
    plain = CliRunner().invoke(main, ["status", "--db", str(tmp_path / "s.db")])
    line = next(x for x in plain.output.splitlines() if B[0] in x)
    assert line.startswith("需退回\t") and "（3 个项目：通过）" in line and "等 2 个文件" in line
    line = next(x for x in plain.output.splitlines() if A[0] in x)
    assert "95.86 优（4 个项目）" in line
    en = CliRunner().invoke(main, ["--lang", "en", "status", "--db", str(tmp_path / "s.db")])
    assert "(3 projects: 通过)" in en.output


def test_feedback_names_overall_and_project_workbook_apart(tmp_path, sample):
    box = tmp_path / "box"
    box.mkdir()
    bad = [project("P-B09", "河道整治", B, budget=60, actual=60, ratio=0.9, reasons=False)]   # errors of its own
    build_projects_template(NAT, bad, box / "街口项目.xlsx")
    overall(sample, box / "街口整体.xlsx", B, **counts(5, 0, 0, 0))
    result = run_collect([box], tmp_path / "s.xlsx", jobs=1, feedback_dir=tmp_path / "退回")
    assert sorted(_name(p) for p in result["feedback"]) == sorted([
        f"{B[0]}_{B[1]}_项目工作簿_问题标注.xlsx", f"{B[0]}_{B[1]}_问题标注.xlsx"])
    ws = openpyxl.load_workbook(tmp_path / "退回" / f"{B[0]}_{B[1]}_问题标注.xlsx")["校验结果"]
    text = "\n".join(str(c) for row in ws.iter_rows(values_only=True) for c in row if c)
    assert "projects-count-mismatch" in text and "收支情况!I4" in text


def test_unit_ledger_checks_the_overall_forms_only(inbox, tmp_path):
    """A unit-level ledger beside project returns: the overall forms are checked, the project forms are not
    (no ``ledger-no-projects`` row per project workbook)."""
    from workbook_tools.bureau.ledger import read_ledger
    box, _ = inbox
    led = tmp_path / "台账.csv"
    led.write_text("金额单位：万元\n单位编码,单位名称,资金来源,年初预算数,全年预算数,全年执行数\n"
                   f"{A[0]},{A[1]},一般公共预算,1,1,1\n{B[0]},{B[1]},一般公共预算,1,1,1\n", encoding="utf-8")
    run_collect([box], tmp_path / "s.xlsx", jobs=1, ledger=read_ledger(led))
    rows = _table(tmp_path / "s.xlsx", "台账核对", 0)
    assert {r["文件"] for r in rows} == {"太平镇整体.xlsx", "街口整体.xlsx"}
    assert "ledger-no-projects" not in {r["代码"] for r in rows}


def test_a_project_twice_is_not_checked_but_said(inbox, tmp_path):
    box, _ = inbox
    build_template(NAT, box / "太平镇_P-A01.xlsx", values=A_WB[0])     # also a sheet of 太平镇项目.xlsx
    result = run_collect([box], tmp_path / "s.xlsx", jobs=1)
    a = next(r for r in result["rows"] if r["file_name"] == "太平镇整体.xlsx")
    assert (a["status"], a["errors"], a["link"]["errors"]) == ("通过", 0, 0)
    assert a["link"]["problem"] == "项目编码 P-A01 出现两次（太平镇_P-A01.xlsx 与 太平镇项目.xlsx 项目001）。"
    units = {r["单位编码"]: r for r in _table(tmp_path / "s.xlsx", "汇总", 0)}
    assert units[A[0]]["备注"] == "未能与项目自评表核对项目数：" + a["link"]["problem"]


def test_overview_of_a_mixed_database_is_about_the_overall_forms(inbox, tmp_path):
    """`report --summary 汇总.db`: the units are the overall forms; the projects are counted, not taken for units."""
    from workbook_tools.bureau.overview import from_database
    box, _ = inbox
    run_collect([box], tmp_path / "s.xlsx")
    data = from_database(tmp_path / "s.db")
    assert data.title == "2023年度部门整体支出绩效自评汇总情况"
    assert sorted(u["unit_code"] for u in data.units) == [A[0], B[0]]
    assert data.projects == 9 and data.project_units == 3
    assert [leaf["id"] for leaf in data.leaves][:1] == [GD.leaves()[0].id]

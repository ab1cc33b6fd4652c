"""`wbtool collect` end to end: an inbox built from the template, checked through the summary and the database."""
import json
import shutil
import sqlite3
import subprocess
import sys
import zipfile

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from faults import consistent

import badfiles
from conftest import SAMPLE_ANSWERS
from workbook_tools.model.answers import answers_to_values, load_answers
from workbook_tools.cli import main
from workbook_tools.bureau.collect import run_collect
from workbook_tools.files.specsheet import load_spec

GD = load_spec()
BASE = answers_to_values(GD, load_answers(SAMPLE_ANSWERS))
INJECT = "=SUM(1,1) 合同备案延迟"


def unit(code, name, **changes):
    return consistent(GD, {**BASE, "cover.agencyCode": code, "cover.unitName": name, **changes})


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    d = tmp_path_factory.mktemp("inbox")
    (d / "微信").mkdir()
    (d / "邮件" / "三月").mkdir(parents=True)
    (d / "邮件" / "三月" / "太平镇自评表.xlsx").write_bytes(unit("440117101", "广州市从化区太平镇人民政府"))
    (d / "微信" / "太平镇旧版.xlsx").write_bytes(unit("440117101", "广州市从化区太平镇人民政府",
                                                    **{"cover.fillDate": "2024-03-01", "node.2.7.1.score": 1,
                                                       "node.2.7.1.reason": "旧版"}))
    (d / "微信" / "街口.xlsx").write_bytes(unit("440117102", "街口街道办事处",
                                              **{"node.2.2.1.score": 1, "node.2.2.1.reason": INJECT, "node.2.6.4.score": 2,
                                                 "node.2.6.4.reason": None}))
    (d / "鳌头.xlsx").write_bytes(unit("440117103", "鳌头镇人民政府", **{"node.2.5.5.reason": None}))
    (d / "~$鳌头.xlsx").write_bytes(b"lock")
    badfiles.make_truncated_zip(d, "损坏.xlsx")
    badfiles.make_csv_renamed(d, "名单.xlsx")
    nat = load_spec("national-project-2020")
    (d / "项目表.xlsx").write_bytes(consistent(nat, {"cover.agencyCode": "440117104", "cover.unitName": "吕田镇"}))
    return d


@pytest.fixture(scope="module")
def roster(tmp_path_factory):
    p = tmp_path_factory.mktemp("roster") / "名单.csv"
    p.write_text("单位编码,单位名称,主管部门,上级编码\n"
                 "440117101,广州市从化区太平镇人民政府,从化区镇街,4401170\n"
                 "440117102,街口街道办事处,从化区镇街,4401170\n"
                 "440117103,鳌头镇人民政府,从化区镇街,4401170\n"
                 "440117105,良口镇人民政府,从化区镇街,4401170\n", encoding="utf-8-sig")
    return p


@pytest.fixture(scope="module")
def collected(inbox, roster, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = run_collect([inbox], out / "summary.xlsx", roster_path=roster, jobs=2, feedback_dir=out / "退回")
    return result, out


def _sheet(path, name, header=0):
    return pd.read_excel(path, sheet_name=name, header=header, dtype={"单位编码": str, "编码": str}, engine="openpyxl")


def test_one_row_per_unit_with_statuses_and_totals(collected):
    result, out = collected
    df = _sheet(out / "summary.xlsx", "汇总")
    units = df[df["单位编码"].notna()].set_index("单位编码")
    assert sorted(units.index) == ["440117101", "440117102", "440117103"]
    assert units.loc["440117101", "状态"] == "通过" and units.loc["440117101", "总分"] == pytest.approx(95.86)
    assert units.loc["440117101", "等级"] == "优" and units.loc["440117101", "执行率"] == pytest.approx(0.9974)
    assert units.loc["440117102", "状态"] == "通过" and units.loc["440117102", "总分"] == pytest.approx(95.86)
    assert units.loc["440117103", "状态"] == "需退回"
    # a project form beside overall forms is not "another form": it goes to 项目汇总 with its own verdict
    projects = _sheet(out / "summary.xlsx", "项目汇总", header=1)
    row = next(r for r in result["rows"] if r["kind"] == "project")
    assert list(projects["单位编码"]) == ["440117104"] and list(projects["错误数"]) == [row["errors"]] != [0]
    assert result["project_statuses"] == {"需退回": 1}
    unreadable = df[df["状态"] == "无法读取"]
    assert sorted(unreadable["来源文件"].map(lambda p: p.rsplit("/", 1)[-1])) == ["名单.xlsx", "损坏.xlsx"]
    assert result["statuses"] == {"通过": 2, "需退回": 1, "无法读取": 2}
    assert result["files"] == 7                                          # the ~$ lock file is ignored


def test_duplicate_resolved_by_fill_date(collected):
    _, out = collected
    df = _sheet(out / "summary.xlsx", "汇总")
    kept = df[df["单位编码"] == "440117101"]["来源文件"].iloc[0]
    assert kept.endswith("太平镇自评表.xlsx")
    dup = _sheet(out / "summary.xlsx", "重复报送", header=1)
    assert len(dup) == 1 and dup["未采用文件"].iloc[0].endswith("太平镇旧版.xlsx")
    assert "填报日期" in dup["原因"].iloc[0]


def test_roster_gap_rollup_and_matrix(collected):
    _, out = collected
    missing = _sheet(out / "summary.xlsx", "未报送", header=1)
    assert list(missing["单位编码"].astype(str)) == ["440117105"]
    roll = _sheet(out / "summary.xlsx", "层级汇总")
    row = roll.set_index("编码").loc["4401170"]
    assert (row["单位数"], row["已报送"], row["通过"], row["需退回"], row["未报送"]) == (4, 3, 2, 1, 1)
    matrix = _sheet(out / "summary.xlsx", "指标得分").set_index("单位编码")
    assert matrix.loc["440117101", "1.1.3 部门预算资金支出率（10）"] == pytest.approx(9.974)
    ded = _sheet(out / "summary.xlsx", "扣分统计", header=1).set_index("编号")
    # over accepted returns only: 太平 and 街口 (鳌头 must be sent back and is listed apart, as before it counted)
    assert ded.loc["2.5.5", "扣分单位数"] == 2 and ded.loc["2.6.4", "扣分单位数"] == 1
    assert matrix.loc["平均", "2.6.4 数据质量（2）"] == pytest.approx(1.5)
    problems = _sheet(out / "summary.xlsx", "问题清单")
    assert ("deduction-without-reason" in set(problems["代码"])) and ("not-a-workbook" in set(problems["代码"]))


def test_text_from_returned_files_stays_text(collected):
    _, out = collected
    wb = openpyxl.load_workbook(out / "summary.xlsx")
    hits = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if isinstance(c.value, str) and "SUM(1,1)" in c.value]
    assert hits and all(c.data_type == "s" for c in hits)
    assert any(c.value.startswith("=SUM(1,1)") for c in hits)


def test_charts_and_print_setup(collected):
    _, out = collected
    names = zipfile.ZipFile(out / "summary.xlsx").namelist()
    assert len([n for n in names if n.startswith("xl/charts/chart")]) == 3
    wb = openpyxl.load_workbook(out / "summary.xlsx")
    assert wb["汇总"].print_title_rows and int(wb["汇总"].page_setup.paperSize) == 9


def test_feedback_copies_for_units_to_return(collected):
    result, out = collected
    names = sorted(p.name for p in (out / "退回").iterdir())
    assert names == ["440117103_鳌头镇人民政府_问题标注.xlsx", "440117104_吕田镇_问题标注.xlsx"]
    wb = openpyxl.load_workbook(out / "退回" / names[0])
    assert wb.sheetnames[0] == "校验结果"


def test_database_keeps_every_submission(collected):
    _, out = collected
    db = sqlite3.connect(out / "summary.db")
    assert db.execute("SELECT count(*) FROM submissions").fetchone()[0] == 7
    assert db.execute("SELECT count(*) FROM submissions WHERE unit_code='440117101'").fetchone()[0] == 2
    assert db.execute("SELECT count(*) FROM findings").fetchone()[0] > 0


def test_rerun_reads_nothing_new_and_then_only_the_added_file(inbox, roster, tmp_path):
    box = tmp_path / "box"
    shutil.copytree(inbox, box)
    out = tmp_path / "s.xlsx"
    first = run_collect([box], out, roster_path=roster, jobs=1)
    assert first["read"] == 7
    second = run_collect([box], out, roster_path=roster, jobs=1)
    assert (second["read"], second["cached"]) == (0, 7)
    db = sqlite3.connect(tmp_path / "s.db")
    assert [r[0] for r in db.execute("SELECT files_read FROM runs ORDER BY id")] == [7, 0]
    (box / "良口.xlsx").write_bytes(unit("440117105", "良口镇人民政府"))
    third = run_collect([box], out, roster_path=roster, jobs=1)
    assert (third["read"], third["cached"]) == (1, 7) and third["missing"] == []
    # a resubmission keeps its history: the corrected file replaces the faulty one, both stay in the database
    (box / "鳌头.xlsx").write_bytes(unit("440117103", "鳌头镇人民政府", **{"cover.fillDate": "2024-03-20"}))
    fourth = run_collect([box], out, roster_path=roster, jobs=1)
    assert fourth["read"] == 1
    assert db.execute("SELECT count(*) FROM submissions WHERE unit_code='440117103'").fetchone()[0] == 2
    df = _sheet(out, "汇总")
    assert df[df["单位编码"] == "440117103"]["状态"].iloc[0] == "通过"


def test_cli_collect_and_status(inbox, roster, tmp_path):
    r = CliRunner().invoke(main, ["collect", str(inbox), "-o", str(tmp_path / "s.xlsx"), "--roster", str(roster),
                                  "--format", "json", "-j", "1"])
    assert r.exit_code == 1, r.output             # some units must resubmit
    data = json.loads(r.output)
    assert data["schema"] == "wbtool.collect/1" and data["units"] == 4
    st = CliRunner().invoke(main, ["status", "--db", str(tmp_path / "s.db"), "--roster", str(roster),
                                   "--format", "json"])
    rows = {r["unit_code"]: r["status"] for r in json.loads(st.output)}
    assert rows["440117101"] == "通过" and rows["440117103"] == "需退回" and rows["440117105"] == "未报送"
    text = CliRunner().invoke(main, ["status", "--db", str(tmp_path / "s.db")])
    assert "440117102" in text.output and text.exit_code == 0
    missing = CliRunner().invoke(main, ["status", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code == 2 and "不存在" in missing.output


def test_two_runs_on_one_database_take_turns(inbox, tmp_path):
    cmd = [sys.executable, "-m", "workbook_tools.cli", "collect", str(inbox), "-o", "{out}", "--db",
           str(tmp_path / "shared.db"), "-q", "-j", "1"]
    procs = [subprocess.Popen([c.format(out=tmp_path / f"s{i}.xlsx") for c in cmd], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in (1, 2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [1, 1], outs
    assert all("Traceback" not in o + e for o, e in outs)
    db = sqlite3.connect(tmp_path / "shared.db")
    assert db.execute("SELECT count(*) FROM submissions").fetchone()[0] == 7
    assert [r[0] for r in db.execute("SELECT files_read FROM runs ORDER BY id")] == [7, 0]


def test_bad_inbox_and_roster(tmp_path):
    r = CliRunner().invoke(main, ["collect", str(tmp_path / "nope"), "-o", str(tmp_path / "s.xlsx")])
    assert r.exit_code == 2 and "不存在" in r.output
    bad = tmp_path / "r.csv"
    bad.write_text("编号X,名字\n1,a\n", encoding="utf-8")
    (tmp_path / "in").mkdir()
    r = CliRunner().invoke(main, ["collect", str(tmp_path / "in"), "-o", str(tmp_path / "s.xlsx"), "--roster", str(bad)])
    assert r.exit_code == 2 and "单位编码" in r.output

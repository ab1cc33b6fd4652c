"""The bureau's verdicts (issue 16): whose return an unreadable file is, the roster checks, .xls in the inbox."""
import json
import os
import shutil
import subprocess

import pandas as pd
import pytest
from click.testing import CliRunner
from faults import consistent, edit_part, rename_sheet

from conftest import SAMPLE_ANSWERS
from workbook_tools.model.answers import answers_to_values, load_answers
from workbook_tools.cli import main
from workbook_tools.bureau.collect import unit_status
from workbook_tools.bureau.roster import RosterUnit
from workbook_tools.files.specsheet import load_spec
from workbook_tools.bureau.unitmatch import unit_from_name

GD = load_spec()
BASE = answers_to_values(GD, load_answers(SAMPLE_ANSWERS))
ROSTER = ("单位编码,单位名称\n440117101,广州市从化区太平镇人民政府\n440117102,街口街道办事处\n440117103,鳌头镇人民政府\n"
          "440117104,温泉镇人民政府\n440117105,良口镇人民政府\n")


def unit(code, name, **changes):
    return consistent(GD, {**BASE, "cover.agencyCode": code, "cover.unitName": name, **changes})


def _xls(path, tmp):
    """A real Excel 97-2003 file, written by LibreOffice from a CSV."""
    src = tmp / "x.csv"
    src.write_text("单位编码,单位名称\n440117102,街口街道办事处\n", encoding="utf-8")
    subprocess.run(["soffice", "--headless", "--convert-to", "xls", "--outdir", str(tmp), str(src)],
                   check=True, capture_output=True, timeout=180)
    (tmp / "x.xls").rename(path)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    d = tmp_path_factory.mktemp("verdicts")
    inbox = d / "in"
    inbox.mkdir()
    (inbox / "太平.xlsx").write_bytes(unit("440117101", "广州市从化区太平镇人民政府"))
    (inbox / "鳌头.xlsx").write_bytes(unit("440117103", "鳌头镇政府"))                  # name differs from the roster
    (inbox / "龙潭.xlsx").write_bytes(unit("440117199", "龙潭村"))                      # not on the roster
    old = edit_part(unit("440117104", "温泉镇人民政府"), "xl/workbook.xml", rename_sheet("评分表", "评分"))
    (inbox / "温泉-旧版.xlsx").write_bytes(old)                                         # unreadable, cover readable
    tmp = d / "tmp"
    tmp.mkdir()
    try:
        _xls(inbox / "街口街道办事处2023自评表.xls", tmp)
    except (OSError, subprocess.SubprocessError):        # no LibreOffice: the same OLE2 bytes a .xls starts with
        import badfiles
        badfiles.make_xls_extension(inbox, "街口街道办事处2023自评表.xls")
    roster = d / "名单.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    r = CliRunner().invoke(main, ["collect", str(inbox), "-o", str(d / "汇总.xlsx"), "--roster", str(roster),
                                  "-j", "1", "-q", "--format", "json"])
    assert r.exit_code == 1, r.output
    return d, json.loads(r.output)


def test_xls_in_the_inbox_is_unreadable_with_its_unit_never_missing(batch):
    d, result = batch
    rows = {r["unit_code"]: r for r in unit_status(d / "汇总.db", d / "名单.csv")}
    assert rows["440117102"]["status"] == "无法读取" and rows["440117102"]["unit_name"] == "街口街道办事处"
    assert "440117102" not in {m["unit_code"] for m in result["missing"]}
    assert [m["unit_code"] for m in result["missing"]] == ["440117105"]
    df = pd.read_excel(d / "汇总.xlsx", sheet_name="汇总", dtype={"单位编码": str}, engine="openpyxl")
    row = df.set_index("单位编码").loc["440117102"]
    # not a form at all (a list saved as .xls): read as a foreign form and said so, with what was looked for
    assert row["状态"] == "无法读取" and "已知表式" in row["备注"] and "wbtool inspect" in row["备注"]
    missing = pd.read_excel(d / "汇总.xlsx", sheet_name="未报送", header=1, dtype=str, engine="openpyxl")
    assert list(missing["单位编码"]) == ["440117105"]


def test_unreadable_old_version_keeps_the_unit_from_its_cover(batch):
    d, _ = batch
    rows = {r["unit_code"]: r for r in unit_status(d / "汇总.db", d / "名单.csv")}
    assert rows["440117104"]["status"] == "无法读取" and rows["440117104"]["unit_name"] == "温泉镇人民政府"


def test_roster_flags_unknown_units_and_other_names(batch):
    d, _ = batch
    probs = pd.read_excel(d / "汇总.xlsx", sheet_name="问题清单", dtype=str, engine="openpyxl")
    by = {(r["单位编码"], r["代码"]): r for r in probs.to_dict("records")}
    assert "鳌头镇人民政府" in by[("440117103", "roster-name-mismatch")]["问题"]
    assert ("440117199", "roster-unit-unknown") in by
    assert ("440117101", "roster-name-mismatch") not in by
    df = pd.read_excel(d / "汇总.xlsx", sheet_name="汇总", dtype={"单位编码": str}, engine="openpyxl")
    assert "不在名单中" in df.set_index("单位编码").loc["440117199", "备注"]
    st = {r["unit_code"]: r for r in unit_status(d / "汇总.db")}
    assert st["440117103"]["status"] == "通过"          # a warning: flagged, not sent back


def test_unit_from_file_name():
    roster = [RosterUnit("440117101", "广州市从化区太平镇人民政府"), RosterUnit("440117102", "街口街道办事处"),
              RosterUnit("440117103", "鳌头镇人民政府")]
    assert unit_from_name("440117103.xls", roster) == ("440117103", "鳌头镇人民政府")
    assert unit_from_name("太平镇自评表.xls", roster) == ("440117101", "广州市从化区太平镇人民政府")
    assert unit_from_name("街口街道办事处（修改）.xls", roster) == ("440117102", "街口街道办事处")
    assert unit_from_name("自评表.xls", roster) is None


# ---------------------------------------------------------------- no grade until the form is complete (item 7)

def test_fill_with_errors_says_how_many_remain_and_gives_no_grade(tmp_path):
    from workbook_tools.checks.validate import validate_workbook
    p = tmp_path / "over.xlsx"
    p.write_bytes(unit("440117101", "广州市从化区太平镇人民政府", **{"node.2.2.1.score": 3}))     # 3 on a 2-point
    r = CliRunner().invoke(main, ["fill", str(p), "-o", str(tmp_path / "out.xlsx")])
    n = len(validate_workbook(tmp_path / "out.xlsx").errors)
    assert r.exit_code == 1 and n >= 1 and f"仍有 {n} 个错误" in r.output
    assert "优" not in r.output and "暂不评级" in r.output
    j = CliRunner().invoke(main, ["fill", str(p), "-o", str(tmp_path / "out2.xlsx"), "--format", "json"])
    assert j.exit_code == 1 and json.loads(j.output)["errors"] == n and json.loads(j.output)["grade"] is None
    ok = CliRunner().invoke(main, ["fill", str(tmp_path / "out.xlsx"), "-o", str(tmp_path / "x.xlsx")])
    assert ok.exit_code == 1
    good = tmp_path / "good.xlsx"
    good.write_bytes(unit("440117101", "广州市从化区太平镇人民政府"))
    r = CliRunner().invoke(main, ["fill", str(good), "-o", str(tmp_path / "g.xlsx")])
    assert r.exit_code == 0 and "等级 优" in r.output and "仍有" not in r.output


def test_blank_and_distributed_forms_are_not_graded(tmp_path):
    """A blank template or a file fresh from distribute shows 未完成, not '9.97 差': in the CLI, in the workbook
    the engine writes, and in what the template's own formula gives (LibreOffice: test_lo_agreement)."""
    import openpyxl

    from workbook_tools.model.layout import layout_for
    from workbook_tools.files.reader import read_workbook
    from workbook_tools.model.engine import compute
    tpl = tmp_path / "模板.xlsx"
    assert CliRunner().invoke(main, ["template", "-o", str(tpl)]).exit_code == 0
    r = CliRunner().invoke(main, ["validate", str(tpl)])
    assert "未完成" in r.output.splitlines()[0] and "差" not in r.output.splitlines()[0]
    roster = tmp_path / "名单.csv"
    roster.write_text("单位编码,单位名称\n440117101,太平镇\n", encoding="utf-8")
    led = tmp_path / "台账.csv"
    led.write_text("单位编码,单位名称,资金来源,年初预算数(万元),调整后预算数(万元),实际支出数(万元)\n"
                   "440117101,太平镇,一般公共预算,100,100,99.7\n", encoding="utf-8")
    out = tmp_path / "下发"
    r = CliRunner().invoke(main, ["distribute", "--roster", str(roster), "--ledger", str(led), "--year", "2023",
                                  "-o", str(out)])
    assert r.exit_code == 0, r.output
    issued = next(out.glob("*.xlsx"))
    res = compute(GD, read_workbook(issued).inputs)
    assert res.grade == "未完成" and res.display > 0                # the execution-rate score alone
    head = CliRunner().invoke(main, ["validate", str(issued)]).output.splitlines()[0]
    assert "未完成" in head and "差" not in head
    L = layout_for(GD)
    wb = openpyxl.load_workbook(issued, data_only=True)
    assert wb[L["summary.grade"].sheet][L["summary.grade"].coord].value == "未完成"


def test_an_earlier_templates_grade_formula_is_intact_and_fill_updates_it(tmp_path):
    from faults import _patch

    from workbook_tools.cells import CellWrite
    from workbook_tools.model.layout import layout_for, legacy_formula
    from workbook_tools.checks.validate import validate_workbook
    L = layout_for(GD)
    c = L["summary.grade"]
    old = legacy_formula(c.key, c.formula)
    assert old and "未完成" not in old and old.startswith("=IF(")
    p = tmp_path / "旧模板.xlsx"
    p.write_bytes(_patch(unit("440117101", "广州市从化区太平镇人民政府"), [CellWrite(c.sheet, c.coord, "优", old)]))
    assert validate_workbook(p).findings == []
    r = CliRunner().invoke(main, ["fill", str(p), "-o", str(tmp_path / "新.xlsx")])
    assert r.exit_code == 0 and f"已恢复公式 {c.addr}" in r.output
    import openpyxl
    assert "未完成" in openpyxl.load_workbook(tmp_path / "新.xlsx")[c.sheet][c.coord].value


# ---------------------------------------------------------------- plausibility: 元 typed on a 万元 form (item 5)

MONEY_KEYS = ("initial", "adjusted", "actual", "mid_budget", "mid_actual")


def _scaled(factor, rows=range(4)):
    return {f"funds.{i}.{k}": BASE[f"funds.{i}.{k}"] * factor for i in rows for k in MONEY_KEYS}


def test_a_row_or_a_form_typed_in_yuan_is_a_warning_with_the_figure(tmp_path):
    from workbook_tools.checks.validate import validate_workbook
    one = tmp_path / "one.xlsx"
    one.write_bytes(unit("440117101", "太平镇", **_scaled(10000, [0])))
    f = {x.code: x for x in validate_workbook(one).findings}
    assert f["funds-row-scale"].severity == "warning" and f["funds-row-scale"].cell == "收支情况!C4"
    assert "286503200" in f["funds-row-scale"].message() and "亿元" in f["funds-row-scale"].message()
    every = tmp_path / "every.xlsx"
    every.write_bytes(unit("440117101", "太平镇", **_scaled(10000)))
    f = {x.code: x for x in validate_workbook(every).findings}
    assert "funds-implausible-total" in f and "40082.65 亿元" in f["funds-implausible-total"].message()
    assert validate_workbook(tmp_path.parent / "none.xlsx" if False else one).readable


def test_budget_against_last_year_and_the_roster_scale(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "2022.xlsx").write_bytes(unit("440117101", "太平镇", **{"cover.fiscalYear": 2022,
                                                                 "cover.fillDate": "2023-03-01", **_scaled(0.001)}))
    roster = tmp_path / "名单.csv"
    roster.write_text("单位编码,单位名称,预算规模（万元）\n440117101,太平镇,40\n440117102,街口,30000\n", encoding="utf-8")
    run = ["-o", str(tmp_path / "汇总.xlsx"), "-j", "1", "-q"]
    assert CliRunner().invoke(main, ["collect", str(inbox), *run]).exit_code == 0
    (inbox / "2023.xlsx").write_bytes(unit("440117101", "太平镇", **_scaled(10)))      # 10,000 × last year
    (inbox / "街口.xlsx").write_bytes(unit("440117102", "街口", **{"cover.fiscalYear": 2023}))
    CliRunner().invoke(main, ["collect", str(inbox), *run, "--roster", str(roster)])
    probs = pd.read_excel(tmp_path / "汇总.xlsx", sheet_name="问题清单", dtype=str, engine="openpyxl")
    hits = probs[probs["代码"] == "funds-scale-vs-last-year"]
    assert list(hits["单位编码"]) == ["440117101"] and "2022 年度" in hits["问题"].iloc[0]
    assert unit_status(tmp_path / "汇总.db")[0]["status"] == "通过"           # a warning: flagged, not returned
    # the roster's scale where known: 街口 typed in 元 against its 预算规模 of 30000 万元
    (inbox / "街口.xlsx").write_bytes(unit("440117102", "街口", **{"cover.fiscalYear": 2023, **_scaled(10000)}))
    CliRunner().invoke(main, ["collect", str(inbox), *run, "--roster", str(roster)])
    probs = pd.read_excel(tmp_path / "汇总.xlsx", sheet_name="问题清单", dtype=str, engine="openpyxl")
    hits = probs[probs["代码"] == "funds-scale-vs-last-year"]
    assert sorted(hits["单位编码"]) == ["440117101", "440117102"]
    assert "名单中的预算规模 30000" in hits[hits["单位编码"] == "440117102"]["问题"].iloc[0]


# ---------------------------------------------------------------- messages a clerk can act on (item 12)

def test_a_file_saved_without_values_gets_one_clear_message(tmp_path):
    """openpyxl (like many scripts) saves formulas without their values: one finding, not one per cell."""
    import openpyxl

    from workbook_tools.checks.validate import validate_workbook
    p = tmp_path / "脚本生成.xlsx"
    src = tmp_path / "src.xlsx"
    src.write_bytes(unit("440117101", "太平镇"))
    openpyxl.load_workbook(src).save(p)
    rep = validate_workbook(p)
    assert [f.code for f in rep.findings] == ["values-not-calculated"]
    assert "个公式单元格没有保存计算结果" in rep.findings[0].message() and rep.exit_code() == 0


def test_messages_name_full_width_digits_never_show_formulas_and_say_how_to_fix(tmp_path):
    from faults import typed_over

    from workbook_tools.checks.validate import validate_workbook
    p = tmp_path / "x.xlsx"
    p.write_bytes(typed_over(unit("440117101", "太平镇", **{"funds.0.actual": "２８５９８．１７"}), GD,
                             "node.1.1.3.score", 10))
    rep = validate_workbook(p)
    msgs = {f.code: f.message() for f in rep.findings}
    assert "全角" in msgs["number-as-text"]
    assert "=" not in msgs["formula-overwritten"] and "数值“10”" in msgs["formula-overwritten"]
    assert all("=IF(" not in m and "=ROUND(" not in m for m in msgs.values())
    out = CliRunner().invoke(main, ["validate", str(p)]).output
    assert out.count("怎么改：") == len(rep.findings) and "半角" in out


def test_fill_keeps_a_few_backups_not_one_per_run(tmp_path):
    from workbook_tools.files.atomic import BACKUPS_KEPT
    p = tmp_path / "太平.xlsx"
    p.write_bytes(unit("440117101", "广州市从化区太平镇人民政府"))
    (tmp_path / "太平.备份-手工.xlsx").write_bytes(b"not ours")
    for _ in range(BACKUPS_KEPT + 2):
        CliRunner().invoke(main, ["fill", str(p)])
    backups = sorted(tmp_path.glob("太平.备份-2*.xlsx"))
    assert len(backups) == BACKUPS_KEPT and (tmp_path / "太平.备份-手工.xlsx").exists()


def test_distribute_reports_progress(tmp_path):
    from workbook_tools.commands.ledger_cmds import _Progress
    from workbook_tools.bureau.distribute import distribute
    calls = []
    roster = [RosterUnit("440117101", "甲"), RosterUnit("440117102", "乙"), RosterUnit("440117103", "丙")]
    d = distribute(roster, tmp_path / "out", progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)] and sum(1 for x in d.issued if x.file) == 3
    import io
    import sys
    err, sys.stderr = sys.stderr, io.StringIO()
    try:
        bar = _Progress()
        for done, total in calls:
            bar(done, total)
        pos, length = bar.bar.pos, bar.bar.length
        bar.close()
        shown = sys.stderr.getvalue()
    finally:
        sys.stderr = err
    assert "生成中" in shown and (pos, length) == (3, 3)       # on a terminal: 生成中 [####] 3/3


def test_the_template_saved_as_xls_is_told_to_save_as_xlsx(tmp_path, sample):
    """The bureau's own template saved as .xls by the unit (here by LibreOffice): 另存为 .xlsx, not 'unknown form'."""
    if shutil.which("soffice") is None and not os.environ.get("CI"):
        pytest.skip("LibreOffice not installed (CI installs it)")
    subprocess.run(["soffice", "--headless", "--convert-to", "xls", "--outdir", str(tmp_path), str(sample)],
                   check=True, capture_output=True, timeout=180)
    xls = tmp_path / "taiping_2023.xls"
    r = CliRunner().invoke(main, ["validate", str(xls)])
    assert r.exit_code == 3 and "财政局下发的模板" in r.output and "另存为" in r.output and "xlsx" in r.output

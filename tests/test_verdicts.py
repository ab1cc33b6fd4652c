"""The bureau's verdicts (issue 16): whose return an unreadable file is, the roster checks, .xls in the inbox."""
import json
import subprocess

import pandas as pd
import pytest
from click.testing import CliRunner
from faults import consistent, edit_part, rename_sheet

from conftest import SAMPLE_ANSWERS
from workbook_tools.answers import answers_to_values, load_answers
from workbook_tools.cli import main
from workbook_tools.collect import unit_status
from workbook_tools.roster import RosterUnit
from workbook_tools.spec import load_spec
from workbook_tools.unitmatch import unit_from_name

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
    assert row["状态"] == "无法读取" and "另存为" in row["备注"] and ".xlsx" in row["备注"]
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

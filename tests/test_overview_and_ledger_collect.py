"""The bureau's overview report (report --summary) and collect --ledger's 台账核对 sheet."""
import pandas as pd
import pytest
from click.testing import CliRunner
from docx import Document as Docx
from faults import consistent
from ledgerfiles import SEED_CODE, SEED_NAME, ledger_lines, seed_funds, rows_for, write_csv

from conftest import SAMPLE_ANSWERS
from workbook_tools.model.answers import answers_to_values, load_answers
from workbook_tools.cli import main
from workbook_tools.files.specsheet import load_spec

GD = load_spec()
BASE = answers_to_values(GD, load_answers(SAMPLE_ANSWERS))


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    d = tmp_path_factory.mktemp("batch")
    inbox = d / "in"
    inbox.mkdir()
    (inbox / "太平.xlsx").write_bytes(consistent(GD, BASE))
    (inbox / "街口.xlsx").write_bytes(consistent(GD, {**BASE, "cover.agencyCode": "440117102",
                                                     "cover.unitName": "街口街道办事处", "funds.0.actual": 28000,
                                                     "node.2.6.6.score": 1, "node.2.6.6.reason": "闲置资产较多"}))
    (inbox / "鳌头.xlsx").write_bytes(consistent(GD, {**BASE, "cover.agencyCode": "440117103",
                                                     "cover.unitName": "鳌头镇人民政府", "node.2.6.6.score": 0,
                                                     "node.2.6.6.reason": None}))
    (inbox / "温泉.xlsx").write_bytes(consistent(GD, {**BASE, "cover.agencyCode": "440117104",
                                                     "cover.unitName": "温泉镇人民政府", "node.2.6.6.score": 1,
                                                     "node.2.6.6.reason": "闲置资产较多"}))
    (inbox / "吕田.xlsx").write_bytes(consistent(GD, {**BASE, "cover.agencyCode": "440117105",       # 3 on a 2-point
                                                     "cover.unitName": "吕田镇人民政府", "node.2.6.6.score": 3}))
    (inbox / "龙潭.xlsx").write_bytes(consistent(GD, {**BASE, "cover.agencyCode": "440117199",       # not on the roster
                                                     "cover.unitName": "龙潭村", "node.2.6.6.score": 0.5,
                                                     "node.2.6.6.reason": "外单位的原因"}))
    roster = d / "名单.csv"
    roster.write_text("单位编码,单位名称\n440117101,太平镇人民政府\n440117102,街口街道办事处\n440117103,鳌头镇人民政府\n"
                      "440117104,温泉镇人民政府\n440117105,吕田镇人民政府\n440117109,良口\n", encoding="utf-8")
    ledger = write_csv(d / "台账.csv", ledger_lines(rows_for(SEED_CODE, SEED_NAME, seed_funds())
                                                    + rows_for("440117102", "街口街道办事处", seed_funds())
                                                    + rows_for("440117104", "温泉镇人民政府", seed_funds())
                                                    + rows_for("440117105", "吕田镇人民政府", seed_funds())
                                                    + rows_for("440117199", "龙潭村", seed_funds()), unit="元"),
                       encoding="gbk")
    r = CliRunner().invoke(main, ["collect", str(inbox), "-o", str(d / "汇总.xlsx"), "--roster", str(roster),
                                  "--ledger", str(ledger), "--feedback", str(d / "退回"), "-j", "1", "-q"])
    assert r.exit_code == 1, r.output
    return d


def test_collect_with_ledger_adds_the_crosscheck_sheet(batch):
    df = pd.read_excel(batch / "汇总.xlsx", sheet_name="台账核对", dtype={"单位编码": str}, engine="openpyxl")
    by_unit = df.groupby("单位编码")["代码"].apply(set).to_dict()
    assert "440117101" not in by_unit                                    # agrees with the ledger
    assert "ledger-actual-mismatch" in by_unit["440117102"]              # typed 28000, ledger 28598.17
    assert by_unit["440117103"] == {"ledger-unit-missing"}
    row = df[(df["单位编码"] == "440117102") & (df["代码"] == "ledger-actual-mismatch")].iloc[0]
    assert row["单元格"] == "收支情况!D4" and "28598.17" in row["问题"]


def test_ledger_findings_count_in_the_verdict(batch):
    """A ledger mismatch sends the return back: status, error count, feedback copy and report agree with crosscheck."""
    import json

    import openpyxl

    from workbook_tools.bureau.collect import unit_status
    from workbook_tools.bureau.crosscheck import crosscheck_workbook
    from workbook_tools.bureau.ledger import read_ledger
    rows = {r["unit_code"]: r for r in unit_status(batch / "汇总.db", batch / "名单.csv")}
    jiekou = rows["440117102"]
    cross = crosscheck_workbook(batch / "in" / "街口.xlsx", read_ledger(batch / "台账.csv"))
    assert cross.exit_code() == 1 and jiekou["status"] == "需退回" and jiekou["errors"] == len(cross.errors)
    assert rows["440117101"]["status"] == "通过" and rows["440117104"]["status"] == "通过"
    assert rows["440117103"]["errors"] == 2          # its own missing reason + not in the ledger
    df = pd.read_excel(batch / "汇总.xlsx", sheet_name="汇总", dtype={"单位编码": str}, engine="openpyxl")
    assert df.set_index("单位编码").loc["440117102", "状态"] == "需退回"
    copy = next((batch / "退回").glob("440117102_*"))
    assert any(c.comment and "实际支出数与台账不符" in c.comment.text
               for row in openpyxl.load_workbook(copy)["收支情况"].iter_rows() for c in row)
    st = CliRunner().invoke(main, ["status", "--db", str(batch / "汇总.db"), "--format", "json"])
    assert {r["unit_code"]: r["status"] for r in json.loads(st.output)}["440117102"] == "需退回"
    # a later run without the ledger withdraws the ledger's verdict: the status follows the latest collect
    again = batch / "again"
    import shutil
    shutil.copytree(batch / "in", again)
    CliRunner().invoke(main, ["collect", str(again), "-o", str(batch / "again.xlsx"), "-j", "1", "-q"])
    assert {r["unit_code"]: r["status"] for r in unit_status(batch / "again.db")}["440117102"] == "通过"


def test_overview_from_database_and_workbook(batch):
    for src in ("汇总.db", "汇总.xlsx"):
        out = batch / f"overview-{src}.md"
        r = CliRunner().invoke(main, ["report", "--summary", str(batch / src), "--roster", str(batch / "名单.csv"),
                                      "-o", str(out)])
        assert r.exit_code == 0, r.output
        text = out.read_text(encoding="utf-8")
        # 街口 agrees with itself but not with the ledger: the ledger sends it back (issue 16 item 1)
        assert "共收到 6 份报送" in text and "校验通过 3 份" in text and "需退回修改 3 份" in text
        assert "1 份来自不在单位名单中的单位" in text and "只含校验通过且在单位名单中的 2 个单位" in text
        assert "最高 95.86 分" in text and "外单位的原因" not in text.split("五、")[0]     # 吕田's 3-on-2 and 龙潭 apart
        assert "龙潭村" in text.split("五、")[1] and "吕田镇人民政府" in text.split("五、")[1]
        assert "2.6.6 | 固定资产利用率" in text                           # the weakest indicator here
        assert "闲置资产较多" in text                                      # a deduction reason
        assert "鳌头镇人民政府" in text and "街口街道办事处" in text and "需退回" in text
        assert "良口" in text and "未报送" in text
    docx = batch / "overview.docx"
    r = CliRunner().invoke(main, ["report", "--summary", str(batch / "汇总.db"), "-o", str(docx)])
    assert r.exit_code == 0
    body = "\n".join(p.text for p in Docx(docx).paragraphs)
    assert "一、报送情况" in body and "五、需跟进的单位" in body


def test_overview_numbers_are_the_same_from_database_and_workbook(batch):
    """One implementation of the statistics (statistics.py): the overview from the database and from the summary
    workbook collect wrote are the same document, word for word."""
    from workbook_tools.bureau.overview import from_database, from_workbook
    texts = []
    for src in ("汇总.db", "汇总.xlsx"):
        out = batch / f"same-{src}.md"
        r = CliRunner().invoke(main, ["report", "--summary", str(batch / src), "--roster", str(batch / "名单.csv"),
                                      "-o", str(out)])
        assert r.exit_code == 0, r.output
        texts.append(out.read_text(encoding="utf-8"))
    assert texts[0] == texts[1]
    db, wb = from_database(batch / "汇总.db", batch / "名单.csv"), from_workbook(batch / "汇总.xlsx", batch / "名单.csv")
    strip = [{k: v for k, v in x.items() if k != "units"} for x in db.leaves]
    assert strip == [{k: v for k, v in x.items() if k != "units"} for x in wb.leaves]
    by = {x["id"]: x for x in db.leaves}
    assert by["2.6.6"]["losers"] == 1 and by["2.6.6"]["reasons"] == [("闲置资产较多", 1)]    # 温泉 only
    assert by["2.6.6"]["units"] == 2 and by["2.6.6"]["mean"] == 1.5                           # 太平 2, 温泉 1


def test_overview_refuses_what_is_not_a_summary(tmp_path, sample):
    r = CliRunner().invoke(main, ["report", "--summary", str(sample), "-o", str(tmp_path / "x.md")])
    assert r.exit_code == 2 and "汇总表" in r.output
    r = CliRunner().invoke(main, ["report", "--summary", str(tmp_path / "none.db"), "-o", str(tmp_path / "x.md")])
    assert r.exit_code == 2 and "不存在" in r.output


def test_money_in_messages_keeps_every_cent(tmp_path):
    from workbook_tools.checks.validate import validate_workbook
    p = tmp_path / "x.xlsx"
    p.write_bytes(consistent(GD, {**BASE, "funds.0.actual": 28650.33}))
    f = next(f for f in validate_workbook(p).findings if f.code == "overspend")
    assert "28650.33" in f.message() and "28650.32" in f.message()

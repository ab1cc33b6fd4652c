"""The bureau's records after the refactor (issue 13 items 2 and 5): explicit kinds, the overview read from the
database only, one summary step for collect and the portal, files never mixed when they change mid-run."""
import shutil
import sqlite3

import openpyxl
import pytest
from click.testing import CliRunner
from faults import consistent

from conftest import SAMPLE_ANSWERS
from workbook_tools.bureau.batch import crosscheck_rows, read_as_recorded, summarise_current
from workbook_tools.bureau.collect import current_returns, run_collect
from workbook_tools.bureau.records import OVERALL, form_kind, record_kind
from workbook_tools.bureau.store import open_store
from workbook_tools.cli import main
from workbook_tools.errors import UnreadableInput
from workbook_tools.model.answers import answers_to_values, load_answers
from workbook_tools.model.spec import load_spec

GD = load_spec()
BASE = answers_to_values(GD, load_answers(SAMPLE_ANSWERS))


@pytest.fixture()
def collected(tmp_path):
    box = tmp_path / "in"
    box.mkdir()
    (box / "太平.xlsx").write_bytes(consistent(GD, BASE))
    (box / "街口.xlsx").write_bytes(consistent(GD, {**BASE, "cover.agencyCode": "440117102",
                                                   "cover.unitName": "街口街道办事处", "node.2.6.6.score": 1,
                                                   "node.2.6.6.reason": "闲置资产较多"}))
    out = tmp_path / "out"
    out.mkdir()
    run_collect([box], out / "汇总.xlsx", jobs=1)
    return box, out


def test_every_readable_record_carries_its_kind(collected):
    _, out = collected
    kept, _ = current_returns(out / "汇总.db")
    assert [record_kind(s) for s in kept] == [OVERALL, OVERALL] and {form_kind(s) for s in kept} == {"overall"}
    stored = sqlite3.connect(out / "汇总.db").execute("SELECT data FROM submissions").fetchall()
    assert all('"kind": "overall"' in d for (d,) in stored)


def test_a_row_of_an_older_database_gets_its_kind_from_the_store(collected):
    _, out = collected
    db = sqlite3.connect(out / "汇总.db")
    db.execute("UPDATE submissions SET data=replace(data, '\"kind\": \"overall\", ', '')")
    db.commit()
    assert all('"kind"' not in d for (d,) in db.execute("SELECT data FROM submissions"))
    kept, _ = current_returns(out / "汇总.db")
    assert [record_kind(s) for s in kept] == [OVERALL, OVERALL]


def test_summary_workbook_leads_report_summary_to_its_database(collected, tmp_path):
    _, out = collected
    props = {p.name: p.value for p in openpyxl.load_workbook(out / "汇总.xlsx").custom_doc_props}
    assert props["wbtool_db"] == str((out / "汇总.db").resolve())
    texts = []
    for src in (out / "汇总.db", out / "汇总.xlsx"):
        md = tmp_path / f"{src.suffix}.md"
        r = CliRunner().invoke(main, ["report", "--summary", str(src), "-o", str(md)])
        assert r.exit_code == 0, r.output
        texts.append(md.read_text(encoding="utf-8"))
    assert texts[0] == texts[1] and "共收到 2 份报送" in texts[0]
    # moved together to another folder: the database beside it (same name) is found
    moved = tmp_path / "moved"
    shutil.copytree(out, moved)
    (out / "汇总.db").unlink()
    r = CliRunner().invoke(main, ["report", "--summary", str(moved / "汇总.xlsx"), "-o", str(tmp_path / "m.md")])
    assert r.exit_code == 0, r.output
    # the workbook alone: a clear message asking for the database, never numbers parsed from the cells
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(moved / "汇总.xlsx", alone / "汇总.xlsx")
    r = CliRunner().invoke(main, ["report", "--summary", str(alone / "汇总.xlsx"), "-o", str(tmp_path / "a.md")])
    assert r.exit_code == 2 and "找不到汇总表" in r.output and ".db" in r.output
    assert not (tmp_path / "a.md").exists()


def test_a_file_changed_after_it_was_recorded_is_not_mixed_with_its_record(collected):
    box, out = collected
    kept, _ = current_returns(out / "汇总.db")
    s = next(s for s in kept if s["unit_code"] == "440117102")
    assert read_as_recorded(s).sha256 == s["sha256"]
    (box / "街口.xlsx").write_bytes(consistent(GD, {**BASE, "cover.agencyCode": "440117102",
                                                   "cover.unitName": "街口街道办事处"}))
    with pytest.raises(UnreadableInput) as e:
        read_as_recorded(s)
    assert e.value.code == "file-changed"
    from ledgerfiles import SEED_CODE, SEED_NAME, ledger_lines, rows_for, seed_funds, write_csv
    from workbook_tools.bureau.ledger import read_ledger
    led = write_csv(out / "台账.csv", ledger_lines(rows_for(SEED_CODE, SEED_NAME, seed_funds())
                                                  + rows_for("440117102", "街口街道办事处", seed_funds()), unit="元"),
                    encoding="gbk")
    rows, by_sub = crosscheck_rows([s], read_ledger(led), None)
    assert [f["code"] for f in by_sub[s["id"]]] == ["file-changed"]


def test_portal_and_collect_write_the_same_summary(collected, tmp_path):
    """One summary step: summarise_current over the database's current returns gives collect's sheets."""
    import pandas as pd
    _, out = collected
    kept, _ = current_returns(out / "汇总.db")
    store = open_store(out / "汇总.db")
    try:
        summarise_current(store, kept, tmp_path / "again.xlsx")
    finally:
        store.close()
    for sheet in ("汇总", "指标得分", "扣分统计", "问题清单"):
        a = pd.read_excel(out / "汇总.xlsx", sheet_name=sheet, header=None, dtype=object, engine="openpyxl")
        b = pd.read_excel(tmp_path / "again.xlsx", sheet_name=sheet, header=None, dtype=object, engine="openpyxl")
        pd.testing.assert_frame_equal(a, b)

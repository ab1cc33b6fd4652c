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
from workbook_tools.files.specsheet import load_spec

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
    stored = sqlite3.connect(out / "汇总.db").execute("SELECT json_extract(data, '$.kind') FROM submissions").fetchall()
    assert stored == [("overall",), ("overall",)]


def test_a_row_of_an_older_database_gets_its_kind_from_the_store(collected):
    _, out = collected
    db = sqlite3.connect(out / "汇总.db")
    db.execute("UPDATE submissions SET data=json_remove(data, '$.kind')")
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
    s = next(s for s in kept if s.unit_code == "440117102")
    assert read_as_recorded(s).sha256 == s.sha256
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
    assert [f["code"] for f in by_sub[s.id]] == ["file-changed"]


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


# ---------------------------------------------------------------- returns of several forms (issue 14 item 1)

OLD = "gd-dept-overall-2022"


@pytest.fixture
def two_forms(tmp_path, monkeypatch):
    """The shipped specs plus a 2022 edition of the Guangdong form (another id, another title), used by this
    process only (jobs=1)."""
    import yaml

    from workbook_tools.model import spec as spec_module
    from workbook_tools.model.spec import spec_dir
    d = tmp_path / "specs"
    d.mkdir()
    for p in spec_dir().glob("*.yaml"):
        shutil.copy(p, d / p.name)
    data = yaml.safe_load((spec_dir() / "gd-dept-overall-2023.yaml").read_text(encoding="utf-8"))
    data.update(id=OLD, title="部门整体支出绩效自评表（2022 版）")
    (d / f"{OLD}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(spec_module, "spec_dir", lambda: d)
    old = load_spec(OLD)
    box = tmp_path / "in"
    box.mkdir()
    (box / "太平_2023.xlsx").write_bytes(consistent(GD, BASE))
    (box / "街口_2023.xlsx").write_bytes(consistent(GD, {**BASE, "cover.agencyCode": "440117102",
                                                        "cover.unitName": "街口街道办事处", "node.2.6.6.score": 1,
                                                        "node.2.6.6.reason": "闲置资产较多"}))
    (box / "鳌头_2022.xlsx").write_bytes(consistent(old, {**BASE, "cover.agencyCode": "440117103",
                                                         "cover.unitName": "鳌头镇人民政府", "node.2.6.5.score": 1,
                                                         "node.2.6.5.reason": "数据质量待提高"}))
    nat = load_spec("national-dept-2020")
    import random

    from randomfill import random_values
    (box / "温泉_全国表.xlsx").write_bytes(consistent(nat, {**random_values(nat, random.Random(3), absurd=0),
                                                         "cover.agencyCode": "440117104", "cover.unitName": "温泉镇"}))
    return box


def test_each_named_form_gets_its_own_section(two_forms, tmp_path):
    import pandas as pd
    out = tmp_path / "汇总.xlsx"
    r = CliRunner().invoke(main, ["collect", str(two_forms), "-o", str(out), "--spec", "gd-dept-overall-2023",
                                  "--spec", OLD, "-j", "1", "-q", "--format", "json"])
    assert r.exit_code == 1, r.output              # the national form was not named: it goes back
    names = openpyxl.load_workbook(out, read_only=True).sheetnames
    for sid in ("gd-dept-overall-2023", OLD):
        assert {f"指标得分（{sid}）", f"扣分统计（{sid}）", f"图表（{sid}）"} <= set(names)
    assert "指标得分" not in names and "扣分统计" not in names
    units = pd.read_excel(out, sheet_name="汇总", header=1, dtype=object, engine="openpyxl")
    by_file = {str(p).rsplit("/", 1)[-1]: row for p, row in zip(units["来源文件"], units.to_dict("records"))}
    assert by_file["鳌头_2022.xlsx"]["表单"] == OLD and by_file["鳌头_2022.xlsx"]["状态"] == "通过"
    assert by_file["太平_2023.xlsx"]["表单"] == "gd-dept-overall-2023" and by_file["太平_2023.xlsx"]["状态"] == "通过"
    assert by_file["温泉_全国表.xlsx"]["状态"] == "需退回"
    note = pd.read_excel(out, sheet_name="汇总", header=None, nrows=1, engine="openpyxl").iloc[0, 0]
    assert "本次汇总 2 种表单" in note and f"{OLD} 1 份" in note and "gd-dept-overall-2023 2 份" in note
    old_note = pd.read_excel(out, sheet_name=f"扣分统计（{OLD}）", header=None, nrows=1, engine="openpyxl").iloc[0, 0]
    assert old_note.startswith(f"表单 {OLD}（部门整体支出绩效自评表（2022 版））")
    # statistics per form: each form's 扣分统计 counts only its own returns
    new = pd.read_excel(out, sheet_name="扣分统计（gd-dept-overall-2023）", header=1, engine="openpyxl").set_index("编号")
    old = pd.read_excel(out, sheet_name=f"扣分统计（{OLD}）", header=1, engine="openpyxl").set_index("编号")
    assert new.loc["2.6.6", "扣分单位数"] == 1 and new.loc["2.6.5", "扣分单位数"] == 0
    assert old.loc["2.6.5", "扣分单位数"] == 1 and old.loc["2.6.6", "扣分单位数"] == 0
    assert "闲置资产较多" in new.loc["2.6.6", "常见扣分原因"] and "数据质量待提高" in old.loc["2.6.5", "常见扣分原因"]
    matrix = pd.read_excel(out, sheet_name=f"指标得分（{OLD}）", header=1, dtype={"单位编码": str}, engine="openpyxl")
    assert list(matrix["单位编码"]) == ["440117103", "平均"]
    db = sqlite3.connect(tmp_path / "汇总.db")
    flagged = db.execute("SELECT s.file_name FROM findings f JOIN submissions s ON s.id=f.submission_id "
                         "WHERE f.code='spec-unexpected'").fetchall()
    assert flagged == [("温泉_全国表.xlsx",)]


def test_one_named_form_keeps_the_plain_sheets(two_forms, tmp_path):
    out = tmp_path / "汇总.xlsx"
    result = run_collect([two_forms], out, jobs=1, spec_ref="gd-dept-overall-2023")
    names = openpyxl.load_workbook(out, read_only=True).sheetnames
    assert {"指标得分", "扣分统计", "图表"} <= set(names) and not [n for n in names if "（" in n]
    rows = {r["file_name"]: r for r in result["rows"]}
    assert rows["鳌头_2022.xlsx"]["status"] == "需退回" and rows["温泉_全国表.xlsx"]["status"] == "需退回"


def test_the_overview_keeps_each_forms_statistics_apart(two_forms, tmp_path):
    out = tmp_path / "汇总.xlsx"
    run_collect([two_forms], out, jobs=1, spec_ref=("gd-dept-overall-2023", OLD))
    md = tmp_path / "overview.md"
    r = CliRunner().invoke(main, ["report", "--summary", str(tmp_path / "汇总.db"), "-o", str(md)])
    assert r.exit_code == 0, r.output
    text = md.read_text(encoding="utf-8")
    third = text.split("三、")[1].split("四、")[0]
    fourth = text.split("四、")[1].split("五、")[0]
    assert f"部门整体支出绩效自评表（2022 版）（{OLD}）" in third and "表 2-1" in third and "表 2-2" in third
    old_part, new_part = fourth.split("（gd-dept-overall-2023）")       # sections in order of form id
    assert "闲置资产较多" in new_part and "数据质量待提高" not in new_part
    assert "数据质量待提高" in old_part and "闲置资产较多" not in old_part

"""Issue 14 "Done when": a bureau's own spec, kept in its own folder, from template to status with LibreOffice
filling the returns; no command after `template` is told where the spec is (the workbooks carry it)."""
from __future__ import annotations

import json
import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from ledgerfiles import SEED_CODE, SEED_NAME, write_roster
from lo_recalc import recalc_files, soffice_path
from randomfill import fill_bytes

from conftest import SAMPLE_ANSWERS
from workbook_tools.cli import main
from workbook_tools.files import specsheet
from workbook_tools.model import speclib
from workbook_tools.model.answers import answers_to_values, load_answers
from workbook_tools.files.specsheet import load_spec

pytestmark = pytest.mark.skipif(soffice_path() is None, reason="LibreOffice (soffice) is not installed")

SHIPPED = Path(__file__).resolve().parent.parent / "workbook_tools" / "specs" / "gd-dept-overall-2023.yaml"


def bureau_spec_text() -> str:
    """A distinct form: another id, version and title, other weights and wording than the shipped one."""
    t = SHIPPED.read_text(encoding="utf-8")
    for old, new in (("id: gd-dept-overall-2023", "id: bureau-dept-2024"),
                     ('version: "2023.4"', 'version: "2024.1"'),
                     ("title: 2023年度部门整体支出绩效自评表", "title: 某区2024年度部门整体支出绩效自评表"),
                     ("name: 部门整体绩效目标产出指标完成情况\n            weight: 20",
                      "name: 部门整体绩效目标产出指标完成情况\n            weight: 25"),
                     ("name: 部门整体绩效目标效益指标完成情况\n            weight: 20",
                      "name: 部门整体绩效目标效益指标完成情况\n            weight: 15"),
                     ("name: 采购意向公开合规性, weight: 2", "name: 采购意向按时公开情况, weight: 3"),
                     ("name: 采购合同签订时效性, weight: 3", "name: 采购合同签订时效性, weight: 2")):
        assert old in t, old
        t = t.replace(old, new, 1)
    return t


@pytest.fixture
def clean(tmp_path, monkeypatch):
    """A clean machine: nothing on WBTOOL_SPEC_PATH, a fresh working folder, the spec only in the bureau's folder."""
    monkeypatch.delenv(speclib.ENV, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    bureau = tmp_path / "财政局规格"
    bureau.mkdir()
    spec_file = bureau / "本区部门整体表.yaml"
    spec_file.write_text(bureau_spec_text(), encoding="utf-8")
    return work, spec_file


def run(*args):
    r = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return r


def test_bureau_spec_end_to_end_with_libreoffice(clean, tmp_path):
    work, spec_file = clean
    # 1. template: the only command told where the spec is
    r = run("template", "--spec", spec_file, "-o", "空白模板.xlsx")
    assert r.exit_code == 0, r.output
    spec_file_text = spec_file.read_text(encoding="utf-8")
    spec_file.rename(spec_file.with_suffix(".moved"))           # from here on the spec file is nowhere to be found
    with pytest.raises(Exception):
        load_spec("bureau-dept-2024")

    # 2. distribute, with the spec taken from the template it carries
    write_roster(work / "units.csv", [(SEED_CODE, SEED_NAME, "广州市从化区人民政府", "440117")])
    r = run("distribute", "--roster", "units.csv", "--spec", "空白模板.xlsx", "-o", "outbox")
    assert r.exit_code == 0, r.output
    issued = next((work / "outbox").glob("*.xlsx"))

    # 3. the unit fills it; LibreOffice writes the file that comes back
    spec = specsheet.from_workbook(issued)
    assert spec.id == "bureau-dept-2024" and spec.node("1.1.1").weight == Decimal(25)
    values = answers_to_values(spec, load_answers(SAMPLE_ANSWERS))
    values.update({"node.2.5.1.score": 3, "node.2.5.4.score": 2})    # full marks under the bureau's own weights
    typed = tmp_path / "typed" / issued.name
    typed.parent.mkdir()
    typed.write_bytes(fill_bytes(issued.read_bytes(), spec, values))
    lo = recalc_files([typed], tmp_path / "lo")[typed]
    unit = work / "unit"          # the unit's own folder (fill and mark leave backups there)
    unit.mkdir()
    returned = unit / issued.name
    shutil.copy(lo, returned)
    wb = openpyxl.load_workbook(returned)
    # the copy survived LibreOffice, still hidden (LibreOffice knows no "very hidden": it keeps it "hidden")
    assert wb[speclib.SPEC_SHEET].sheet_state in ("hidden", "veryHidden")
    assert "LibreOffice" in (wb.properties.creator or "") + str(wb.properties.__dict__) or lo != typed

    # the copy read back from LibreOffice's file is the spec file, byte for byte (as normalized text)
    from workbook_tools.files.xlsxfile import FileBook
    emb = speclib.read_embedded(FileBook(str(returned), returned.read_bytes()))
    assert emb.intact and emb.text == speclib.normalize(spec_file_text)
    speclib.reset()

    # 4. validate, fill, export, report — none told where the spec is
    r = run("validate", "--format", "json", returned)
    assert '"bureau-dept-2024"' in r.output, r.output
    assert r.exit_code == 0, r.output
    assert "spec-unknown" not in r.output and "无法读取" not in r.output
    r = run("fill", returned)
    assert r.exit_code == 0, r.output
    assert "来自未知的表单规格" not in r.output
    r = run("export", returned, "-o", "export.json")
    assert r.exit_code == 0, r.output
    data = json.loads((work / "export.json").read_text(encoding="utf-8"))
    assert data["spec"]["id"] == "bureau-dept-2024"
    from workbook_tools.files.reader import read_workbook
    from workbook_tools.model.engine import compute
    ret = read_workbook(returned)
    assert ret.spec.id == "bureau-dept-2024" and ret.meta["_spec_origin"] == speclib.ORIGIN_EMBEDDED
    res = compute(ret.spec, ret.inputs)
    # the bureau's weights score: 产出 out of 25, 效益 out of 15
    assert Decimal(15) < res.leaf_scores["1.1.1"] <= Decimal(25) and res.leaf_scores["1.1.2"] <= Decimal(15)
    assert Decimal(str(data["totals"]["total"])) == res.total
    assert data["spec"]["origin"] == "embedded" and data["spec"]["embedded"] == "used"
    r = run("report", returned, "-o", "报告.docx")
    assert r.exit_code == 0, r.output
    assert (work / "报告.docx").stat().st_size > 0
    r = run("mark", returned)
    assert r.exit_code == 0, r.output
    r = run("clear", returned)
    assert r.exit_code == 0, r.output

    # 5. the unit sends the file (marked and cleared again: still readable); collect and status on the bureau's side
    inbox = work / "inbox"
    inbox.mkdir()
    shutil.copy(returned, inbox / returned.name)
    speclib.reset()
    r = run("collect", "inbox", "-o", "汇总.xlsx")
    assert "通过 1，需退回 0，无法读取 0" in r.output, r.output
    assert r.exit_code == 0, r.output
    db = work / "汇总.db"
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT spec_id, status FROM submissions").fetchall()
    assert rows and all(sid == "bureau-dept-2024" for sid, _ in rows), rows
    assert all(st != "无法读取" for _, st in rows), rows
    speclib.reset()
    r = run("status", "--db", db, "--format", "json")
    assert r.exit_code == 0, r.output
    st = json.loads(r.output)
    assert st[0]["unit_code"] == SEED_CODE and st[0]["display"] is not None
    assert Decimal(str(st[0]["display"])) == Decimal(str(data["totals"]["display"]))

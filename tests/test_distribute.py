"""`wbtool distribute`: per-unit templates with the cover and the ledger's money pre-filled and locked."""
import csv
import json
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner
from faults import set_cell
from ledgerfiles import (SEED_CODE, SEED_NAME, ledger_lines, rows_for, seed_funds, seed_rows, write_csv,
                         write_roster)
from randomfill import fill_bytes

from conftest import SAMPLE_ANSWERS
from workbook_tools.bureau import distribute as distribute_mod
from workbook_tools.model.answers import answers_to_values, load_answers
from workbook_tools.catalogue import CATALOGUE
from workbook_tools.cli import main
from workbook_tools.bureau.distribute import MANIFEST, distribute
from workbook_tools.errors import OutputError
from workbook_tools.model.layout import layout_for
from workbook_tools.bureau.ledger import read_ledger
from workbook_tools.numbers import num
from workbook_tools.files.reader import read_workbook
from workbook_tools.files.specsheet import load_spec
from workbook_tools.model.template import FILL_LOCKED
from workbook_tools.checks.validate import validate_workbook

GD = load_spec()
L = layout_for(GD)
BASE = answers_to_values(GD, load_answers(SAMPLE_ANSWERS))
MONEY = ("initial", "adjusted", "actual", "mid_budget", "mid_actual")
LOCKED = {f"funds.{i}.{k}" for i in range(len(GD.funds.sources)) for k in MONEY}
SEED_FILE = f"{SEED_CODE}_{SEED_NAME}.xlsx"
# what a unit still has to enter in a distributed file; the rest must already be right
UNIT_ENTRIES = {"cover-missing", "score-missing", "targets-missing", "checklist-item-missing",
                "deduction-without-reason", "budget-adjusted-without-reason", "narrative-missing"}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def ledger_csv(tmp_path):
    other = rows_for("440117102", "鳌头镇人民政府", {"一般公共预算": seed_funds()["一般公共预算"]})
    return write_csv(tmp_path / "ledger.csv", ledger_lines(seed_rows() + other, unit="元"), "gbk")


@pytest.fixture
def roster_csv(tmp_path):
    return write_roster(tmp_path / "units.csv", [(SEED_CODE, SEED_NAME, "广州市从化区人民政府", "440117"),
                                                 ("440117999", "新设单位")])


def manifest(outbox) -> list[dict]:
    with open(outbox / MANIFEST, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_cover_and_funds_are_prefilled_and_locked(tmp_path, roster_csv, ledger_csv):
    out = tmp_path / "outbox"
    distribute(roster_csv, out, ledger=read_ledger(ledger_csv), year=2023)
    ret = read_workbook(out / SEED_FILE)
    want = {"unitName": SEED_NAME, "agencyCode": SEED_CODE, "mofDivCode": "440117",
            "supervisor": "广州市从化区人民政府", "fiscalYear": 2023}
    assert {k: ret.cover()[k] for k in want} == want
    for i, src in enumerate(GD.funds.sources):
        for k in MONEY:
            assert num(ret.inputs[f"funds.{i}.{k}"]) == seed_funds()[src][k], (src, k)
    wb = openpyxl.load_workbook(out / SEED_FILE)
    ws = wb["收支情况"]
    assert ws.protection.sheet
    for key in LOCKED:
        cell = ws[L[key].coord]
        assert cell.protection.locked and cell.fill.fgColor.rgb.endswith(FILL_LOCKED.fgColor.rgb[-6:])
        assert "台账" in cell.comment.text
    prompts = {str(dv.sqref): dv.prompt or "" for dv in ws.data_validations.dataValidation}
    assert not any(L["funds.0.actual"].coord in ref.split() and "台账" not in p for ref, p in prompts.items())
    for key in ("funds.0.projects", "funds.adjust_reason"):
        assert not ws[L[key].coord].protection.locked
    assert not wb["封面"][L["cover.preparer"].coord].protection.locked


def test_a_distributed_file_only_lacks_what_the_unit_enters(tmp_path, roster_csv, ledger_csv):
    out = tmp_path / "outbox"
    distribute(roster_csv, out, ledger=read_ledger(ledger_csv), year=2023)
    for f in out.glob("*.xlsx"):
        rep = validate_workbook(f)
        assert rep.readable
        own_money = set() if f.name == SEED_FILE else {"funds-missing"}    # a unit the ledger lacks
        assert {x.code for x in rep.findings} <= UNIT_ENTRIES | own_money, f.name
        assert not any(CATALOGUE[x.code].category in ("identity", "consistency", "types") for x in rep.findings)


def test_distribute_fill_validate_crosscheck_round_trip(tmp_path, roster_csv, ledger_csv):
    out = tmp_path / "outbox"
    assert run("distribute", "--roster", roster_csv, "--ledger", ledger_csv, "--year", 2023, "-o", out).exit_code == 0
    given = {k for k in BASE if k.startswith("cover.") and k.split(".")[1] in
             ("unitName", "agencyCode", "mofDivCode", "supervisor", "fiscalYear")} | LOCKED
    entries = {k: v for k, v in BASE.items() if k not in given and L[k].role == "input"}
    typed = tmp_path / "typed.xlsx"
    typed.write_bytes(fill_bytes((out / SEED_FILE).read_bytes(), GD, entries))
    done = tmp_path / "done.xlsx"
    assert run("fill", typed, "-o", done).exit_code == 0
    r = run("validate", done)
    assert r.exit_code == 0, r.output
    r = run("crosscheck", done, "--ledger", ledger_csv)
    assert r.exit_code == 0, r.output
    # one figure retyped: exactly that cell, with both values
    cell = L["funds.1.initial"]
    changed = tmp_path / "changed.xlsx"
    changed.write_bytes(set_cell(done.read_bytes(), cell.sheet, cell.coord, 9900))
    assert run("fill", changed, "--no-backup").exit_code == 0
    r = run("crosscheck", changed, "--ledger", ledger_csv, "--format", "json")
    assert r.exit_code == 1
    found = json.loads(r.output)["findings"]
    assert [(f["code"], f["cell"], f["expected"], f["found"]) for f in found] == [
        ("ledger-initial-mismatch", "收支情况!B5", 9800, 9900)]
    assert "9900" in found[0]["message"] and "9800" in found[0]["message"]


def test_units_missing_on_either_side_are_reported(tmp_path, roster_csv, ledger_csv):
    out = tmp_path / "outbox"
    d = distribute(roster_csv, out, ledger=read_ledger(ledger_csv))
    assert [u.code for u in d.not_in_ledger] == ["440117999"]
    assert [u.code for u in d.not_in_roster] == ["440117102"]
    rows = {r["单位编码"]: r for r in manifest(out)}
    assert rows[SEED_CODE]["预填资金"] == "是" and rows[SEED_CODE]["文件"] == SEED_FILE
    assert rows["440117999"]["预填资金"] == "否" and "台账中没有" in rows["440117999"]["备注"]
    assert rows["440117999"]["文件"] and (out / rows["440117999"]["文件"]).exists()
    assert rows["440117102"]["文件"] == "" and "名单中没有" in rows["440117102"]["备注"]
    # the unit the ledger lacks enters its own money: nothing locked, nothing pre-filled
    new = out / rows["440117999"]["文件"]
    ws = openpyxl.load_workbook(new)["收支情况"]
    assert not any(ws[L[k].coord].protection.locked for k in LOCKED)
    assert all(read_workbook(new).inputs[k] is None for k in LOCKED)


def test_cli_reports_unmatched_units_and_strict(tmp_path, roster_csv, ledger_csv):
    r = run("distribute", "--roster", roster_csv, "--ledger", ledger_csv, "-o", tmp_path / "a")
    assert r.exit_code == 0
    assert "440117999" in r.stderr and "440117102" in r.stderr and "2 个模板" in r.stdout
    r = run("distribute", "--roster", roster_csv, "--ledger", ledger_csv, "-o", tmp_path / "b", "--strict")
    assert r.exit_code == 1
    assert len(manifest(tmp_path / "b")) == 3


def test_without_a_ledger_only_the_cover_is_prefilled(tmp_path, roster_csv):
    r = run("distribute", "--roster", roster_csv, "-o", tmp_path / "out")
    assert r.exit_code == 0 and not r.stderr
    ret = read_workbook(tmp_path / "out" / SEED_FILE)
    assert ret.inputs["cover.agencyCode"] == SEED_CODE and ret.inputs["funds.0.adjusted"] is None
    assert {r["预填资金"] for r in manifest(tmp_path / "out")} == {"否"}


def test_unit_codes_with_path_characters_stay_in_the_outbox(tmp_path):
    roster = write_roster(tmp_path / "units.csv", [("../x", "越界"), ("x", "越界"), ("CON", "设备名"),
                                                   ("..\\..\\evil", "反斜杠"), ("/etc/passwd", "绝对路径"),
                                                   ("NUL.txt", "=HYPERLINK(\"http://x\")")])
    out = tmp_path / "outbox"
    d = distribute(roster, out)
    files = [out / i.file for i in d.issued]
    assert all(f.exists() and f.resolve().parent == out.resolve() for f in files)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outbox", "units.csv"]
    names = [f.name for f in files]
    assert names[:2] == ["x_越界.xlsx", "x_越界-2.xlsx"] and len(set(names)) == len(names)
    assert not any(n.split(".")[0].rstrip(" ").upper() in ("CON", "NUL") for n in names)   # Windows devices
    with open(out / MANIFEST, encoding="utf-8-sig") as fh:
        assert "'=HYPERLINK" in fh.read()      # a name never becomes a formula in the manifest


def test_ensure_inside_is_the_last_guard(tmp_path, monkeypatch):
    monkeypatch.setattr(distribute_mod, "safe_path_component", lambda s, max_len=80: s)
    roster = write_roster(tmp_path / "units.csv", [("../../x", "越界")])
    (tmp_path / "deep").mkdir()
    with pytest.raises(OutputError) as e:
        distribute(roster, tmp_path / "deep" / "outbox")
    assert e.value.code == "path-escape"
    assert not any(p.suffix == ".xlsx" for p in tmp_path.rglob("*"))


def test_bad_inputs_exit_codes(tmp_path, roster_csv, ledger_csv):
    assert run("distribute", "--roster", tmp_path / "无.csv", "-o", tmp_path / "o").exit_code == 3
    assert run("distribute", "--roster", roster_csv, "--unit", "元", "-o", tmp_path / "o").exit_code == 2
    # the national project form has other fund sources: the ledger's 一般公共预算 is not one of them
    r = run("distribute", "--roster", roster_csv, "--ledger", ledger_csv, "--spec", "national-project-2020",
            "-o", tmp_path / "o")
    assert r.exit_code == 2 and "一般公共预算" in r.stderr and "本年财政拨款" in r.stderr
    dup = write_roster(tmp_path / "dup.csv", [("1", "甲"), ("1", "乙")])
    r = run("distribute", "--roster", dup, "-o", tmp_path / "o")
    assert r.exit_code == 2 and "dup.csv" in r.stderr


def test_money_in_a_form_stated_in_yuan(tmp_path, ledger_csv):
    """A form whose money unit is 元 gets the ledger's 万元 figures times 10000, exactly."""
    import yaml
    from workbook_tools.model.spec import spec_dir
    doc = yaml.safe_load((spec_dir() / "gd-dept-overall-2023.yaml").read_text(encoding="utf-8"))
    doc["money_unit"], doc["id"] = "元", "gd-yuan"
    path = tmp_path / "gd-yuan.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    roster = write_roster(tmp_path / "u.csv", [(SEED_CODE, SEED_NAME)])
    distribute(roster, tmp_path / "out", ledger=read_ledger(ledger_csv), spec=str(path))
    ret = read_workbook(tmp_path / "out" / SEED_FILE, load_spec(str(path)))
    assert num(ret.inputs["funds.0.adjusted"]) == Decimal("286503200")


def test_manifest_gives_each_unit_an_access_code_that_survives_a_rerun(tmp_path, roster_csv, ledger_csv):
    from workbook_tools.bureau.codes import read_manifest_codes
    from workbook_tools.serve.portal import Portal, PortalConfig
    out = tmp_path / "outbox"
    distribute(roster_csv, out, ledger=read_ledger(ledger_csv))
    rows = {r["单位编码"]: r for r in manifest(out)}
    codes = {c: r["访问码"] for c, r in rows.items() if r["文件"]}
    assert codes and all(len(c) == 11 and c[5] == "-" for c in codes.values())
    assert len(set(codes.values())) == len(codes)
    assert rows["440117102"]["访问码"] == ""                    # no file, no code
    distribute(roster_csv, out, ledger=read_ledger(ledger_csv))   # distributing again keeps the codes handed out
    assert read_manifest_codes(out / "manifest.csv") == codes
    # the portal imports them as hashes: the unit signs in with its code, never with another's
    portal = Portal(PortalConfig(db=tmp_path / "汇总.db"))
    assert portal.import_codes(out / "manifest.csv") == len(codes)
    assert portal.import_codes(out / "manifest.csv") == 0
    assert portal.login_unit(SEED_CODE, codes[SEED_CODE].lower())
    other = next(c for u, c in codes.items() if u != SEED_CODE)
    with pytest.raises(Exception, match="访问码不对"):
        portal.login_unit(SEED_CODE, other)

"""Self-describing workbooks and the spec search path (issue 14 item 1): the copy a template carries, the precedence
--spec > WBTOOL_SPEC_PATH > installed > embedded, `wbtool specs`, and the embedded-differs finding."""
from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from ledgerfiles import SEED_CODE, SEED_NAME, write_roster

from conftest import SAMPLE, SAMPLE_ANSWERS
from workbook_tools.cli import main
from workbook_tools.errors import SpecError
from workbook_tools.files.reader import read_workbook
from workbook_tools.files.xlsxfile import FileBook
from workbook_tools.model import speclib
from workbook_tools.model.answers import answers_to_values, load_answers
from workbook_tools.files.specsheet import load_spec
from workbook_tools.model.template import build_template

SHIPPED = Path(__file__).resolve().parent.parent / "workbook_tools" / "specs" / "gd-dept-overall-2023.yaml"
OWN_ID = "bureau-dept-2024"


def own_text(**swap) -> str:
    """The bureau's own form: the shipped tree under another id and title, 产出 25 / 效益 15 instead of 20 / 20."""
    t = SHIPPED.read_text(encoding="utf-8")
    pairs = [("id: gd-dept-overall-2023", f"id: {OWN_ID}"), ('version: "2023.4"', 'version: "2024.1"'),
             ("title: 2023年度部门整体支出绩效自评表", "title: 某区2024年度部门整体支出绩效自评表"),
             ("name: 部门整体绩效目标产出指标完成情况\n            weight: 20",
              "name: 部门整体绩效目标产出指标完成情况\n            weight: 25"),
             ("name: 部门整体绩效目标效益指标完成情况\n            weight: 20",
              "name: 部门整体绩效目标效益指标完成情况\n            weight: 15")] + list(swap.items())
    for old, new in pairs:
        assert old in t, old
        t = t.replace(old, new, 1)
    return t


@pytest.fixture(autouse=True)
def clean(monkeypatch, tmp_path):
    monkeypatch.delenv(speclib.ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    speclib.reset()
    yield
    speclib.reset()


@pytest.fixture
def own_spec(tmp_path) -> Path:
    folder = tmp_path / "bureau"
    folder.mkdir()
    p = folder / "本区表.yaml"
    p.write_text(own_text(), encoding="utf-8")
    return p


def run(*args, **kw):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, **kw)


def filled(spec, path: Path) -> Path:
    """A complete, valid return of ``spec`` (the seed's answers, full marks where the bureau's weights differ)."""
    values = answers_to_values(spec, load_answers(SAMPLE_ANSWERS))
    build_template(spec, path, values)
    return path


def hide_copy(path: Path, edit) -> None:
    """Change the workbook's hidden spec sheet with openpyxl (what a unit with a macro editor could do)."""
    wb = openpyxl.load_workbook(path)
    edit(wb)
    wb.save(path)


# ---------------------------------------------------------------- the copy

def test_copy_round_trips_indentation_blank_lines_and_long_lines(tmp_path):
    long_std = "每超过一个百分点扣 0.1 分；" * 3000                  # 42,000 characters: longer than a cell holds
    text = own_text(**{"standard: 新增重大项目均开展事前绩效评估的得满分，每缺一项扣 1 分。": f"standard: {long_std}"})
    text = (text + "\n\n   # 空行与缩进的注释\n").replace("\n", "\r\n")      # blank lines; a spec saved on Windows
    p = tmp_path / "s.yaml"
    p.write_bytes(text.encode("utf-8"))
    spec = load_spec(p)
    out = build_template(spec, tmp_path / "t.xlsx")
    emb = speclib.read_embedded(FileBook("t.xlsx", out))
    assert emb.intact and emb.spec_id == OWN_ID and emb.version == "2024.1"
    assert emb.text == text.replace("\r\n", "\n") and "\n\n" in emb.text and "\n    " in emb.text
    assert emb.sha256 == speclib.text_hash(text)
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    ws = wb[speclib.SPEC_SHEET]
    assert ws.sheet_state == "veryHidden" and ws.protection.sheet
    assert max(len(str(c.value or "")) for c in ws["A"]) <= speclib.CHUNK + 1
    assert emb.spec("t.xlsx").fingerprint == spec.fingerprint


def test_project_workbook_carries_its_spec_too(tmp_path):
    from workbook_tools.model.template import build_projects_template
    spec = load_spec("national-project-2020")
    data = build_projects_template(spec, [{"cover.projectName": "甲项目"}, {"cover.projectName": "乙项目"}])
    emb = speclib.read_embedded(FileBook("p.xlsx", data))
    assert emb.intact and emb.text == SHIPPED.with_name("national-project-2020.yaml").read_text("utf-8")


def test_old_templates_without_a_copy_read_through_the_installed_spec(sample):
    hide_copy(sample, lambda wb: wb.remove(wb[speclib.SPEC_SHEET]))       # as templates were before this round
    assert speclib.SPEC_SHEET not in FileBook(str(sample), sample.read_bytes()).sheet_names()
    ret = read_workbook(sample)
    assert ret.spec.id == "gd-dept-overall-2023" and ret.meta["_spec_origin"] == "package"
    assert ret.meta["_embedded"] == "none"
    r = run("validate", sample)
    assert r.exit_code == 0, r.output


def test_the_committed_sample_carries_the_installed_spec(sample):
    ret = read_workbook(sample)
    assert ret.meta["_embedded"] == "same" and ret.meta["_spec_origin"] == "package"
    assert ret.meta["_embedded_sha256"] == speclib.text_hash(SHIPPED.read_text("utf-8"))


# ---------------------------------------------------------------- the search path

def test_precedence_spec_option_then_path_then_installed(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    shadow = SHIPPED.read_text("utf-8").replace("title: 2023年度部门整体支出绩效自评表", "title: 市里改过的表", 1)
    (b / "gd.yml").write_text(shadow, "utf-8")
    (a / "不是规格.yaml").write_text("just: a list\n", "utf-8")
    monkeypatch.setenv(speclib.ENV, f"{a}{__import__('os').pathsep}{b}")
    assert load_spec("gd-dept-overall-2023").title == "市里改过的表"          # a folder on the path beats installed
    r = run("specs", "--format", "json")
    rows = json.loads(r.output)["specs"]
    gd = [x for x in rows if x["id"] == "gd-dept-overall-2023"]
    assert [x["origin"] for x in gd] == ["path", "package"]
    assert gd[0]["shadowed_by"] is None and gd[1]["shadowed_by"] == str((b / "gd.yml").resolve())
    assert any("不是规格" in s for s in json.loads(r.output)["skipped"])
    text = run("specs").output
    assert "WBTOOL_SPEC_PATH" in text and "未使用：被" in text
    explicit = tmp_path / "mine.yaml"
    explicit.write_text(shadow.replace("市里改过的表", "本次指定的表"), "utf-8")
    r = run("specs", "--spec", explicit, "--format", "json")
    top = [x for x in json.loads(r.output)["specs"] if x["id"] == "gd-dept-overall-2023"]
    assert [x["origin"] for x in top] == ["explicit", "path", "package"] and top[0]["title"] == "本次指定的表"
    assert load_spec("gd-dept-overall-2023").title == "市里改过的表"        # --spec lasted one command


def test_unknown_id_says_where_specs_are_looked_for():
    with pytest.raises(SpecError) as e:
        load_spec("no-such-form")
    assert "gd-dept-overall-2023" in e.value.zh and "wbtool specs" in e.value.zh


def test_a_spec_id_on_the_path_is_found_by_id_whatever_its_file_name(own_spec, monkeypatch):
    monkeypatch.setenv(speclib.ENV, str(own_spec.parent))
    spec = load_spec(OWN_ID)
    assert spec.source == str(own_spec.resolve()) and spec.node("1.1.1").weight == Decimal(25)
    r = run("template", "--spec", OWN_ID, "-o", "t.xlsx")
    assert r.exit_code == 0, r.output


# ---------------------------------------------------------------- every command reads a return of a bureau's own spec

def test_every_command_reads_a_return_of_a_spec_kept_outside_the_package(own_spec, tmp_path):
    spec = load_spec(own_spec)
    f = filled(spec, tmp_path / "unit.xlsx")
    own_spec.unlink()                               # the spec is nowhere but inside the workbook
    speclib.reset()
    for args in (("validate", f), ("fill", f), ("export", f, "-o", "e.json"), ("report", f, "-o", "r.md"),
                 ("mark", f), ("clear", f), ("crosscheck", f, "--ledger", _ledger(tmp_path, spec, f))):
        r = run(*args)
        assert r.exit_code in (0, 1), (args, r.output)
        assert "来自未知的表单规格" not in r.output and "无法读取" not in r.output, (args, r.output)
    assert json.loads(Path("e.json").read_text("utf-8"))["spec"]["origin"] == "embedded"
    line = next(x for x in Path("r.md").read_text("utf-8").splitlines() if "部门整体绩效目标产出指标完成情况 |" in x)
    assert "| 25 |" in line, line                  # the report shows the bureau's weight, not the shipped 20
    r = run("inspect", f, "--format", "json")
    assert r.exit_code == 0 and OWN_ID in r.output, r.output


def _ledger(tmp_path, spec, f) -> Path:
    from ledgerfiles import ledger_lines, seed_rows, write_csv
    return write_csv(tmp_path / "ledger.csv", ledger_lines(seed_rows()))


def test_spec_option_on_every_command_when_the_copy_is_gone(own_spec, tmp_path):
    """A workbook whose hidden copy was deleted: unreadable without the spec, read with --spec FILE on any command."""
    spec = load_spec(own_spec)
    f = filled(spec, tmp_path / "unit.xlsx")
    hide_copy(f, lambda wb: wb.remove(wb[speclib.SPEC_SHEET]))
    hidden = own_spec.rename(tmp_path / "elsewhere.yaml")
    speclib.reset()
    r = run("validate", f)
    assert r.exit_code == 3 and "来自未知的表单规格" in r.output and "WBTOOL_SPEC_PATH" in r.output
    r = run("export", f)
    assert r.exit_code == 3
    for args in (("validate", f), ("fill", f, "-o", "filled.xlsx"), ("export", f, "-o", "e.json"),
                 ("report", f, "-o", "r.md"), ("mark", f), ("clear", f), ("inspect", f)):
        r = run(*args, "--spec", hidden)
        assert r.exit_code in (0, 1), (args, r.output)
        assert "来自未知的表单规格" not in r.output, (args, r.output)
    assert json.loads(Path("e.json").read_text("utf-8"))["spec"]["origin"] == "explicit"


def test_collect_with_workers_and_status_read_returns_of_an_own_spec(own_spec, tmp_path):
    """Five returns, two worker processes: the returns carry the spec; then --spec FILE for returns without a copy."""
    spec = load_spec(own_spec)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    base = filled(spec, tmp_path / "base.xlsx")
    for i in range(5):
        shutil.copy(base, inbox / f"u{i}.xlsx")
        hide_copy(inbox / f"u{i}.xlsx", lambda wb, i=i: wb["封面"].__setitem__("B4", f"44011710{i}"))
    own_spec.rename(tmp_path / "elsewhere.yaml")
    speclib.reset()
    r = run("collect", inbox, "-o", "s.xlsx", "-j", "2")
    assert r.exit_code == 0 and "通过 5" in r.output, r.output
    speclib.reset()
    st = json.loads(run("status", "--db", "s.db", "--format", "json").output)
    assert len(st) == 5 and all(x["status"] == "通过" for x in st)
    r = run("report", "--summary", "s.db", "-o", "ov.md")
    assert r.exit_code == 0 and "某区2024年度部门整体支出绩效自评汇总情况" in r.output, r.output
    # the same returns with their copies deleted: --spec FILE reaches the worker processes
    for p in inbox.glob("*.xlsx"):
        hide_copy(p, lambda wb: wb.remove(wb[speclib.SPEC_SHEET]))
    speclib.reset()
    r = run("collect", inbox, "-o", "s2.xlsx", "-j", "2")
    assert "无法读取 5" in r.output, r.output
    r = run("collect", inbox, "-o", "s3.xlsx", "-j", "2", "--spec", tmp_path / "elsewhere.yaml")
    assert r.exit_code == 0 and "通过 5" in r.output, r.output


def test_distribute_and_template_take_the_spec_a_template_carries(own_spec, tmp_path):
    assert run("template", "--spec", own_spec, "-o", "blank.xlsx").exit_code == 0
    own_spec.unlink()
    speclib.reset()
    roster = write_roster(tmp_path / "units.csv", [(SEED_CODE, SEED_NAME, "广州市从化区人民政府", "440117")])
    r = run("distribute", "--roster", roster, "--spec", "blank.xlsx", "-o", "outbox")
    assert r.exit_code == 0, r.output
    issued = next(Path("outbox").glob("*.xlsx"))
    assert read_workbook(issued).spec.node("1.1.2").weight == Decimal(15)
    r = run("template", "--spec", "blank.xlsx", "-o", "again.xlsx")
    assert r.exit_code == 0, r.output
    r = run("specs", "--workbook", "again.xlsx", "-o", "back.yaml")
    assert r.exit_code == 0 and "查找路径上没有该规格" in r.output, r.output
    assert Path("back.yaml").read_text("utf-8") == own_text()


# ---------------------------------------------------------------- the copy differs from the bureau's spec

def test_edited_hidden_copy_is_a_finding_and_the_bureaus_rules_score(own_spec, tmp_path, monkeypatch):
    """A unit rewrites its copy (产出 25 → 30, 效益 15 → 10, hash recomputed): the bureau's spec on the path scores."""
    spec = load_spec(own_spec)
    f = filled(spec, tmp_path / "unit.xlsx")
    honest = read_workbook(f)
    text = own_text().replace("weight: 25", "weight: 30", 1).replace("weight: 15", "weight: 10", 1)

    rows = speclib.embed_rows(type("S", (), {"text": text, "id": OWN_ID, "version": "2024.1"})())

    def edit(wb):
        ws = wb[speclib.SPEC_SHEET]
        ws.delete_rows(1, ws.max_row)
        for r in rows:
            ws.append(r)
    hide_copy(f, edit)
    emb = speclib.read_embedded(FileBook(str(f), f.read_bytes()))
    assert emb.intact and "weight: 30" in emb.text             # a consistent forgery: text and hash agree
    monkeypatch.setenv(speclib.ENV, str(own_spec.parent))
    r = run("validate", f, "--format", "json")
    assert r.exit_code == 1
    found = _findings(r.output, "spec-embedded-mismatch")
    assert len(found) == 1 and found[0]["severity"] == "error" and found[0]["cell"] == "_wbtool_spec!B4"
    assert "评分规则" in found[0]["message"] and "WBTOOL_SPEC_PATH" in found[0]["message"]
    ret = read_workbook(f)
    assert ret.spec.source == str(own_spec.resolve()) and ret.meta["_embedded"] == "differs"
    assert ret.spec.node("1.1.1").weight == Decimal(25)
    from workbook_tools.model.engine import compute
    assert compute(ret.spec, ret.inputs).total == compute(honest.spec, honest.inputs).total


def _findings(output: str, code: str) -> list[dict]:
    doc = json.loads(output)
    reports = doc if isinstance(doc, list) else doc.get("reports") or doc.get("files") or [doc]
    return [x for rep in reports for x in rep["findings"] if x["code"] == code]


def test_bureau_changed_its_spec_without_a_new_version(own_spec, tmp_path, monkeypatch):
    spec = load_spec(own_spec)
    f = filled(spec, tmp_path / "unit.xlsx")
    own_spec.write_text(own_text() + "# 改了注释\n", "utf-8")          # only the text: the rules are the same
    monkeypatch.setenv(speclib.ENV, str(own_spec.parent))
    r = run("validate", f, "--format", "json")
    found = _findings(r.output, "spec-embedded-mismatch")
    assert len(found) == 1 and "仅文字" in found[0]["message"], r.output
    r = run("validate", f, "--format", "json", "--lang", "en")
    assert "only wording" in _findings(r.output, "spec-embedded-mismatch")[0]["message"]


def test_a_damaged_copy_is_not_used(own_spec, tmp_path):
    spec = load_spec(own_spec)
    f = filled(spec, tmp_path / "unit.xlsx")
    hide_copy(f, lambda wb: wb[speclib.SPEC_SHEET].__setitem__("A20", "|  weight: 99"))    # hash left as it was
    own_spec.unlink()
    speclib.reset()
    r = run("validate", f)
    assert r.exit_code == 3 and "内嵌的规格副本已损坏" in r.output, r.output


def test_edited_copy_alone_cannot_pass_as_the_issued_form(own_spec, tmp_path):
    """No bureau spec on this machine: a forged copy is used, but the form itself still says what was issued."""
    spec = load_spec(own_spec)
    f = filled(spec, tmp_path / "unit.xlsx")
    text = own_text().replace("weight: 25", "weight: 30", 1).replace("weight: 15", "weight: 10", 1)
    rows = speclib.embed_rows(type("S", (), {"text": text, "id": OWN_ID, "version": "2024.1"})())

    def edit(wb):
        ws = wb[speclib.SPEC_SHEET]
        ws.delete_rows(1, ws.max_row)
        for r in rows:
            ws.append(r)
    hide_copy(f, edit)
    own_spec.unlink()
    speclib.reset()
    r = run("validate", f, "--format", "json")
    assert r.exit_code == 1 and _findings(r.output, "fingerprint-mismatch"), r.output
    changed = _findings(r.output, "weight-changed")        # the form as issued shows 25 and 15
    assert {x["indicator"] for x in changed} >= {"1.1.1", "1.1.2"}, r.output


def test_collect_sends_back_a_return_whose_copy_differs_from_the_others(own_spec, tmp_path):
    """No bureau spec on the collecting machine: one return's copy was rewritten consistently (text + hash):
    it is not scored silently by its own copy but sent back; with the bureau's spec given it is an error finding."""
    spec = load_spec(own_spec)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    base = filled(spec, tmp_path / "base.xlsx")
    for i in range(4):
        shutil.copy(base, inbox / f"u{i}.xlsx")
        hide_copy(inbox / f"u{i}.xlsx", lambda wb, i=i: wb["封面"].__setitem__("B4", f"44011710{i}"))
    rows = speclib.embed_rows(type("S", (), {"text": own_text() + "# 改过\n", "id": OWN_ID, "version": "2024.1"})())

    def forge(wb):
        ws = wb[speclib.SPEC_SHEET]
        ws.delete_rows(1, ws.max_row)
        for r in rows:
            ws.append(r)
    hide_copy(inbox / "u3.xlsx", forge)
    elsewhere = own_spec.rename(tmp_path / "elsewhere.yaml")
    speclib.reset()
    r = run("collect", inbox, "-o", "s.xlsx", "--format", "json")
    res = json.loads(r.output)
    assert r.exit_code == 1, r.output
    wb = openpyxl.load_workbook("s.xlsx", read_only=True)
    text = "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v)
    assert "内嵌规格 bureau-dept-2024（2024.1）与其他 3 份报送的不同" in text
    assert res["ok"] is False
    speclib.reset()
    r = run("collect", inbox, "-o", "s2.xlsx", "--spec", elsewhere, "--db", "s2.db", "--format", "json")
    with __import__("sqlite3").connect("s2.db") as con:
        bad = con.execute("SELECT file_name, status FROM submissions WHERE status != '通过'").fetchall()
        codes = {c for (c,) in con.execute("SELECT code FROM findings")}
    assert bad == [("u3.xlsx", "需退回")] and "spec-embedded-mismatch" in codes, (bad, codes)


def test_a_spec_file_edited_in_place_is_seen_at_once(own_spec, monkeypatch):
    monkeypatch.setenv(speclib.ENV, str(own_spec.parent))
    assert speclib.find(OWN_ID).version == "2024.1"
    own_spec.write_text(own_text().replace('version: "2024.1"', 'version: "2024.2"'), "utf-8")
    assert speclib.find(OWN_ID).version == "2024.2" and load_spec(OWN_ID).version == "2024.2"
    (own_spec.parent / "另一份.yaml").write_text(own_text().replace(f"id: {OWN_ID}", "id: second-form"), "utf-8")
    assert speclib.find("second-form") is not None

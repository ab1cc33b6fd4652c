"""Issue 15 (and 13.6): every file of a batch gets its own verdict, numbers and sheets are bounded, outputs are
shared-folder friendly, and a bug is told apart from bad input. Each reproducer of the attack run is a test."""
import io
import json
import os
import stat
import time
import zipfile

import pytest
from click.testing import CliRunner
from faults import consistent

import badfiles
from conftest import SAMPLE, SAMPLE_ANSWERS
from workbook_tools.model.answers import answers_to_values, load_answers
from workbook_tools.cli import main
from workbook_tools.bureau.collect import PASS, RETURN, UNREADABLE, run_collect
from workbook_tools.errors import OutputError
from workbook_tools.files.export import export_workbook
from workbook_tools.files.fill import fill_workbook
from workbook_tools.files.specsheet import load_spec
from workbook_tools.checks.validate import validate_workbook

GD = load_spec()
BASE = answers_to_values(GD, load_answers(SAMPLE_ANSWERS))


def run(*args, **kw):
    return CliRunner().invoke(main, [str(a) for a in args], **kw)


def _no_infinity(text: str):
    def refuse(name):
        raise AssertionError(f"{name} in JSON")
    return json.loads(text, parse_constant=refuse)


def _sheet_xml(path, part="xl/worksheets/sheet4.xml") -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(part).decode()


# ------------------------------------------------------------------ 1. fill reads what validate reads

@pytest.mark.parametrize("target", ["styles.xml", "theme/theme1.xml"])
def test_sheet_relationship_to_a_non_worksheet_part_is_one_clear_refusal(tmp_path, target):
    p = badfiles.make_rel_to_part(tmp_path, target)
    for args in (["validate", p], ["fill", p, "-o", tmp_path / "o.xlsx"], ["export", p]):
        r = run(*args)
        assert r.exit_code == 3, (args, r.output)
        assert "不是工作表" in r.output and "评分表" in r.output and "内部错误" not in r.output
    assert not (tmp_path / "o.xlsx").exists()


def test_duplicated_zip_member_is_refused_by_every_command(tmp_path):
    p = badfiles.make_duplicate_entry(tmp_path)
    for args in (["validate", p], ["fill", p, "-o", tmp_path / "o.xlsx"]):
        r = run(*args)
        assert r.exit_code == 3 and "出现两次" in r.output and "内部错误" not in r.output, r.output


def test_identical_duplicate_member_is_read_and_written_once(tmp_path):
    import warnings
    with zipfile.ZipFile(SAMPLE) as z:
        body = z.read("xl/styles.xml")
    p = tmp_path / "dup.xlsx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p.write_bytes(badfiles.rewrite_zip(SAMPLE.read_bytes(), add={"xl/styles.xml": body}))
    assert validate_workbook(p).readable
    fill_workbook(p, tmp_path / "o.xlsx")
    with zipfile.ZipFile(tmp_path / "o.xlsx") as z:
        names = z.namelist()
    assert names.count("xl/styles.xml") == 1


# ------------------------------------------------------------------ 2. out-of-range numbers

@pytest.mark.parametrize("maker,found", [(badfiles.make_huge_money, "1e+308"), (badfiles.make_nan_money, "nan")])
def test_out_of_range_numbers_are_findings_at_the_cell_never_arithmetic(tmp_path, maker, found):
    p = maker(tmp_path)
    rep = validate_workbook(p)
    hits = {f.cell: f for f in rep.findings if f.code == "number-out-of-range"}
    assert set(hits) == {"收支情况!C4", "收支情况!D4"}
    assert hits["收支情况!C4"].severity == "error" and found in hits["收支情况!C4"].message().lower()
    json.dumps(rep.to_dict(), allow_nan=False)
    out = tmp_path / "o.xlsx"
    fill_workbook(p, out)
    import re
    for part in ("xl/worksheets/sheet4.xml", "xl/worksheets/sheet6.xml", "xl/worksheets/sheet7.xml"):
        xml = _sheet_xml(out, part)          # every value fill wrote (formula cells); the unit's own C4/D4 stay
        written = re.findall(r"</f><v>([^<]*)</v>", xml)
        assert written, part
        for v in written:
            assert v.lower() not in ("inf", "-inf", "nan") and "e+30" not in v, (part, v)
    assert "<v>" + ("1e308" if "huge" in maker.__name__ else "NaN") + "</v>" in _sheet_xml(out)
    json.dumps(export_workbook(p), allow_nan=False)
    r = run("export", p)
    assert r.exit_code == 0
    _no_infinity(r.output)


def test_a_return_of_huge_numbers_never_aborts_collect(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    badfiles.make_huge_money(inbox, "巨大金额.xlsx")
    badfiles.make_nan_money(inbox, "非数金额.xlsx")
    (inbox / "好.xlsx").write_bytes(consistent(GD, {**BASE, "cover.agencyCode": "440117102",
                                                    "cover.unitName": "街口街道办事处"}))
    result = run_collect([inbox], tmp_path / "汇总.xlsx", jobs=1)
    assert (tmp_path / "汇总.xlsx").exists()
    by_file = {r["file_name"]: r["status"] for r in result["rows"]}
    assert by_file["好.xlsx"] == PASS
    assert RETURN in by_file.values()
    json.dumps(result, allow_nan=False, default=str)


def test_cell_values_never_overflow_to_infinity():
    from decimal import Decimal

    from workbook_tools.files.fill import cell_value
    from workbook_tools.numbers import to_float
    assert to_float(Decimal("2e308")) is None and to_float(Decimal("NaN")) is None
    assert cell_value(Decimal("-5e400")) is None and cell_value(Decimal("1.5")) == 1.5


# ------------------------------------------------------------------ 4. long names, failing copies

def test_feedback_copy_names_are_bounded_in_bytes_and_one_failure_stops_nothing(tmp_path, monkeypatch):
    inbox = tmp_path / "in"
    inbox.mkdir()
    long_name = "广州市从化区太平镇人民政府财政所" * 6            # 96 characters, 288 bytes
    bad = {"node.2.7.1.score": 0, "node.2.7.1.reason": None}     # a deduction without a reason: 需退回
    (inbox / "a.xlsx").write_bytes(consistent(GD, {**BASE, "cover.agencyCode": "440117101",
                                                   "cover.unitName": long_name, **bad}))
    (inbox / "b.xlsx").write_bytes(consistent(GD, {**BASE, "cover.agencyCode": "440117102",
                                                   "cover.unitName": "街口街道办事处", **bad}))
    (inbox / "c.xlsx").write_bytes(consistent(GD, {**BASE, "cover.agencyCode": "440117103",
                                                   "cover.unitName": "鳌头镇人民政府", **bad}))
    import workbook_tools.files.annotate as annotate
    real = annotate.annotate_workbook

    def flaky(path, report, dest, *a, **kw):
        if str(path).endswith("b.xlsx"):
            raise RuntimeError("simulated bug in one copy")
        return real(path, report, dest, *a, **kw)
    monkeypatch.setattr(annotate, "annotate_workbook", flaky)
    monkeypatch.setenv("WBTOOL_LOG_DIR", str(tmp_path / "logs"))
    fb = tmp_path / "退回"
    r = run("collect", inbox, "-o", tmp_path / "汇总.xlsx", "--feedback", fb, "-j", "1")
    names = sorted(p.name for p in fb.iterdir())
    assert len(names) == 2, (names, r.output)
    assert all(len(n.encode()) <= 200 for n in names)
    long_copy = next(n for n in names if n.startswith("440117101_"))
    assert long_copy.endswith("_问题标注.xlsx") and "~" in long_copy
    assert any(n.startswith("440117103_") for n in names)
    assert r.exit_code == 1 and "b.xlsx" in r.output and "simulated bug" in r.output


def test_fit_file_name_cuts_bytes_at_a_character_and_keeps_names_apart():
    from workbook_tools.files.safety import fit_file_name
    a, b = "单" * 100 + "甲", "单" * 100 + "乙"
    fa, fb = fit_file_name(a, ".xlsx"), fit_file_name(b, ".xlsx")
    assert fa != fb and len(fa.encode()) <= 200 and fa.endswith(".xlsx")
    assert fa == fit_file_name(a, ".xlsx")                 # stable across runs
    assert fit_file_name("短名", ".xlsx") == "短名.xlsx"


# ------------------------------------------------------------------ 5. bounded reading

def test_padded_sheet_is_read_to_the_form_and_said_so(tmp_path):
    p = badfiles.make_padded_sheet(tmp_path)                 # 情况说明 down to row 1,048,576
    rep = validate_workbook(p)
    hits = [f for f in rep.findings if f.code == "outside-form"]
    assert len(hits) == 1 and hits[0].sheet == "情况说明" and hits[0].severity == "warning"
    assert rep.summary["total"] == 95.8634


def test_text_far_below_the_form_is_reported_where_it_starts(tmp_path):
    p = badfiles.make_padded_sheet(tmp_path, rows=5000, text_every=700)
    hit = next(f for f in validate_workbook(p).findings if f.code == "outside-form")
    assert hit.cell == "情况说明!A700"


def test_fill_refuses_to_rewrite_a_padded_form_sheet(tmp_path):
    p = badfiles.make_padded_sheet(tmp_path, part="xl/worksheets/sheet6.xml", rows=200_000)   # 评分表
    before = p.read_bytes()
    r = run("fill", p)
    assert r.exit_code == 3 and "表单范围之外" in r.output and "内部错误" not in r.output
    assert p.read_bytes() == before


def test_shared_formulas_outside_the_form_cost_nothing_and_stay_shared(tmp_path):
    p = badfiles.make_shared_formulas(tmp_path, cells=20_000)
    rep = validate_workbook(p)
    assert rep.readable and any(f.code == "outside-form" for f in rep.findings)
    out = tmp_path / "o.xlsx"
    fill_workbook(p, out)
    xml = _sheet_xml(out, "xl/worksheets/sheet9.xml")
    assert xml.count('t="shared"') == 20_000                 # untouched by fill


# ------------------------------------------------------------------ 7–9. files on a shared folder

def test_outputs_follow_the_umask_and_fill_in_place_keeps_the_mode(tmp_path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "o.xlsx"
        fill_workbook(SAMPLE, out)
        assert stat.S_IMODE(out.stat().st_mode) == 0o644
        p = tmp_path / "in.xlsx"
        p.write_bytes(SAMPLE.read_bytes())
        p.chmod(0o664)
        rep = fill_workbook(p)
        assert stat.S_IMODE(p.stat().st_mode) == 0o664
        assert stat.S_IMODE(os.stat(rep.backup).st_mode) == 0o664
    finally:
        os.umask(old)


def test_a_save_made_while_fill_runs_in_place_is_not_overwritten(tmp_path, monkeypatch):
    p = tmp_path / "表.xlsx"
    p.write_bytes(SAMPLE.read_bytes())
    theirs = SAMPLE.read_bytes() + b""          # what the colleague's Excel saves meanwhile
    from workbook_tools.files import xlsxfile
    real = xlsxfile.FileBook.save

    def save_and_race(self, dest):
        real(self, dest)
        time.sleep(0.01)
        with open(p, "r+b") as fh:              # Excel saves the same file while we write ours
            fh.seek(0, 2)
            fh.write(b"\0")
    monkeypatch.setattr(xlsxfile.FileBook, "save", save_and_race)
    with pytest.raises(OutputError) as e:
        fill_workbook(p, backup=False)
    assert e.value.code == "file-changed" and "被修改" in e.value.zh
    assert p.read_bytes() == theirs + b"\0"            # their save stands
    assert not [x for x in tmp_path.iterdir() if x.name.endswith(".tmp")]
    r = run("fill", p, "--no-backup")
    assert r.exit_code != 0 and "被修改" in r.output


def test_stale_temp_files_of_killed_runs_are_cleaned_and_nothing_else(tmp_path):
    from workbook_tools.files.atomic import atomic_output
    old = time.time() - 3600
    dead = tmp_path / ".汇总.xlsx.999999999-abc123.tmp"            # its process is gone, an hour old
    fresh = tmp_path / ".汇总.xlsx.999999999-def456.tmp"           # gone too, but written a moment ago
    alive = tmp_path / f".汇总.xlsx.{os.getppid()}-ghi789.tmp"     # a live process's (our parent's)
    ancient = tmp_path / f".汇总.xlsx.{os.getppid()}-jkl000.tmp"   # live pid, but two days old
    theirs = tmp_path / ".mine.tmp"                                 # not our pattern
    legacy = tmp_path / ".汇总.xlsx.k3j_9xq1.tmp"                     # an older version's, two days old
    recent_legacy = tmp_path / ".表.xlsx.ab12cd34.tmp"                 # an older version's, an hour old: kept
    for f in (legacy, recent_legacy):
        f.write_bytes(b"x")
    os.utime(legacy, (time.time() - 2 * 86400,) * 2)
    os.utime(recent_legacy, (old, old))
    for f in (dead, fresh, alive, ancient, theirs):
        f.write_bytes(b"x")
    for f in (dead, alive, theirs):
        os.utime(f, (old, old))
    os.utime(ancient, (time.time() - 2 * 86400,) * 2)
    with atomic_output(tmp_path / "other.txt", "w") as fh:
        fh.write("x")
    left = {f.name for f in tmp_path.iterdir()}
    assert dead.name not in left and ancient.name not in left and legacy.name not in left
    assert {fresh.name, alive.name, theirs.name, recent_legacy.name, "other.txt"} <= left


# ------------------------------------------------------------------ every file its verdict; bugs are not bad input

def test_a_bug_inside_one_file_makes_that_file_unreadable_and_the_batch_goes_on(tmp_path, monkeypatch):
    import workbook_tools.bureau.collect as collect
    inbox = tmp_path / "in"
    inbox.mkdir()
    for code, name in (("440117101", "太平镇"), ("440117102", "街口街道")):
        (inbox / f"{code}.xlsx").write_bytes(consistent(GD, {**BASE, "cover.agencyCode": code, "cover.unitName": name}))
    real = collect._process_file

    def buggy(path, expected=None):
        if path.endswith("440117101.xlsx"):
            raise KeyError("simulated")
        return real(path, expected)
    monkeypatch.setattr(collect, "_process_file", buggy)
    monkeypatch.setenv("WBTOOL_LOG_DIR", str(tmp_path / "logs"))
    result = run_collect([inbox], tmp_path / "汇总.xlsx", jobs=1)
    assert (tmp_path / "汇总.xlsx").exists()
    by_file = {r["file_name"]: r for r in result["rows"]}
    assert by_file["440117101.xlsx"]["status"] == UNREADABLE
    assert by_file["440117102.xlsx"]["status"] == PASS
    logs = list((tmp_path / "logs").iterdir())
    assert logs and "KeyError" in logs[0].read_text(encoding="utf-8")
    monkeypatch.setattr(collect, "_process_file", real)       # fixed: the next run reads the file again
    again = run_collect([inbox], tmp_path / "汇总.xlsx", jobs=1)
    assert {r["file_name"]: r["status"] for r in again["rows"]}["440117101.xlsx"] == PASS


def test_internal_error_exits_4_with_a_log_not_3(tmp_path, monkeypatch):
    import workbook_tools.checks.validate as validate
    monkeypatch.setattr(validate, "validate_forms", lambda *a, **k: 1 / 0)
    monkeypatch.setenv("WBTOOL_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.delenv("WBTOOL_DEBUG", raising=False)
    r = run("validate", SAMPLE)
    assert r.exit_code == 4, r.output
    assert "内部错误" in r.output and "ZeroDivisionError" in r.output and "不是输入文件的问题" in r.output
    logs = list((tmp_path / "logs").iterdir())
    assert len(logs) == 1 and str(logs[0]) in r.output
    assert "Traceback" in logs[0].read_text(encoding="utf-8") and "Traceback" not in r.output
    r = run("--lang", "en", "validate", SAMPLE)
    assert r.exit_code == 4 and "internal error" in r.output and "not a problem with the input" in r.output


def test_a_note_below_a_form_sheet_is_reported_and_fill_still_works(tmp_path):
    p = badfiles.make_padded_sheet(tmp_path, part="xl/worksheets/sheet6.xml", rows=400, text_every=300)   # 评分表
    rep = validate_workbook(p)
    assert [f.cell for f in rep.findings if f.code == "outside-form"] == ["评分表!A300"]
    out = tmp_path / "o.xlsx"
    fill_workbook(p, out)
    assert "<t>x</t>" in _sheet_xml(out, "xl/worksheets/sheet6.xml")      # the unit's note is kept


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the dying worker is simulated in a forked pool")
def test_a_worker_that_dies_costs_only_its_file(tmp_path, monkeypatch):
    import multiprocessing

    import workbook_tools.bureau.collect as collect
    inbox = tmp_path / "in"
    inbox.mkdir()
    for i in range(6):
        code = f"44011710{i}"
        (inbox / f"{code}.xlsx").write_bytes(consistent(GD, {**BASE, "cover.agencyCode": code,
                                                             "cover.unitName": f"单位{i}"}))
    real = collect._process_file

    def dies_on_one(path, expected=None):
        if path.endswith("440117103.xlsx"):
            os._exit(9)                      # as if killed for memory while reading this one file
        return real(path, expected)
    monkeypatch.setattr(collect, "_process_file", dies_on_one)
    monkeypatch.setattr(collect, "_context", lambda: multiprocessing.get_context("fork"))
    monkeypatch.setenv("WBTOOL_LOG_DIR", str(tmp_path / "logs"))
    result = run_collect([inbox], tmp_path / "汇总.xlsx", jobs=2)
    status = {r["file_name"]: r["status"] for r in result["rows"]}
    assert status.pop("440117103.xlsx") == UNREADABLE
    assert set(status.values()) == {PASS} and len(status) == 5

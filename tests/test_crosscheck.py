"""`wbtool crosscheck`: each difference between a workbook's funds and the bureau's ledger, at its cell."""
import csv
import io
import json
from decimal import Decimal

import pytest
from click.testing import CliRunner
from faults import consistent, typed_over
from ledgerfiles import SEED_CODE, ledger_lines, seed_funds, seed_rows, write_csv, write_xlsx

from conftest import SAMPLE, SAMPLE_ANSWERS
from workbook_tools.model.answers import answers_to_values, load_answers
from workbook_tools.catalogue import CATALOGUE
from workbook_tools.cli import main
from workbook_tools.bureau.crosscheck import crosscheck_returned, crosscheck_workbook, ledger_result
from workbook_tools.model.layout import layout_for
from workbook_tools.bureau.ledger import read_ledger
from workbook_tools.files.reader import read_workbook
from workbook_tools.files.specsheet import load_spec

GD = load_spec()
L = layout_for(GD)
BASE = answers_to_values(GD, load_answers(SAMPLE_ANSWERS))
SCORE = "node.1.1.3.score"          # the execution-rate leaf of the default form
_OK = {}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def ok() -> bytes:
    if "ok" not in _OK:
        _OK["ok"] = consistent(GD, BASE)
    return _OK["ok"]


def inputs(**changes):
    return lambda: consistent(GD, {**BASE, **changes})


def rows(drop=None, **changes):
    """The seed's ledger rows; ``changes``: source → {field: 万元}; ``drop``: a source left out."""
    funds = seed_funds()
    for src, figs in changes.items():
        funds[src] = {**funds[src], **{k: Decimal(str(v)) for k, v in figs.items()}}
    out = [r for r in seed_rows() if r["source"] != drop]
    return [{**r, **funds[r["source"]]} for r in out]


def at(*keys):
    return {L[k].addr for k in keys}


# name → (workbook bytes, ledger rows, extra sources for the column map, expected {(code, cell)})
CASES = {
    "clean": (ok, rows, {}, set()),
    "initial": (inputs(**{"funds.1.initial": 9900}), rows, {}, {("ledger-initial-mismatch", "funds.1.initial")}),
    "budget": (inputs(**{"funds.0.adjusted": 28000}), rows, {},
               {("ledger-budget-mismatch", "funds.0.adjusted"), ("ledger-rate-mismatch", "funds.exec_rate"),
                ("ledger-rate-mismatch", SCORE)}),
    "actual": (ok, lambda: rows(**{"政府性基金预算": {"actual": 11000}}), {},
               {("ledger-actual-mismatch", "funds.1.actual"), ("ledger-rate-mismatch", "funds.exec_rate"),
                ("ledger-rate-mismatch", SCORE)}),
    "midyear": (inputs(**{"funds.0.mid_actual": 12000}), rows, {},
                {("ledger-midyear-mismatch", "funds.0.mid_actual"), ("ledger-rate-mismatch", "funds.mid_progress")}),
    "missing-in-workbook": (inputs(**{"funds.3.adjusted": None, "funds.3.actual": None}), rows, {},
                            {("ledger-source-missing-in-workbook", "funds.3.adjusted")}),
    "missing-in-ledger": (ok, lambda: rows(drop="其他资金"), {},
                          {("ledger-source-missing-in-ledger", "funds.3.adjusted")}),
    "source-not-in-form": (ok, lambda: rows() + [{**rows()[0], "source": "专项债券"}], {"专项债券": "专项债券"},
                           {("ledger-source-missing-in-workbook", None)}),
    "unit-missing": (inputs(**{"cover.agencyCode": "440117000"}), rows, {},
                     {("ledger-unit-missing", "cover.agencyCode")}),
    "name": (inputs(**{"cover.unitName": "太平镇人民政府"}), rows, {}, {("ledger-name-mismatch", "cover.unitName")}),
    "total": (lambda: typed_over(ok(), GD, "funds.total.actual", 40000), rows, {},
              {("ledger-total-mismatch", "funds.total.actual"), ("ledger-rate-mismatch", "funds.exec_rate"),
               ("ledger-rate-mismatch", SCORE)}),
    "within-tolerance": (inputs(**{"funds.0.actual": 28598.175}), rows, {}, set()),
}


def _ledger(tmp_path, make_rows, sources):
    path = write_csv(tmp_path / "ledger.csv", ledger_lines(make_rows(), unit="元"))
    return read_ledger(path, columns={"sources": sources} if sources else None)


@pytest.mark.parametrize("name", CASES)
def test_case(tmp_path, name):
    make_book, make_rows, sources, expected = CASES[name]
    book = tmp_path / f"{name}.xlsx"
    book.write_bytes(make_book())
    rep = crosscheck_workbook(book, _ledger(tmp_path, make_rows, sources))
    got = {(f.code, f.cell) for f in rep.findings}
    want = {(code, L[key].addr if key else "") for code, key in expected}
    assert got == want, "\n".join(f"{f.code} {f.cell} {f.message()}" for f in rep.findings)


def test_every_ledger_code_has_a_case():
    seen = {code for *_, expected in CASES.values() for code, _ in expected}
    seen |= {"ledger-project-missing", "ledger-project-missing-in-workbook",   # exact cases: test_crosscheck_projects
             "ledger-no-projects"}                                           # and test_collect_projects
    assert {c for c, e in CATALOGUE.items() if e.category == "ledger"} - seen == set()


def test_findings_carry_both_values(tmp_path):
    book = tmp_path / "b.xlsx"
    book.write_bytes(inputs(**{"funds.0.adjusted": 28000})())
    rep = crosscheck_workbook(book, _ledger(tmp_path, rows, {}))
    f = next(f for f in rep.findings if f.code == "ledger-budget-mismatch")
    assert (f.expected, f.found) == (Decimal("28650.32"), Decimal(28000))
    assert "28000" in f.message() and "28650.32" in f.message() and "-650.32" in f.message()
    assert "28000" in f.message("en") and "ledger" in f.message("en")
    rate = next(f for f in rep.findings if f.cell == L["funds.exec_rate"].addr)
    assert rate.expected == Decimal("0.9974") and "99.74%" in rate.message()


def test_the_seed_in_yuan_agrees_and_scores_9_974(tmp_path):
    """The seed's figures (40082.65 / 39979.06 万元) in a ledger kept in 元: nothing to report."""
    ledger = read_ledger(write_csv(tmp_path / "l.csv", ledger_lines(seed_rows(), unit="元", head_unit=False)),
                         unit="元")
    assert ledger.units[SEED_CODE].total.adjusted == Decimal("40082.65")
    assert ledger.units[SEED_CODE].total.actual == Decimal("39979.06")
    ret = read_workbook(SAMPLE)
    assert crosscheck_returned(ret, ledger) == []
    res = ledger_result(ret, ledger.units[SEED_CODE], ledger)
    assert res.values["funds.exec_rate"] == Decimal("0.9974") and res.values[SCORE] == Decimal("9.974")
    rep = crosscheck_workbook(SAMPLE, ledger)
    assert rep.exit_code() == 0 and rep.summary["ledger"]["scores"] == {"1.1.3": 9.974}
    assert rep.summary["ledger"]["exec_rate"] == 0.9974


def test_crosscheck_returned_is_pure(tmp_path):
    ret = read_workbook(SAMPLE)
    before = dict(ret.inputs)
    ledger = _ledger(tmp_path, lambda: rows(**{"一般公共预算": {"actual": 1}}), {})
    first = crosscheck_returned(ret, ledger)
    assert ret.inputs == before
    assert [(f.code, f.cell) for f in crosscheck_returned(ret, ledger)] == [(f.code, f.cell) for f in first]


def test_tolerance(tmp_path):
    book = tmp_path / "b.xlsx"
    book.write_bytes(inputs(**{"funds.0.actual": 28598.175})())
    ledger = _ledger(tmp_path, rows, {})
    assert crosscheck_workbook(book, ledger).findings == []
    rep = crosscheck_workbook(book, ledger, tolerance=Decimal(0))
    assert [(f.code, f.cell) for f in rep.findings] == [("ledger-actual-mismatch", L["funds.0.actual"].addr)]
    r = run("crosscheck", book, "--ledger", tmp_path / "ledger.csv", "--tolerance", "0")
    assert r.exit_code == 1
    assert run("crosscheck", book, "--ledger", tmp_path / "ledger.csv", "--tolerance", "-1").exit_code == 2


# ------------------------------------------------------------------ command line

def test_cli_formats_match_the_library(tmp_path):
    good, bad = tmp_path / "good.xlsx", tmp_path / "bad.xlsx"
    good.write_bytes(ok())
    bad.write_bytes(inputs(**{"funds.1.initial": 9900})())
    led = write_xlsx(tmp_path / "ledger.xlsx", ledger_lines(seed_rows(), unit="元", head_unit=False,
                                                            note="金额单位：元"))
    r = run("crosscheck", good, "--ledger", led)
    assert r.exit_code == 0 and "校验通过" in r.output
    r = run("crosscheck", bad, "--ledger", led, "--format", "json")
    assert r.exit_code == 1
    assert json.loads(r.output) == crosscheck_workbook(bad, read_ledger(led)).to_dict("zh")
    r = run("crosscheck", good, bad, "--ledger", led, "--format", "csv", "--lang", "en")
    assert r.exit_code == 1
    lines = list(csv.DictReader(io.StringIO(r.output.lstrip("\ufeff"))))
    assert [(x["code"], x["cell"]) for x in lines] == [("ledger-initial-mismatch", L["funds.1.initial"].addr)]
    assert "ledger says 9800" in lines[0]["message"] and lines[0]["severity"] == "error"
    zh = list(csv.DictReader(io.StringIO(run("crosscheck", bad, "--ledger", led, "--format", "csv").output.lstrip("\ufeff"))))
    assert zh[0]["严重程度"] == "错误" and zh[0]["检查代码"] == "ledger-initial-mismatch" and "台账" in zh[0]["说明"]


def test_cli_unit_option(tmp_path):
    good = tmp_path / "good.xlsx"
    good.write_bytes(ok())
    led = write_csv(tmp_path / "l.csv", ledger_lines(seed_rows(), unit="元", head_unit=False), "gbk")
    r = run("crosscheck", good, "--ledger", led)
    assert r.exit_code == 2 and "--unit" in r.stderr
    assert run("crosscheck", good, "--ledger", led, "--unit", "元").exit_code == 0
    # the same 元 figures read as 万元 are 10000 times too large: every row differs
    r = run("crosscheck", good, "--ledger", led, "--unit", "万元", "--format", "json")
    assert r.exit_code == 1 and any(f["code"] == "ledger-budget-mismatch" for f in json.loads(r.output)["findings"])


def test_cli_strict_and_explained_warnings(tmp_path):
    book = tmp_path / "b.xlsx"
    book.write_bytes(inputs(**{"cover.unitName": "太平镇人民政府"})())
    led = write_csv(tmp_path / "l.csv", ledger_lines(seed_rows(), unit="元"))
    assert run("crosscheck", book, "--ledger", led).exit_code == 0
    assert run("crosscheck", book, "--ledger", led, "--strict").exit_code == 1
    explained = tmp_path / "e.xlsx"
    explained.write_bytes(inputs(**{"cover.unitName": "太平镇人民政府", "explain.1.code": "ledger-name-mismatch",
                                    "explain.1.cell": L["cover.unitName"].addr,
                                    "explain.1.text": "封面使用单位简称"})())
    r = run("crosscheck", explained, "--ledger", led, "--strict")
    assert r.exit_code == 0 and "封面使用单位简称" in r.output


def test_cli_bad_inputs(tmp_path):
    good = tmp_path / "good.xlsx"
    good.write_bytes(ok())
    led = write_csv(tmp_path / "l.csv", ledger_lines(seed_rows(), unit="元"))
    (tmp_path / "not.xlsx").write_text("hello", encoding="utf-8")
    r = run("crosscheck", good, tmp_path / "not.xlsx", "--ledger", led)
    assert r.exit_code == 3 and "not-a-workbook" in r.output
    r = run("crosscheck", good, "--ledger", tmp_path / "无.csv")
    assert r.exit_code == 3 and "无.csv" in r.stderr
    r = run("crosscheck", good, "--ledger", tmp_path / "not.xlsx")
    assert r.exit_code == 3 and "not.xlsx" in r.stderr
    no_actual = write_csv(tmp_path / "m.csv", ledger_lines(seed_rows(), unit="元", fields=("initial", "adjusted")))
    r = run("crosscheck", good, "--ledger", no_actual)
    assert r.exit_code == 2 and "实际支出" in r.stderr and "m.csv" in r.stderr
    assert run("crosscheck", "--ledger", led).exit_code == 2

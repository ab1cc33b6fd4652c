"""Issue 16 item 13: every command of the README's bureau section runs as written on samples/bureau/."""
from __future__ import annotations

import glob
import importlib.util
import re
import shlex
import shutil

import pytest
from click.testing import CliRunner
from meaning import diff_meaning, workbook_meaning

from conftest import ROOT
from workbook_tools.cli import main
from workbook_tools.files.reader import read_workbook

SAMPLES = ROOT / "samples" / "bureau"
# exit code of each README command (first words), on the shipped samples
EXPECTED = {"distribute": {0}, "collect": {1}, "status": {0, 1}, "report": {0}}


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### For the finance bureau"):]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.startswith("wbtool ")]


def _builder():
    spec = importlib.util.spec_from_file_location("bureau_samples", ROOT / "scripts" / "bureau_samples.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_readme_lists_the_bureau_commands():
    cmds = readme_commands()
    assert len(cmds) >= 9 and not any("[" in c for c in cmds)
    assert {c.split()[1] for c in cmds} >= {"distribute", "crosscheck", "collect", "status", "report"}


def test_every_readme_bureau_command_runs_on_the_samples(tmp_path, monkeypatch):
    work = tmp_path / "bureau"
    shutil.copytree(SAMPLES, work)
    monkeypatch.chdir(work)
    for line in readme_commands():
        args = []
        for a in shlex.split(line, comments=True)[1:]:
            args += sorted(glob.glob(a)) if "*" in a else [a]
        r = CliRunner().invoke(main, args, catch_exceptions=False)
        if args[0] == "crosscheck":
            # the inbox holds a return whose figures differ from the ledger; 太平镇 agrees with it
            want = {0} if args[1] == "太平镇.xlsx" else {1}
        else:
            want = EXPECTED[args[0]]
        assert r.exit_code in want, (line, r.exit_code, r.output)
        assert "Traceback" not in r.output
        if args[0] == "crosscheck" and args[1] != "太平镇.xlsx":
            assert "吕田镇" in r.output and "江埔街道" in r.output
    assert (work / "下发" / "manifest.csv").is_file() and len(list((work / "下发").glob("*.xlsx"))) >= 8
    back = sorted(p.name for p in (work / "退回").glob("*.xlsx"))
    for unit in ("温泉镇", "良口镇", "教育局"):            # no reason, over weight, untouched template
        assert any(unit in name for name in back), back
    assert (work / "汇总.xlsx").is_file() and (work / "汇总.db").is_file()
    from test_papers import check_tables
    d = check_tables(work / "汇总情况.docx")
    assert "广州市从化区卫生健康局" in "".join(c.text for t in d.tables for row in t.rows for c in row.cells)


def test_the_inbox_has_the_typical_problems():
    inbox = {p.stem: read_workbook(p) for p in (SAMPLES / "回收").glob("*.xlsx")}
    assert len(inbox) == 7
    assert inbox["温泉镇"].inputs.get("node.2.5.5.reason") in (None, "")
    assert inbox["良口镇"].inputs["node.2.2.1.score"] == 3
    assert inbox["江埔街道办事处"].inputs["funds.1.adjusted"] > 10000 * inbox["鳌头镇"].inputs["funds.1.adjusted"] / 3
    assert inbox["教育局"].inputs.get("node.2.2.1.score") in (None, "")


def test_samples_are_fresh(tmp_path):
    """The committed samples are what scripts/bureau_samples.py builds today (run scripts/regenerate.sh)."""
    fresh = _builder().main(tmp_path / "bureau")
    committed = sorted(p.relative_to(SAMPLES) for p in SAMPLES.rglob("*") if p.is_file())
    assert committed == sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
    for rel in committed:
        if rel.suffix == ".xlsx":
            assert not diff_meaning(workbook_meaning(SAMPLES / rel), workbook_meaning(fresh / rel)), rel
        else:
            assert (SAMPLES / rel).read_bytes() == (fresh / rel).read_bytes(), rel

"""Fault injection: SIGKILL at random moments never damages the original, the output or the database."""
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import openpyxl
import pytest

from conftest import SAMPLE
from workbook_tools.files.atomic import atomic_output
from workbook_tools.bureau.collect import run_collect
from workbook_tools.errors import OutputError
from workbook_tools.files.fill import fill_workbook
from workbook_tools.files.reader import read_workbook

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
CLI = [sys.executable, "-m", "workbook_tools.cli"]


def _sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _kill_after(cmd, delay):
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    p.send_signal(signal.SIGKILL)
    p.wait()
    return p.returncode


def test_fill_in_place_killed_at_random_moments(tmp_path):
    rng = random.Random(11)
    original = SAMPLE.read_bytes()
    filled = tmp_path / "ref.xlsx"
    fill_workbook(SAMPLE, filled)
    good = {hashlib.sha256(original).hexdigest(), _sha(filled)}
    for i in range(12):
        d = tmp_path / f"r{i}"
        d.mkdir()
        f = d / "太平镇.xlsx"
        f.write_bytes(original)
        _kill_after(CLI + ["fill", str(f)], rng.uniform(0.2, 1.2))
        assert _sha(f) in good                      # old or new, never a half-written file
        read_workbook(f)
        for other in d.iterdir():
            if other.name.startswith("太平镇.备份"):
                assert other.read_bytes() in (original, b"") or _sha(other) in good


def test_fill_to_output_killed_leaves_no_partial_output(tmp_path):
    rng = random.Random(12)
    for i in range(10):
        out = tmp_path / f"out{i}.xlsx"
        _kill_after(CLI + ["fill", str(SAMPLE), "-o", str(out)], rng.uniform(0.2, 1.2))
        if out.exists():
            read_workbook(out)                       # complete, or not there at all
    assert _sha(SAMPLE) == hashlib.sha256(SAMPLE.read_bytes()).hexdigest()


def test_collect_killed_then_rerun_continues(tmp_path):
    rng = random.Random(13)
    inbox = tmp_path / "in"
    inbox.mkdir()
    for i in range(8):
        shutil.copy(SAMPLE, inbox / f"u{i}.xlsx")
        with open(inbox / f"u{i}.xlsx", "ab") as fh:   # distinct bytes, same readable content
            fh.write(b"\0" * i)
    out = tmp_path / "s.xlsx"
    for _ in range(6):
        _kill_after(CLI + ["collect", str(inbox), "-o", str(out), "-q", "-j", "2"], rng.uniform(0.3, 2.5))
        if out.exists():
            openpyxl.load_workbook(out)              # the summary is complete whenever it exists
    result = run_collect([inbox], out, jobs=1)
    assert result["files"] == 8 and result["read"] + result["cached"] == 8
    import sqlite3
    db = sqlite3.connect(tmp_path / "s.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(DISTINCT sha256) FROM submissions").fetchone()[0] >= 1
    assert db.execute("SELECT count(*) FROM files").fetchone()[0] == 8


def test_unwritable_output_gives_a_clear_message(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(OutputError) as e:
        fill_workbook(SAMPLE, blocker / "out.xlsx")
    assert "无法写入" in e.value.zh

    def locked(*a, **k):
        raise PermissionError(13, "Permission denied")   # what Windows says for a file open in Excel
    target = tmp_path / "open-in-excel.xlsx"
    shutil.copy(SAMPLE, target)
    before = target.read_bytes()
    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(OutputError) as e:
        fill_workbook(SAMPLE, target)
    assert "正被其他程序" in e.value.zh and target.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_atomic_output_cleans_up_on_error(tmp_path):
    dest = tmp_path / "x.txt"
    with pytest.raises(RuntimeError):
        with atomic_output(dest, "w") as fh:
            fh.write("half")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []

"""Helpers for the portal tests: a roster with access codes, returns built in code, a real server process."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from faults import consistent

from conftest import SAMPLE_ANSWERS
from workbook_tools.model.answers import answers_to_values, load_answers
from workbook_tools.files.specsheet import load_spec

GD = load_spec()
BASE = answers_to_values(GD, load_answers(SAMPLE_ANSWERS))
UNITS = {"440117101": "广州市从化区太平镇人民政府", "440117102": "街口街道办事处", "440117103": "鳌头镇人民政府"}
ADMIN_PASSWORD = "财政局-测试-密码-2024"


def unit_file(code, name=None, **changes) -> bytes:
    """A consistent return of this unit (the seed's figures), with ``changes`` to its inputs."""
    return consistent(GD, {**BASE, "cover.agencyCode": code, "cover.unitName": name or UNITS.get(code, code), **changes})


def bad_file(code) -> bytes:
    """A return a reviewer must send back: a score above its weight and a deduction without a reason."""
    return unit_file(code, **{"node.2.5.5.score": 0.5, "node.2.5.5.reason": None, "node.2.2.1.score": 3})


def write_roster(folder: Path, units=UNITS) -> Path:
    p = folder / "单位名单.csv"
    p.write_text("单位编码,单位名称,主管部门\n" + "".join(f"{c},{n},从化区\n" for c, n in units.items()),
                 encoding="utf-8-sig")
    return p


def write_manifest(folder: Path, codes: dict[str, str]) -> Path:
    """A manifest.csv as distribute writes it (the columns the portal reads)."""
    p = folder / "manifest.csv"
    p.write_text("单位编码,单位名称,文件,预填资金,备注,访问码\n" +
                 "".join(f"{c},{UNITS.get(c, c)},{c}.xlsx,否,,{a}\n" for c, a in codes.items()), encoding="utf-8-sig")
    return p


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, roster: Path, port: int, *extra: str, manifest: Path | None = None) -> subprocess.Popen:
    """`wbtool serve` as a user starts it, in its own process; returns when it answers."""
    env = {**os.environ, "WBTOOL_ADMIN_PASSWORD": ADMIN_PASSWORD, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "workbook_tools.cli", "serve", "--db", str(db), "--roster", str(roster),
           "--port", str(port)] + (["--manifest", str(manifest)] if manifest else []) + list(extra)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_until_up(port, proc)
    return proc


def wait_until_up(port: int, proc: subprocess.Popen, timeout: float = 30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError("wbtool serve exited: " + proc.stdout.read().decode("utf-8", "replace"))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("wbtool serve did not start within %s s" % timeout)


def stop(proc: subprocess.Popen):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

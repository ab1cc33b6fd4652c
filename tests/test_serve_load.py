"""Load on `wbtool serve`: 200 uploads from concurrent clients on 127.0.0.1 while the server is killed (SIGKILL)
and restarted twice; every upload must be recorded exactly once (clients retry with an idempotency key)."""
import hashlib
import signal
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import pytest

pytest.importorskip("starlette")
httpx = pytest.importorskip("httpx")

from faults import _patch  # noqa: E402
from servekit import (csrf_of, free_port, start_server, stop, unit_file, wait_until_up, write_manifest,  # noqa: E402
                      write_roster)
from workbook_tools.cells import CellWrite  # noqa: E402
from workbook_tools.bureau.collect import unit_status  # noqa: E402
from workbook_tools.model.layout import layout_for  # noqa: E402
from workbook_tools.files.specsheet import load_spec  # noqa: E402

UNITS = {f"4401179{i:02d}": f"测试单位{i:02d}" for i in range(10)}
PER_UNIT = 20                         # 10 concurrent clients × 20 = 200 uploads
KILL_AT = (50, 130)                   # acknowledged uploads after which the server is killed and restarted
DEADLINE = 240                        # a bound for the retry loops (the run takes ~50 s on 2 busy cores)


def returns() -> dict[str, list[bytes]]:
    """20 distinct returns per unit: the same form, a different 填报人 each (different bytes, same verdict)."""
    c = layout_for(load_spec())["cover.preparer"]
    out = {}
    for code, name in UNITS.items():
        base = unit_file(code, name)
        out[code] = [_patch(base, [CellWrite(c.sheet, c.coord, f"填报人{k:02d}")]) for k in range(PER_UNIT)]
    return out


def test_200_uploads_exactly_once_across_kills(tmp_path):
    files = returns()
    codes = {u: f"LOAD{i:02d}-TESTX" for i, u in enumerate(UNITS)}
    roster = write_roster(tmp_path, UNITS)
    manifest = write_manifest(tmp_path, codes)
    db = tmp_path / "汇总.db"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    state = {"proc": start_server(db, roster, port, manifest=manifest), "acked": 0, "kills": 0}
    lock = threading.Lock()
    acked: dict[str, dict] = {}          # idempotency key → the server's answer
    sent: dict[str, str] = {}            # idempotency key → sha256 of the bytes
    errors = []
    end = time.monotonic() + DEADLINE

    def client(unit):
        try:
            with httpx.Client(base_url=base, timeout=30) as c:
                csrf = retry(lambda: login(c, unit, codes[unit]))
                for data in files[unit]:
                    key = uuid.uuid4().hex
                    with lock:
                        sent[key] = hashlib.sha256(data).hexdigest()
                    res = retry(lambda: post(c, csrf, data, key))
                    with lock:
                        acked[key] = res
                        state["acked"] += 1
        except Exception as e:               # reported below, never swallowed
            errors.append(f"{unit}: {e!r}")

    def retry(fn):
        while time.monotonic() < end:
            try:
                return fn()
            except (httpx.TransportError, Retry):
                time.sleep(0.2)
        raise TimeoutError("server did not come back in time")

    threads = [threading.Thread(target=client, args=(u,)) for u in UNITS]
    for t in threads:
        t.start()
    for at in KILL_AT:                        # the killer: SIGKILL mid-run, then start the server again
        while state["acked"] < at and time.monotonic() < end and any(t.is_alive() for t in threads):
            time.sleep(0.05)
        proc = state["proc"]
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        state["kills"] += 1
        time.sleep(0.3)
        state["proc"] = start_server(db, roster, port)
    for t in threads:
        t.join(max(1, end - time.monotonic() + 5))
    stop(state["proc"])
    assert not errors, errors
    assert state["kills"] == 2
    assert len(acked) == len(sent) == 200

    con = sqlite3.connect(db)
    rows = con.execute("SELECT id, idem_key, sha256, outcome, submission_id, stored FROM uploads").fetchall()
    by_key = {}
    for r in rows:
        by_key.setdefault(r[1], []).append(r)
    assert len(rows) == 200 and set(by_key) == set(sent)          # none lost, none extra
    for key, rs in by_key.items():
        assert len(rs) == 1                                       # exactly once
        uid, _, sha, outcome, sid, stored = rs[0]
        assert acked[key]["id"] == uid and sha == sent[key] and outcome == "accepted"
        assert hashlib.sha256(Path(stored).read_bytes()).hexdigest() == sha
    subs = con.execute("SELECT sha256, count(*) FROM submissions GROUP BY sha256").fetchall()
    assert len(subs) == 200 and all(n == 1 for _, n in subs)
    # the record is whole: every unit returned 20 times, its latest upload current, status as the CLI sees it
    st = {r["unit_code"]: r for r in unit_status(db, roster)}
    assert all(st[u]["submissions"] == PER_UNIT and st[u]["status"] == "通过" for u in UNITS)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


class Retry(Exception):
    pass


def login(c, unit, code) -> str:
    page = c.get("/login")
    r = c.post("/login", data={"unit": unit, "code": code, "csrf": csrf_of(page.text)})
    if r.status_code >= 500:
        raise Retry()
    assert r.status_code in (200, 303), r.text
    return csrf_of(c.get("/unit").text)


def post(c, csrf, data, key) -> dict:
    r = c.post("/unit/upload", data={"csrf": csrf, "idem": key}, files={"file": ("自评表.xlsx", data)},
               headers={"accept": "application/json"})
    if r.status_code >= 500 or r.status_code == 401:
        raise Retry()
    assert r.status_code == 200, r.text
    return r.json()

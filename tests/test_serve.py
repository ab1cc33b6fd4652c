"""`wbtool serve` in process (Starlette's test client over the real app, real SQLite, real checks):
sign-in, upload and verdict, isolation between units, the bureau's status and send-back, and the safety rules."""
import io
import sqlite3
import time

import openpyxl
import pytest
from click.testing import CliRunner

pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from servekit import ADMIN_PASSWORD, UNITS, bad_file, csrf_of, unit_file, write_manifest, write_roster  # noqa: E402
from workbook_tools.cli import main  # noqa: E402
from workbook_tools.bureau.collect import unit_status  # noqa: E402
from workbook_tools.serve.app import create_app  # noqa: E402
from workbook_tools.serve.portal import Portal, PortalConfig  # noqa: E402
from workbook_tools.checks.validate import validate_workbook  # noqa: E402

A, B = "440117101", "440117102"
CODES = {A: "ABCDE-FGHJK", B: "MNPQR-STUVW", "440117103": "XYZ23-45678"}


@pytest.fixture
def portal(tmp_path):
    p = Portal(PortalConfig(db=tmp_path / "汇总.db", roster=write_roster(tmp_path), max_upload=2 * 1024 * 1024))
    p.import_codes(write_manifest(tmp_path, CODES))
    p.set_admin_password(ADMIN_PASSWORD)
    return p


def client(portal) -> TestClient:
    return TestClient(create_app(portal), base_url="http://127.0.0.1")


def login(c: TestClient, unit=A, code=None):
    page = c.get("/login")
    r = c.post("/login", data={"unit": unit, "code": code or CODES[unit], "csrf": csrf_of(page.text)},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/unit", r.text
    return csrf_of(c.get("/unit").text)


def admin(c: TestClient):
    page = c.get("/admin/login")
    r = c.post("/admin/login", data={"password": ADMIN_PASSWORD, "csrf": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    return csrf_of(c.get("/admin").text)


def upload(c, csrf, data: bytes, name="自评表.xlsx", idem=None, json=True):
    return c.post("/unit/upload", data={"csrf": csrf, **({"idem": idem} if idem else {})},
                  files={"file": (name, data, "application/octet-stream")},
                  headers={"accept": "application/json"} if json else {}, follow_redirects=False)


def test_unit_uploads_and_sees_the_same_findings_as_validate(portal, tmp_path):
    c = client(portal)
    csrf = login(c)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(bad_file(A))
    r = upload(c, csrf, bad.read_bytes())
    assert r.status_code == 200 and r.json()["outcome"] == "accepted"
    page = c.get(r.json()["url"]).text
    rep = validate_workbook(bad)
    assert rep.errors
    for f in rep.findings:                 # every finding of validate, with its cell and the fix
        assert f.coord in page and f.entry.title_zh in page and f.entry.fix.split("。")[0] in page
    assert "需修改后重新上传" in page
    # the annotated copy is the library's annotation of the same file
    ann = c.get(r.json()["url"] + "/annotated")
    assert ann.status_code == 200 and "attachment" in ann.headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(ann.content))
    assert "校验结果" in wb.sheetnames
    # then the corrected return passes and becomes the unit's current one
    r2 = upload(c, csrf, unit_file(A))
    assert "校验通过" in c.get(r2.json()["url"]).text
    rows = {x["unit_code"]: x for x in unit_status(portal.cfg.db, portal.cfg.roster)}
    assert rows[A]["status"] == "通过" and rows[A]["submissions"] == 2
    assert rows[B]["status"] == "未报送"
    home = c.get("/unit").text
    assert home.count("查看校验结果") == 2 and "通过" in home


def test_a_unit_never_sees_another_units_data(portal):
    a, b = client(portal), client(portal)
    ca, cb = login(a, A), login(b, B)
    ua = upload(a, ca, bad_file(A)).json()
    ub = upload(b, cb, unit_file(B)).json()
    for path in (f"/unit/uploads/{ua['id']}", f"/unit/uploads/{ua['id']}/annotated"):
        assert b.get(path).status_code == 404          # B asks for A's upload: no such page for B
        assert a.get(path).status_code == 200
    home_b = b.get("/unit").text
    assert UNITS[A] not in home_b and f"/unit/uploads/{ua['id']}" not in home_b
    assert f"/unit/uploads/{ub['id']}" in home_b
    for path in ("/admin", f"/admin/units/{A}", f"/admin/uploads/{ua['id']}", "/admin/download/汇总表.xlsx"):
        r = b.get(path, follow_redirects=False)        # a unit is no admin
        assert r.status_code == 303 and r.headers["location"] == "/admin/login"
    # a file of unit A uploaded by B is refused and changes nothing for A
    r = upload(b, cb, unit_file(A, **{"cover.preparer": "冒名"})).json()
    assert r["outcome"] == "refused" and r["submission_id"] is None
    assert "与登录单位 440117102 不符" in b.get(r["url"]).text
    rows = {x["unit_code"]: x for x in unit_status(portal.cfg.db)}
    assert rows[A]["submissions"] == 1 and rows[A]["status"] == "需退回"


def test_bureau_dashboard_send_back_and_status_agree(portal, tmp_path):
    u = client(portal)
    cu = login(u, A)
    upload(u, cu, unit_file(A))
    bu = client(portal)
    upload(bu, login(bu, B), bad_file(B))
    c = client(portal)
    csrf = admin(c)
    page = c.get("/admin").text
    assert 'id="count-通过">1<' in page and 'id="count-需退回">1<' in page and 'id="count-未报送">1<' in page
    assert "<svg" in page and "自评得分分布" in page and "平均扣分最多的指标" in page
    assert UNITS["440117103"] in page
    # send back a return that passed its checks
    assert c.post(f"/admin/units/{A}/send-back", data={"csrf": csrf, "note": "扣分原因不够具体，请补充合同编号"},
                  follow_redirects=False).status_code == 303
    rows = {x["unit_code"]: x for x in unit_status(portal.cfg.db, portal.cfg.roster)}
    assert rows[A]["status"] == "需退回" and "扣分原因不够具体" in rows[A]["note"]
    out = CliRunner().invoke(main, ["status", "--db", str(portal.cfg.db)])     # the CLI says the same
    assert "需退回\t440117101" in out.output and "财政局退回：扣分原因不够具体" in out.output
    home = u.get("/unit").text
    assert "财政局退回：扣分原因不够具体" in home
    # the unit resubmits: the send-back belonged to the earlier return
    upload(u, cu, unit_file(A, **{"cover.preparer": "李四"}))
    assert {x["unit_code"]: x for x in unit_status(portal.cfg.db)}[A]["status"] == "通过"
    # downloads: the summary workbook and the overview report from the existing writers
    x = c.get("/admin/download/汇总表.xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(x.content))
    assert "汇总" in wb.sheetnames
    cells = " ".join(str(c.value) for r in wb["汇总"].iter_rows() for c in r if c.value is not None)
    assert A in cells and B in cells and "扣分原因不够具体" not in cells   # A resubmitted: its new return stands
    d = c.get("/admin/download/汇总情况.docx")
    assert d.status_code == 200 and d.content[:2] == b"PK"
    audit = c.get("/admin/audit").text
    assert "扣分原因不够具体" in audit and "上传" in audit and "440117102" in audit
    assert c.get("/admin/download/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_csrf_is_required_on_every_form(portal):
    c = client(portal)
    page = c.get("/login")
    assert c.post("/login", data={"unit": A, "code": CODES[A]}).status_code == 403
    assert c.post("/login", data={"unit": A, "code": CODES[A], "csrf": "x" + csrf_of(page.text)}).status_code == 403
    csrf = login(c)
    r = c.post("/unit/upload", files={"file": ("a.xlsx", unit_file(A))}, data={"csrf": "forged"})
    assert r.status_code == 403
    assert portal.store.uploads() == []
    ad = client(portal)
    admin(ad)
    assert ad.post(f"/admin/units/{A}/send-back", data={"note": "没有令牌的退回"}).status_code == 403
    assert c.post("/logout", data={}).status_code == 403
    assert c.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303


def test_secrets_are_stored_only_as_hashes(portal):
    db = sqlite3.connect(portal.cfg.db)
    dump = "\n".join(db.iterdump())
    for code in CODES.values():
        assert code not in dump and code.replace("-", "") not in dump
    assert ADMIN_PASSWORD not in dump
    assert dump.count("scrypt$") >= 4
    c = client(portal)
    login(c)
    tok = c.cookies.get("wbtool_session")
    assert tok and tok not in "\n".join(db.iterdump())
    # wrong codes are refused, and after 10 failures the unit is locked out for a while
    page = c.get("/login")
    for _ in range(10):
        r = c.post("/login", data={"unit": B, "code": "WRONG-CODE0", "csrf": csrf_of(page.text)})
        assert r.status_code == 401 and "单位编码或访问码不对" in r.text
    r = c.post("/login", data={"unit": B, "code": CODES[B], "csrf": csrf_of(page.text)})
    assert r.status_code == 401 and "失败次数过多" in r.text


def test_sessions_expire(portal):
    c = client(portal)
    login(c)
    assert c.get("/unit", follow_redirects=False).status_code == 200
    portal.store.db.execute("UPDATE sessions SET last_seen = ?", (time.time() - 31 * 60,))
    portal.store.db.commit()
    r = c.get("/unit", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert portal.store.db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0


def test_upload_limits_names_and_bad_input(portal, tmp_path):
    c = client(portal)
    csrf = login(c)
    big = upload(c, csrf, b"PK" + b"\0" * (3 * 1024 * 1024))
    assert big.status_code == 413
    # the clerk's file name never becomes a path: the server names the file by its content
    r = upload(c, csrf, unit_file(A), name="../../../../tmp/evil.xlsx").json()
    up = portal.store.uploads("id=?", (r["id"],))[0]
    assert up["stored"].startswith(str(portal.cfg.uploads.resolve())) and up["sha256"] in up["stored"]
    assert up["original_name"] == "evil.xlsx"
    assert not (tmp_path.parent / "evil.xlsx").exists()
    # the CLI's bad-input guard: a CSV renamed .xlsx and an old .xls are refused with its message
    r = upload(c, csrf, "单位编码,单位名称\n1,2\n".encode(), name="名单.xlsx").json()
    assert r["outcome"] == "unreadable"
    assert "无法读取" in c.get(r["url"]).text
    r = upload(c, csrf, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, name="旧版.xls").json()
    assert r["outcome"] == "unreadable" and ".xlsx" in c.get(r["url"]).text
    # an unreadable upload never replaces the unit's current return
    assert {x["unit_code"]: x for x in unit_status(portal.cfg.db)}[A]["status"] == "通过"


def test_an_idempotency_key_records_an_upload_once(portal):
    c = client(portal)
    csrf = login(c)
    data = unit_file(A)
    first = upload(c, csrf, data, idem="k-1").json()
    again = upload(c, csrf, data, idem="k-1").json()
    assert first["id"] == again["id"]
    assert len(portal.store.uploads()) == 1
    # the plain (no-script) form posts a server-made key and follows the redirect to the verdict
    page = c.get("/unit").text
    import re
    idem = re.search(r'name="idem" value="([^"]+)"', page).group(1)
    r = upload(c, csrf, unit_file(A, **{"cover.preparer": "王五"}), idem=idem, json=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/unit/uploads/")


def test_schema_upgrade_of_an_older_database(tmp_path):
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
                      "INSERT INTO meta VALUES ('schema_version', '2');")
    con.close()
    from workbook_tools.bureau.store import SCHEMA_VERSION, open_store
    st = open_store(db)
    assert st.get_meta("schema_version") == str(SCHEMA_VERSION) == "3"
    tables = {r[0] for r in st.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"access_codes", "sessions", "uploads", "sendbacks", "audit"} <= tables
    st.close()


def test_serve_cli_without_password_in_a_pipe_says_how(tmp_path, monkeypatch):
    monkeypatch.delenv("WBTOOL_ADMIN_PASSWORD", raising=False)
    r = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "x.db"), "--port", "1"])
    assert r.exit_code == 2 and "WBTOOL_ADMIN_PASSWORD" in r.output


def test_serve_cli_without_the_extra_says_how_to_install(tmp_path, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "uvicorn", None)          # as if `wbtool[serve]` were not installed
    r = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "x.db")])
    assert r.exit_code == 2 and "pip install 'wbtool[serve]'" in r.output
    assert not (tmp_path / "x.db").exists()


def test_with_a_ledger_the_verdict_shows_the_differences_and_the_summary_has_the_ledger_sheet(tmp_path):
    from decimal import Decimal

    from ledgerfiles import ledger_lines, rows_for, seed_funds, write_csv
    funds = seed_funds()
    funds["一般公共预算"]["actual"] += Decimal("100")         # the bureau's books differ by 100 万元
    ledger = write_csv(tmp_path / "台账.csv", ledger_lines(rows_for(A, UNITS[A], funds), unit="万元"), "utf-8-sig")
    p = Portal(PortalConfig(db=tmp_path / "汇总.db", roster=write_roster(tmp_path), ledger=ledger))
    p.import_codes(write_manifest(tmp_path, CODES))
    p.set_admin_password(ADMIN_PASSWORD)
    c = client(p)
    r = upload(c, login(c), unit_file(A)).json()
    page = c.get(r["url"]).text
    assert "与财政局台账核对（" in page and "ledger-" not in page.split('id="ledger"')[0][-50:]
    # the form itself is right, but a ledger difference sends it back, as `collect --ledger` does
    assert "校验通过" not in page and "需修改后重新上传" in page
    assert {x["unit_code"]: x for x in unit_status(p.cfg.db)}[A]["status"] == "需退回"
    ad = client(p)
    admin(ad)
    wb = openpyxl.load_workbook(io.BytesIO(ad.get("/admin/download/汇总表.xlsx").content))
    assert "台账核对" in wb.sheetnames and wb["台账核对"].max_row > 1


def test_withdraw_and_reset_code(portal):
    u = client(portal)
    upload(u, login(u), unit_file(A))
    c = client(portal)
    csrf = admin(c)
    c.post(f"/admin/units/{A}/send-back", data={"csrf": csrf, "note": "请补充情况说明"})
    assert {x["unit_code"]: x for x in unit_status(portal.cfg.db)}[A]["status"] == "需退回"
    c.post(f"/admin/units/{A}/withdraw", data={"csrf": csrf})
    assert {x["unit_code"]: x for x in unit_status(portal.cfg.db)}[A]["status"] == "通过"
    import re
    page = c.post(f"/admin/units/{A}/reset-code", data={"csrf": csrf}).text
    new = re.search(r'id="new-code"[^>]*>([^<]+)<', page).group(1)
    assert new != CODES[A]
    fresh = client(portal)
    assert fresh.post("/login", data={"unit": A, "code": CODES[A], "csrf": csrf_of(fresh.get("/login").text)}
                      ).status_code == 401                  # the old code no longer opens the door
    login(fresh, A, new)
    assert c.post("/admin/units/nosuchunit/reset-code", data={"csrf": csrf}).status_code == 404


def test_the_same_bytes_uploaded_at_once_are_one_submission(portal, monkeypatch):
    import threading

    from workbook_tools.bureau.store import Store
    data = unit_file(A, **{"cover.preparer": "并发"})
    out, errors = [], []
    barrier, original = threading.Barrier(6, timeout=30), Store.add_submission

    def together(self, rec):              # every request looks the hash up before any has recorded it
        barrier.wait()
        self.submission_by_hash = lambda sha: None
        try:
            return original(self, rec)
        finally:
            del self.submission_by_hash
    monkeypatch.setattr(Store, "add_submission", together)

    def go():
        try:
            out.append(portal.receive(A, "同一文件.xlsx", data))
        except Exception as e:          # reported below
            errors.append(e)
    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(out) == 6
    assert len({u["submission_id"] for u in out}) == 1
    assert portal.store.db.execute("SELECT count(*) FROM submissions").fetchone()[0] == 1

"""The portal's work without the web: sign-in, intake of an upload, verdicts, history, send-backs, the audit trail.

Everything goes through the collect database (store.py): an accepted upload is recorded exactly as `collect`
records a file (same ``process_file``, same checks as `validate`) and linked as the unit's current return, so
`wbtool status`, `report --summary` and the portal agree on one record."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from workbook_tools.files.atomic import atomic_output
from workbook_tools.catalogue import CATALOGUE, CATEGORY_ZH
from workbook_tools.bureau import codes as sec
from workbook_tools.bureau.store import open_store, Store
from workbook_tools.bureau.distribute import new_access_code
from workbook_tools.files.tables import code_text
from workbook_tools.bureau.batch import crosscheck_rows, ledger_verdicts, summarise_current
from workbook_tools.bureau.collect import current_key, current_returns, process_file, unit_status
from workbook_tools.bureau.crosscheck import crosscheck_workbook
from workbook_tools.files.annotate import annotate_workbook
from workbook_tools.checks.validate import validate_workbook
from workbook_tools.files.specsheet import load_spec
from workbook_tools.bureau.overview import from_database, report_overview
from workbook_tools.bureau.ledger import read_ledger
from workbook_tools.bureau.roster import read_roster

MIB = 1024 * 1024
ADMIN_KEY = "portal_admin_password"
LOCKOUT_TRIES, LOCKOUT_MINUTES = 10, 15
SUFFIXES = (".xlsx", ".xlsm")


@dataclass
class PortalConfig:
    db: Path
    uploads: Path | None = None           # default: <db>.uploads beside the database
    roster: Path | None = None
    ledger: Path | None = None
    ledger_unit: str | None = None        # 元 / 万元 when the ledger's header does not say
    spec: str | None = None
    max_upload: int = 20 * MIB
    idle_minutes: int = 30                # a session ends after this long without a request …
    session_hours: int = 8                # … and in any case after this long
    title: str = "绩效自评报送平台"

    def __post_init__(self):
        self.db = Path(self.db)
        self.uploads = Path(self.uploads) if self.uploads else self.db.with_name(self.db.name + ".uploads")


@dataclass
class Signed:
    """A signed-in session."""
    role: str                  # unit / admin
    unit_code: str | None
    csrf: str
    token_hash: str = field(repr=False, default="")


class LoginRefused(Exception):
    def __init__(self, zh: str):
        super().__init__(zh)
        self.zh = zh


class Portal:
    def __init__(self, cfg: PortalConfig):
        self.cfg = cfg
        self._local = threading.local()
        cfg.uploads.mkdir(parents=True, exist_ok=True)
        (cfg.uploads / "annotated").mkdir(exist_ok=True)
        for tmp in list(cfg.uploads.glob(".*.tmp")) + list((cfg.uploads / "annotated").glob(".*.tmp")):
            tmp.unlink(missing_ok=True)      # a write cut short by a crash (atomic_output's temp files)
        open_store(cfg.db).close()          # creates or upgrades the schema once, before any request
        self.ledger = None
        if cfg.ledger:          # read once at the start: a bad ledger is reported before anyone signs in
            self.ledger = read_ledger(cfg.ledger, unit=cfg.ledger_unit)
        self.units = {}
        if cfg.roster:
            self.units = {u.code: u.name for u in read_roster(cfg.roster)}

    # ------------------------------------------------------------ database, one connection per thread
    @property
    def store(self):
        st = getattr(self._local, "store", None)
        if st is None:
            st = self._local.store = Store(self.cfg.db)
        return st

    def unit_name(self, code: str | None) -> str:
        return self.units.get(code or "", "")

    # ------------------------------------------------------------ secrets
    def import_codes(self, manifest) -> int:
        """Access codes of distribute's manifest.csv, stored as hashes (an unchanged code is left as it is)."""
        n = 0
        for unit, code in sec.read_manifest_codes(manifest).items():
            if not sec.verify_secret(sec.normalize_code(code), self.store.access_code_hash(unit)):
                self.store.set_access_code(unit, sec.hash_secret(sec.normalize_code(code)), "manifest")
                n += 1
        if n:
            self.store.audit("财政局", "import-codes", None, f"从 {Path(manifest).name} 导入 {n} 个单位的访问码")
        return n

    def reset_code(self, unit: str, actor: str = "财政局", ip: str = "") -> str:
        """A new access code for a unit (shown once; only its hash is kept)."""
        code = new_access_code()
        self.store.set_access_code(unit, sec.hash_secret(sec.normalize_code(code)), "reset")
        self.store.audit(actor, "reset-code", unit, "重置访问码（旧访问码失效）", ip)
        return code

    def admin_password_set(self) -> bool:
        return bool(self.store.get_meta(ADMIN_KEY))

    def set_admin_password(self, password: str):
        if len(password) < 8:
            raise ValueError("管理员密码至少 8 个字符。")
        if sec.verify_secret(password, self.store.get_meta(ADMIN_KEY)):
            return
        self.store.set_meta(ADMIN_KEY, sec.hash_secret(password))
        self.store.audit("财政局", "set-password", None, "设置管理员密码")

    # ------------------------------------------------------------ sign-in and sessions
    def login_unit(self, unit: str, code: str, ip: str = "") -> str:
        unit = code_text(unit.strip())[:64]
        self._check_lockout(unit)
        if not unit or not sec.verify_secret(sec.normalize_code(code), self.store.access_code_hash(unit)):
            self.store.audit(unit or "?", "login-failed", unit or "?", "单位登录失败（单位编码或访问码不对）", ip)
            raise LoginRefused("单位编码或访问码不对。")
        self.store.audit(unit, "login", unit, "单位登录", ip)
        return self._new_session("unit", unit)

    def login_admin(self, password: str, ip: str = "") -> str:
        self._check_lockout(None)
        if not sec.verify_secret(password, self.store.get_meta(ADMIN_KEY)):
            self.store.audit("?", "login-failed", None, "管理员登录失败", ip)
            raise LoginRefused("密码不对。")
        self.store.audit("财政局", "login", None, "管理员登录", ip)
        return self._new_session("admin", None)

    def _check_lockout(self, unit: str | None):
        since = (dt.datetime.now() - dt.timedelta(minutes=LOCKOUT_MINUTES)).isoformat(timespec="seconds")
        if self.store.recent_actions("login-failed", unit, since) >= LOCKOUT_TRIES:
            raise LoginRefused(f"登录失败次数过多，请 {LOCKOUT_MINUTES} 分钟后再试。")

    def _new_session(self, role: str, unit: str | None) -> str:
        tok = sec.token()
        now = time.time()
        self.store.end_session(before=now)                       # sweep ended sessions now and then
        self.store.add_session(sec.token_hash(tok), role, unit, sec.token(), now + self.cfg.session_hours * 3600)
        return tok

    def session(self, tok: str | None) -> Signed | None:
        """The live session of a cookie, or None (unknown, past its end, or idle too long: then ended)."""
        if not tok or len(tok) > 100:
            return None
        h = sec.token_hash(tok)
        s = self.store.session(h)
        if s is None:
            return None
        now = time.time()
        if now > s["expires"] or now - s["last_seen"] > self.cfg.idle_minutes * 60:
            self.store.end_session(h)
            return None
        if now - s["last_seen"] > 30:           # one write per half minute, not per request
            self.store.touch_session(h, now)
        return Signed(s["role"], s["unit_code"], s["csrf"], h)

    def logout(self, signed: Signed):
        self.store.end_session(signed.token_hash)

    # ------------------------------------------------------------ intake
    def receive(self, unit: str, original_name: str, data: bytes, idem_key: str | None = None, ip: str = "") -> dict:
        """Record one upload of ``unit`` exactly once per idempotency key; returns its upload row.

        The bytes are kept under a server-chosen name (their SHA-256), checked by collect's ``process_file``
        (the CLI's bad-input guard and the catalogue of `validate`) and — when the cover names this unit —
        linked as the unit's current return of that kind."""
        idem_key = (idem_key or "").strip()[:100] or None
        if idem_key:
            done = self.store.upload_by_key(idem_key)
            if done is not None:
                return done
        if len(data) > self.cfg.max_upload:
            raise ValueError("file too large")     # the web layer refuses earlier; a library caller too
        sha = hashlib.sha256(data).hexdigest()
        suffix = ".xlsm" if Path(original_name or "").suffix.lower() == ".xlsm" else ".xlsx"
        stored = self.cfg.uploads / f"{sha}{suffix}"
        if not stored.exists() or stored.stat().st_size != len(data):
            with atomic_output(stored) as fh:
                fh.write(data)
        rec = process_file(str(stored), self.cfg.spec)
        up = {"idem_key": idem_key, "unit_code": unit, "sha256": sha, "stored": str(stored.resolve()),
              "original_name": _display_name(original_name), "size": len(data), "slot": None, "note": None}
        link = None
        if not rec.readable:
            up.update(outcome="unreadable", submission_id=self._submission(rec),
                      verdict=f"无法读取（{rec.error_code}）")
        elif (rec.unit_code or "") != unit:
            up.update(outcome="refused", verdict="已拒收（不是本单位的文件）",
                      note=f"文件封面的单位编码为“{rec.unit_code or '空'}”（{rec.unit_name or '无单位名称'}），"
                           f"与登录单位 {unit} 不符，未作为本单位的报送记录。请上传本单位的自评表。")
        else:
            sid = self._submission(rec)
            rec = self._ledger_verdict(sid) or rec
            st = stored.stat()
            link = (str(stored.resolve()), st.st_size, st.st_mtime_ns)
            up.update(outcome="accepted", submission_id=sid, slot=current_key(rec)[1],
                      verdict=f"{rec.status}，{rec.errors or 0} 个错误、{rec.warnings or 0} 个警告")
        try:
            uid = self.store.record_upload(up, link=link, actor=unit, ip=ip)
        except sqlite3.IntegrityError:           # the same key raced in from a retry: that one counts
            done = self.store.upload_by_key(idem_key) if idem_key else None
            if done is None:
                raise
            return done
        return self.store.uploads("id=?", (uid,))[0]

    def _ledger_verdict(self, sid: int) -> dict | None:
        """With --ledger, the ledger's findings count in the return's status as in `collect --ledger` (issue 16);
        returns the submission as it now stands."""
        if self.ledger is None:
            return None
        sub = self.store.submissions([sid])[0]
        _, by_sub = crosscheck_rows([sub], self.ledger, None)
        ledger_verdicts(self.store, [sub], by_sub, str(self.cfg.ledger.name if self.cfg.ledger else ""))
        return sub

    def _submission(self, rec: dict) -> int:
        """collect's record of the file; the same bytes arriving twice at once are one submission."""
        try:
            return self.store.add_submission(rec)
        except sqlite3.IntegrityError:
            sid = self.store.submission_by_hash(rec.sha256)
            if sid is None:
                raise
            return sid

    # ------------------------------------------------------------ what a unit sees
    def uploads_of(self, unit: str) -> list[dict]:
        rows = self.store.uploads("unit_code=?", (unit,), limit=200)
        subs = {s.id: s for s in self.store.submissions({r["submission_id"] for r in rows if r["submission_id"]})}
        backs = self.store.send_backs()
        for r in rows:
            s = subs.get(r["submission_id"])
            r["submission"] = s
            r["send_back"] = backs.get(r["submission_id"])
        return rows

    def upload_of(self, unit: str | None, upload_id: int) -> dict | None:
        """One upload — of this unit only (None: the bureau may see every unit's)."""
        where, params = ("id=? AND unit_code=?", (upload_id, unit)) if unit is not None else ("id=?", (upload_id,))
        rows = self.store.uploads(where, params)
        if not rows:
            return None
        r = rows[0]
        r["submission"] = self.store.submissions([r["submission_id"]])[0] if r["submission_id"] else None
        r["send_back"] = self.store.send_backs().get(r["submission_id"])
        return r

    def verdict(self, upload: dict) -> dict:
        """The findings of an upload grouped as a clerk reads them: errors first, then warnings, by sheet."""
        s = upload.get("submission")
        findings = self.store.findings([s.id]) if s else []
        groups: dict[tuple, list] = {}
        counted = findings
        if self.ledger is not None:      # the ledger's own findings are listed in their section below
            findings = [f for f in findings if CATALOGUE.get(f["code"]) is None
                        or CATALOGUE[f["code"]].category != "ledger"]
        for f in findings:
            e = CATALOGUE.get(f["code"])
            sheet, _, coord = (f.get("cell") or "").partition("!")
            f.update(title=e.title_zh if e else f["code"], fix=e.fix if e else "",
                     category=CATEGORY_ZH.get(e.category, "") if e else "", sheet=sheet if coord else "",
                     coord=coord or "")
            key = (0 if f["severity"] == "error" else 1, f["sheet"] or "文件")
            groups.setdefault(key, []).append(f)
        return {"errors": sum(1 for f in counted if f["severity"] == "error"),
                "warnings": sum(1 for f in counted if f["severity"] == "warning"),
                "groups": [{"severity": "error" if k[0] == 0 else "warning", "sheet": k[1], "findings": v}
                           for k, v in sorted(groups.items())],
                "ledger": self._ledger_findings(upload) if s and s.readable else []}

    def _ledger_findings(self, upload: dict) -> list[dict]:
        """With --ledger: where the return's money differs from the bureau's ledger (`wbtool crosscheck`)."""
        if self.ledger is None or not upload.get("stored"):
            return []
        rep = crosscheck_workbook(upload["stored"], self.ledger, spec=self._spec())
        out = []
        for f in rep.findings:
            d = f.to_dict("zh")
            d["fix"] = f.entry.fix
            out.append(d)
        return out

    def annotated(self, upload: dict) -> Path | None:
        """The annotated copy of a readable upload (the library's annotate, cached by content)."""
        s = upload.get("submission")
        if not s or not s.readable:
            return None
        src = Path(upload["stored"])
        dest = self.cfg.uploads / "annotated" / f"{upload['sha256']}{src.suffix}"
        if not dest.exists():
            rep = validate_workbook(src, spec=self._spec())
            annotate_workbook(src, rep, dest)
        return dest

    def _spec(self):
        if not self.cfg.spec:
            return None
        return load_spec(self.cfg.spec)

    # ------------------------------------------------------------ the bureau
    def status(self) -> list[dict]:
        """The same rows as `wbtool status` (collect.unit_status), one per unit of the roster and the record."""
        if not self.cfg.db.exists():
            return []
        rows = unit_status(self.cfg.db, self.cfg.roster)
        have_code = self.store.access_code_units()
        for r in rows:
            r["has_code"] = r["unit_code"] in have_code
        return rows

    def standing(self, unit: str) -> dict:
        return next((r for r in self.status() if r["unit_code"] == unit),
                    {"unit_code": unit, "unit_name": self.unit_name(unit), "status": "未报送", "note": "",
                     "display": None, "grade": None, "errors": None, "submissions": 0})

    def current_submissions(self, unit: str) -> list[dict]:
        kept, _ = current_returns(self.cfg.db)
        return self._named([s for s in kept if s.unit_code == unit], unit)

    def _named(self, subs: list[dict], unit: str) -> list[dict]:
        """Uploaded files are kept under their hash: show the name the clerk gave them."""
        names = {u["submission_id"]: u["original_name"] for u in reversed(self.store.uploads("unit_code=?", (unit,)))}
        for s in subs:
            if s.id in names:
                s.file_name = names[s.id]
        return subs

    def send_back(self, unit: str, note: str, actor: str = "财政局", ip: str = "") -> int:
        """The unit's current returns stand as 需退回 with the note until it submits again."""
        note = " ".join(note.split())
        if len(note) < 4:
            raise ValueError("请写明退回原因（至少 4 个字）。")
        current = self.current_submissions(unit)
        if not current:
            raise ValueError("该单位还没有可退回的报送。")
        for s in current:
            self.store.send_back(s.id, unit, note[:2000], actor)
        self.store.audit(actor, "send-back", unit, f"退回 {len(current)} 份报送：{note[:2000]}", ip)
        return len(current)

    def withdraw(self, unit: str, actor: str = "财政局", ip: str = ""):
        for s in self.current_submissions(unit):
            self.store.withdraw_send_back(s.id)
        self.store.audit(actor, "withdraw-send-back", unit, "撤销退回", ip)

    def unit_history(self, unit: str) -> list[dict]:
        """Every submission of the unit in the record (portal uploads and files collected from inboxes)."""
        ids = [r[0] for r in self.store.db.execute("SELECT id FROM submissions WHERE unit_code=? ORDER BY id DESC",
                                                   (unit,))]
        return self._named(sorted(self.store.submissions(ids), key=lambda s: -s.id), unit)

    def overview(self):
        return from_database(self.cfg.db, self.cfg.roster) if self.cfg.db.exists() else None

    def summary_workbook(self, output: Path) -> Path:
        """The summary workbook of every unit's current return: collect's own summary step (batch.summarise_current)
        over the database's current returns."""
        kept, _ = current_returns(self.cfg.db)
        roster = []
        if self.cfg.roster:
            roster = read_roster(self.cfg.roster)
        summarise_current(self.store, kept, output, spec=self._spec(), roster=roster, ledger=self.ledger)
        return output

    def overview_report(self, output: Path) -> Path:
        report_overview(self.cfg.db, output, self.cfg.roster)
        return output


def _display_name(name: str | None) -> str:
    """The file name as the clerk chose it, for display only (never a path on this machine)."""
    base = os.path.basename(str(name or "").replace("\\", "/"))
    return "".join(ch for ch in base if ch.isprintable())[:200] or "未命名.xlsx"

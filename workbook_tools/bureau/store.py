"""The bureau's record: every submission, its findings and every run, in SQLite (one writer at a time)."""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
from pathlib import Path

from workbook_tools.bureau.records import RETURN, ProjectRow, Submission
from workbook_tools.errors import OutputError

SCHEMA_VERSION = 3         # 2: per-project rows (projects table), findings.project; 3: portal tables (wbtool serve)
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY,
    sha256 TEXT UNIQUE NOT NULL,
    file_name TEXT, path TEXT, size INTEGER, mtime REAL,
    status TEXT NOT NULL,            -- 通过 / 需退回 / 无法读取
    readable INTEGER NOT NULL,
    error_code TEXT, error_message TEXT,
    spec_id TEXT, spec_version TEXT,
    unit_code TEXT, unit_name TEXT, fiscal_year TEXT, fill_date TEXT,
    total REAL, display REAL, grade TEXT,
    budget REAL, actual REAL, exec_rate REAL,
    errors INTEGER, warnings INTEGER,
    data TEXT,                       -- JSON: node scores, leaf scores, reasons, ledger findings
    read_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS submissions_unit ON submissions(unit_code);
CREATE TABLE IF NOT EXISTS findings (
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    code TEXT, severity TEXT, cell TEXT, indicator TEXT, message TEXT,
    expected TEXT, found TEXT, explained INTEGER
);
CREATE INDEX IF NOT EXISTS findings_submission ON findings(submission_id);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, sha256 TEXT,
    submission_id INTEGER REFERENCES submissions(id), first_seen TEXT, last_seen TEXT
);
CREATE TABLE IF NOT EXISTS projects (     -- one row per project form (project workbooks, one-project files)
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    sheet TEXT, project_code TEXT, project_name TEXT, fund_type TEXT,
    budget REAL, actual REAL, exec_rate REAL, total REAL, display REAL, grade TEXT,
    status TEXT,                     -- 未完成 / 待完善 / 已完成
    errors INTEGER, warnings INTEGER
);
CREATE INDEX IF NOT EXISTS projects_submission ON projects(submission_id);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, started TEXT, finished TEXT, inboxes TEXT,
    files_found INTEGER DEFAULT 0, files_read INTEGER DEFAULT 0, files_cached INTEGER DEFAULT 0
);
""" + """
-- wbtool serve (schema 3): access codes, sessions, uploads, the bureau's send-backs and the audit trail
CREATE TABLE IF NOT EXISTS access_codes (unit_code TEXT PRIMARY KEY, code_hash TEXT NOT NULL, set_at TEXT, source TEXT);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, role TEXT NOT NULL, unit_code TEXT, csrf TEXT NOT NULL,
    created REAL NOT NULL, last_seen REAL NOT NULL, expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (
    id INTEGER PRIMARY KEY, idem_key TEXT UNIQUE, unit_code TEXT NOT NULL, submission_id INTEGER REFERENCES submissions(id),
    sha256 TEXT, stored TEXT, original_name TEXT, size INTEGER,
    outcome TEXT NOT NULL,           -- accepted / refused (another unit's file) / unreadable
    slot TEXT, note TEXT, received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_unit ON uploads(unit_code);
CREATE TABLE IF NOT EXISTS sendbacks (
    id INTEGER PRIMARY KEY, submission_id INTEGER NOT NULL REFERENCES submissions(id), unit_code TEXT,
    note TEXT NOT NULL, actor TEXT, at TEXT NOT NULL, withdrawn_at TEXT
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT, action TEXT NOT NULL, unit_code TEXT, detail TEXT, ip TEXT
);
CREATE INDEX IF NOT EXISTS audit_unit ON audit(unit_code, action);
"""

SUB_COLUMNS = ("sha256", "file_name", "path", "size", "mtime", "status", "readable", "error_code", "error_message",
               "spec_id", "spec_version", "unit_code", "unit_name", "fiscal_year", "fill_date", "total", "display",
               "grade", "budget", "actual", "exec_rate", "errors", "warnings")
PROJECT_COLUMNS = ("sheet", "project_code", "project_name", "fund_type", "budget", "actual", "exec_rate", "total",
                   "display", "grade", "status", "errors", "warnings")


def now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


class Store:
    """SQLite database of submissions; ``lock()`` makes concurrent collect runs take turns."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.db = sqlite3.connect(self.path, timeout=600)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
            self._upgrade()
            self.db.execute("INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET "
                            "value=excluded.value", (str(SCHEMA_VERSION),))
            self.db.commit()
        except sqlite3.DatabaseError as e:
            raise OutputError(f"无法打开数据库 {self.path}：{e}（文件损坏或不是 wbtool 数据库）。",
                              f"cannot open database {self.path}: {e}", code="db-unusable") from None
        self._lockfile = None

    def _upgrade(self):
        """A database of an older schema keeps working: new tables come from SCHEMA (IF NOT EXISTS), new columns
        here. Old submissions simply have no project rows; collect re-reads their files (see missing_projects)."""
        cols = {r[1] for r in self.db.execute("PRAGMA table_info(findings)")}
        if "project" not in cols:
            try:
                self.db.execute("ALTER TABLE findings ADD COLUMN project TEXT")
            except sqlite3.OperationalError as e:    # another run opening the same old database added it first
                if "duplicate column" not in str(e):
                    raise

    # ------------------------------------------------------------ locking
    @contextlib.contextmanager
    def lock(self, on_wait=None):
        """Exclusive use for one collect run; a second run waits (and says so) instead of interleaving."""
        try:
            import fcntl
        except ImportError:      # Windows: SQLite's own locking still keeps the file consistent
            yield
            return
        fh = open(str(self.path) + ".lock", "a+")
        os.set_inheritable(fh.fileno(), False)   # a child process must never keep the lock alive
        try:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait:
                    on_wait()
                fcntl.flock(fh, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()

    # ------------------------------------------------------------ files and submissions
    def known_files(self) -> dict[str, tuple[int, int, int]]:
        """path → (size, mtime_ns, submission id) for every file seen before (one query, not one per file)."""
        return {p: (size, mt, sid) for p, size, mt, sid in
                self.db.execute("SELECT path, size, mtime_ns, submission_id FROM files")}

    def submission_by_hash(self, sha256: str):
        row = self.db.execute("SELECT id FROM submissions WHERE sha256=?", (sha256,)).fetchone()
        return row[0] if row else None

    def add_submission(self, rec: Submission) -> int:
        """Insert one processed file (and its findings) in one transaction; returns its id."""
        existing = self.submission_by_hash(rec.sha256)
        if existing:
            if rec.projects and not self.db.execute(
                    "SELECT 1 FROM projects WHERE submission_id=? LIMIT 1", (existing,)).fetchone():
                with self.db:     # recorded before project rows existed: add them now
                    self._add_projects(existing, rec.projects)
                    self._set_data(existing, rec)
            return existing
        with self.db:
            cur = self.db.execute(
                f"INSERT INTO submissions ({', '.join(SUB_COLUMNS)}, data, read_at) "
                f"VALUES ({', '.join('?' * len(SUB_COLUMNS))}, ?, ?)",
                [_sql(getattr(rec, c)) for c in SUB_COLUMNS] + [_data_json(rec), now()])
            sid = cur.lastrowid
            self._add_findings(sid, rec.findings)
            self._add_projects(sid, rec.projects)
        return sid

    def _add_findings(self, sid: int, findings: list[dict]):
        self.db.executemany(
            "INSERT INTO findings (submission_id, code, severity, cell, indicator, message, expected, found, "
            "explained, project) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(sid, f["code"], f["severity"], f["cell"], f["indicator"], f["message"], _text(f.get("expected")),
              _text(f.get("found")), int(bool(f.get("explained"))), f.get("project") or None) for f in findings])

    def set_verdicts(self, rec: Submission, codes, findings: list[dict]):
        """Replace a submission's findings of the given codes (those that depend on the batch: the overall form
        against its unit's project forms, the ledger, the roster) and store its counts, status and data."""
        codes = list(codes)
        with self.db:
            self.db.execute(f"DELETE FROM findings WHERE submission_id=? AND code IN ({','.join('?' * len(codes))})",
                            [rec.id] + codes)
            self._add_findings(rec.id, findings)
            self.db.execute("UPDATE submissions SET errors=?, warnings=?, status=?, data=? WHERE id=?",
                            (rec.errors, rec.warnings, rec.status, _data_json(rec), rec.id))

    def set_unit(self, rec: Submission):
        """Store the unit named for a submission the tool could not read (from its file name and the roster)."""
        with self.db:
            self.db.execute("UPDATE submissions SET unit_code=?, unit_name=?, data=? WHERE id=?",
                            (rec.unit_code, rec.unit_name, _data_json(rec), rec.id))

    def unit_budgets(self) -> dict[tuple[str, str], float]:
        """(unit code, fiscal year) → adjusted budget total of the unit's latest readable overall form of that year."""
        out = {}
        for code, year, budget, data in self.db.execute(
                "SELECT unit_code, fiscal_year, budget, data FROM submissions WHERE readable=1 AND unit_code != '' "
                "AND budget > 0 ORDER BY id"):
            if (json.loads(data or "{}").get("kind") or "") in ("project", "projects"):
                continue          # project forms' money is one project's (or their sum), not the unit's budget
            out[(code, str(year or ""))] = budget
        return out

    def _add_projects(self, sid: int, rows: list[ProjectRow]):
        self.db.executemany(f"INSERT INTO projects (submission_id, {', '.join(PROJECT_COLUMNS)}) "
                            f"VALUES (?, {', '.join('?' * len(PROJECT_COLUMNS))})",
                            [[sid] + [_sql(getattr(r, c)) for c in PROJECT_COLUMNS] for r in rows])

    def _set_data(self, sid: int, rec: Submission):
        """Refresh what a newer reader derives from the same bytes (the data JSON, e.g. its ``kind``)."""
        self.db.execute("UPDATE submissions SET data=? WHERE id=?", (_data_json(rec), sid))

    def missing_projects(self, spec_ids) -> set[int]:
        """Readable submissions of these (project) specs without project rows: recorded by an older version."""
        spec_ids = list(spec_ids)
        if not spec_ids:
            return set()
        return {r[0] for r in self.db.execute(
            f"SELECT id FROM submissions s WHERE readable=1 AND spec_id IN ({','.join('?' * len(spec_ids))}) "
            "AND NOT EXISTS (SELECT 1 FROM projects p WHERE p.submission_id=s.id)", spec_ids)}

    def spec_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT spec_id FROM submissions WHERE readable=1 "
                                              "AND spec_id IS NOT NULL")]

    def projects(self, submission_ids) -> dict[int, list[ProjectRow]]:
        """submission id → its project rows, in sheet order."""
        out: dict[int, list[ProjectRow]] = {}
        cols = ("submission_id",) + PROJECT_COLUMNS
        for chunk in _chunks(list(submission_ids), 500):
            for r in self.db.execute(f"SELECT {', '.join(cols)} FROM projects WHERE submission_id IN "
                                     f"({','.join('?' * len(chunk))}) ORDER BY submission_id, rowid", chunk):
                out.setdefault(r[0], []).append(ProjectRow(*r[1:]))
        return out

    def link_file(self, path: str, size: int, mtime_ns: int, sha256: str, submission_id: int):
        t = now()
        with self.db:
            self.db.execute(
                "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET size=excluded.size, "
                "mtime_ns=excluded.mtime_ns, sha256=excluded.sha256, submission_id=excluded.submission_id, "
                "last_seen=excluded.last_seen", (path, size, mtime_ns, sha256, submission_id, t, t))

    def touch_files(self, paths: list[str]):
        """Mark unchanged files as seen in one transaction (thousands of them on a re-run)."""
        t = now()
        with self.db:
            self.db.executemany("UPDATE files SET last_seen=? WHERE path=?", [(t, p) for p in paths])

    def get_meta(self, key: str):
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def metas(self, prefix: str) -> dict[str, str]:
        """Every meta row whose key starts with ``prefix`` (e.g. the specs learnt from returns: ``spec:``)."""
        rows = self.db.execute("SELECT key, value FROM meta WHERE substr(key, 1, ?) = ?", (len(prefix), prefix))
        return dict(rows.fetchall())

    def set_meta(self, key: str, value: str):
        with self.db:
            self.db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                            (key, value))

    # ------------------------------------------------------------ runs
    def start_run(self, inboxes) -> int:
        with self.db:
            return self.db.execute("INSERT INTO runs (started, inboxes) VALUES (?, ?)",
                                   (now(), json.dumps([str(i) for i in inboxes], ensure_ascii=False))).lastrowid

    def finish_run(self, run_id: int, found: int, read: int, cached: int):
        with self.db:
            self.db.execute("UPDATE runs SET finished=?, files_found=?, files_read=?, files_cached=? WHERE id=?",
                            (now(), found, read, cached, run_id))

    def submissions(self, ids=None) -> list[Submission]:
        """Submissions (row → record: ``data`` decoded, its kind, its project rows), all or those with the given
        ids."""
        q = f"SELECT id, {', '.join(SUB_COLUMNS)}, data, read_at FROM submissions"
        rows = self.db.execute(q).fetchall() if ids is None else [
            r for chunk in _chunks(list(ids), 500)
            for r in self.db.execute(q + f" WHERE id IN ({','.join('?' * len(chunk))})", chunk).fetchall()]
        cols = ("id",) + SUB_COLUMNS + ("data", "read_at")
        out = [_submission(dict(zip(cols, r))) for r in rows]
        projects = self.projects([s.id for s in out])
        for s in out:
            s.projects = projects.get(s.id, [])
            if s.readable and not s.kind:
                s.kind = _recorded_kind(s.projects)
        return out

    def submission_counts(self) -> dict[str, int]:
        """unit code → how many submissions (history included) the database holds for it."""
        return dict(self.db.execute("SELECT unit_code, count(*) FROM submissions WHERE unit_code != '' "
                                    "GROUP BY unit_code"))

    def current_files(self) -> list[tuple[str, int]]:
        return self.db.execute("SELECT path, submission_id FROM files").fetchall()

    def findings(self, submission_ids) -> list[dict]:
        cols = ("submission_id", "code", "severity", "cell", "indicator", "message", "expected", "found", "explained",
                "project")
        out = []
        for chunk in _chunks(list(submission_ids), 500):
            out += [dict(zip(cols, r)) for r in self.db.execute(
                f"SELECT {', '.join(cols)} FROM findings WHERE submission_id IN ({','.join('?' * len(chunk))}) "
                "ORDER BY submission_id, rowid", chunk)]
        return out

    def close(self):
        self.db.close()


    # ------------------------------------------------------------ the bureau's send-backs (wbtool serve)
    def send_back(self, submission_id: int, unit_code: str, note: str, actor: str) -> int:
        with self.db:
            return self.db.execute("INSERT INTO sendbacks (submission_id, unit_code, note, actor, at) "
                                   "VALUES (?, ?, ?, ?, ?)", (submission_id, unit_code, note, actor, now())).lastrowid

    def withdraw_send_back(self, submission_id: int):
        with self.db:
            self.db.execute("UPDATE sendbacks SET withdrawn_at=? WHERE submission_id=? AND withdrawn_at IS NULL",
                            (now(), submission_id))

    def send_backs(self) -> dict[int, dict]:
        """submission id → the bureau's latest standing send-back of it (note, actor, at)."""
        out = {}
        for sid, note, actor, at in self.db.execute(
                "SELECT submission_id, note, actor, at FROM sendbacks WHERE withdrawn_at IS NULL ORDER BY id"):
            out[sid] = {"note": note, "actor": actor, "at": at}
        return out

    def upload_by_key(self, idem_key: str) -> dict | None:
        rows = self.uploads("idem_key=?", (idem_key,))
        return rows[0] if rows else None

    def uploads(self, where: str = "1", params=(), limit: int | None = None) -> list[dict]:
        cols = ("id", "idem_key", "unit_code", "submission_id", "sha256", "stored", "original_name", "size",
                "outcome", "slot", "note", "received_at")
        q = f"SELECT {', '.join(cols)} FROM uploads WHERE {where} ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit else "")
        return [dict(zip(cols, r)) for r in self.db.execute(q, params)]

    def record_upload(self, up: dict, *, link: tuple | None, actor: str, ip: str = "") -> int:
        """One upload in one transaction: its row, its audit line and — accepted — its file as the unit's current
        return of its slot (the unit's earlier upload of that slot leaves ``files`` but stays in the history).
        ``link`` is (path, size, mtime_ns). A repeated idempotency key raises sqlite3.IntegrityError."""
        t = now()
        with self.db:
            if link is not None:
                old = [r[0] for r in self.db.execute(
                    "SELECT DISTINCT stored FROM uploads WHERE unit_code=? AND slot=? AND outcome='accepted' "
                    "AND stored != ?", (up["unit_code"], up["slot"], up["stored"]))]
                self.db.executemany("DELETE FROM files WHERE path=?", [(o,) for o in old])
                self.db.execute(
                    "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET "
                    "size=excluded.size, mtime_ns=excluded.mtime_ns, sha256=excluded.sha256, "
                    "submission_id=excluded.submission_id, last_seen=excluded.last_seen",
                    (link[0], link[1], link[2], up["sha256"], up["submission_id"], t, t))
            uid = self.db.execute(
                "INSERT INTO uploads (idem_key, unit_code, submission_id, sha256, stored, original_name, size, outcome, "
                "slot, note, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (up.get("idem_key"), up["unit_code"], up.get("submission_id"), up.get("sha256"), up.get("stored"),
                 up.get("original_name"), up.get("size"), up["outcome"], up.get("slot"), up.get("note"), t)).lastrowid
            self.db.execute("INSERT INTO audit (at, actor, action, unit_code, detail, ip) VALUES (?, ?, ?, ?, ?, ?)",
                            (t, actor, "upload", up["unit_code"],
                             f"上传 #{uid}「{up.get('original_name')}」：{up.get('verdict') or up['outcome']}", ip))
        return uid

    def set_access_code(self, unit_code: str, code_hash: str, source: str):
        with self.db:
            self.db.execute("INSERT INTO access_codes VALUES (?, ?, ?, ?) ON CONFLICT(unit_code) DO UPDATE SET "
                            "code_hash=excluded.code_hash, set_at=excluded.set_at, source=excluded.source",
                            (unit_code, code_hash, now(), source))

    def access_code_hash(self, unit_code: str) -> str | None:
        row = self.db.execute("SELECT code_hash FROM access_codes WHERE unit_code=?", (unit_code,)).fetchone()
        return row[0] if row else None

    def access_code_units(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT unit_code FROM access_codes")}

    def add_session(self, token_hash: str, role: str, unit_code: str | None, csrf: str, expires: float):
        import time
        with self.db:
            self.db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?)",
                            (token_hash, role, unit_code, csrf, time.time(), time.time(), expires))

    def session(self, token_hash: str) -> dict | None:
        cols = ("token_hash", "role", "unit_code", "csrf", "created", "last_seen", "expires")
        row = self.db.execute(f"SELECT {', '.join(cols)} FROM sessions WHERE token_hash=?", (token_hash,)).fetchone()
        return dict(zip(cols, row)) if row else None

    def touch_session(self, token_hash: str, last_seen: float):
        with self.db:
            self.db.execute("UPDATE sessions SET last_seen=? WHERE token_hash=?", (last_seen, token_hash))

    def end_session(self, token_hash: str | None = None, *, before: float | None = None):
        """End one session, or every session whose time ran out before ``before``."""
        with self.db:
            if token_hash is not None:
                self.db.execute("DELETE FROM sessions WHERE token_hash=?", (token_hash,))
            if before is not None:
                self.db.execute("DELETE FROM sessions WHERE expires < ?", (before,))

    def recent_actions(self, action: str, unit_code: str | None, since: str) -> int:
        return self.db.execute("SELECT count(*) FROM audit WHERE action=? AND unit_code IS ? AND at >= ?",
                               (action, unit_code, since)).fetchone()[0]

    def audit_log(self, unit_code: str | None = None, limit: int = 500) -> list[dict]:
        cols = ("id", "at", "actor", "action", "unit_code", "detail", "ip")
        q = f"SELECT {', '.join(cols)} FROM audit" + (" WHERE unit_code=?" if unit_code else "") + \
            " ORDER BY id DESC LIMIT ?"
        return [dict(zip(cols, r)) for r in self.db.execute(q, ((unit_code,) if unit_code else ()) + (limit,))]

    def send_back_stamp(self) -> str:
        """Changes whenever a send-back is made or withdrawn (a cached summary must then be rebuilt)."""
        n, last, gone = self.db.execute("SELECT count(*), max(id), count(withdrawn_at) FROM sendbacks").fetchone()
        return f":{n}:{last}:{gone}" if n else ""

    def audit(self, actor: str, action: str, unit_code: str | None = None, detail: str = "", ip: str = ""):
        with self.db:
            self.db.execute("INSERT INTO audit (at, actor, action, unit_code, detail, ip) VALUES (?, ?, ?, ?, ?, ?)",
                            (now(), actor, action, unit_code, detail, ip))


def apply_send_backs(store: Store, subs: list[Submission]) -> list[Submission]:
    """A current return the bureau sent back stands as 需退回 with the bureau's note, whatever its findings
    (a resubmission is a new submission: the note no longer applies)."""
    backs = store.send_backs()
    for s in subs:
        b = backs.get(s.id)
        if b:
            s.status = RETURN
            s.send_back = b
            s.notes.append(f"财政局退回：{b['note']}")
    return subs


def _submission(row: dict) -> Submission:
    """A ``submissions`` row as a record: the JSON ``data`` decoded, the kind taken out of it."""
    data = json.loads(row.pop("data") or "{}")
    row["readable"] = bool(row["readable"])
    return Submission(**row, kind=data.pop("kind", None), data=data)


def _data_json(rec: Submission) -> str:
    """The ``data`` column: the record's data with its kind (kept in the JSON: no schema change for it)."""
    data = dict(rec.data)
    if rec.kind:
        data["kind"] = rec.kind
    return json.dumps(data, ensure_ascii=False)


def _recorded_kind(projects: list[ProjectRow]) -> str:
    """The kind of a readable submission recorded before records carried their kind (databases of earlier
    versions): as those versions classified it — no project rows an overall form, one a one-project file,
    several a project workbook."""
    return "overall" if not projects else "project" if len(projects) == 1 else "projects"


def _chunks(items, n):
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _sql(v):
    if isinstance(v, bool):
        return int(v)
    return v


def _text(v):
    if v is None:
        return None
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)


def open_store(path) -> Store:
    if str(path) == ":memory:":
        return Store(path)
    p = Path(path)
    if p.exists() and p.is_dir():
        raise OutputError(f"数据库路径 {p} 是文件夹。", f"database path {p} is a folder", code="db-unusable")
    if not p.parent.exists():
        raise OutputError(f"数据库所在文件夹 {p.parent} 不存在。", f"folder {p.parent} does not exist",
                          code="db-unusable")
    if p.exists() and not os.access(p, os.W_OK):
        raise OutputError(f"数据库 {p} 不可写。", f"database {p} is not writable", code="db-unusable")
    return Store(p)

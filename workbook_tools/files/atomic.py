"""Atomic file output: write to a temp file beside the target, then rename; never a half-written file."""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from workbook_tools.errors import OutputError


def _fail(path: Path, e: OSError) -> OutputError:
    if isinstance(e, PermissionError):
        zh = f"无法写入 {path}：没有写入权限，或文件正被其他程序（如 Excel/WPS）打开。请关闭该文件或换一个保存位置。"
        en = f"cannot write {path}: permission denied or the file is open in another program"
    elif isinstance(e, FileNotFoundError):
        zh = f"无法写入 {path}：所在文件夹不存在。"
        en = f"cannot write {path}: the folder does not exist"
    else:
        zh = f"无法写入 {path}：{e.strerror or e}"
        en = f"cannot write {path}: {e.strerror or e}"
    return OutputError(zh, en, code="output-unwritable")


_TMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[a-z0-9_]+\.tmp$")
_OLD_TMP = re.compile(r"^\.(?P<name>.+\.(?:xlsx|xlsm|docx|html|md|csv|json|txt|db))\.[a-z0-9_]{8}\.tmp$")   # before pids
STALE_SECONDS = 600          # a temp file this old whose process is gone is left over from a killed run
ABANDONED_SECONDS = 86400    # older than a day: left over, whoever made it (another machine on a shared folder)


@dataclass(frozen=True)
class Stamp:
    """What a file was when it was read: a later save by someone else changes one of these."""
    size: int
    mtime_ns: int
    sha256: str | None = None

    @classmethod
    def of(cls, path, sha256: str | None = None) -> "Stamp":
        st = os.stat(path)
        return cls(st.st_size, st.st_mtime_ns, sha256)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _changed(path: Path, stamp: Stamp) -> bool:
    try:
        now = Stamp.of(path)
    except FileNotFoundError:
        return True
    if (now.size, now.mtime_ns) != (stamp.size, stamp.mtime_ns):
        return True
    return stamp.sha256 is not None and _sha256(path) != stamp.sha256


def _umask() -> int:
    old = os.umask(0o022)       # reading the umask means setting it: put it straight back
    os.umask(old)
    return old


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):     # someone else's process, or no signals here: treat as alive
        return True
    return True


def clean_stale_temps(folder: str | Path, now: float | None = None) -> list[Path]:
    """Remove temp files of ours (``.<name>.<pid>-<random>.tmp``) that a killed run left in ``folder``: those
    whose process is gone and that are older than 10 minutes, or older than a day (so are an older version's
    ``.<name>.xlsx.<random>.tmp``). Nothing else is touched."""
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for e in entries:
        m = _TMP.match(e.name)
        old = None if m else _OLD_TMP.match(e.name)
        if not m and not old:
            continue
        try:
            if not e.is_file(follow_symlinks=False):
                continue
            age = now - e.stat(follow_symlinks=False).st_mtime
            pid = int(m["pid"]) if m else None      # an older version's name carries no pid: only by age
            if age > ABANDONED_SECONDS or (pid is not None and age > STALE_SECONDS and pid != os.getpid()
                                           and not _alive(pid)):
                os.unlink(e.path)
                removed.append(Path(e.path))
        except (OSError, ValueError):
            continue
    return removed


def _changed_error(path: Path) -> OutputError:
    return OutputError(f"{path} 在处理期间被修改或替换（可能有人在 Excel/WPS 中保存了它）。为免覆盖这次修改，未写入；"
                       f"请关闭该文件后重新运行。",
                       f"{path} changed while it was being processed (saved in Excel/WPS?); not overwritten — "
                       f"close it and run again", code="file-changed")


@contextlib.contextmanager
def atomic_output(path: str | Path, mode: str = "wb", *, expect: Stamp | None = None):
    """Yield an open temp file; on success it replaces ``path`` in one rename.

    The new file gets the mode of the file it replaces, else the umask's (not mkstemp's 0600). With ``expect``
    (the target as it was read), the target is checked just before the rename and a changed one is refused."""
    path = Path(path)
    folder = path.parent or Path(".")
    clean_stale_temps(folder)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp", dir=folder)
    except OSError as e:
        raise _fail(path, e) from None
    ok = False
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""})) as fh:
            yield fh
            fh.flush()
            try:
                old = os.stat(path)
                perm = stat.S_IMODE(old.st_mode)
            except FileNotFoundError:
                perm = 0o666 & ~_umask()
            with contextlib.suppress(OSError, AttributeError):    # no modes here (FAT, some shares, Windows)
                os.fchmod(fh.fileno(), perm)
            os.fsync(fh.fileno())
        try:
            if path.exists() and not os.access(path, os.W_OK):
                raise PermissionError(13, "read-only", str(path))
            if expect is not None and _changed(path, expect):
                raise _changed_error(path)
            os.replace(tmp, path)
        except OSError as e:
            raise _fail(path, e) from None
        ok = True
    except OSError as e:
        raise _fail(path, e) from None
    finally:
        if not ok:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def backup_path(path: Path) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    cand = path.with_name(f"{path.stem}.备份-{stamp}{path.suffix}")
    n = 1
    while cand.exists():
        n += 1
        cand = path.with_name(f"{path.stem}.备份-{stamp}-{n}{path.suffix}")
    return cand


def make_backup(path: Path) -> Path:
    """Copy ``path`` next to itself (atomically) before it is replaced."""
    dest = backup_path(path)
    with atomic_output(dest) as out, open(path, "rb") as src:
        shutil.copyfileobj(src, out)
    shutil.copystat(path, dest)
    prune_backups(path, keep=BACKUPS_KEPT)
    return dest


BACKUPS_KEPT = 3      # fill / mark / clear in place keep this many backups beside the file (newest), not one per run


def prune_backups(path: Path, keep: int = BACKUPS_KEPT) -> list[Path]:
    """Delete all but the ``keep`` newest ``<name>.备份-….xlsx`` beside ``path``; returns what was deleted."""
    path = Path(path)
    def order(p):       # <stem>.备份-YYYYmmdd-HHMMSS[-n]<suffix>: newest stamp, then highest n
        parts = p.name[len(path.stem) + 4:-len(path.suffix) or None].split("-")
        return (parts[0], parts[1] if len(parts) > 1 else "", int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 1)
    # made when: the change time (the mtime is the original's, copied); then the name, within one second
    mine = sorted((p for p in path.parent.glob(f"{glob_escape(path.stem)}.备份-*{path.suffix}")
                   if p.name[len(path.stem) + 4:len(path.stem) + 5].isdigit()),
                  key=lambda p: (p.stat().st_ctime_ns, order(p)), reverse=True)
    gone = []
    for old in mine[keep:]:
        with contextlib.suppress(OSError):
            old.unlink()
            gone.append(old)
    return gone


def glob_escape(s: str) -> str:
    import glob
    return glob.escape(s)

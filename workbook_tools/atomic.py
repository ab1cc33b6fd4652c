"""Atomic file output: write to a temp file beside the target, then rename; never a half-written file."""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

from .errors import OutputError


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


@contextlib.contextmanager
def atomic_output(path: str | Path, mode: str = "wb"):
    """Yield an open temp file; on success it replaces ``path`` in one rename."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    except OSError as e:
        raise _fail(path, e) from None
    ok = False
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        try:
            if path.exists() and not os.access(path, os.W_OK):
                raise PermissionError(13, "read-only", str(path))
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

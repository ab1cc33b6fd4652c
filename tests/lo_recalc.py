"""Recalculate .xlsx files with headless LibreOffice Calc and read back the values."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import openpyxl

# LibreOffice keeps the cached <v> values of xlsx/ods files by default (mode 1 = never
# recalc); 0 = always, so every formula is recomputed on load.
_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>{mode}</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>{mode}</value></prop></item>
</oor:items>
"""
_FILTER = "xlsx:Calc MS Excel 2007 XML"
_MAX_ARG_CHARS = 100_000  # far below ARG_MAX on Linux, also safe on other platforms


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def run_soffice(args: list[str], timeout: float, xcu: str | None = None) -> tuple[int, str, str]:
    """soffice with a fresh private profile (optionally with settings) in its own process group."""
    # A fresh profile per call: soffice processes sharing one profile hand work to each
    # other or lock each other out, and files silently go missing.
    with tempfile.TemporaryDirectory(prefix="lo_profile_") as prof:
        if xcu:
            (Path(prof) / "user").mkdir()
            (Path(prof) / "user" / "registrymodifications.xcu").write_text(xcu, "utf-8")
        cmd = [soffice_path(), f"-env:UserInstallation={Path(prof).as_uri()}", "--headless", "--norestore", *args]
        # Own session so a timeout kills soffice.bin too, not only the launcher script.
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            raise RuntimeError(f"soffice timed out after {timeout}s\nstdout:\n{out}\nstderr:\n{err}")
        return proc.returncode, out, err


def _run(exe: str, files: list[Path], outdir: Path, timeout: float, mode: int) -> str:
    rc, out, err = run_soffice(["--calc", "--convert-to", _FILTER, "--outdir", str(outdir), *map(str, files)],
                               timeout, _XCU.format(mode=mode))
    return f"exit code {rc}\nstdout:\n{out}\nstderr:\n{err}"


def recalc_files(paths: list[Path], outdir: Path, timeout: float = 600, *,
                 _recalc_mode: int = 0) -> dict[Path, Path]:
    """Fully recalculate `paths` in one soffice run per chunk; return {input: output .xlsx}."""
    exe = soffice_path()
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) is not on PATH")
    outdir = Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    result: dict[Path, Path] = {}
    for p in paths:
        p = Path(p).resolve()
        out = outdir / (p.stem + ".xlsx")
        # soffice names outputs by stem only, so equal stems or outdir == input dir would clobber.
        if out in result.values() or out == p:
            raise ValueError(f"{p}: output {out} collides with another input/output")
        result[Path(p)] = out
    for out in result.values():
        out.unlink(missing_ok=True)  # a leftover from an earlier run must not pass the check below
    chunk: list[Path] = []
    chunks = [chunk]
    for p in result:
        if chunk and sum(len(str(c)) + 1 for c in chunk) + len(str(p)) > _MAX_ARG_CHARS:
            chunk = []
            chunks.append(chunk)
        chunk.append(p)
    for chunk in chunks:
        if not chunk:
            continue
        log = _run(exe, chunk, outdir, timeout, _recalc_mode)
        # soffice exits 0 even when a file fails to load/convert; the output file is the truth.
        missing = [str(p) for p in chunk if not result[p].is_file()]
        if missing:
            raise RuntimeError(f"soffice produced no output for {missing}\n{log}")
    # Keep the caller's spelling of the input paths as keys.
    return {Path(orig): result[Path(orig).resolve()] for orig in paths}


def recalculated_values(path_in: Path, path_out: Path) -> dict[tuple[str, str], object]:
    """{(sheet, coord): value in path_out} for every formula cell of path_in."""
    wb_f = openpyxl.load_workbook(path_in)  # formulas
    wb_v = openpyxl.load_workbook(path_out, data_only=True)
    try:
        return {(ws.title, c.coordinate): wb_v[ws.title][c.coordinate].value
                for ws in wb_f.worksheets for row in ws.iter_rows() for c in row
                if c.data_type == "f"}
    finally:
        wb_f.close()
        wb_v.close()


def same_as_lo(mine, lo) -> bool:
    """Engine value (Decimal | str | None) vs what LibreOffice computed: numbers within 1e-9 relative, '' is empty."""
    from decimal import Decimal
    if isinstance(mine, Decimal):
        if isinstance(lo, bool) or not isinstance(lo, (int, float)):
            return False
        return abs(float(mine) - lo) <= 1e-9 * max(1.0, abs(lo))
    if mine in (None, ""):
        return lo in (None, "")
    return mine == lo

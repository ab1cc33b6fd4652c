"""Collect CPU per file against a python-calamine read of every sheet of the same files, in one run (by hand).

    python bench/collect_ratio.py /tmp/bench/ratio -n 200          # builds the inbox on first use
    python bench/collect_ratio.py /tmp/bench/ratio -n 200 --profile /tmp/collect.prof

Both sides run in this one process, one core, on the same files, warm (a first pass over every file is not
timed), CPU time (time.process_time). The collect side is ``process_file`` — everything a collect worker does
for one file: the safety scan, reading, the checks, the record — plus recording it in SQLite (``add_submission``);
the summary workbook, written once per batch, is measured apart (per file, over the whole batch)."""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def inbox(work: Path, n: int) -> list[Path]:
    box = work / f"inbox{n}"
    if not box.exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "gen_returns.py"), str(box), "-n", str(n),
                        "--distinct", str(min(n, 50))], check=True)
    return sorted(p for p in box.rglob("*.xlsx"))


def calamine_pass(paths):
    from python_calamine import CalamineWorkbook
    for p in paths:
        try:
            wb = CalamineWorkbook.from_path(str(p))
            for name in wb.sheet_names:
                wb.get_sheet_by_name(name).to_python()
        except Exception:       # noqa: BLE001 — the broken files of the inbox: calamine gives up too
            pass


def collect_pass(paths):
    from workbook_tools.bureau.collect import process_file
    from workbook_tools.bureau.store import open_store
    with tempfile.TemporaryDirectory() as d:
        store = open_store(Path(d) / "c.db")
        for p in paths:
            store.add_submission(process_file(str(p)))
        store.close()


def read_pass(paths):
    from workbook_tools.errors import UnreadableInput
    from workbook_tools.files.reader import read_workbook_forms
    for p in paths:
        try:
            read_workbook_forms(p)
        except UnreadableInput:
            pass


def check_pass(paths):
    from workbook_tools.checks.validate import validate_forms
    from workbook_tools.errors import UnreadableInput
    from workbook_tools.files.reader import read_workbook_forms
    for p in paths:
        try:
            validate_forms(read_workbook_forms(p))
        except UnreadableInput:
            pass


def summary_pass(paths):
    from workbook_tools.bureau.collect import run_collect
    with tempfile.TemporaryDirectory() as d:
        run_collect([paths[0].parent], Path(d) / "summary.xlsx", jobs=1)


def cpu(fn, paths, repeat) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.process_time()
        fn(paths)
        out.append((time.process_time() - t) / len(paths) * 1000)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work", type=Path)
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", type=Path)
    a = ap.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    paths = inbox(a.work, a.n)
    if a.profile:
        import cProfile
        collect_pass(paths)
        cProfile.runctx("collect_pass(paths)", globals(), {"paths": paths}, str(a.profile))
        return
    calamine_pass(paths)        # warm: imports, page cache
    collect_pass(paths)
    cal = cpu(calamine_pass, paths, a.repeat)
    col = cpu(collect_pass, paths, a.repeat)
    read = cpu(read_pass, paths, a.repeat)
    check = cpu(check_pass, paths, a.repeat)
    whole = cpu(summary_pass, paths, 1)
    c, k = statistics.median(cal), statistics.median(col)
    r, v = statistics.median(read), statistics.median(check)
    print(f"{len(paths)} files, CPU per file (median of {a.repeat}):")
    print(f"  python-calamine read of every sheet  {c:7.2f} ms")
    print(f"  collect (process_file + record)      {k:7.2f} ms   ratio {k / c:.2f}x  (target <= 3x)")
    print(f"    of which: safety scan + read (read_workbook_forms) {r:7.2f} ms, the checks {v - r:7.2f} ms, "
          f"the record (process_file's own work + SQLite) {k - v:7.2f} ms")
    print(f"  whole run_collect -j 1 incl. summary {whole[0]:7.2f} ms   ratio {whole[0] / c:.2f}x")


if __name__ == "__main__":
    main()

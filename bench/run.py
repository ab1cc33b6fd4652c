"""Benchmarks (run by hand): whole-process validate/fill vs opening the file, and collect vs a naive loop.

    python bench/run.py single            # validate / fill ratios on the seed sample
    python bench/run.py collect -n 1000   # collect throughput, memory and re-run on generated returns
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "taiping_2023.xlsx"
PY = sys.executable


def timed(cmd, repeat=7, env=None) -> float:
    """Median wall time of a whole process."""
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def single(repeat: int):
    tmp = Path(tempfile.mkdtemp())
    wbtool = shutil.which("wbtool") or f"{PY} -m workbook_tools.cli"
    base = {
        "openpyxl load_workbook": [PY, "-c", f"import openpyxl; openpyxl.load_workbook(r'{SAMPLE}')"],
        "python-calamine read (floor)": [PY, "-c", "from python_calamine import CalamineWorkbook as C; "
                                                    f"b=C.from_path(r'{SAMPLE}'); [b.get_sheet_by_name(n).to_python() "
                                                    "for n in b.sheet_names]"],
        "wbtool validate": wbtool.split() + ["validate", str(SAMPLE)],
        "wbtool fill": wbtool.split() + ["fill", str(SAMPLE), "-o", str(tmp / "out.xlsx")],
    }
    t = {k: timed(v, repeat) for k, v in base.items()}
    o = t["openpyxl load_workbook"]
    return {"seconds": t, "ratios": {"validate / openpyxl": t["wbtool validate"] / o, "fill / openpyxl": t["wbtool fill"] / o,
                                     "calamine / openpyxl": t["python-calamine read (floor)"] / o}}


NAIVE = """
import sys, openpyxl, pathlib
for p in sorted(pathlib.Path(sys.argv[1]).rglob('*.xlsx')):
    try:
        openpyxl.load_workbook(p)
    except Exception:
        pass
"""


def run_measured(cmd) -> tuple[float, float]:
    """(seconds, peak RSS of the process tree in MB)."""
    t = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return time.perf_counter() - t, max(peak, before) / 1024


def collect(n: int, jobs: int, keep: Path | None):
    work = keep or Path(tempfile.mkdtemp())
    inbox = work / f"inbox{n}"
    if not inbox.exists():
        subprocess.run([PY, str(ROOT / "bench" / "gen_returns.py"), str(inbox), "-n", str(n)], check=True)
    out = work / f"summary{n}.xlsx"
    for p in (out, out.with_suffix(".db")):
        p.unlink(missing_ok=True)
    wbtool = [PY, "-m", "workbook_tools.cli"]
    first, mem = run_measured(wbtool + ["collect", str(inbox), "-o", str(out), "-q", "-j", str(jobs)])
    rerun, _ = run_measured(wbtool + ["collect", str(inbox), "-o", str(out), "-q", "-j", str(jobs)])
    naive, naive_mem = run_measured([PY, "-c", NAIVE, str(inbox)])
    return {"files": n, "jobs": jobs, "collect_s": first, "files_per_s": n / first, "naive_s": naive,
            "naive_files_per_s": n / naive, "speedup": naive / first, "collect_peak_rss_mb": mem,
            "rerun_s": rerun, "rerun_share": rerun / first}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["single", "collect"])
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="reuse/keep generated inboxes in this folder")
    args = ap.parse_args()
    res = single(args.repeat) if args.what == "single" else collect(args.n, args.jobs, args.keep)
    res["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                      "date": time.strftime("%Y-%m-%d")}
    print(json.dumps(res, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()

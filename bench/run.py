"""Benchmarks (run by hand): whole-process validate/fill vs opening the file, and collect vs a naive loop.

    python bench/run.py single            # validate / fill ratios on the seed sample
    python bench/run.py collect -n 1000   # collect throughput, memory and re-run on generated returns
    python bench/run.py projects          # validate a 225-project workbook (built once, cached under --keep)
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
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


def run_rss(cmd) -> tuple[float, float, int]:
    """(seconds, peak RSS of this one process in MB, exit code): wait4 gives the child's own rusage."""
    t, mb, code, _ = run_usage(cmd)
    return t, mb, code


def run_usage(cmd) -> tuple[float, float, int, float]:
    """(wall seconds, peak RSS in MB, exit code, CPU seconds of the process and the children it waited for)."""
    t = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc.returncode = os.waitstatus_to_exitcode(status)
    # RUSAGE_CHILDREN grows by the process and its own waited-for children (validate's forked parts)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, ru.ru_maxrss / 1024, proc.returncode, cpu


def projects_workbook(work: Path, n: int, seed: str) -> tuple[Path, dict]:
    """A project workbook with ``n`` projects of valid random figures, filled (as Excel would save it); cached.

    Built in a child process: a child forked from a big parent inherits its peak RSS (Linux keeps the
    high-water mark across exec), which would inflate every figure measured afterwards.
    """
    path = work / f"projects{n}-{seed}-{_form_version()}.xlsx"     # a new form version: a new workbook
    info = {"cached": path.is_file()}
    if not path.is_file():
        work.mkdir(parents=True, exist_ok=True)
        r = subprocess.run([PY, str(Path(__file__).resolve()), "projects-build", "--projects", str(n), "--seed", seed,
                            "--keep", str(work)], check=True, capture_output=True, text=True)
        info.update(json.loads(r.stdout))
    info["size_mb"] = path.stat().st_size / 2**20
    return path, info


def _form_version() -> str:
    from workbook_tools.files.specsheet import load_spec
    s = load_spec("national-project-2020")
    return f"{s.version}-{s.fingerprint}"


def projects_build(work: Path, n: int, seed: str) -> dict:
    """Build (typed) and fill the benchmark's project workbook; what ``projects_workbook`` runs in a child."""
    sys.path.insert(0, str(ROOT / "tests"))
    from projectfill import project_values, write_project_workbook

    from workbook_tools.files.fill import fill_workbook
    from workbook_tools.files.specsheet import load_spec
    spec = load_spec("national-project-2020")
    stem = f"projects{n}-{seed}-{_form_version()}"
    typed, path = work / f"{stem}.typed.xlsx", work / f"{stem}.xlsx"
    t = time.perf_counter()
    write_project_workbook(typed, spec, project_values(spec, random.Random(seed), n))
    build = time.perf_counter() - t
    t = time.perf_counter()
    fill_workbook(typed, path.with_suffix(".tmp.xlsx"), backup=False)
    path.with_suffix(".tmp.xlsx").replace(path)      # a cached file is always a complete one
    return {"build_s": build, "fill_s": time.perf_counter() - t}


PROJECTS_WORK = Path(tempfile.gettempdir()) / "wbtool-bench"


def projects(n: int, repeat: int, keep: Path | None, seed: str):
    """Whole-process `wbtool validate` of an n-project workbook: median wall time and peak RSS."""
    work = keep or PROJECTS_WORK
    path, info = projects_workbook(work, n, seed)
    exe = shutil.which("wbtool")
    cmds = {"wbtool validate (console script)": [exe, "validate", str(path)] if exe else None,
            "python -m workbook_tools.cli validate": [PY, "-m", "workbook_tools.cli", "validate", str(path)],
            "wbtool validate -j 1 (one process)": [PY, "-m", "workbook_tools.cli", "validate", "-j", "1", str(path)],
            "python-calamine read (floor)": [PY, "-c", "from python_calamine import CalamineWorkbook as C; "
                                                        f"b=C.from_path(r'{path}'); [b.get_sheet_by_name(s).to_python() "
                                                        "for s in b.sheet_names]"],
            "python startup + import workbook_tools.cli": [PY, "-c", "import workbook_tools.cli"]}
    out = {"workbook": str(path), **info, "projects": n, "repeat": repeat}
    runs_of = {name: [] for name, cmd in cmds.items() if cmd is not None}
    for _ in range(repeat):              # interleaved: every command sees the same machine load, run by run
        for name in runs_of:
            runs_of[name].append(run_usage(cmds[name]))
    for name, runs in runs_of.items():
        codes = {c for _, _, c, _ in runs}
        if "validate" in name and codes != {0}:
            raise SystemExit(f"{name} exited {sorted(codes)}: the benchmark workbook does not validate cleanly")
        out[name] = {"median_s": statistics.median(t for t, _, _, _ in runs), "min_s": min(t for t, _, _, _ in runs),
                     "max_s": max(t for t, _, _, _ in runs), "peak_rss_mb": max(m for _, m, _, _ in runs),
                     "median_cpu_s": statistics.median(c for _, _, _, c in runs), "exit_codes": sorted(codes)}
    floor = out["python-calamine read (floor)"]
    out["ratios to the calamine floor (target ≤ 3)"] = {
        name: {"wall": round(out[name]["median_s"] / floor["median_s"], 2),
               "cpu": round(out[name]["median_cpu_s"] / floor["median_cpu_s"], 2)}
        for name in runs_of if "validate" in name}
    out["target_s"] = 2.0
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["single", "collect", "projects", "projects-build"])
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="reuse/keep generated inboxes (and project workbooks) in this folder")
    ap.add_argument("--projects", type=int, default=225, help="projects in the workbook (projects)")
    ap.add_argument("--seed", default="bench-225", help="seed of the project workbook's figures (projects)")
    args = ap.parse_args()
    if args.what == "single":
        res = single(args.repeat)
    elif args.what == "collect":
        res = collect(args.n, args.jobs, args.keep)
    elif args.what == "projects-build":         # internal: the child that builds the cached workbook
        print(json.dumps(projects_build(args.keep or PROJECTS_WORK, args.projects, args.seed)))
        return
    else:
        res = projects(args.projects, args.repeat, args.keep, args.seed)
    res["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                      "date": time.strftime("%Y-%m-%d")}
    print(json.dumps(res, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()

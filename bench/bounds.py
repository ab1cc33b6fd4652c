"""Bench (run by hand) for issue 15: hostile sizes stay cheap, and `report --summary` to .docx is linear.

    python bench/bounds.py files [--keep DIR] [--annotate]   # padded sheets, 200,000 shared formulas
    python bench/bounds.py docx                   # render_docx of a summary-shaped document at 200/1,000/2,000 units

Each command runs as its own process; wall time and that process's peak RSS are printed as a markdown table.
"""
from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
PY = sys.executable

# runs ARGV as a child and prints "seconds maxrss_kb exit" (RUSAGE_CHILDREN: that one child only)
_WRAP = ("import resource,subprocess,sys,time;t=time.perf_counter();"
         "r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL);"
         "print(time.perf_counter()-t,resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,r.returncode)")


def measure(args: list[str]) -> tuple[float, float, int]:
    import subprocess
    out = subprocess.run([PY, "-c", _WRAP, PY, "-m", "workbook_tools.cli", *args], capture_output=True, text=True,
                         cwd=ROOT).stdout.split()
    return float(out[0]), int(out[1]) / 1024, int(out[2])


def build(d: Path) -> dict[str, Path]:
    import badfiles
    made = {}
    specs = {"情况说明 padded to row 1,048,576": ("padded_explain.xlsx", dict(part="xl/worksheets/sheet8.xml")),
             "评分表 padded to row 1,048,576": ("padded_scores.xlsx", dict(part="xl/worksheets/sheet5.xml")),
             "200,000 shared-formula cells": ("shared.xlsx", None)}
    for label, (name, kw) in specs.items():
        p = d / name
        if not p.exists():
            if kw is None:
                badfiles.make_shared_formulas(d, name)
            else:
                badfiles.make_padded_sheet(d, name, **kw)
        made[label] = p
    return made


def files(keep: str | None, annotate: bool = False):
    d = Path(keep) if keep else Path(tempfile.mkdtemp())
    d.mkdir(parents=True, exist_ok=True)
    print(f"machine: {platform.machine()} {platform.python_version()}\n")
    print("| file | size | command | exit | seconds | peak RSS MB |\n|---|---|---|---|---|---|")
    for label, p in build(d).items():
        size = f"{p.stat().st_size / 1e6:.1f} MB"
        cmds = [["validate", str(p)], ["fill", str(p), "-o", str(d / "out.xlsx")], ["export", str(p)]]
        if annotate:       # --annotate / mark load the file with openpyxl (annotate.py): slow on padded sheets
            cmds.append(["validate", str(p), "--annotate", str(d / "ann.xlsx")])
        for cmd in cmds:
            s, mb, code = measure(cmd)
            print(f"| {label} | {size} | `{cmd[0]}{' --annotate' if '--annotate' in cmd else ''}` | {code} | "
                  f"{s:.1f} | {mb:.0f} |", flush=True)


def docx():
    from workbook_tools.report.narrative import Document, Table
    from workbook_tools.report.docx import render_docx

    def doc(n):
        units = [[f"4401171{i:05d}", f"从化区第{i}单位", "需退回", "3 个强制性问题"] for i in range(n)]
        reasons = [[f"扣分原因 {i}", f"2.{i % 7}.1", str(1 + i % 5)] for i in range(n)]
        return Document("汇总报告", [Table("表 3", ["扣分原因", "指标", "单位数"], reasons, numeric=(2,)),
                                   Table("表 4", ["单位编码", "单位名称", "状态", "说明"], units)])
    print("| units | render_docx seconds | per unit ms |\n|---|---|---|")
    for n in (200, 1000, 2000):
        t = time.perf_counter()
        render_docx(doc(n))
        s = time.perf_counter() - t
        print(f"| {n} | {s:.2f} | {1000 * s / n:.2f} |", flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["files", "docx"])
    ap.add_argument("--keep")
    ap.add_argument("--annotate", action="store_true", help="also time validate --annotate (minutes on padded files)")
    a = ap.parse_args()
    files(a.keep, a.annotate) if a.what == "files" else docx()

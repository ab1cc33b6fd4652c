"""LibreOffice full recalculation with and without the live 校验 sheet (issue 17): the seed workbook and the 225-project one.

    python bench/livecheck.py [copies]                  # seed with / without the 校验 sheet, and the 225-project workbook
    python bench/livecheck.py projects [runs] [--keep DIR] [--before FILE]   # the 225-project workbook: build, size, recalc

Each variant is converted ``copies`` times in one soffice call (forced recalculation on load, the settings of
tests/lo_recalc.py); the per-file time is (call - empty call) / copies. The project workbook is built as the
project bench builds it (tests/projectfill.py, 225 projects, seed 7) and recalculated ``runs`` times, one soffice
call each, minus soffice's start-up (a call on a one-sheet file). Figures go to bench/README.md.
"""
from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from lo_recalc import recalc_files  # noqa: E402

import workbook_tools.model.template as T  # noqa: E402
from workbook_tools.model.answers import answers_to_values, load_answers  # noqa: E402
from workbook_tools.files.specsheet import load_spec  # noqa: E402


def _timed(files: list[Path], out: Path) -> float:
    t = time.perf_counter()
    recalc_files(files, out, timeout=1800)
    return time.perf_counter() - t


def _big_project_workbook(n: int = 225) -> tuple[bytes, float, float]:
    """(the n-project workbook with random valid figures, seconds to build the template, seconds in all)."""
    from projectfill import project_values, project_workbook_bytes
    proj = load_spec("national-project-2020")
    values = project_values(proj, random.Random(7), n)
    t = time.perf_counter()
    T.build_projects_template(proj, [{k: v for k, v in vals.items() if k.startswith("cover.")} for vals in values])
    build = time.perf_counter() - t
    t = time.perf_counter()
    data = project_workbook_bytes(proj, values)
    return data, build, time.perf_counter() - t


def projects(runs: int = 3, keep: str | None = None, before: str | None = None):
    """The 225-project workbook: template build time, file size, LibreOffice full recalculation (median of runs).
    ``before``: a 225-project workbook built at an earlier commit, recalculated in turn with this one (same load)."""
    data, build, total = _big_project_workbook()
    print(f"build_projects_template(225 projects): {build:.2f} s; typed workbook {total:.2f} s; "
          f"{len(data) / 1e6:.2f} MB")
    with tempfile.TemporaryDirectory() as d:
        d = Path(keep) if keep else Path(d)
        d.mkdir(parents=True, exist_ok=True)
        files = {"now": d / "projects225.xlsx"}
        files["now"].write_bytes(data)
        if before:
            files["before"] = d / "before225.xlsx"
            files["before"].write_bytes(Path(before).read_bytes())
            print(f"before: {files['before'].stat().st_size / 1e6:.2f} MB")
        small = d / "start.xlsx"
        small.write_bytes(T.build_template("national-dept-2020"))
        times: dict[str, list[float]] = {k: [] for k in files}
        starts = []
        for i in range(runs):
            starts.append(_timed([small], d / f"s{i}"))
            for k, p in files.items():
                times[k].append(_timed([p], d / f"{k}{i}"))
        start = statistics.median(starts)
        print(f"soffice on a small workbook (start-up): median {start:.1f} s of {', '.join(f'{t:.1f}' for t in starts)}")
        for k, ts in times.items():
            print(f"225-project workbook ({k}), full recalculation + save: median {statistics.median(ts):.1f} s "
                  f"({', '.join(f'{t:.1f}' for t in ts)}); minus start-up {statistics.median(ts) - start:.1f} s")
        if before:
            ratio = (statistics.median(times["now"]) - start) / (statistics.median(times["before"]) - start)
            print(f"ratio now / before (start-up taken off): {ratio:.2f}")


def main(copies: int = 4):
    spec = load_spec("gd-dept-overall-2023")
    values = answers_to_values(spec, load_answers(ROOT / "samples" / "taiping_2023.yaml"))
    with_sheet = T.build_template(spec, values=values)
    keep = T.render_check_sheet
    T.render_check_sheet = lambda wb, layout: None        # the template as it was before issue 17
    try:
        without = T.build_template(spec, values=values)
    finally:
        T.render_check_sheet = keep
    big, _, _ = _big_project_workbook()
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        rows = []
        for name, data, n in (("seed, before (no 校验 sheet)", without, copies),
                              ("seed, with the 校验 sheet", with_sheet, copies),
                              ("225-project workbook", big, 1)):
            files = []
            for i in range(n):
                p = d / f"{len(rows)}-{i}.xlsx"
                p.write_bytes(data)
                files.append(p)
            total = _timed(files, d / f"out{len(rows)}")
            rows.append((name, n, total))
        one = d / "empty.xlsx"
        one.write_bytes(without)
        start = _timed([one], d / "outstart") - rows[0][2] / copies     # soffice start-up, roughly
        for name, n, total in rows:
            print(f"{name}: {n} file(s) in {total:.1f} s, {(total - max(start, 0)) / n:.2f} s per file")


if __name__ == "__main__":
    args = sys.argv[1:]
    opts = {}
    for opt in ("--keep", "--before"):
        if opt in args:
            i = args.index(opt)
            opts[opt[2:]] = args[i + 1]
            del args[i:i + 2]
    if args and args[0] == "projects":
        projects(int(args[1]) if len(args) > 1 else 3, opts.get("keep"), opts.get("before"))
    else:
        main(int(args[0]) if args else 4)

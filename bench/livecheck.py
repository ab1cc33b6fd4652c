"""LibreOffice full recalculation with and without the live 校验 sheet (issue 17): the seed workbook and the 225-project one.

    python bench/livecheck.py [copies]

Each variant is converted ``copies`` times in one soffice call (forced recalculation on load, the settings of
tests/lo_recalc.py); the per-file time is (call - empty call) / copies. Figures go to bench/README.md.
"""
from __future__ import annotations

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
    from projectfill import project_values, project_workbook_bytes
    proj = load_spec("national-project-2020")
    import random
    big = project_workbook_bytes(proj, project_values(proj, random.Random(7), 225))
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        rows = []
        for name, data, n in (("seed, before (no 校验 sheet)", without, copies),
                              ("seed, with the 校验 sheet", with_sheet, copies),
                              ("225-project workbook (no 校验 sheet in project workbooks)", big, 1)):
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
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4)

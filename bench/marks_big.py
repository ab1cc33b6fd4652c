"""Marking cost on a 评分表 padded to row 1,048,576 (issue 15): the mark step alone, as bytes, no DOM.

    python bench/marks_big.py            # prints seconds and peak memory of marked_bytes / clear_bytes
"""
import io
import resource
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbook_tools.files.annotate import clear_bytes, marked_bytes  # noqa: E402
from workbook_tools.checks.findings import Finding, Report  # noqa: E402
from workbook_tools.files.xlsxfile import FileBook  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "taiping_2023.xlsx"


def padded(rows: int = 1_048_576) -> bytes:
    data = SAMPLE.read_bytes()
    part = FileBook(SAMPLE).sheet_part("评分表")
    src = zipfile.ZipFile(io.BytesIO(data))
    body = src.read(part)
    pad = b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (r, r) for r in range(200, rows + 1))
    body = body.replace(b"</sheetData>", pad + b"</sheetData>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info, body if info.filename == part else src.read(info.filename))
    return out.getvalue()


if __name__ == "__main__":
    data = padded()
    rep = Report("big", findings=[Finding("score-missing", f"评分表!J{r}", "x") for r in (8, 13, 29, 1_048_576)]
                 + [Finding("low-exec-rate", "收支情况!B11", "")])
    t = time.perf_counter()
    marked = marked_bytes(data, rep)
    t1 = time.perf_counter() - t
    t = time.perf_counter()
    clear_bytes(marked)
    t2 = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"file {len(data) / 1e6:.1f} MB zipped; mark {t1:.2f} s, clear {t2:.2f} s, peak RSS {peak:.0f} MB")

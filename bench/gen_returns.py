"""Generate a realistic inbox of returned workbooks for the collect benchmark (run by hand)."""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from faults import consistent, typed_over  # noqa: E402

from workbook_tools.model.answers import answers_to_values, load_answers  # noqa: E402
from workbook_tools.cells import CellWrite  # noqa: E402
from workbook_tools.model.layout import layout_for  # noqa: E402
from workbook_tools.files.specsheet import load_spec  # noqa: E402
from workbook_tools.files.xlsxfile import FileBook, patch_package  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REASONS = ["部分合同备案超时", "资产卡片信息不完整", "制度尚为征求意见稿", "个别项目执行进度滞后", "=SUM(1,1) 公式样文字"]


def variants(spec, base, rng, n):
    """``n`` distinct, fully recalculated workbooks: varied scores, reasons, money, targets; 10% with faults."""
    out = []
    manual = [leaf for leaf in spec.leaves() if leaf.rule.manual_score]
    for i in range(n):
        vals = dict(base)
        for leaf in rng.sample(manual, 4):
            w = float(leaf.weight)
            vals[f"node.{leaf.id}.score"] = rng.choice([w, w, w - 1 if w >= 1 else 0, round(w * 0.5, 2)])
            vals[f"node.{leaf.id}.reason"] = rng.choice(REASONS)
        vals["funds.0.actual"] = round(base["funds.0.actual"] * rng.uniform(0.6, 1.0), 2)
        vals["target.benefit.1.actual"] = rng.randint(15000, 21000)
        if i % 10 == 0:                               # a fault a reviewer must send back
            vals[f"node.{manual[0].id}.reason"] = None
            vals[f"node.{manual[0].id}.score"] = 0
        out.append(consistent(spec, vals))
    return out


def cover_patch(data: bytes, spec, code: str, name: str) -> bytes:
    """A copy with another unit on the cover (no formula depends on the cover, so caches stay right)."""
    import io
    L = layout_for(spec)
    buf = io.BytesIO()
    patch_package(FileBook("x.xlsx", data), [CellWrite(L["cover.agencyCode"].sheet, L["cover.agencyCode"].coord, code),
                                             CellWrite(L["cover.unitName"].sheet, L["cover.unitName"].coord, name)],
                  buf, full_calc=False)
    return buf.getvalue()


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir", type=Path)
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--distinct", type=int, default=200, help="fully different workbooks to start from")
    args = ap.parse_args(argv)
    rng = random.Random(20240315)
    spec = load_spec()
    base = answers_to_values(spec, load_answers(ROOT / "samples" / "taiping_2023.yaml"))
    pool = variants(spec, base, rng, min(args.distinct, args.n))
    pool.append(typed_over(pool[0], spec, "node.1.1.3.score", 10))
    args.outdir.mkdir(parents=True, exist_ok=True)
    for i in range(args.n):
        sub = args.outdir / f"{i // 500:03d}"
        sub.mkdir(exist_ok=True)
        if i % 250 == 7:                                   # a few broken files
            (sub / f"损坏{i}.xlsx").write_bytes(pool[0][: len(pool[0]) // 2])
            continue
        data = cover_patch(pool[i % len(pool)], spec, f"{440100000 + i}", f"测试单位{i:05d}")
        (sub / f"unit{i:05d}.xlsx").write_bytes(data)
    print(f"{args.n} files in {args.outdir}")


if __name__ == "__main__":
    main()

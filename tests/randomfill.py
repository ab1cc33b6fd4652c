"""Seeded random fills of a spec's input cells: valid, odd and absurd values, for agreement tests."""
from __future__ import annotations

import io
import random

from workbook_tools.cells import CellWrite
from workbook_tools.model.layout import NA, layout_for
from workbook_tools.files.xlsxfile import FileBook, patch_package


def _money(rng):
    return rng.choice([round(rng.uniform(0, 50000), 2), round(rng.uniform(0, 100), 2), 0,
                       rng.randint(0, 9000)])


def random_values(spec, rng: random.Random, *, absurd: float = 0.1) -> dict:
    """Input values by layout key; ``absurd`` is the share of odd values (text numbers, negatives…)."""
    L = layout_for(spec)
    vals: dict = {}

    def odd():
        # no booleans: LibreOffice counts TRUE as 1 in SUM where Excel (and the engine) ignore it
        # nor "": typing cannot store an empty string, and LibreOffice reads one as an empty cell
        return rng.choice(["12", "abc", -5, 1e9, " ", "达成", 0, "=1+1"])

    for key, c in L.cells.items():
        if c.role != "input":
            continue
        if rng.random() < absurd:
            vals[key] = odd()
            continue
        if key.startswith("funds."):
            if c.kind == "money":
                vals[key] = _money(rng) if rng.random() < 0.9 else None
            elif c.kind == "count":
                vals[key] = rng.randint(0, 200)
            else:
                vals[key] = rng.choice([None, "年中调整原因说明"])
        elif key.startswith("target."):
            vals[key] = None   # filled row-wise below
        elif key.endswith(".score"):
            w = float(spec.node(c.indicator).weight)
            vals[key] = rng.choice([w, round(rng.uniform(0, w), rng.randint(0, 4)), None, w + 1])
        elif key.endswith(".basis"):
            # a choice basis: its own words (a scale's), now and then a word of another list
            vals[key] = (rng.choice(list(c.choices) * 3 + ["达成", "部分达成", "基本完成"]) if c.kind == "choice"
                         else rng.choice([0, 0.05, 0.1, 0.15, 0.3, 0.5, 0.85, 1.0, 1.03, 1.025, 2, 3, 150, 40,
                                          95, 110, 121]))
        elif key.endswith(".met"):
            vals[key] = rng.choice(["是", "否", None])
        elif key.endswith(".applicable"):
            vals[key] = rng.choice([None, None, None, "适用", NA])
        elif key.endswith(".reason"):
            vals[key] = rng.choice([None, "原因说明"])
    for kind in spec.targets.kinds:
        for n in range(1, rng.randint(0, kind.rows) + 1):
            b = f"target.{kind.key}.{n}"
            d = rng.choice(["≥", "≥", "≤", "=", "定性"])
            vals[f"{b}.direction"] = d
            vals[f"{b}.name"] = f"指标{n}"
            if d == "定性":
                vals[f"{b}.value"] = "有效提升"
                words = list(spec.targets.words(kind))        # the kind's scale, now and then another word
                vals[f"{b}.actual"] = rng.choice(words * 2 + ["达成", "很好", "不适用"])
            else:
                v = rng.choice([0, 1, 0.9, 100, 20000, rng.randint(1, 500), round(rng.uniform(0, 2), 4)])
                vals[f"{b}.value"] = v
                vals[f"{b}.actual"] = rng.choice([v, 0, round(v * rng.uniform(0.3, 1.5), 3), "12", None, "不适用"])
            if kind.scored:
                vals[f"{b}.weight"] = rng.choice([5, 8, 10, 2.5, None])
            if rng.random() < 0.5:
                vals[f"{b}.reason"] = "偏差原因"
    return vals


def fill_bytes(template: bytes, spec, values: dict) -> bytes:
    """The template with ``values`` written into its input cells (formula caches left stale on purpose)."""
    L = layout_for(spec)
    book = FileBook("template.xlsx", template)
    writes = [CellWrite(L[k].sheet, L[k].coord, v) for k, v in values.items() if v is not None]
    buf = io.BytesIO()
    patch_package(book, writes, buf)
    return buf.getvalue()

"""Budget execution: funds entered, rows complete, magnitudes, overspending, low rates and adjustments."""
from __future__ import annotations

from decimal import Decimal

from workbook_tools.model.layout import fund_columns
from workbook_tools.numbers import num, plain
from workbook_tools.checks.entries import real_text

MONEY = ("initial", "adjusted", "actual", "mid_budget", "mid_actual")
# Plausibility (issue 16): a whole row typed in 元 on a 万元 form is 10,000 times too large and consistent in
# itself, so money-magnitude (within a row) misses it. Thresholds in 万元; docs/checks.md names them.
PLAUSIBLE_MAX = Decimal(10_000_000)     # 1000 亿元: no budget unit of a district or city spends more
ROW_SCALE_RATIO = Decimal(1000)         # one source row this many times every other non-zero row …
ROW_SCALE_MIN = Decimal(100_000)        # … and at least 10 亿元


def _yi(x: Decimal) -> str:
    """万元 as 亿元 for a message a clerk reads (1102345678 万元 → 约 110234.57 亿元)."""
    return plain((x / 10000).quantize(Decimal("0.01")))


def check(ctx):
    spec, v = ctx.spec, ctx.rules.values
    cols = [k for k, _ in fund_columns(spec) if k in MONEY]
    inputs = ctx.ret.inputs
    if not (v.get("funds.total.adjusted") or 0) > 0:
        yield ctx.finding("funds-missing", "funds.total.adjusted", what="调整后预算数")
    elif all(num(inputs.get(f"funds.{i}.actual")) is None for i in range(len(spec.funds.sources))):
        yield ctx.finding("funds-missing", "funds.total.actual", what="实际支出数")
    for i, src in enumerate(spec.funds.sources):
        row = {k: inputs.get(f"funds.{i}.{k}") for k in cols}
        main = ("initial", "adjusted", "actual")
        filled = [k for k in main if row[k] not in (None, "")]
        if filled and len(filled) < len(main):
            missing = [k for k in main if k not in filled]
            labels = dict(fund_columns(spec))
            yield ctx.finding("funds-row-incomplete", f"funds.{i}.{missing[0]}", source=src,
                              missing="、".join(labels[k] for k in missing))
        nums = {k: num(x) for k, x in row.items() if num(x) is not None and num(x) > 0}
        for k, x in nums.items():
            others = [y for kk, y in nums.items() if kk != k]
            if others and x >= 1000 and x / max(others) >= 1000:
                yield ctx.finding("money-magnitude", f"funds.{i}.{k}", found=row[k], ratio=plain(Decimal(round(x / max(others)))),
                                  unit=spec.money_unit)
        adj, act = num(row.get("adjusted")), num(row.get("actual"))
        if adj is not None and act is not None and adj > 0 and act > adj:
            yield ctx.finding("overspend", f"funds.{i}.actual", found=row["actual"], expected=row["adjusted"], source=src)
        mb = num(row.get("mid_budget"))
        if mb is not None and adj is not None and mb > adj:
            yield ctx.finding("midyear-over-annual", f"funds.{i}.mid_budget", found=row["mid_budget"],
                              expected=row["adjusted"], source=src)
    yield from _plausibility(ctx, cols)
    rate = v.get("funds.exec_rate")
    thr = spec.funds.low_rate_threshold
    if rate is not None and rate < thr and not real_text(ctx, inputs.get("funds.low_rate_reason")):
        yield ctx.finding("low-exec-rate", "funds.exec_rate", found=f"{plain(rate * 100)}%", expected=f"{plain(thr * 100)}%")
    ini, adj = v.get("funds.total.initial"), v.get("funds.total.adjusted")
    if ini and adj and ini > 0 and ini != adj and not real_text(ctx, inputs.get("funds.adjust_reason")):
        yield ctx.finding("budget-adjusted-without-reason", "funds.total.adjusted", found=adj, expected=ini)


def _plausibility(ctx, cols):
    """A funding row (or the whole form) typed in 元 instead of 万元: warnings with the figure."""
    spec, inputs, v = ctx.spec, ctx.ret.inputs, ctx.rules.values
    if spec.money_unit != "万元":
        return
    scale = {}
    for i in range(len(spec.funds.sources)):
        nums = [num(inputs.get(f"funds.{i}.{k}")) for k in ("initial", "adjusted", "actual") if k in cols]
        nums = [x for x in nums if x is not None and x > 0]
        if nums:
            scale[i] = (min(nums), max(nums))     # the whole row large (its smallest), not one cell (money-magnitude)
    flagged = False
    for i, (x, _) in scale.items():
        others = [hi for j, (_, hi) in scale.items() if j != i]
        if others and x >= ROW_SCALE_MIN and x >= ROW_SCALE_RATIO * max(others):
            flagged = True
            key = f"funds.{i}.adjusted"
            x = num(inputs.get(key)) or x
            yield ctx.finding("funds-row-scale", key, found=x, source=spec.funds.sources[i],
                              ratio=plain(Decimal(round(x / max(others)))), yi=_yi(x), unit=spec.money_unit)
    total = v.get("funds.total.adjusted")
    if not flagged and total is not None and total > PLAUSIBLE_MAX:
        yield ctx.finding("funds-implausible-total", "funds.total.adjusted", found=total, yi=_yi(total),
                          limit=_yi(PLAUSIBLE_MAX), unit=spec.money_unit)

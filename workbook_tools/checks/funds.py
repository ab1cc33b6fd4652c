"""Budget execution: funds entered, rows complete, magnitudes, overspending, low rates and adjustments."""
from __future__ import annotations

from decimal import Decimal

from ..layout import fund_columns
from ..numbers import num, plain
from .entries import real_text

MONEY = ("initial", "adjusted", "actual", "mid_budget", "mid_actual")


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
    rate = v.get("funds.exec_rate")
    thr = spec.funds.low_rate_threshold
    if rate is not None and rate < thr and not real_text(ctx, inputs.get("funds.low_rate_reason")):
        yield ctx.finding("low-exec-rate", "funds.exec_rate", found=f"{plain(rate * 100)}%", expected=f"{plain(thr * 100)}%")
    ini, adj = v.get("funds.total.initial"), v.get("funds.total.adjusted")
    if ini and adj and ini > 0 and ini != adj and not real_text(ctx, inputs.get("funds.adjust_reason")):
        yield ctx.finding("budget-adjusted-without-reason", "funds.total.adjusted", found=adj, expected=ini)

"""Target values as forms write them (issue 14 item 3): ≥90%, =100 with unit %, ≤3%, 5次, 20集, 0 — the reading."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from workbook_tools.model import targetvalue as tv
from workbook_tools.model.engine import target_ratio


@pytest.mark.parametrize("value,actual,unit,direction,ev,gv", [
    ("≥90%", 96, None, "≥", "0.9", "0.96"),          # the actual typed as a number beside a written percent
    ("≥90%", 0.85, None, "≥", "0.9", "0.85"),        # …or as Excel stores a typed 85%
    ("=100", 98, "%", "=", "1", "0.98"),             # 100 with unit % is 100%
    ("≤3%", "2%", None, "≤", "0.03", "0.02"),
    ("5次", "4次", "次", "≥", "5", "4"),             # no sign: ≥
    ("20集", 20, None, "≥", "20", "20"),
    (0, 0, None, "=", "0", "0"),                       # no sign, 0: =
    (">= 95", "96", None, "≥", "95", "96"),
    ("＜＝0.5 %", 0.3, "%", "≤", "0.005", "0.003"),
    ("1,200元", "1,100", None, "≥", "1200", "1100"),
    (90, 92, "%", "≥", "90", "92"),                   # two numbers: as they are (ratios are scale-free)
    ("≥.5", "0.6", None, "≥", "0.5", "0.6"),
])
def test_reading(value, actual, unit, direction, ev, gv):
    r = tv.read_row(None, value, actual, unit)
    assert (r["dir"], r["ev"], r["gv"]) == (direction, D(ev), D(gv))


@pytest.mark.parametrize("text", ["约5次", "较上年提高", "１２", "  ", "-", "≥", "达成"])
def test_no_number_is_unreadable_never_zero(text):
    r = tv.read_row("≥", text, 5, None)
    assert r["vn"] is None and r["ev"] is None and tv.unreadable(text, r["vn"])


def test_the_direction_column_wins_over_the_sign():
    assert tv.read_row("≤", "≥5", 3, None)["dir"] == "≤"
    assert tv.read_row(None, "≥5", 3, None)["dir"] == "≥"
    assert tv.read_row(None, "优秀", "达成", None)["dir"] is None       # words: the 方向 must say 定性


@pytest.mark.parametrize("direction,value,actual,unit,ratio", [
    (None, "≥90%", 85, None, "0.9444444444444444444444444444"),
    (None, "=100", 98, "%", "0.98"),
    (None, "≤3%", "4%", None, "0.75"),
    (None, "5次", "4次", None, "0.8"),
    (None, 0, 1, None, "0"),
    ("≥", "≥90%", "约96", None, None),           # unreadable: no ratio (a finding at the cell), never 0
])
def test_ratio_of_rows_written_as_forms_write_them(gd_forms_spec, direction, value, actual, unit, ratio):
    got = target_ratio(gd_forms_spec, direction, value, actual, unit)
    assert got == (D(ratio) if ratio is not None else None)


def test_unit_percent_scale_is_chosen_against_the_written_side():
    # 0.96 or 96 against ≥90%: both mean 96%
    assert tv.scaled(96, D(96), "≥90%", D(90), None) == D("0.96")
    assert tv.scaled(0.96, D("0.96"), "≥90%", D(90), None) == D("0.96")
    assert tv.scaled(105, D(105), "≥90%", D(90), None) == D("1.05")

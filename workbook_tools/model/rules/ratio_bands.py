"""ratio_bands: bands on the deviation |B ÷ target − 1| of the typed 评分依据 B (偏差 ±10% 以内满分 …)."""
from __future__ import annotations

from decimal import Decimal

from workbook_tools.model.contract import Field, ListOf, Num, Record
from workbook_tools.model.rules.base import BasisInput, RuleType, to_decimal
from workbook_tools.numbers import ZERO, round_half_up

BAND = Record({"within": Field(Num(), required=True, doc="the largest deviation of the band (10% → 0.1)"),
               "points": Field(Num(), required=True, doc="points when the deviation is within it")},
              doc="one band: the deviation it allows and its points", what_zh="区间参数", what_en="band key",
              missing_zh="偏差区间需要 within 和 points（缺少 {k}）", missing_en="a band needs within and points ({k} is missing)")
PLACES = 10      # the deviation is compared rounded: 110 ÷ 100 − 1 is 0.10000000000000009 in a spreadsheet


class RatioBands(RuleType):
    name = "ratio_bands"
    label = "偏差区间计分"
    order = 55
    summary = ("deviation = ABS(评分依据 ÷ target − 1), rounded to 10 decimals; the points of the first band whose "
               "`within` it does not exceed; `otherwise` (default 0) when none")
    params = {"target": Field(Num(), required=True, doc="the value the 评分依据 is compared with (not 0)"),
              "bands": Field(ListOf(BAND), required=True, doc="`[{within: 0.1, points: 5}, …]`, first match wins"),
              "otherwise": Field(Num(), doc="points when the deviation exceeds every band (default 0)")}
    defaults = {"otherwise": Decimal(0)}
    examples = ('''id: "6"
name: 预算编制准确率
weight: 5
rule:                  # "偏差在 ±10% 以内得 5 分，±20% 以内得 3 分，超过不得分"
  type: ratio_bands
  target: 100
  bands: [{within: 0.1, points: 5}, {within: 0.2, points: 3}]
  otherwise: 0''',)
    basis = BasisInput("number", "评分依据数值（与目标值同单位）", "实际值")

    def validate(self, p, raw, path, weight, probs, targets):
        if "target" in raw and p["target"] == 0:
            probs.add(f"{path}.target", "target 不能为 0（偏差 = 实际值 ÷ target − 1）",
                      "target cannot be 0 (deviation = actual ÷ target − 1)")
        bands = []
        for i, b in enumerate(raw.get("bands") if isinstance(raw.get("bands"), list) else []):
            at = f"{path}.bands[{i}]"
            if not isinstance(b, dict) or "within" not in b or "points" not in b:
                continue        # the shape check reports it
            within, pts = to_decimal(b["within"], f"{at}.within", probs), to_decimal(b["points"], f"{at}.points", probs)
            if within is None or pts is None:
                continue
            if within < 0:
                probs.add(f"{at}.within", "偏差上限不能为负", "within cannot be negative")
            if not 0 <= pts <= weight:
                probs.add(f"{at}.points", f"区间得分 {pts} 超出 0–{weight}", f"band points {pts} outside 0–{weight}")
            bands.append((within, pts))
        if "bands" in raw and isinstance(raw["bands"], list) and not raw["bands"]:
            probs.add(f"{path}.bands", "偏差区间表应为非空列表", "the band table must be a non-empty list")
        if not 0 <= p["otherwise"] <= weight:
            probs.add(f"{path}.otherwise", f"得分 {p['otherwise']} 超出 0–{weight}", f"points outside 0–{weight}")
        p["bands"] = bands
        return p

    def formula(self, f):
        t = f.p["target"]
        if t == 0:
            return '""'
        dev = f"ROUND(ABS({f.H}/{f.n(t)}-1),{PLACES})"
        body = f.n(f.p["otherwise"])
        for within, pts in reversed(f.p["bands"]):
            body = f"IF({dev}<={f.n(within)},{f.n(pts)},{body})"
        return f'IF(ISNUMBER({f.H}),{body},"")'

    def compute(self, e):
        h, t = e.basis_input(), e.p["target"]
        if h is None or t == 0:
            return None
        dev = round_half_up(abs(h / t - 1), PLACES)
        for within, pts in e.p["bands"]:
            if dev <= within:
                return pts
        return e.p["otherwise"]

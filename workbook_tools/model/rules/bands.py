"""bands: a table of ranges of the 评分依据 value → points (the first matching band wins)."""
from __future__ import annotations

from decimal import Decimal

from workbook_tools.model.contract import Field, ListOf, Num, Record
from workbook_tools.model.rules.base import BasisInput, RuleType, to_decimal
from workbook_tools.numbers import ZERO

BAND_OPS = {"eq": "=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
BAND = Record({**{op: Field(Num(), doc=f"condition: value {sym} x") for op, sym in BAND_OPS.items()},
               "points": Field(Num(), required=True, doc="points when every condition of the band holds")},
              doc="one band: conditions eq/gt/ge/lt/le and its points", what_zh="条件", what_en="band condition",
              missing_zh="区间需要 {k} 以及 eq/gt/ge/lt/le 条件", missing_en="a band needs {k} and eq/gt/ge/lt/le conditions")


class Bands(RuleType):
    name = "bands"
    label = "区间计分"
    order = 50
    summary = "points of the first band whose conditions all hold; `otherwise` (default 0) when none does"
    params = {"bands": Field(ListOf(BAND), required=True, doc="`[{eq/gt/ge/lt/le: x, points: p}, …]`, first match wins"),
              "otherwise": Field(Num(), doc="points when no band matches (default 0)")}
    examples = ('''id: "2.3"
name: 结转结余率
weight: 3
rule:
  type: bands          # "=0 计3分; 0–10%(含) 2分; 10–20%(含) 1分; >20% 不得分"
  bands: [{eq: 0, points: 3}, {gt: 0, le: 0.1, points: 2}, {gt: 0.1, le: 0.2, points: 1}]''',)
    basis = BasisInput("number", "评分依据数值（比例填百分比）", "指标值")

    def validate(self, p, raw, path, weight, probs, targets):
        p["bands"] = _parse_bands(raw.get("bands"), f"{path}.bands", weight, probs)
        return p

    def formula(self, f):
        body = f.n(f.p.get("otherwise", Decimal(0)))
        for conds, pts in reversed(f.p["bands"]):
            parts = [f"{f.H}{BAND_OPS[k]}{f.n(v)}" for k, v in conds.items()]
            test = parts[0] if len(parts) == 1 else f"AND({','.join(parts)})"
            body = f"IF({test},{f.n(pts)},{body})"
        return f'IF(ISNUMBER({f.H}),{body},"")'

    def compute(self, e):
        h = e.basis_input()
        if h is None:
            return None
        for conds, pts in e.p["bands"]:
            if all(_cmp(h, op, val) for op, val in conds.items()):
                return pts
        return e.p.get("otherwise", ZERO)


def _cmp(h, op, val) -> bool:
    return {"eq": h == val, "gt": h > val, "ge": h >= val, "lt": h < val, "le": h <= val}[op]


def _parse_bands(bands, path, weight, probs):
    out = []
    if not isinstance(bands, list) or not bands:
        probs.add(path, "区间表应为非空列表", "the band table must be a non-empty list")
        return out
    for i, b in enumerate(bands):
        p = f"{path}[{i}]"
        if not isinstance(b, dict) or "points" not in b:
            probs.add(p, "区间需要 points 以及 eq/gt/ge/lt/le 条件", "a band needs points and eq/gt/ge/lt/le conditions")
            continue
        conds = {k: to_decimal(v, f"{p}.{k}", probs) for k, v in b.items() if k in BAND_OPS}
        unknown = [k for k in b if k not in BAND_OPS and k != "points"]
        if unknown:
            probs.add(p, f"不认识的条件 {', '.join(map(str, unknown))}（可用 eq/gt/ge/lt/le）",
                      f"unknown condition {', '.join(map(str, unknown))} (use eq/gt/ge/lt/le)")
        if not conds:
            probs.add(p, "区间至少需要一个条件", "a band needs at least one condition")
        pts = to_decimal(b["points"], f"{p}.points", probs) or Decimal(0)
        if pts > weight or pts < 0:
            probs.add(f"{p}.points", f"区间得分 {pts} 超出 0–{weight}", f"band points {pts} outside 0–{weight}")
        out.append(({k: v for k, v in conds.items() if v is not None}, pts))
    return out

"""qualitative: staff choose a grade (达成 / 部分达成 / 未达成) and type a score inside that grade's band."""
from __future__ import annotations

from decimal import Decimal

from workbook_tools.model.contract import Field, ListOf, Num, Record
from workbook_tools.model.rules.base import QUAL_GRADES, BasisInput, RuleType, to_decimal

DEFAULT_QUAL_BANDS = {"达成": (Decimal("0.8"), Decimal(1)), "部分达成": (Decimal("0.6"), Decimal("0.8")),
                      "未达成": (Decimal(0), Decimal("0.6"))}
_RANGE = ListOf(Num(), doc="[lowest share, highest share] of 分值")


class Qualitative(RuleType):
    name = "qualitative"
    label = "定性分档"
    order = 80
    summary = ("typed by staff; the score must lie in the band of the grade chosen in 评分依据 "
               "(default 达成 80–100%, 部分达成 60–80%, 未达成 0–60% of 分值)")
    params = {"bands": Field(Record({g: Field(_RANGE) for g in QUAL_GRADES}, what_zh="定性等级", what_en="grade"),
                             doc="grade → [low, high] share of 分值, e.g. `{达成: [0.9, 1]}`; grades left out keep "
                                 "their default")}
    examples = ('{id: "2.7", name: 绩效结果应用, weight: 3, rule: {type: qualitative, bands: {达成: [0.9, 1]}}}',)
    manual_score = True
    basis = BasisInput("choice", "达成 / 部分达成 / 未达成", "评价等级", QUAL_GRADES)

    def validate(self, p, raw, path, weight, probs, targets):
        bands = dict(DEFAULT_QUAL_BANDS)
        given = raw.get("bands") or {}
        for g, rng in (given.items() if isinstance(given, dict) else ()):
            if g not in QUAL_GRADES or not isinstance(rng, list) or len(rng) != 2:
                probs.add(f"{path}.bands.{g}", "定性分档应为 达成/部分达成/未达成: [下限比例, 上限比例]",
                          "a qualitative band is 达成/部分达成/未达成: [low share, high share]")
                continue
            bands[g] = (to_decimal(rng[0], f"{path}.bands.{g}", probs) or Decimal(0),
                        to_decimal(rng[1], f"{path}.bands.{g}", probs) or Decimal(0))
        p["bands"] = bands
        return p

    def score_band(self, p, basis):
        return p["bands"][basis] if isinstance(basis, str) and basis in QUAL_GRADES else None

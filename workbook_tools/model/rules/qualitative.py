"""qualitative: staff choose a word (达成 / 部分达成 / 未达成, or a spec scale's words) and type a score inside its band."""
from __future__ import annotations

from decimal import Decimal

from workbook_tools.model.contract import Field, ListOf, MapOf, Num, Str, suggest
from workbook_tools.model.rules.base import QUAL_GRADES, BasisInput, RuleType, to_decimal

DEFAULT_QUAL_BANDS = {"达成": (Decimal("0.8"), Decimal(1)), "部分达成": (Decimal("0.6"), Decimal("0.8")),
                      "未达成": (Decimal(0), Decimal("0.6"))}
_RANGE = ListOf(Num(), doc="[lowest share, highest share] of 分值")


class Qualitative(RuleType):
    name = "qualitative"
    label = "定性分档"
    order = 80
    summary = ("typed by staff; the score must lie in the band of the word chosen in 评分依据 "
               "(default 达成 80–100%, 部分达成 60–80%, 未达成 0–60% of 分值; with `scale:` the scale's words, "
               "each with its band)")
    params = {"scale": Field(Str(), doc="a `scales:` word list whose words are the dropdown (default 达成 / 部分达成 / "
                                        "未达成); then `bands` names every word"),
              "bands": Field(MapOf(_RANGE), doc="word → [low, high] share of 分值, e.g. `{达成: [0.9, 1]}`; without "
                                                "`scale`, grades left out keep their default")}
    examples = ('{id: "2.7", name: 绩效结果应用, weight: 3, rule: {type: qualitative, bands: {达成: [0.9, 1]}}}',
                '''id: "2.10"
name: 社会效益
weight: 10
rule:                  # "好 9–10 分，较好 7.5–9 分，一般 6–7.5 分，差 6 分以下"
  type: qualitative
  scale: 好差
  bands: {好: [0.9, 1], 较好: [0.75, 0.9], 一般: [0.6, 0.75], 差: [0, 0.6]}''')
    example_context = {"scales": {"好差": {"好": 1, "较好": 0.8, "一般": 0.6, "差": 0}}}
    manual_score = True
    basis = BasisInput("choice", "达成 / 部分达成 / 未达成", "评价等级", QUAL_GRADES)

    def validate(self, p, raw, path, weight, probs, targets):
        given = raw.get("bands") or {}
        given = given if isinstance(given, dict) else {}
        if "scale" in raw:
            words = _scale_words(raw["scale"], targets, f"{path}.scale", probs)
            if words is None:
                p.update(bands={}, words=())
                return p
            bands = {}
            missing = [w for w in words if w not in given]
            if missing:
                probs.add(f"{path}.bands", f"缺少评价词 {'、'.join(missing)} 的得分区间（scale 的每个词都需要一个区间）",
                          f"no band for {', '.join(missing)} (every word of the scale needs one)")
        else:
            words, bands = QUAL_GRADES, dict(DEFAULT_QUAL_BANDS)
        for g, rng in given.items():
            at = f"{path}.bands.{g}"
            if g not in words:
                guess = suggest(g, words)
                probs.add(at, f"“{g}”不是评价词（{' / '.join(words)}）" + (f"；您是否想写 `{guess}`？" if guess else ""),
                          f"{g!r} is not one of the words ({' / '.join(words)})" + (f"; did you mean `{guess}`?" if guess else ""))
                continue
            band = _band(rng, at, probs)
            if band is not None:
                bands[g] = band
        p["bands"] = {w: bands[w] for w in words if w in bands}
        p["words"] = tuple(words)
        return p

    def choices(self, p):
        return p["words"]

    def score_band(self, p, basis):
        word = next((w for w in p["bands"] if isinstance(basis, str) and w.casefold() == basis.casefold()), None)
        return p["bands"][word] if word is not None else None


def _scale_words(name, targets, path, probs):
    from workbook_tools.model.scales import scale_ref    # scales imports rules.base: no cycle at import time
    return scale_ref(name, targets.scales, path, probs)


def _band(rng, at, probs):
    if not isinstance(rng, list) or len(rng) != 2:
        probs.add(at, "得分区间应为 [下限比例, 上限比例]，如 [0.6, 0.8]", "a band is [low share, high share], e.g. [0.6, 0.8]")
        return None
    lo, hi = (to_decimal(x, at, probs) for x in rng)
    if lo is None or hi is None:
        return None
    if not (0 <= lo <= hi <= 1):
        probs.add(at, "得分区间应满足 0 ≤ 下限 ≤ 上限 ≤ 1（分值的比例）", "a band needs 0 ≤ low ≤ high ≤ 1 (shares of 分值)")
    return lo, hi

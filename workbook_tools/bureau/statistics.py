"""The bureau's score and deduction statistics, over accepted returns only — one implementation for every paper."""
from __future__ import annotations

from collections import Counter

from workbook_tools.bureau.records import PASS, PROJECTS

REASONS_SHOWN = 3      # 常见扣分原因 per indicator: the summary's 扣分统计 column and the overview both use these


def accepted(kept: list[dict], roster_codes: set | None = None) -> list[dict]:
    """Returns that count in the statistics: passed every check (own, project links, ledger) and — when a roster
    is given — from a unit on it. Returns to be sent back and units not on the roster are listed apart, never
    averaged in: a 需退回 return may carry a score the form does not allow (3 points on a 2-point indicator)."""
    return [s for s in kept if s.readable and s.status == PASS
            and (not roster_codes or (s.unit_code or "") in roster_codes)]


def off_roster(kept: list[dict], roster_codes: set | None) -> list[dict]:
    """Readable returns from units the roster does not list (none without a roster)."""
    if not roster_codes:
        return []
    return [s for s in kept if s.readable and (s.unit_code or "") not in roster_codes]


def scored_units(spec, subs: list[dict]) -> list[dict]:
    """Returns of this spec with per-indicator scores (not project workbooks, whose score is an average)."""
    return [s for s in subs if s.readable and s.spec_id == spec.id
            and s.kind != PROJECTS]


def leaf_stats(spec, units: list[dict]) -> list[dict]:
    """Per leaf indicator: weight, how many units scored it, how many lost points and how many in all, the mean
    score and score rate, and the most common deduction reasons [(text, units)]. Rounded to 4 decimals, as the
    summary workbook shows them, so a statistic read back from the workbook equals the one computed here."""
    out = []
    for leaf in spec.leaves():
        weight = float(leaf.weight)
        scored = [(s, ((s.data or {}).get("leaves") or {}).get(leaf.id)) for s in units]
        scored = [(s, float(x)) for s, x in scored if x is not None]
        losers = [(s, weight - x) for s, x in scored if weight - x > 1e-9]
        reasons = Counter(_one_line(((s.data or {}).get("reasons") or {}).get(leaf.id)) for s, _ in losers)
        reasons.pop(None, None)
        mean = sum(x for _, x in scored) / len(scored) if scored else None
        lost = sum(x for _, x in losers)
        out.append({"id": leaf.id, "name": leaf.name, "weight": weight, "units": len(scored),
                    "losers": len(losers), "lost": round(lost, 4),
                    "lost_mean": round(lost / len(losers), 4) if losers else 0,
                    "mean": round(mean, 4) if mean is not None else None,
                    "rate": round(mean / weight, 4) if mean is not None and weight else None,
                    "reasons": reasons.most_common(REASONS_SHOWN)})
    return out


def _one_line(text):
    """A reason as one line without the list separator, so the 常见扣分原因 cell reads back the same."""
    if text is None:
        return None
    return " ".join(str(text).replace("；", "，").split()) or None


def reasons_text(reasons) -> str:
    """The 常见扣分原因 cell: 原因（单位数）；…"""
    return "；".join(f"{r}（{c}）" for r, c in reasons)

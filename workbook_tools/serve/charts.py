"""Server-rendered SVG charts for the bureau's dashboard (no script, no CDN: the intranet has no internet)."""
from __future__ import annotations

from html import escape

STATUS_COLOURS = {"通过": "#2e7d32", "需退回": "#c62828", "无法读取": "#6d4c41", "未报送": "#9e9e9e"}
BINS = [("<60", None, 60), ("60–70", 60, 70), ("70–80", 70, 80), ("80–85", 80, 85), ("85–90", 85, 90),
        ("90–95", 90, 95), ("95–100", 95, 100.0001)]


def hbars(rows: list[tuple[str, float, str]], *, title: str, unit: str = "", width: int = 560, fmt="{:g}") -> str:
    """Horizontal bars: (label, value, colour) per row, the value written at the bar's end."""
    if not rows:
        return ""
    bar_h, gap, left, top = 22, 8, 190, 34
    height = top + len(rows) * (bar_h + gap) + 10
    vmax = max((v for _, v, _ in rows), default=0) or 1
    span = width - left - 70
    out = [f'<svg class="chart" role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
           f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
           f'<title>{escape(title)}</title>',
           f'<text x="0" y="18" class="ct">{escape(title)}</text>']
    for i, (label, v, colour) in enumerate(rows):
        y = top + i * (bar_h + gap)
        w = max(1.0, span * (v / vmax)) if v else 0
        out.append(f'<text x="{left - 8}" y="{y + 16}" text-anchor="end" class="cl">{escape(_cut(label, 14))}'
                   f'<title>{escape(label)}</title></text>')
        out.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}" rx="2"/>')
        out.append(f'<text x="{left + w + 6:.1f}" y="{y + 16}" class="cv">{escape(fmt.format(v))}{escape(unit)}</text>')
    out.append("</svg>")
    return "".join(out)


def vbars(rows: list[tuple[str, float, str]], *, title: str, y_label: str = "", width: int = 560) -> str:
    """Vertical bars (a histogram): (label, count, colour)."""
    if not rows:
        return ""
    height, left, bottom, top = 260, 40, 40, 34
    plot_h = height - top - bottom
    n = len(rows)
    slot = (width - left - 10) / n
    vmax = max((v for _, v, _ in rows), default=0) or 1
    out = [f'<svg class="chart" role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
           f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
           f'<title>{escape(title)}</title>', f'<text x="0" y="18" class="ct">{escape(title)}</text>',
           f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#999"/>',
           f'<text x="4" y="{top + 10}" class="cl">{escape(y_label)}</text>']
    for i, (label, v, colour) in enumerate(rows):
        h = plot_h * v / vmax
        x = left + i * slot + slot * 0.15
        w = slot * 0.7
        y = top + plot_h - h
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{colour}" rx="2"/>')
        out.append(f'<text x="{x + w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" class="cv">{v:g}</text>')
        out.append(f'<text x="{x + w / 2:.1f}" y="{top + plot_h + 18}" text-anchor="middle" class="cl">'
                   f'{escape(label)}</text>')
    out.append("</svg>")
    return "".join(out)


def status_chart(rows: list[dict]) -> str:
    from collections import Counter
    c = Counter(r["status"] for r in rows)
    return hbars([(k, c.get(k, 0), STATUS_COLOURS[k]) for k in STATUS_COLOURS if k in c or k in ("通过", "需退回")],
                 title="报送情况（单位数）", unit=" 个")


def score_chart(units: list[dict]) -> str:
    """How the returned units' scores spread over the grade bands (readable returns only)."""
    scores = [u["display"] for u in units if u.get("display") is not None and u.get("status") != "无法读取"]
    if not scores:
        return ""
    rows = []
    for label, lo, hi in BINS:
        n = sum(1 for s in scores if (lo is None or s >= lo) and s < hi)
        colour = "#2e7d32" if (lo or 0) >= 90 else "#1565c0" if (lo or 0) >= 80 else "#ef6c00" if lo else "#c62828"
        rows.append((label, n, colour))
    return vbars(rows, title=f"自评得分分布（{len(scores)} 个单位）", y_label="单位数")


def deduction_chart(leaves: list[dict], top: int = 12) -> str:
    """Indicators where units lose most points on average (分值 − 平均得分), with how many units lost points."""
    rows = [(x["name"], round(x["weight"] - x["mean"], 2), "#c62828")
            for x in leaves if x.get("mean") is not None and x["weight"] - x["mean"] > 0.0049]
    rows.sort(key=lambda r: -r[1])
    if not rows:
        return ""
    return hbars(rows[:top], title="平均扣分最多的指标（分）", unit=" 分", width=640)


def _cut(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"

"""Standalone HTML rendering of a report Document: inline CSS, an inline SVG chart, nothing fetched."""
from __future__ import annotations

from decimal import Decimal
from html import escape as _escape

from workbook_tools.numbers import plain, round_half_up
from workbook_tools.report.document import Bar, Chart, Document, Heading, Notice, PageBreak, Para, Signature, Table, xml_safe

# the fonts of the Word version first, then what Windows, macOS and Linux usually have
FONT_BODY = '"仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong", "STFangsong", "Noto Serif CJK SC", serif'
FONT_TITLE = '"方正小标宋简体", "FZXiaoBiaoSong-B05S", "华文中宋", "STZhongsong", "宋体", "SimSun", serif'
FONT_H1 = '"黑体", "SimHei", "STHeiti", "Noto Sans CJK SC", sans-serif'
FONT_H2 = '"楷体_GB2312", "KaiTi_GB2312", "楷体", "KaiTi", "STKaiti", serif'

CSS = f"""
body {{ margin: 0; background: #f3f3f3; color: #000; }}
main {{ max-width: 46em; margin: 2em auto; padding: 3em 3.5em; background: #fff; box-shadow: 0 0 6px #bbb;
        font: 16pt/1.75 {FONT_BODY}; }}
h1 {{ font: 22pt/1.6 {FONT_TITLE}; text-align: center; margin: 0 0 1em; }}
h2 {{ font: 16pt/1.75 {FONT_H1}; margin: 0; text-indent: 2em; }}
h3 {{ font: 16pt/1.75 {FONT_H2}; margin: 0; text-indent: 2em; }}
h4 {{ font: bold 16pt/1.75 {FONT_BODY}; margin: 0; text-indent: 2em; }}
p {{ margin: 0; text-indent: 2em; text-align: justify; }}
.notice {{ border: 2px solid #c00000; color: #c00000; padding: .6em 1em; margin: 0 0 1.5em; font-size: 12pt;
           line-height: 1.6; }}
.notice p {{ text-indent: 0; font-weight: bold; }}
.notice ul {{ margin: .4em 0 0; padding-left: 1.4em; }}
figure {{ margin: 1.5em 0; }}
figcaption {{ font: 14pt/1.6 {FONT_H1}; text-align: center; margin-bottom: .4em; }}
table {{ border-collapse: collapse; width: 100%; font-size: 10.5pt; line-height: 1.5; }}
th, td {{ border: 1px solid #000; padding: 2px 5px; vertical-align: middle; }}
th {{ background: #f2f2f2; }}
td.num {{ text-align: right; white-space: nowrap; }}
tfoot td {{ font-weight: bold; }}
svg {{ display: block; margin: 0 auto; max-width: 100%; height: auto; font-family: {FONT_BODY}; }}
.signature {{ margin: 2.5em 2em 0 0; }}
.signature p {{ text-align: right; text-indent: 0; }}
.generated {{ margin-top: 2em; font-size: 10pt; color: #666; text-indent: 0; }}
@page {{ size: A4; margin: 3.7cm 2.6cm 3.5cm 2.8cm; }}
@media print {{ body {{ background: none; }} main {{ box-shadow: none; margin: 0; padding: 0; max-width: none; }}
  .pagebreak {{ break-before: page; }} }}
"""


def escape(text: str) -> str:
    return _escape(xml_safe(str(text)))


def _para(b: Para) -> str:
    lead = f"<strong>{escape(b.lead)}</strong>" if b.lead else ""
    return f"<p>{lead}{escape(b.text)}</p>"


def _notice(b: Notice) -> str:
    items = "".join(f"<li>{escape(line)}</li>" for line in b.lines)
    return f'<div class="notice" role="alert"><p>{escape(b.title)}</p><ul>{items}</ul></div>'


def _spans(t: Table) -> list[list[int]]:
    """rowspan of every grouped cell (0 = covered by the cell above)."""
    spans = [[1] * len(t.header) for _ in t.rows]
    for col in range(t.group):
        start = 0
        for r in range(1, len(t.rows) + 1):
            if r < len(t.rows) and t.rows[r][:col + 1] == t.rows[start][:col + 1]:
                spans[r][col] = 0
                continue
            spans[start][col] = r - start
            start = r
    return spans


def _foot(t: Table) -> str:
    """The foot row: '合计' spans the empty level columns after it."""
    end = 0
    while end + 1 < len(t.foot) and not t.foot[end + 1]:
        end += 1
    cells = [f'<td colspan="{end + 1}">{escape(t.foot[0])}</td>' if end else f"<td>{escape(t.foot[0])}</td>"]
    for i, x in enumerate(t.foot[end + 1:], end + 1):
        cells.append(f'<td class="num">{escape(x)}</td>' if i in t.numeric else f"<td>{escape(x)}</td>")
    return "".join(cells)


def _table(t: Table) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in t.header)
    rows = []
    for cells, spans in zip(t.rows, _spans(t)):
        tds = []
        for i, (text, span) in enumerate(zip(cells, spans)):
            if span == 0:
                continue
            attrs = (f' rowspan="{span}"' if span > 1 else "") + (' class="num"' if i in t.numeric else "")
            tds.append(f"<td{attrs}>{escape(text)}</td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    foot = f"<tfoot><tr>{_foot(t)}</tr></tfoot>" if t.foot else ""
    cap = f"<figcaption>{escape(t.caption)}</figcaption>" if t.caption else ""
    return (f'<figure class="table">{cap}<table><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody>{foot}</table></figure>')


def bar_chart_svg(bars: list[Bar], *, width: int = 720, label_w: int = 150, bar_w: int = 360, row_h: int = 34) -> str:
    """One bar per indicator, its full length the weight and the dark part the score (so 3 of 3 and
    49.86 of 50 read alike and every deduction shows); the figures are written at the end of each bar."""
    top = 34
    height = top + row_h * len(bars) + 8
    out = [f'<svg role="img" aria-label="得分与分值" viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
           f'<rect x="{label_w}" y="6" width="14" height="14" fill="#2f5597"/>'
           f'<text x="{label_w + 20}" y="18" font-size="13">得分</text>',
           f'<rect x="{label_w + 70}" y="6" width="14" height="14" fill="#f4c7c3"/>'
           f'<text x="{label_w + 90}" y="18" font-size="13">扣分（分值中未得的部分）</text>']
    for i, b in enumerate(bars):
        y = top + i * row_h
        score = min(max(b.score, Decimal(0)), b.weight) if b.score is not None else Decimal(0)
        share = score / b.weight if b.weight > 0 else Decimal(0)
        value = (f"{plain(round_half_up(b.score, 2))} / {plain(b.weight)}（{plain(round_half_up(share * 100, 2))}%）"
                 if b.score is not None
                 else f"未评分 / {plain(b.weight)}")
        out += [f"<g><title>{escape(b.label)}：得分 {escape(value)}</title>",
                f'<text x="{label_w - 8}" y="{y + 20}" font-size="14" text-anchor="end">{escape(b.label)}</text>',
                f'<rect class="bar-weight" x="{label_w}" y="{y + 6}" width="{bar_w}" height="20" fill="#f4c7c3"/>',
                f'<rect class="bar-score" x="{label_w}" y="{y + 6}" width="{float(share) * bar_w:.1f}" height="20" '
                f'fill="#2f5597"/>',
                f'<text x="{label_w + bar_w + 8}" y="{y + 20}" font-size="13">{escape(value)}</text></g>']
    out.append("</svg>")
    return "".join(out)


def count_chart_svg(bars: list[Bar], what: str, *, width: int = 720, label_w: int = 150, bar_w: int = 360,
                    row_h: int = 34) -> str:
    """One bar per category whose length is its count (e.g. 单位数 per grade) out of the whole, with the share."""
    top = 34
    height = top + row_h * len(bars) + 8
    out = [f'<svg role="img" aria-label="{escape(what)}" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}">',
           f'<rect x="{label_w}" y="6" width="14" height="14" fill="#2f5597"/>'
           f'<text x="{label_w + 20}" y="18" font-size="13">{escape(what)}</text>']
    for i, b in enumerate(bars):
        y = top + i * row_h
        n = b.score or Decimal(0)
        share = n / b.weight if b.weight > 0 else Decimal(0)
        value = f"{plain(n)}（{plain(round_half_up(share * 100, 1))}%）"
        out += [f"<g><title>{escape(b.label)}：{escape(what)} {escape(value)}</title>",
                f'<text x="{label_w - 8}" y="{y + 20}" font-size="14" text-anchor="end">{escape(b.label)}</text>',
                f'<rect class="bar-count" x="{label_w}" y="{y + 6}" width="{float(share) * bar_w:.1f}" height="20" '
                f'fill="#2f5597"/>',
                f'<text x="{label_w + float(share) * bar_w + 8:.1f}" y="{y + 20}" font-size="13">{escape(value)}</text></g>']
    out.append("</svg>")
    return "".join(out)


def _chart(c: Chart) -> str:
    svg = count_chart_svg(c.bars, c.count) if c.count else bar_chart_svg(c.bars)
    return f'<figure class="chart"><figcaption>{escape(c.caption)}</figcaption>{svg}</figure>'


def _block(b) -> str:
    if isinstance(b, Heading):
        level = min(b.level, 3) + 1
        return f"<h{level}>{escape(b.text)}</h{level}>"
    if isinstance(b, Para):
        return _para(b)
    if isinstance(b, Notice):
        return _notice(b)
    if isinstance(b, Table):
        return _table(b)
    if isinstance(b, Chart):
        return _chart(b)
    if isinstance(b, Signature):
        return '<div class="signature">' + "".join(f"<p>{escape(x)}</p>" for x in b.lines) + "</div>"
    if isinstance(b, PageBreak):
        return '<div class="pagebreak"></div>'
    raise TypeError(type(b).__name__)


def render_html(doc: Document) -> str:
    body = "\n".join(_block(b) for b in doc.blocks)
    made = f"由 wbtool 根据 {doc.source} 生成。" if doc.source else "由 wbtool 生成。"
    return (f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(doc.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
            f"<h1>{escape(doc.title)}</h1>\n{body}\n<p class=\"generated\">{escape(made)}</p>\n"
            "</main>\n</body>\n</html>\n")

"""Form identity: fingerprint, wording and weights, headers, formulas and defined names as issued."""
from __future__ import annotations

from workbook_tools.model.layout import SHEET_META
from workbook_tools.numbers import num
from workbook_tools.model.speclib import SPEC_SHEET


def check(ctx):
    ret, L = ctx.ret, ctx.L
    if ret.has_macros:
        yield ctx.finding("macros-present")
    fp = ret.meta.get("fingerprint")
    if fp != ctx.spec.fingerprint:
        yield ctx.finding("fingerprint-mismatch", cell=f"{SHEET_META}!B3", expected=ctx.spec.fingerprint, found=fp,
                          spec=ctx.spec.id)
    yield from _own_copy(ctx)
    yield from _labels(ctx)
    yield from _headers(ctx)
    for key in sorted(ctx.overwritten, key=lambda k: (L[k].sheet, L[k].row, L[k].col)):
        c, have = L[key], ret.stored[key]
        if have.formula is None and have.value in (None, ""):
            yield ctx.finding("formula-deleted", key, expected=c.formula, found=None, what=c.label)
        else:
            found = have.formula if have.formula else have.value
            text = isinstance(found, str) and found.startswith("=")      # never a raw formula in a message
            yield ctx.finding("formula-overwritten", key, expected=c.formula, found=found, what=c.label,
                              found_text="另一个公式" if text else f"数值“{found}”",
                              found_text_en="another formula" if text else f"the value '{found}'")
    yield from _names(ctx)


_ORIGIN = {"explicit": ("--spec 指定", "given with --spec"), "path": ("WBTOOL_SPEC_PATH 中", "on WBTOOL_SPEC_PATH"),
           "package": ("随 wbtool 安装", "installed with wbtool")}
_WHAT = {"differ": ("评分规则、指标或分值不同", "the rules, indicators or weights differ"),
         "same": ("规则相同，仅文字、注释或格式不同", "same rules; only wording, comments or layout of the text differ"),
         "damaged": ("内嵌副本已损坏或被改动（文本与其记录的 sha256 不符）",
                     "the copy is damaged or edited (its text does not match its recorded sha256)"),
         "invalid": ("内嵌副本不是有效的规格", "the copy is not a valid spec")}


def _own_copy(ctx):
    """The workbook's embedded spec against the bureau's spec of the same id and version (speclib)."""
    meta = ctx.ret.meta
    if meta.get("_embedded") != "differs":
        return
    origin = meta.get("_spec_origin", "package")
    zh, en = _ORIGIN.get(origin, (origin, origin))
    what = _WHAT.get(meta.get("_embedded_rules", "differ"), _WHAT["differ"])
    found, expected = meta.get("_embedded_sha256", ""), meta.get("_spec_sha256", "")
    yield ctx.finding("spec-embedded-mismatch", cell=f"{SPEC_SHEET}!B4", expected=expected, found=found, spec=ctx.spec.id,
                      version=ctx.spec.version, origin=zh, origin_en=en, where=ctx.spec.source or ctx.spec.id,
                      found_short=found[:12], expected_short=expected[:12], what=what[0], what_en=what[1])


def _labels(ctx):
    """Indicator wording and weights (指标内容及分值不得修改)."""
    for c in ctx.L.cells.values():
        if c.role != "label" or c.value is None:
            continue
        have = ctx.stored(c.key)
        if c.key.endswith((".weight", ".points")):
            if num(have) is None or num(have) != num(c.value):
                yield ctx.finding("weight-changed", c.key, expected=c.value, found=have,
                                  what=_what(ctx, c))
        elif _norm(have) != _norm(c.value):
            yield ctx.finding("label-changed", c.key, expected=c.value, found=have, what=_what(ctx, c))


def _what(ctx, c) -> str:
    name = ctx.spec.node(c.indicator).name if c.indicator else ""
    return f"{c.indicator} {name} 的{c.label}" if c.indicator else c.label


def _norm(v) -> str:
    return "" if v is None else "".join(str(v).split())


def _headers(ctx):
    """Column headers of the tables staff fill (a missing header means the sheet was rearranged)."""
    sheets = {}
    for c in ctx.L.free:
        if c.style != "header" or c.sheet == SHEET_META:
            continue
        cells = sheets.get(c.sheet)
        if cells is None:
            cells = sheets[c.sheet] = ctx.ret.book.read_sheet(c.sheet)
        have = cells.get(c.coord)
        have = have.value if have else None
        if _norm(have) != _norm(c.value):
            yield ctx.finding("header-changed", cell=c.addr, expected=c.value, found=have)


_WANT: dict[int, list] = {}


def expected_names(layout) -> list:
    """(cell, defined name, its reference) for every named cell, computed once per layout."""
    if id(layout) not in _WANT:
        out = []
        for c in layout.cells.values():
            if layout.named and c.name:
                col = c.coord.rstrip("0123456789")
                out.append((c, c.name, f"'{c.sheet}'!${col}${c.row}"))
        _WANT[id(layout)] = out
    return _WANT[id(layout)]


def _names(ctx, limit: int = 10):
    names = ctx.ret.book.defined_names()
    broken = []
    for c, name, want in expected_names(ctx.L):
        have = names.get(name)
        if have != want and (have is None or have.replace("'", "") != want.replace("'", "")):
            broken.append((c, want, have))
    for c, want, have in broken[:limit]:
        yield ctx.finding("name-broken", c.key, expected=want, found=have, name=c.name)
    if len(broken) > limit:   # one line for the rest: a file without names would otherwise drown the report
        yield ctx.finding("name-broken", expected="模板中的定义名称", found=f"另有 {len(broken) - limit} 个缺失或错误",
                          name=f"其余 {len(broken) - limit} 个名称")

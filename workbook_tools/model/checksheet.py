"""The live 校验 sheet: the catalogue's live-expressible checks as Excel 2010 / WPS formulas, one row per (check, cell).

Every check the catalogue declares ``live`` has a generator here that yields candidates: a (check, cell) pair and
an Excel boolean that is TRUE exactly when ``wbtool validate`` reports that check at that cell. The sheet counts
the open ones (errors, and warnings not explained in 情况说明), lists them by INDEX/MATCH over a running count,
and conditional formatting marks the cells on their own sheets. No openpyxl here: ``sheet_cells`` returns plain
cell texts that ``model.template`` writes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from workbook_tools.model.layout import (EXPLAIN_ROWS, JUDGED, NA, Cell, Layout, content_parts, direction_part,
                                         fund_columns, narrative_keys, required_parts, row_na)
from workbook_tools.model.spec import BASIS_INPUT_RULES
from workbook_tools.model.rules.target_completion import kinds_of
from workbook_tools.model.scales import excel_is_word
from workbook_tools.numbers import plain
from workbook_tools.catalogue import CATALOGUE
from workbook_tools.model.layout import split_coord
from workbook_tools.model.layout import col_letter

SHEET_CHECK = "校验"
SHEET_DETAIL = "校验明细"       # the candidate table (hidden sheet: LibreOffice drops rows of hidden columns on save)
LIST_ROWS = 100                 # open problems listed by name; the rest are counted ("还有 N 个")
LIST_TOP = 9                    # first row of the visible list
TABLE_COL = 1                   # the candidate table on SHEET_DETAIL: A…K
EXPLAIN_COL = 13                # M: keys of the explanations given in 情况说明
NAME_ERR, NAME_WARN = "wbcheck_errors", "wbcheck_warnings"   # open cells, for conditional formatting
SEV_ZH = {"error": "强制性", "warning": "提示性"}
_EMPTY = ("无", "/", "-", "—", "略", "见上", "同上", "n/a", "na")    # checks.explanations._EMPTY, minus ""

# The functions template formulas may use: in Excel 2010 and in WPS (tests/test_checksheet.py scans every formula).
ALLOWED_FUNCTIONS = frozenset("""
ABS ADDRESS AND AVERAGE CHOOSE COLUMN COUNT COUNTA COUNTBLANK COUNTIF COUNTIFS DATE EXACT FIND HYPERLINK IF IFERROR
INDEX INT ISBLANK ISERROR ISNA ISNUMBER ISTEXT LEFT LEN LOWER MATCH MAX MID MIN MOD N NOT OR RIGHT ROUND ROUNDDOWN
ROUNDUP ROW SEARCH SUBSTITUTE SUM SUMIF SUMIFS SUMPRODUCT TEXT TRIM UPPER VALUE
""".split())


@dataclass
class Candidate:
    code: str
    sheet: str
    coord: str
    flag: str            # Excel boolean expression, no leading '='
    subject: str         # what the cell is, for the list

    @property
    def addr(self) -> str:
        return f"{self.sheet}!{self.coord}"


# ---------------------------------------------------------------- formula helpers

_STR = re.compile(r'"(?:[^"]|"")*"')
_REF = re.compile(r"(?<![A-Za-z0-9_.$'])('(?:[^']|'')+'!|[A-Za-z0-9_\u4e00-\u9fff]+!)?"
                  r"(\$?[A-Z]{1,3}\$?[0-9]+)(?::(\$?[A-Z]{1,3}\$?[0-9]+))?(?![A-Za-z0-9_(])")


class X:
    """Formula building over one layout: cell references, 'real text', the rules' value of a formula cell."""

    def __init__(self, L: Layout):
        self.L, self.spec = L, L.spec
        self.at = {(c.sheet, c.coord): c for c in L.cells.values()}

    def ref(self, key_or_cell) -> str:
        c = key_or_cell if isinstance(key_or_cell, Cell) else self.L[key_or_cell]
        return f"'{c.sheet}'!{c.coord}"

    def has(self, key) -> bool:
        return key in self.L.cells

    def real(self, x: str) -> str:
        """checks.explanations.is_real_text: a number, or ≥ 2 characters that are not a dash and no placeholder."""
        empty = ",".join(f'"{e}"' for e in _EMPTY)
        parts = [f"LEN(TRIM({x}))>=2", f"ISNA(MATCH(LOWER(TRIM({x})),{{{empty}}},0))"]
        if self.spec.placeholders:
            parts.append(f"{self.no_placeholder(x)}")
        return f"OR(ISNUMBER({x}),AND({','.join(parts)}))"

    def no_placeholder(self, x: str) -> str:
        ph = ",".join('"' + p.replace('"', '""') + '"' for p in self.spec.placeholders)
        return f"SUMPRODUCT(--ISNUMBER(FIND({{{ph}}},{x})))=0"

    def rules(self, key: str) -> str:
        """The value the rules give a formula cell, from the inputs (typed-over formulas in between ignored)."""
        c = self.L[key]
        return self._inline(c.formula[1:], c.sheet, 0)

    def _inline(self, body: str, sheet: str, depth: int) -> str:
        out, last = [], 0
        for m in _STR.finditer(body):
            out.append(self._refs(body[last:m.start()], sheet, depth))
            out.append(m.group(0))
            last = m.end()
        out.append(self._refs(body[last:], sheet, depth))
        return "".join(out)

    def _refs(self, text: str, sheet: str, depth: int) -> str:
        def sub(m):
            pre, a, b = m.group(1), m.group(2).replace("$", ""), m.group(3)
            sh = pre[:-1].strip("'").replace("''", "'") if pre else sheet
            if b is None:
                c = self.at.get((sh, a))
                if c is not None and c.role == "formula" and c.kind != "helper" and depth < 8:
                    return "(" + self._inline(c.formula[1:], c.sheet, depth + 1) + ")"
                return f"'{sh}'!{a}"
            return f"'{sh}'!{a}:{b.replace('$', '')}"
        return _REF.sub(sub, text)


def _lit(d) -> str:
    return plain(Decimal(d)) or "0"


# ---------------------------------------------------------------- the live checks, one generator per code

def _cover_missing(x: X):
    for f in x.spec.cover:
        if f.required:
            k = f"cover.{f.key}"
            yield Candidate("cover-missing", *_at(x, k), f"LEN(TRIM({x.ref(k)}))=0", f"封面“{f.label}”")


def _invalid_choice(x: X):
    for f in x.spec.cover:
        if f.type == "choice":
            r = x.ref(f"cover.{f.key}")
            yield Candidate("invalid-choice", *_at(x, f"cover.{f.key}"),
                            f"AND(LEN(TRIM({r}))>0,{_not_one_of(f'TRIM({r})', f.choices, r)})", f"封面“{f.label}”")
    for c in x.L.by_role("input"):
        if c.kind == "choice" and not c.key.startswith(("cover.", "explain.")):
            r = x.ref(c)
            yield Candidate("invalid-choice", c.sheet, c.coord, f"AND({r}<>\"\",{_not_one_of(r, c.choices, r)})", c.label)


def _not_one_of(expr: str, choices, raw: str) -> str:
    ch = ",".join('"' + str(v).replace('"', '""') + '"' for v in choices)
    # cover fields compare str(number): a number is never one of the (text) choices here
    return f"OR(ISNUMBER({raw}),SUMPRODUCT(--EXACT({expr},{{{ch}}}))=0)"


def _placeholder(x: X):
    if not x.spec.placeholders:
        return
    for f in x.spec.cover:
        if f.type in ("text", "code"):
            r = x.ref(f"cover.{f.key}")
            yield Candidate("placeholder-text", *_at(x, f"cover.{f.key}"),
                            f"AND(ISTEXT({r}),LEN(TRIM({r}))>0,NOT({x.no_placeholder(r)}))", f"封面“{f.label}”")
    for c in x.L.by_role("input"):
        if c.kind == "text" and not c.key.startswith(("cover.", "explain.")):
            r = x.ref(c)
            yield Candidate("placeholder-text", c.sheet, c.coord, f"AND(ISTEXT({r}),NOT({x.no_placeholder(r)}))",
                            c.label)
        elif c.kind == "target":     # 指标值 / 实际完成值 text under a direction that is neither 定性 nor ≥ ≤ =
            base = c.key.rsplit(".", 1)[0]
            r, d = x.ref(c), x.ref(f"{base}.{direction_part(x.spec)}")          # the direction the row reads
            kind = x.spec.targets.kind(base.split(".")[1])
            na = (f",NOT({r}=\"{NA}\")" if c.key.endswith(".actual") and row_na(x.spec, kind) else "")
            dirs = ",".join(f'{d}="{s}"' for s in ("定性", "≥", "≤", "="))
            yield Candidate("placeholder-text", c.sheet, c.coord,
                            f"AND(ISTEXT({r}),{r}<>\"\"{na},NOT(OR({dirs})),NOT({x.no_placeholder(r)}))", c.label)


def _negative_money(x: X):
    for c in x.L.by_role("input"):
        if c.kind == "money" and not c.key.startswith("cover."):
            r = x.ref(c)
            yield Candidate("negative-money", c.sheet, c.coord, f"AND(ISNUMBER({r}),{r}<0)", c.label)


def _count_invalid(x: X):
    for c in x.L.by_role("input"):
        if c.kind == "count" and not c.key.startswith("cover."):
            r = x.ref(c)
            yield Candidate("count-invalid", c.sheet, c.coord, f"AND(ISNUMBER({r}),OR({r}<0,{r}<>INT({r})))", c.label)


def _score_precision(x: X):
    for c in x.L.by_role("input"):
        if c.kind == "score":
            r = x.ref(c)
            yield Candidate("score-precision", c.sheet, c.coord, f"AND(ISNUMBER({r}),ROUND({r},4)<>{r})", c.label)


def _percent_as_number(x: X):
    for c in x.L.by_role("input"):
        if c.kind == "target":
            base = c.key.rsplit(".", 1)[0]
            r, u = x.ref(c), x.ref(f"{base}.unit")
            other = _other(x, base, c.key.rsplit(".", 1)[1])
            yield Candidate("percent-as-number", c.sheet, c.coord,
                            f"AND(ISNUMBER({r}),ISTEXT({u}),ISNUMBER(FIND(\"%\",{u}))+ISNUMBER(FIND(\"％\",{u}))>0,"
                            f"ABS({r})>10,NOT(ISTEXT({other})))", c.label)


def _other(x: X, base: str, part: str) -> str:
    """The other side of a row: the actual for a 指标值, the 指标值 used (调整后, else 年初) for the actual."""
    if part != "actual":
        return x.ref(f"{base}.actual")
    v = x.ref(f"{base}.value")
    return f'IF({v}<>"",{v},{x.ref(f"{base}.initial")})' if x.spec.targets.adjusted else v


def _target_unreadable(x: X):
    """A quantitative row's 指标值 / 实际完成值 with no number to read (the hidden vn / an helpers are "")."""
    if not x.spec.targets.form_values:
        return                   # typed numbers only: not-a-number / number-as-text, found by validate
    for c in x.L.by_role("input"):
        if c.kind != "target":
            continue
        base, part = c.key.rsplit(".", 1)
        r, d = x.ref(c), x.ref(f"{base}.dir")
        n = x.ref(f"{base}.{'an' if part == 'actual' else 'vn'}")
        kind = x.spec.targets.kind(base.split(".")[1])
        na = f',NOT({r}="{NA}")' if part == "actual" and row_na(x.spec, kind) else ""
        if part == "initial":           # read only while no 调整后指标值 is given
            na += f',{x.ref(f"{base}.value")}=""'
        dirs = ",".join(f'{d}="{s}"' for s in ("≥", "≤", "="))
        yield Candidate("target-value-unreadable", c.sheet, c.coord,
                        f'AND(ISTEXT({r}),{r}<>""{na},NOT({d}="定性"),OR({dirs}),NOT(ISNUMBER({n})))', c.label)


# -- scores

def _leaf(x: X, leaf):
    """(not 不适用, checklist answered, score ref, full marks expression) of a leaf."""
    b = f"node.{leaf.id}"
    app = f"{b}.applicable"
    not_na = f"NOT({x.ref(app)}=\"{NA}\")" if x.has(app) else "TRUE"
    answered = "TRUE"
    if leaf.rule.type == "checklist":
        mets = [x.ref(f"item.{leaf.id}.{j}.met") for j in range(1, len(leaf.rule.params["items"]) + 1)]
        answered = "AND(" + ",".join(f"{m}<>\"\"" for m in mets) + ")"
    full = _lit(leaf.weight)
    p = leaf.rule.params
    if leaf.rule.type == "target_completion" and p.get("method") == "sum_scores":
        na = [k for k in (x.spec.targets.kind(k) for k in kinds_of(p)) if row_na(x.spec, k)]
        if na:
            full = ("(" + _lit(leaf.weight) + "".join(
                f"-SUMIF({_col_range(x, k, 'actual')},\"{NA}\",{_col_range(x, k, 'weight')})" for k in na) + ")")
    return b, not_na, answered, x.ref(f"{b}.score"), full


def _col_range(x: X, kind, col: str) -> str:
    first = x.L[f"target.{kind.key}.1.{col}"]
    last = x.L[f"target.{kind.key}.{kind.rows}.{col}"]
    return f"'{first.sheet}'!{first.coord}:{last.coord}"


def _leaf_name(leaf) -> str:
    return f"{leaf.id} {leaf.name}"


def _na_without_reason(x: X):
    for leaf in x.spec.leaves():
        app, reason = f"node.{leaf.id}.applicable", f"node.{leaf.id}.reason"
        if x.has(app):
            yield Candidate("not-applicable-without-reason", *_at(x, reason),
                            f"AND({x.ref(app)}=\"{NA}\",NOT({x.real(x.ref(reason))}))", _leaf_name(leaf))


def _basis_missing(x: X):
    for leaf in x.spec.leaves():
        if leaf.rule.type in BASIS_INPUT_RULES:
            b, not_na, *_ = _leaf(x, leaf)
            yield Candidate("basis-missing", *_at(x, f"{b}.basis"), f"AND({not_na},{x.ref(f'{b}.basis')}=\"\")",
                            _leaf_name(leaf))


def _checklist_missing(x: X):
    for leaf in x.spec.leaves():
        if leaf.rule.type == "checklist":
            b, not_na, *_ = _leaf(x, leaf)
            for j, (item, _) in enumerate(leaf.rule.params["items"], 1):
                k = f"item.{leaf.id}.{j}.met"
                yield Candidate("checklist-item-missing", *_at(x, k), f"AND({not_na},{x.ref(k)}=\"\")",
                                f"{_leaf_name(leaf)}：{item}")


def _score_missing(x: X):
    for leaf in x.spec.leaves():
        if leaf.rule.manual_score:
            b, not_na, answered, s, _ = _leaf(x, leaf)
            yield Candidate("score-missing", *_at(x, f"{b}.score"), f"AND({not_na},{answered},LEN(TRIM({s}))=0)",
                            _leaf_name(leaf))


def _scored(not_na, answered, s) -> str:
    return f"{not_na},{answered},ISNUMBER({s})"


def _score_out_of_range(x: X):
    for leaf in x.spec.leaves():
        b, not_na, answered, s, _ = _leaf(x, leaf)
        yield Candidate("score-out-of-range", *_at(x, f"{b}.score"),
                        f"AND({_scored(not_na, answered, s)},OR({s}<0,{s}>{_lit(leaf.weight)}))", _leaf_name(leaf))


def _deduction(x: X):
    for leaf in x.spec.leaves():
        b, not_na, answered, s, full = _leaf(x, leaf)
        r = x.ref(f"{b}.reason")
        yield Candidate("deduction-without-reason", *_at(x, f"{b}.reason"),
                        f"AND({_scored(not_na, answered, s)},{s}>=0,{s}<={_lit(leaf.weight)},{s}<{full},"
                        f"NOT({x.real(r)}))", _leaf_name(leaf))


def _full_with_reason(x: X):
    for leaf in x.spec.leaves():
        b, not_na, answered, s, full = _leaf(x, leaf)
        r = x.ref(f"{b}.reason")
        yield Candidate("full-score-with-reason", *_at(x, f"{b}.reason"),
                        f"AND({_scored(not_na, answered, s)},{s}>=0,{s}<={_lit(leaf.weight)},{s}={full},"
                        f"{r}<>\"\",{x.real(r)})", _leaf_name(leaf))


def _qualitative_band(x: X):
    for leaf in x.spec.leaves():
        if leaf.rule.type != "qualitative":
            continue
        b, not_na, answered, s, _ = _leaf(x, leaf)
        g, w = x.ref(f"{b}.basis"), leaf.weight
        out = ",".join(f"AND({g}=\"{grade}\",OR({s}<{_lit(lo * w)},{s}>{_lit(hi * w)}))"
                       for grade, (lo, hi) in leaf.rule.params["bands"].items())
        if not out:
            continue
        yield Candidate("qualitative-band", *_at(x, f"{b}.score"),
                        f"AND({_scored(not_na, answered, s)},OR({out}))", _leaf_name(leaf))


def _coefficient(x: X):
    for leaf in x.spec.leaves():
        bounds = leaf.rule.impl.basis_bounds(leaf.rule.params)
        if bounds:
            b, not_na, *_ = _leaf(x, leaf)
            h = x.ref(f"{b}.basis")
            yield Candidate("coefficient-out-of-range", *_at(x, f"{b}.basis"),
                            f"AND({not_na},ISNUMBER({h}),OR({h}<{_lit(bounds[0])},{h}>{_lit(bounds[1])}))",
                            _leaf_name(leaf))


# -- funds

def _money_cols(x: X) -> list[str]:
    return [k for k, _ in fund_columns(x.spec) if k in ("initial", "adjusted", "actual", "mid_budget", "mid_actual")]


def _funds_missing(x: X):
    adj = x.rules("funds.total.adjusted")
    acts = ",".join(x.ref(f"funds.{i}.actual") for i in range(len(x.spec.funds.sources)))
    yield Candidate("funds-missing", *_at(x, "funds.total.adjusted"), f"NOT(N({adj})>0)", "调整后预算数合计")
    yield Candidate("funds-missing", *_at(x, "funds.total.actual"), f"AND(N({adj})>0,COUNT({acts})=0)", "实际支出数合计")


def _row_incomplete(x: X):
    main = ("initial", "adjusted", "actual")
    labels = dict(fund_columns(x.spec))
    for i, src in enumerate(x.spec.funds.sources):
        refs = {k: x.ref(f"funds.{i}.{k}") for k in main}
        filled = "+".join(f"({refs[k]}<>\"\")" for k in main)
        for j, k in enumerate(main):
            before = "".join(f",{refs[e]}<>\"\"" for e in main[:j])
            yield Candidate("funds-row-incomplete", *_at(x, f"funds.{i}.{k}"),
                            f"AND({filled}>=1,{refs[k]}=\"\"{before})", f"“{src}”{labels[k]}")


def _money_magnitude(x: X):
    cols = _money_cols(x)
    for i, src in enumerate(x.spec.funds.sources):
        for k in cols:
            r = x.ref(f"funds.{i}.{k}")
            others = ",".join(x.ref(f"funds.{i}.{o}") for o in cols if o != k)
            if not others:
                continue
            yield Candidate("money-magnitude", *_at(x, f"funds.{i}.{k}"),
                            f"AND(ISNUMBER({r}),{r}>=1000,MAX({others})>0,{r}>=1000*MAX({others}))", x.L[f"funds.{i}.{k}"].label)


def _overspend(x: X):
    for i, src in enumerate(x.spec.funds.sources):
        a, s = x.ref(f"funds.{i}.adjusted"), x.ref(f"funds.{i}.actual")
        yield Candidate("overspend", *_at(x, f"funds.{i}.actual"),
                        f"AND(ISNUMBER({a}),ISNUMBER({s}),{a}>0,{s}>{a})", f"“{src}”实际支出")


def _midyear_over(x: X):
    if "mid_budget" not in _money_cols(x):
        return
    for i, src in enumerate(x.spec.funds.sources):
        a, m = x.ref(f"funds.{i}.adjusted"), x.ref(f"funds.{i}.mid_budget")
        yield Candidate("midyear-over-annual", *_at(x, f"funds.{i}.mid_budget"),
                        f"AND(ISNUMBER({a}),ISNUMBER({m}),{m}>{a})", f"“{src}”1–6 月预算")


def _low_rate(x: X):
    rate, r = x.rules("funds.exec_rate"), x.ref("funds.low_rate_reason")
    thr = _lit(x.spec.funds.low_rate_threshold)
    yield Candidate("low-exec-rate", *_at(x, "funds.exec_rate"), f"AND(ISNUMBER({rate}),N({rate})<{thr},NOT({x.real(r)}))",
                    f"预算执行率（低于 {plain(x.spec.funds.low_rate_threshold * 100)}% 须说明原因）")


def _adjusted(x: X):
    ini, adj, r = x.rules("funds.total.initial"), x.rules("funds.total.adjusted"), x.ref("funds.adjust_reason")
    yield Candidate("budget-adjusted-without-reason", *_at(x, "funds.total.adjusted"),
                    f"AND(N({ini})>0,N({adj})<>0,ROUND(N({ini})-N({adj}),9)<>0,NOT({x.real(r)}))", "调整后预算合计与年初预算不同")


# -- targets



def _rows(x: X):
    for kind in x.spec.targets.kinds:
        for n in range(1, kind.rows + 1):
            b = f"target.{kind.key}.{n}"
            content = "OR(" + ",".join(f"{x.ref(f'{b}.{k}')}<>\"\"" for k in content_parts(x.spec)) + ")"
            yield kind, n, b, content


def _target_incomplete(x: X):
    for kind, n, b, content in _rows(x):
        parts = ([k for k, _ in required_parts(x.spec)] + (["weight"] if kind.scored else [])
                 + [k for k, _ in JUDGED.get(kind.row_score, [])])
        na = f"{x.ref(f'{b}.actual')}=\"{NA}\"" if row_na(x.spec, kind) else "FALSE"
        for j, k in enumerate(parts):
            in_na = k in ("name", "weight")
            before = [e for e in parts[:j]]
            # the first missing of the parts that count (a 不适用 row: only name and weight)
            def blank_before(only_na):
                es = [e for e in before if (e in ("name", "weight") or not only_na)]
                return "".join(f",{_part(x, b, e)}<>\"\"" for e in es)
            full = f"AND(NOT({na}),{_part(x, b, k)}=\"\"{blank_before(False)})"
            cond = f"OR({full},AND({na},{_part(x, b, k)}=\"\"{blank_before(True)}))" if in_na else full
            yield Candidate("target-incomplete", *_at(x, f"{b}.{k}"), f"AND({content},{cond})",
                            f"{kind.label}第 {n} 行")


def _part(x: X, b: str, k: str) -> str:
    """A part of a target row as the checks see it: the direction is the one the row reads (方向, else the sign)."""
    return x.ref(f"{b}.{direction_part(x.spec)}" if k == "direction" else f"{b}.{k}")


def _target_na(x: X):
    for kind, n, b, content in _rows(x):
        if row_na(x.spec, kind):
            r = x.ref(f"{b}.reason")
            yield Candidate("target-not-applicable-without-reason", *_at(x, f"{b}.reason"),
                            f"AND({x.ref(f'{b}.actual')}=\"{NA}\",NOT({x.real(r)}))", f"{kind.label}第 {n} 行")


def _target_missed(x: X):
    for kind, n, b, content in _rows(x):
        if kind.scored and kind.row_score != "ratio":
            continue                    # the unit scores the row: target-row-below-full-without-reason
        ratio, r = x.rules(f"{b}.ratio"), x.ref(f"{b}.reason")
        yield Candidate("target-missed-without-reason", *_at(x, f"{b}.reason"),
                        f"AND({content},ISNUMBER({ratio}),N({ratio})<1,NOT({x.real(r)}))", f"{kind.label}第 {n} 行")


def _scale_word(x: X):
    for kind, n, b, content in _rows(x):
        d, g = x.ref(f"{b}.direction"), x.ref(f"{b}.actual")
        na = f",NOT({g}=\"{NA}\")" if row_na(x.spec, kind) else ""
        yield Candidate("unknown-scale-word", *_at(x, f"{b}.actual"),
                        f"AND({d}=\"定性\",{g}<>\"\"{na},NOT({excel_is_word(g, x.spec.targets.words(kind))}))",
                        f"{kind.label}第 {n} 行")


def _row_out_of_range(x: X):
    for kind, n, b, content in _rows(x):
        if not kind.scored or kind.row_score == "ratio":
            continue
        w = x.ref(f"{b}.weight")
        if kind.row_score == "coefficient":
            c, (lo, hi) = x.ref(f"{b}.coef"), kind.coefficient
            yield Candidate("target-row-score-out-of-range", *_at(x, f"{b}.coef"),
                            f"AND(ISNUMBER({c}),OR({c}<{_lit(lo)},{c}>{_lit(hi)}))", f"{kind.label}第 {n} 行得分系数")
        else:
            s = x.ref(f"{b}.score")
            yield Candidate("target-row-score-out-of-range", *_at(x, f"{b}.score"),
                            f"AND(ISNUMBER({s}),ISNUMBER({w}),OR({s}<0,{s}>{w}))", f"{kind.label}第 {n} 行得分")


def _row_below_full(x: X):
    for kind, n, b, content in _rows(x):
        if not kind.scored or kind.row_score == "ratio":
            continue
        w, r = x.ref(f"{b}.weight"), x.ref(f"{b}.reason")
        s = x.rules(f"{b}.score") if kind.row_score == "coefficient" else x.ref(f"{b}.score")
        yield Candidate("target-row-below-full-without-reason", *_at(x, f"{b}.reason"),
                        f"AND({content},ISNUMBER({s}),ISNUMBER({w}),N({s})<{w},NOT({x.real(r)}))",
                        f"{kind.label}第 {n} 行")


def _target_leaves(x: X):
    for leaf in x.spec.leaves():
        r = leaf.rule
        if r.type == "target_completion":
            yield leaf, [x.spec.targets.kind(k) for k in kinds_of(r.params)]


def _any_content(x: X, kinds) -> str:
    return ("+".join(f"SUMPRODUCT(--({_col_range(x, kind, k)}<>\"\"))" for kind in kinds
                     for k in content_parts(x.spec)) + ">0")


def _labels(kinds) -> str:
    return "、".join(k.label for k in kinds)


def _targets_missing(x: X):
    for leaf, kinds in _target_leaves(x):
        b, not_na, *_ = _leaf(x, leaf)
        yield Candidate("targets-missing", *_at(x, f"{b}.basis"), f"AND({not_na},NOT({_any_content(x, kinds)}))",
                        f"{_labels(kinds)}（{_leaf_name(leaf)}）")


def _weight_sum(x: X):
    """The typed row 分值 of the indicator's kinds (rows with content) against its weight (one kind or several)."""
    for leaf, kinds in _target_leaves(x):
        if leaf.rule.params["method"] != "sum_scores" or not all(k.scored for k in kinds):
            continue
        b, not_na, *_ = _leaf(x, leaf)
        totals = []
        for kind in kinds:
            rows = "+".join(f"({_col_range(x, kind, k)}<>\"\")" for k in content_parts(x.spec))
            totals.append(f"SUMPRODUCT(--({rows}>0),{_col_range(x, kind, 'weight')})")
        yield Candidate("target-weight-sum", *_at(x, f"target.{kinds[0].key}.1.weight"),
                        f"AND({not_na},{_any_content(x, kinds)},ROUND({'+'.join(totals)}-{_lit(leaf.weight)},9)<>0)",
                        f"{_labels(kinds)}分值合计")


# -- narrative

def _narrative(x: X):
    for f in x.spec.narrative:
        if not f.required:
            continue
        refs = [x.ref(k) for k in narrative_keys(f)]
        joined = "&".join(f"TRIM({r})" for r in refs)
        ne = "+".join(f"(LEN(TRIM({r}))>0)" for r in refs)
        ok_one = f"AND(LEN({joined})>=2,ISNA(MATCH(LOWER({joined}),{{{','.join(chr(34) + e + chr(34) for e in _EMPTY)}}},0))"
        ok_one += (f",{x.no_placeholder(joined)})" if x.spec.placeholders else ")")
        ok_many = f"AND({ne}>=2" + "".join(f",{x.no_placeholder(r)}" for r in refs if x.spec.placeholders) + ")"
        yield Candidate("narrative-missing", *_at(x, narrative_keys(f)[0]), f"NOT(OR({ok_many},{ok_one}))",
                        f"文字说明“{f.label}”")


def _at(x: X, key: str) -> tuple[str, str]:
    c = x.L[key]
    return c.sheet, c.coord


# code → generator; catalogue entries with ``live`` text must be exactly these (tests/test_checksheet.py)
GENERATORS = {
    "cover-missing": _cover_missing, "invalid-choice": _invalid_choice, "placeholder-text": _placeholder,
    "negative-money": _negative_money, "count-invalid": _count_invalid, "score-precision": _score_precision,
    "percent-as-number": _percent_as_number,
    "not-applicable-without-reason": _na_without_reason, "basis-missing": _basis_missing,
    "checklist-item-missing": _checklist_missing, "score-missing": _score_missing,
    "score-out-of-range": _score_out_of_range, "deduction-without-reason": _deduction,
    "full-score-with-reason": _full_with_reason, "qualitative-band": _qualitative_band,
    "funds-missing": _funds_missing, "funds-row-incomplete": _row_incomplete, "money-magnitude": _money_magnitude,
    "overspend": _overspend, "midyear-over-annual": _midyear_over, "low-exec-rate": _low_rate,
    "budget-adjusted-without-reason": _adjusted,
    "targets-missing": _targets_missing, "target-incomplete": _target_incomplete,
    "target-not-applicable-without-reason": _target_na, "target-missed-without-reason": _target_missed,
    "target-weight-sum": _weight_sum, "narrative-missing": _narrative,
    "unknown-scale-word": _scale_word, "coefficient-out-of-range": _coefficient,
    "target-value-unreadable": _target_unreadable,
    "target-row-score-out-of-range": _row_out_of_range, "target-row-below-full-without-reason": _row_below_full,
}


def candidates(L: Layout) -> list[Candidate]:
    """Every (live check, cell) of a form, in the order validate sorts findings (sheet, row, column): a classic
    workbook's sheets, or one project form (model/projectcheck.py applies it to every project sheet)."""
    x = X(L)
    out = [c for code, gen in GENERATORS.items() if CATALOGUE[code].live for c in gen(x)]
    order = {s: i for i, s in enumerate(L.sheets)}

    def key(c):
        col, row = split_coord(c.coord)
        return order.get(c.sheet, -1), row, col, c.code
    return sorted(out, key=key)


def severity(L: Layout, code: str) -> str:
    return L.spec.severities.get(code, CATALOGUE[code].severity)


# ---------------------------------------------------------------- the sheet's cells

@dataclass
class SheetCell:
    coord: str
    value: object
    style: str = ""        # title note head label count list link hidden
    sheet: str = SHEET_CHECK


def _col(n: int) -> str:
    return col_letter(n)


_TABLE_HEADS = {"code": "检查代码", "sev": "严重性", "flag": "触发", "open": "待处理", "run": "序号", "addr": "单元格",
                "link": "链接", "what": "问题", "fix": "如何修改", "err": "强制性单元格", "warn": "提示性单元格"}


def sheet_cells(L: Layout) -> tuple[list[SheetCell], dict]:
    """The 校验 sheet's cells and what the renderer needs besides (table rows, names, marked ranges)."""
    cands = candidates(L)
    T = {k: _col(TABLE_COL + i) for i, k in enumerate(_TABLE_HEADS)}
    first, last = 3, 3 + max(len(cands), 1) - 1

    def rng(k):
        return f"'{SHEET_DETAIL}'!${T[k]}${first}:${T[k]}${last}"

    cells = explained_cells(L) + _table_heads(T)
    for i, c in enumerate(cands):
        cells += _table_row(L, c, T, first + i, first)
    cells += _count_cells(L, rng) + _list_cells(rng)
    more = LIST_TOP + LIST_ROWS
    cells.append(more_cell())
    names = {NAME_ERR: rng("err"), NAME_WARN: rng("warn")}
    marked: dict[str, list[str]] = {}
    for c in cands:
        marked.setdefault(c.sheet, [])
        if c.coord not in marked[c.sheet]:
            marked[c.sheet].append(c.coord)
    return cells, {"names": names, "marked": marked, "list_end": more, "candidates": cands}


def explained_cells(L: Layout, col: int = EXPLAIN_COL, first: int = 3, code_of=None) -> list[SheetCell]:
    """Explanations given in 情况说明: "code|CELL" of each row whose text is real (rows first…, column col of 校验明细);
    ``code_of``: an Excel expression of the typed check (code or title) giving the key's first part."""
    E, x, cells = _col(col), X(L), []
    for n in range(1, EXPLAIN_ROWS + 1):
        code, cell, text = (x.ref(f"explain.{n}.{k}") for k in ("code", "cell", "text"))
        norm = f'UPPER(SUBSTITUTE(SUBSTITUTE(TRIM({cell}),"\'",""),"$",""))'
        key = code_of(f"TRIM({code})") if code_of else f"TRIM({code})"
        cells.append(SheetCell(f"{E}{first - 1 + n}", f'=IF(AND(LEN(TRIM({code}))>0,{x.real(text)}),{key}&"|"&{norm},"")',
                               "hidden", SHEET_DETAIL))
    return cells


def explained(code: str, addr: str, coord: str, erange: str) -> str:
    """How many explanations in ``erange`` name this (check, cell): by code or title, by full cell or coordinate
    (checks.explanations.apply_explanations)."""
    e = CATALOGUE[code]
    keys = [f"{k}|{cc}" for k in (code, e.title_zh, e.title_en) for cc in (addr.upper(), coord)]
    return "+".join(f'COUNTIF({erange},"{k}")' for k in dict.fromkeys(keys))


def what(c: Candidate) -> str:
    """The list's “问题” text of a candidate."""
    return f"{CATALOGUE[c.code].title_zh}：{c.subject}"


def _table_heads(T: dict) -> list[SheetCell]:
    cells = [SheetCell(f"{col}2", _TABLE_HEADS[k], "hidden", SHEET_DETAIL) for k, col in T.items()]
    return cells + [SheetCell(f"{_col(EXPLAIN_COL)}2", "已说明（情况说明）", "hidden", SHEET_DETAIL)]


def _table_row(L: Layout, c, T: dict, r: int, first: int) -> list[SheetCell]:
    """One (check, cell) candidate: its flag, whether it is open (a warning explained is not), its running count."""
    E = _col(EXPLAIN_COL)
    erange = f"${E}$3:${E}${2 + EXPLAIN_ROWS}"
    e = CATALOGUE[c.code]
    sev = SEV_ZH[severity(L, c.code)]

    def cell(k, value):
        return SheetCell(f"{T[k]}{r}", value, "hidden", SHEET_DETAIL)

    if sev == SEV_ZH["warning"]:
        open_ = f"=IF(AND({T['flag']}{r}=1,{explained(c.code, c.addr, c.coord, erange)}=0),1,0)"
    else:
        open_ = f"={T['flag']}{r}"
    prev = f"{T['run']}{r - 1}" if r > first else "0"
    return [cell("code", c.code), cell("sev", sev), cell("flag", f"=IF(IFERROR({c.flag},FALSE),1,0)"),
            cell("open", open_), cell("run", f"={prev}+{T['open']}{r}"), cell("addr", c.addr),
            cell("link", f"#'{c.sheet}'!{c.coord}"), cell("what", what(c)), cell("fix", e.fix),
            cell("err", f'=IF(AND({T["open"]}{r}=1,{T["sev"]}{r}="强制性"),{T["addr"]}{r},"")'),
            cell("warn", f'=IF(AND({T["open"]}{r}=1,{T["sev"]}{r}="提示性"),{T["addr"]}{r},"")')]


def _count_cells(L: Layout, rng) -> list[SheetCell]:
    """The title, the note, the two counts and the status line at the top of the 校验 sheet."""
    return head_cells(L, f'=COUNTIFS({rng("sev")},"强制性",{rng("open")},1)',
                      f'=COUNTIFS({rng("sev")},"提示性",{rng("open")},1)', LIST_HEADS)


LIST_HEADS = ("序号", "严重性", "位置", "问题", "如何修改")


def head_cells(L: Layout, errors: str, warnings: str, heads: tuple[str, ...]) -> list[SheetCell]:
    """The top of a 校验 sheet: title, note, the counts of open 强制性 / 提示性 problems (formulas ``errors``,
    ``warnings``), the status line, and the list's column heads (A, B, …)."""
    n_live = sum(1 for e in CATALOGUE.values() if e.live)
    return [
        SheetCell("A1", f"{L.spec.title} — 校验（实时）", "title"),
        SheetCell("A2", f"本表随填写自动计算：下列问题由公式实时检查（{n_live} 项检查，见 docs/checks.md“表内实时”一栏），"
                        "点击“位置”跳到该单元格，问题单元格在所在表中以红色（强制性）或橙色（提示性）标出。"
                        "提示性问题在“情况说明”表逐条说明后不再列出。公式被改动、格式、台账等其余检查只在 "
                        "wbtool validate 中进行，提交前请财政局或本单位用它再查一次。", "note"),
        SheetCell("A4", "强制性问题", "label"),
        SheetCell("C4", errors, "count"),
        SheetCell("A5", "提示性问题", "label"),
        SheetCell("C5", warnings, "count"),
        SheetCell("A6", "状态", "label"),
        SheetCell("C6", f'=IF(C4+C5=0,"未发现表内可检查的问题",IF(C4>0,"有强制性问题，须修改后报送",'
                        f'"有提示性问题，请修改或在“情况说明”表说明"))', "status"),
    ] + [SheetCell(f"{_col(i)}{LIST_TOP - 1}", h, "head") for i, h in enumerate(heads, 1)]


def more_cell() -> SheetCell:
    """The line under the list: how many open problems it does not show."""
    return SheetCell(f"A{LIST_TOP + LIST_ROWS}", f'=IF(($C$4+$C$5)>{LIST_ROWS},"还有 "&(($C$4+$C$5)-{LIST_ROWS})&" 个问题未列出：'
                     f'先修改以上问题，或运行 wbtool validate 查看全部。","")', "note")


def _list_cells(rng) -> list[SheetCell]:
    """The visible list: row n shows the n-th open problem (MATCH on the running count), or nothing."""
    cells, total = [], "($C$4+$C$5)"
    for n in range(1, LIST_ROWS + 1):
        r = LIST_TOP + n - 1
        m = f"$G{r}"
        cells += [
            SheetCell(f"G{r}", f"=IF({n}<={total},MATCH({n},{rng('run')},0),\"\")", "hidden"),
            SheetCell(f"A{r}", f'=IF({m}="","",{n})', "list"),
            SheetCell(f"B{r}", f'=IF({m}="","",INDEX({rng("sev")},{m}))', "list"),
            SheetCell(f"C{r}", f'=IF({m}="","",HYPERLINK(INDEX({rng("link")},{m}),INDEX({rng("addr")},{m})))', "link"),
            SheetCell(f"D{r}", f'=IF({m}="","",INDEX({rng("what")},{m}))', "list"),
            SheetCell(f"E{r}", f'=IF({m}="","",INDEX({rng("fix")},{m}))', "list"),
        ]
    return cells

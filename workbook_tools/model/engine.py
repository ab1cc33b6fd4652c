"""Scoring engine: from the entered cell values to every computed value, exactly as the live formulas."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Mapping

from workbook_tools.model.layout import INCOMPLETE, NA, YES, exec_leaf, fund_columns, row_na
from workbook_tools.numbers import ONE, ZERO, num, round_half_up
from workbook_tools.model.scales import word_of
from workbook_tools.model.spec import Node, Spec
from workbook_tools.model import targetvalue as tv

# Values follow Excel: None stands for the empty string "" a formula returns.


def blank(raw) -> bool:
    return raw is None or raw == ""


def text_is(raw, s: str) -> bool:
    """Excel's  cell="text"  (case-insensitive, no trimming)."""
    return isinstance(raw, str) and raw.casefold() == s.casefold()


class _Values(dict):
    """Formula values; a key in ``overrides`` keeps the value the file holds (a typed-over formula),
    while ``natural`` remembers what the formula would have given from its inputs as they stand."""

    def __init__(self, overrides: Mapping[str, object] | None = None):
        super().__init__()
        self.overrides = overrides or {}
        self.natural: dict[str, object] = {}

    def __setitem__(self, key, value):
        if key in self.overrides:
            self.natural[key] = value
            value = self.overrides[key]
        super().__setitem__(key, value)


@dataclass
class Result:
    values: dict[str, object] = field(default_factory=dict)   # formula key → Decimal | str | None
    leaf_scores: dict[str, Decimal | None] = field(default_factory=dict)   # what the score cell holds
    rule_scores: dict[str, Decimal | None] = field(default_factory=dict)   # what the rule gives
    node_scores: dict[str, Decimal | None] = field(default_factory=dict)
    total: Decimal = ZERO
    display: Decimal = ZERO
    grade: str = ""

    def get(self, key):
        return self.values.get(key)

    def natural(self, key):
        """The value a formula cell's own formula gives (differs from ``get`` only for overrides)."""
        nat = getattr(self.values, "natural", {})
        return nat[key] if key in nat else self.values.get(key)


def override_value(raw):
    """A stored cell value as a formula result: numbers as Decimal, text as is, empty as None."""
    n = num(raw)
    if n is not None:
        return n
    return raw if isinstance(raw, str) and raw != "" else None


def compute(spec: Spec, inputs: Mapping[str, object], overrides: Mapping[str, object] | None = None) -> Result:
    """Compute every formula value of the form; ``inputs`` maps layout keys to raw cell values.

    ``overrides`` (formula key → stored value) makes typed-over formula cells act as constants, so the
    result is what Excel shows for the file as it stands.
    """
    res = Result(values=_Values({k: override_value(x) for k, x in (overrides or {}).items()}))
    v = res.values
    raw = inputs.get
    _funds(spec, raw, v)
    _targets(spec, raw, v)
    for node in reversed(spec.nodes()):
        if node.is_leaf:
            _leaf(spec, node, raw, v, res)
        else:
            s = _sum(v.get(f"node.{c.id}.score") for c in node.children)
            v[f"node.{node.id}.score"] = round_half_up(s, 4)
        res.node_scores[node.id] = v.get(f"node.{node.id}.score")
    _summary(spec, raw, v, res)
    if spec.kind == "project":
        _project_row(spec, raw, v)
    return res


def _project_row(spec: Spec, raw, v):
    """The form's row of the 项目清单 sheet (mirrors projectbook.list_row_formulas)."""
    def text(x):
        return None if blank(x) else x

    def number(x):
        return dec(x) if isinstance(x, Decimal) or num(x) is not None and not isinstance(x, str) else None

    leaf = exec_leaf(spec)
    if leaf is not None:
        v["funds.score"] = text(v.get(f"node.{leaf.id}.score"))
    v["list.code"] = text(raw("cover.projectCode"))
    v["list.name"] = text(raw("cover.projectName"))
    v["list.fundType"] = text(raw("cover.fundType"))
    v["list.budget"] = number(v.get("funds.total.adjusted"))
    v["list.actual"] = number(v.get("funds.total.actual"))
    v["list.rate"] = number(v.get("funds.exec_rate"))
    v["list.total"] = number(v.get("summary.display"))
    v["list.grade"] = text(v.get("summary.grade"))
    hints = [v.get(f"node.{leaf.id}.hint") for leaf in spec.leaves()]
    if any(text_is(h, "未评分") for h in hints):
        v["list.status"] = "未完成"
    elif any(not blank(h) and not text_is(h, NA) for h in hints):
        v["list.status"] = "待完善"
    else:
        v["list.status"] = "已完成"


def _sum(values) -> Decimal:
    """Excel SUM: numbers count, text and blanks are ignored."""
    return sum((x for x in values if isinstance(x, Decimal)), ZERO)


def dec(x) -> Decimal | None:
    """A formula value as a number, or None (text or "" — overrides may put anything there)."""
    return x if isinstance(x, Decimal) else None


def _div(a, b, places=None):
    a, b = dec(a), dec(b)
    if a is None or b is None or not b > 0:
        return None
    q = a / b
    return round_half_up(q, places) if places is not None else q


def _funds(spec: Spec, raw, v):
    cols = [k for k, _ in fund_columns(spec)]
    n = len(spec.funds.sources)
    for i in range(n):
        for key, (a, b) in (("rate", ("actual", "adjusted")), ("mid_rate", ("mid_actual", "mid_budget"))):
            if key in cols:
                v[f"funds.{i}.{key}"] = _div(num(raw(f"funds.{i}.{a}")), num(raw(f"funds.{i}.{b}")))
    for key in cols:
        if key not in ("rate", "mid_rate"):
            v[f"funds.total.{key}"] = _sum(num(raw(f"funds.{i}.{key}")) for i in range(n))
    t = lambda k: v[f"funds.total.{k}"]  # noqa: E731
    v["funds.total.rate"] = _div(t("actual"), t("adjusted"))
    v["funds.exec_rate"] = _div(t("actual"), t("adjusted"), 4)
    if spec.funds.midyear:
        v["funds.total.mid_rate"] = _div(t("mid_actual"), t("mid_budget"))
        v["funds.mid_progress"] = _div(t("mid_actual"), t("mid_budget"), 3)
        prog = dec(v["funds.mid_progress"])
        v["funds.mid_gap"] = (round_half_up((prog - spec.funds.midyear.target_progress) * 100, 1)
                              if prog is not None else None)


def target_ratio(spec: Spec, direction, value, actual, unit=None, read: dict | None = None, kind=None) -> Decimal | None:
    """Completion ratio of one target row (mirrors layout.target_ratio_formula): values as forms write them
    (≥90%, =100 with unit %, 5次 — model/targetvalue); ``read`` the row's helper values when already computed."""
    if read is None:
        read = (tv.read_row(direction, value, actual, unit) if spec.targets.form_values
                else {"dir": direction, "ev": num(value), "gv": num(actual)})
    direction = read["dir"]
    if blank(direction) or blank(actual):
        return None
    if text_is(direction, "定性"):
        words = spec.targets.words(kind)
        word = word_of(actual, words)
        return words[word] if word is not None else None
    e, g = dec(read["ev"]), dec(read["gv"])
    if e is None or g is None:
        return None
    if text_is(direction, "≥"):
        if e > 0:
            return max(ZERO, min(ONE, g / e))
        return ONE if g >= e else ZERO
    if text_is(direction, "≤"):
        if g <= e:
            return ONE
        return max(ZERO, e / g) if g > 0 else ZERO
    if text_is(direction, "="):
        if e == 0:
            return ONE if g == 0 else ZERO
        return max(ZERO, ONE - abs(g - e) / abs(e))
    return None


def na_row_weight(spec: Spec, kind, raw) -> Decimal:
    """Excel SUMIF(实际完成值,"不适用",分值): the weight of a kind's 不适用 rows (zero where rows cannot be)."""
    out = ZERO
    if not row_na(spec, kind):
        return out
    for n in range(1, kind.rows + 1):
        w = raw(f"target.{kind.key}.{n}.weight")
        if text_is(raw(f"target.{kind.key}.{n}.actual"), NA) and not isinstance(w, (str, bool)) and num(w) is not None:
            out += num(w)          # SUMIF adds numbers only: a weight typed as text counts for nothing
    return out


def _targets(spec: Spec, raw, v):
    thr = spec.form_rules.deviation_threshold
    for kind in spec.targets.kinds:
        na = row_na(spec, kind)
        for n in range(1, kind.rows + 1):
            b = f"target.{kind.key}.{n}"
            d, e, g = raw(f"{b}.direction"), raw(f"{b}.value"), raw(f"{b}.actual")
            if spec.targets.adjusted:       # 调整后指标值 when filled, else 年初 (the hidden helper ve)
                e = e if not blank(e) else (raw(f"{b}.initial") if not blank(raw(f"{b}.initial")) else None)
                v[f"{b}.ve"] = e
                e = v[f"{b}.ve"]
            read = (_read_row(v, b, d, e, g, raw(f"{b}.unit")) if spec.targets.form_values
                    else {"dir": d, "ev": num(e), "gv": num(g)})
            ratio = None if na and text_is(g, NA) else target_ratio(spec, d, e, g, read=read, kind=kind)
            v[f"{b}.ratio"] = ratio
            ratio = dec(v[f"{b}.ratio"])
            if kind.scored:
                w = num(raw(f"{b}.weight"))
                if kind.row_score == "typed":        # an input: the rules read the number typed (SUM: text ignored)
                    v[f"{b}.score"] = num(raw(f"{b}.score"))
                else:
                    f = num(raw(f"{b}.coef")) if kind.row_score == "coefficient" else ratio
                    v[f"{b}.score"] = round_half_up(f * w, 4) if f is not None and w is not None else None
            if thr is not None:
                v[f"{b}.dev"] = Decimal(_deviates(read["dir"], read["ev"], read["gv"], thr))


def _read_row(v, b, d, e, g, unit) -> dict:
    """The row's hidden helper cells, each stored then read back (a typed-over helper keeps what the file holds)."""
    vs = v[f"{b}.vs"] = tv.stripped(e)
    as_ = v[f"{b}.as"] = tv.stripped(g)
    vs, as_ = v[f"{b}.vs"], v[f"{b}.as"]
    v[f"{b}.vn"] = tv.leading_number(e, vs if isinstance(vs, str) else None)
    v[f"{b}.an"] = tv.leading_number(g, as_ if isinstance(as_, str) else None)
    vn, an = dec(v[f"{b}.vn"]), dec(v[f"{b}.an"])
    v[f"{b}.dir"] = tv.direction(d, e, vn)
    v[f"{b}.ev"] = tv.scaled(e, vn, g, an, unit)
    v[f"{b}.gv"] = tv.scaled(g, an, e, vn, unit)
    return {h: v[f"{b}.{h}"] for h in tv.HELPERS}


def _deviates(d, e, g, thr) -> int:
    if not any(text_is(d, s) for s in ("≥", "≤", "=")):
        return 0
    e, g = dec(e), dec(g)
    if e is None or g is None or e == 0:
        return 0
    return int(round_half_up(abs(g - e) / abs(e), 10) >= thr)


def _leaf(spec: Spec, node: Node, raw, v, res: Result):
    rule, w = node.rule, node.weight
    base = f"node.{node.id}"
    has_formula = not rule.manual_score
    core = rule.impl.compute(RuleContext(spec, node, raw, v)) if has_formula else None
    applicable_raw = raw(f"{base}.applicable")
    not_applicable = spec.inapplicable != "forbidden" and text_is(applicable_raw, NA)
    if has_formula:
        res.rule_scores[node.id] = core
        if not_applicable:
            core = w if spec.inapplicable == "full_marks" else None
        v[f"{base}.score"] = core
        score_raw = v[f"{base}.score"]      # an override (typed-over cell) is what Excel sees
    else:
        res.rule_scores[node.id] = None
        score_raw = raw(f"{base}.score")
    score = num(score_raw)
    res.leaf_scores[node.id] = score
    if not has_formula:
        v[f"{base}.score"] = score     # parents' SUM and the summary's ISNUMBER see numbers only
    v[f"{base}.hint"] = _hint(score_raw, effective_weight(spec, node, raw), raw(f"{base}.reason"), not_applicable)


def effective_weight(spec: Spec, node: Node, raw) -> Decimal:
    """A leaf's weight less its 不适用 target rows: below it points are lost and need a reason."""
    kinds = node.rule.impl.na_rows_kinds(node.rule.params)
    return node.weight - sum((na_row_weight(spec, spec.targets.kind(k), raw) for k in kinds), ZERO)


class RuleContext:
    """What a rule type's ``compute`` may read and set: the Python twin of layout.FormulaContext."""

    def __init__(self, spec: Spec, node: Node, raw, v):
        self.spec, self.node, self.raw, self.v = spec, node, raw, v
        self.p = node.rule.params
        self.w = node.weight
        self.base = f"node.{node.id}"

    def basis_input(self) -> Decimal | None:
        """The typed 评分依据 as a number (None when blank or text)."""
        return num(self.raw(f"{self.base}.basis"))

    def set_basis(self, value) -> Decimal | None:
        """A formula 评分依据: stored, then read back (a typed-over cell keeps the value the file holds)."""
        self.v[f"{self.base}.basis"] = value
        return dec(self.v[f"{self.base}.basis"])

    def number(self, key: str) -> Decimal | None:
        return dec(self.v[key])

    def column(self, kind: str, col: str) -> list[Decimal]:
        """The numbers of a column of a kind's target rows (blanks and text left out, as AVERAGE/SUM do)."""
        k = self.spec.targets.kind(kind)
        vals = [dec(self.v[f"target.{k.key}.{n}.{col}"]) for n in range(1, k.rows + 1)]
        return [x for x in vals if x is not None]

    def item_met(self, j: int) -> bool:
        return text_is(self.raw(f"item.{self.node.id}.{j}.met"), YES)


def _hint(score_raw, w, reason, not_applicable) -> str:
    if not_applicable:
        return NA
    if blank(score_raw):
        return "未评分"
    s = num(score_raw)
    if s is None:
        return "得分应为数字"
    if s > w:
        return "得分超过分值"
    if s < 0:
        return "得分不能为负"
    if s < w and blank(reason):
        return "请填写扣分原因"
    return ""


def _summary(spec: Spec, raw, v, res: Result):
    _summary_nodes(spec, v)
    base = _summary_base(spec, raw, v)
    penalty = _summary_penalty(spec, v)
    cap = _summary_cap(spec, v)
    v["summary.total"] = round_half_up(min(cap, max(ZERO, (base or ZERO) - penalty)), 4)
    total = dec(v["summary.total"])
    v["summary.display"] = round_half_up(total, 2) if total is not None else None
    display = dec(v["summary.display"])
    v["summary.grade"] = spec.grade_for(display) if display is not None else None
    if any(text_is(v.get(f"node.{leaf.id}.hint"), "未评分") for leaf in spec.leaves()):
        v["summary.grade"] = INCOMPLETE      # no grade until every indicator is scored (layout: the same formula)
    res.total = total if total is not None else ZERO
    res.display = display if display is not None else ZERO
    res.grade = v["summary.grade"] if isinstance(v["summary.grade"], str) else ""


def _summary_nodes(spec: Spec, v):
    """The 一级/二级指标's 得分 and 得分率 on the summary."""
    for node in spec.nodes():
        if node.depth <= 2:
            v[f"summary.node.{node.id}"] = dec(v.get(f"node.{node.id}.score"))
            s = dec(v[f"summary.node.{node.id}"])
            ok = s is not None and node.weight > 0
            v[f"summary.rate.{node.id}"] = round_half_up(s / node.weight, 4) if ok else None


def _summary_base(spec: Spec, raw, v) -> Decimal | None:
    """The sum of the scores (合计), rescaled to the full weight when 不适用 weight is taken out (rescale)."""
    total_w = spec.total_weight
    v["summary.raw"] = round_half_up(_sum(v.get(f"node.{n.id}.score") for n in spec.tree), 4)
    base = dec(v["summary.raw"])
    if spec.inapplicable == "rescale":
        na = ZERO
        for leaf in spec.leaves():
            if text_is(raw(f"node.{leaf.id}.applicable"), NA):
                na += leaf.weight
            else:
                na += leaf.weight - effective_weight(spec, leaf, raw)    # its 不适用 target rows
        v["summary.applicable_weight"] = total_w - na
        aw = dec(v["summary.applicable_weight"])
        v["summary.scaled"] = (round_half_up(base * total_w / aw, 4) if aw is not None and aw > 0 and base is not None
                               else ZERO)
        base = dec(v["summary.scaled"])
    return base


def _summary_penalty(spec: Spec, v) -> Decimal:
    """Points off for targets whose deviation passes the form's threshold (capped), or zero."""
    fr = spec.form_rules
    penalty = ZERO
    if fr.deviation_threshold is not None:
        hits = _sum(v[f"target.{k.key}.{n}.dev"] for k in spec.targets.kinds for n in range(1, k.rows + 1))
        penalty = fr.deviation_points * hits
        if fr.deviation_max is not None:
            penalty = min(fr.deviation_max, penalty)
        v["summary.penalty"] = penalty
        penalty = dec(v["summary.penalty"]) or ZERO
    return penalty


def _summary_cap(spec: Spec, v) -> Decimal:
    """The highest total the execution rate allows (execution_cap), else the full weight."""
    fr, total_w = spec.form_rules, spec.total_weight
    cap = total_w
    if fr.execution_cap:
        rate = dec(v.get("funds.exec_rate"))
        if rate is not None:
            for below, mx in fr.execution_cap:
                if rate < below:
                    cap = mx
                    break
        v["summary.cap"] = cap
        cap = dec(v["summary.cap"]) if dec(v["summary.cap"]) is not None else total_w
    return cap


@dataclass
class Tally:
    """The project list's totals: projects self-evaluated (status not 未完成) per 资金性质 and their average."""
    counts: dict[str, int]                  # 资金性质 → number of projects self-evaluated
    count: int
    average: Decimal | None                 # ROUND(mean of their 总分, 2)
    budget: Decimal
    actual: Decimal
    rate: Decimal | None
    values: dict[str, object] = field(default_factory=dict)   # plist.* formula key → value


def tally_projects(fund_types, rows) -> Tally:
    """Totals of the 项目清单 from each form's ``list.*`` values (mirrors projectbook._list_totals)."""
    rows = list(rows)
    counted = [r for r in rows if not text_is(r.get("list.status"), "未完成")]
    counts = {t: sum(1 for r in counted if text_is(r.get("list.fundType"), t)) for t in fund_types}
    n = sum(counts.values())
    scored = [r for r in counted if any(text_is(r.get("list.fundType"), t) for t in fund_types)]
    avg = round_half_up(_sum(r.get("list.total") for r in scored) / n, 2) if n else None
    budget = _sum(r.get("list.budget") for r in rows)
    actual = _sum(r.get("list.actual") for r in rows)
    rate = round_half_up(actual / budget, 4) if budget > 0 else None
    values = {"plist.budget": budget, "plist.actual": actual, "plist.rate": rate, "plist.count": Decimal(n),
              "plist.average": avg}
    values.update({f"plist.count.{j}": Decimal(counts[t]) for j, t in enumerate(fund_types)})
    return Tally(counts, n, avg, budget, actual, rate, values)

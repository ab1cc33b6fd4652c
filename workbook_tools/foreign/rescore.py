"""Re-scoring a foreign form: the typed 分值/得分 against the engine's scores from the form's own raw figures."""
from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass
from decimal import Decimal

from workbook_tools.model.engine import compute
from workbook_tools.model.layout import NA, exec_leaf
from workbook_tools.numbers import ZERO, num, round_half_up
from workbook_tools.model.spec import DEFAULT_QUAL_BANDS, Spec
from workbook_tools.files.specsheet import load_spec
from workbook_tools.foreign.anchors import AnchoredLayout, FoundForm
from workbook_tools.foreign.checks import form_findings
from workbook_tools.foreign.grid import norm
from workbook_tools.foreign.scored import TOLERANCE, FormCheck, RowCheck, number  # noqa: F401  (re-exported)

_DIR = (("≥", "≥"), (">=", "≥"), ("＞=", "≥"), ("不低于", "≥"), ("不少于", "≥"), (">", "≥"), ("＞", "≥"),
        ("≤", "≤"), ("<=", "≤"), ("不高于", "≤"), ("不超过", "≤"), ("<", "≤"), ("＜", "≤"), ("=", "="), ("＝", "="))
_NUM = re.compile(r"^([-+]?\d+(?:\.\d+)?)\s*(%)?(.*)$")


@dataclass
class Target:
    direction: str          # ≥ ≤ = 定性 ('' unknown)
    value: Decimal | None
    pct: bool
    text: str


def parse_target(v, direction_cell=None, unit=None) -> Target:
    """年度指标值 as typed: "≥90%", "=100", "5次", 1, "优秀" → direction, number (percent as a fraction), text.
    A separate 度量单位 of "%" makes a plain 90 mean 90%."""
    t = _parse_target(v, direction_cell)
    if norm(unit) == "%" and t.value is not None and not t.pct:
        t = Target(t.direction, t.value / 100 if t.value > Decimal("1.5") else t.value, True, t.text)
    return t


def _parse_target(v, direction_cell=None) -> Target:
    text = "" if v is None else str(v).strip()
    d = ""
    if direction_cell not in (None, ""):
        t = norm(direction_cell)
        d = {"正向": "≥", "反向": "≤", "定性": "定性", "定性指标": "定性"}.get(t, "")
        d = d or next((sym for key, sym in _DIR if t.startswith(key)), "")
    if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
        return Target(d or "≥", num(v), False, text)
    s = norm(text)
    for key, sym in _DIR:
        if s.startswith(key):
            d = d or sym
            s = s[len(key):]
            break
    m = _NUM.match(s.replace(",", ""))
    if m and s:
        val = Decimal(m[1])
        return Target(d if d and d != "定性" else "≥", val / 100 if m[2] else val, bool(m[2]), text)
    return Target("定性" if text else d, None, False, text)


def parse_actual(v, target: Target) -> Decimal | None:
    if isinstance(v, bool) or v is None:
        return None
    s = norm(v)
    if isinstance(v, (int, float, Decimal)):
        a = num(v)
        if target.pct and target.value is not None and target.value <= Decimal("1.5") and a > Decimal("1.5"):
            a = a / 100          # 95 typed against ≥90%
        return a
    m = _NUM.match(s.replace(",", "").lstrip("≥≤=<>"))
    if not m or not s:
        return None
    a = Decimal(m[1])
    if m[2]:
        return a / 100
    if target.pct and target.value is not None and target.value <= Decimal("1.5") and a > Decimal("1.5"):
        a = a / 100
    return a


def grade_of(actual, target: Target, words: dict[str, list[str]]) -> str | None:
    """A qualitative 实际完成值 as 达成 / 部分达成 / 未达成 (its own words, or the same text as the target)."""
    s = norm(actual)
    if not s:
        return None
    for grade in ("部分达成", "未达成", "达成"):          # longest words first: 部分达成 contains 达成
        if any(s == norm(w) for w in words.get(grade, [])):
            return grade
    if target.text and s == norm(target.text):
        return "达成"
    return None


def _with_rows(spec: Spec, counts: dict[str, int]) -> Spec:
    """The spec with as many target rows per kind as the form has (the engine walks kind.rows rows)."""
    kinds = tuple(dataclasses.replace(k, rows=max(1, counts.get(k.key, 0))) for k in spec.targets.kinds)
    s = copy.copy(spec)
    s.targets = dataclasses.replace(spec.targets, kinds=kinds)
    return s


def rescore(form: FoundForm, layout: AnchoredLayout, file: str = "") -> FormCheck:
    """Recompute every score of a found form from its raw figures with the engine and compare."""
    checks, counts, inputs = _target_inputs(form, layout)
    spec = _with_rows(load_spec(layout.spec), counts)
    money = _fund_inputs(form, spec, inputs)
    res = compute(spec, inputs)
    fc = FormCheck(form, layout, spec, checks, result=res)
    _compare_rows(checks, res)
    _funds_and_totals(fc, form, money, res)
    fc.findings = form_findings(fc, file)
    return fc


def _target_inputs(form: FoundForm, layout: AnchoredLayout):
    """(one RowCheck per indicator row, rows per kind, the engine's inputs) from the rows' raw figures."""
    checks: list[RowCheck] = []
    counts: dict[str, int] = {}
    inputs: dict[str, object] = {}
    for row in form.rows:
        n = counts[row.kind] = counts.get(row.kind, 0) + 1
        rc = RowCheck(row, row.kind, n, number(row.get("weight")), number(row.get("score")))
        checks.append(rc)
        if row.kind is None:
            rc.unscorable = "一级指标不是产出、效益或满意度指标"
            continue
        _row_inputs(rc, row, f"target.{row.kind}.{n}", layout, inputs)
    return checks, counts, inputs


def _row_inputs(rc: RowCheck, row, key: str, layout: AnchoredLayout, inputs: dict) -> None:
    """One row's target, direction and actual value as the engine takes them (or why it cannot score it)."""
    inputs[f"{key}.weight"] = rc.weight
    actual_raw = row.get("actual")
    if norm(actual_raw) == NA:
        inputs[f"{key}.actual"] = NA
        rc.na, rc.how = True, NA
        return
    t = parse_target(row.get("value"), row.get("direction"), row.get("unit"))
    grade = grade_of(actual_raw, t, layout.actual_words) if t.direction == "定性" or \
        parse_actual(actual_raw, t) is None else None
    if grade:
        inputs.update({f"{key}.direction": "定性", f"{key}.actual": grade, f"{key}.value": t.text})
        rc.how = f"定性，实际完成值“{actual_raw}”为{grade}"
        rc.grade = grade
    elif t.value is not None and parse_actual(actual_raw, t) is not None:
        a = parse_actual(actual_raw, t)
        inputs.update({f"{key}.direction": t.direction, f"{key}.value": t.value, f"{key}.actual": a})
        rc.how = f"指标值 {row.get('value')}，实际完成值 {actual_raw}"
    else:
        rc.unscorable = ("年度指标值或实际完成值未填写" if row.get("value") in (None, "") or actual_raw in (None, "")
                         else f"年度指标值“{row.get('value')}”与实际完成值“{actual_raw}”无法比较")


def _fund_inputs(form: FoundForm, spec: Spec, inputs: dict) -> dict:
    """The money rows as the engine's funds inputs (per source, or the total as the first source); returns the
    block that carries the funds' weight and self score."""
    sources = list(spec.funds.sources)
    total = form.funds.get("total", {})
    has_sources = any(number(form.funds.get(s, {}).get(k).value) is not None
                      for s in sources if s in form.funds for k in ("adjusted", "actual") if k in form.funds[s])
    for i, s in enumerate(sources):
        src = form.funds.get(s) if has_sources else (total if i == 0 else None)
        for k in ("initial", "adjusted", "actual"):
            if src and k in src:
                inputs[f"funds.{i}.{k}"] = number(src[k].value)
    return total or (form.funds.get(sources[0]) if sources else None) or {}


def _compare_rows(checks: list[RowCheck], res) -> None:
    """Each scorable row's recomputed score (定性 rows: up to their grade's band)."""
    for rc in checks:
        if rc.kind and not rc.unscorable and not rc.na:
            rc.recomputed = res.values.get(f"target.{rc.kind}.{rc.n}.score")
            if rc.recomputed is None and not rc.unscorable:
                rc.unscorable = "分值未填写" if rc.weight is None else "实际完成值无法按方向计分"
            elif rc.grade and rc.self is not None and rc.weight is not None and rc.self > rc.recomputed:
                # 定性: the national form scores within the grade's band; above the engine's ratio is fine up to it
                lo, hi = DEFAULT_QUAL_BANDS[rc.grade]
                rc.recomputed = min(rc.self, round_half_up(hi * rc.weight, 4))


def _funds_and_totals(fc: FormCheck, form: FoundForm, money: dict, res) -> None:
    """The funds score, execution rate and money, and the form's totals: typed and recomputed."""
    spec, checks = fc.spec, fc.rows
    leaf = exec_leaf(spec)
    fc.funds_weight = number(money["weight"].value) if "weight" in money else None
    fc.funds_self = number(money["score"].value) if "score" in money else None
    fc.funds_recomputed = res.node_scores.get(leaf.id) if leaf else None
    fc.exec_rate = res.values.get("funds.exec_rate")
    fc.budget, fc.actual = res.values.get("funds.total.adjusted"), res.values.get("funds.total.actual")
    st = form.total.get("score")
    fc.self_total = number(st.value) if st else None
    fc.self_total_cell = st.cell if st else ""
    typed = [rc.self for rc in checks if rc.self is not None] + ([fc.funds_self] if fc.funds_self is not None else [])
    fc.rows_total = round_half_up(sum(typed, ZERO), 4) if typed else None
    # rows the rule cannot score keep their self score (bounded by the weight); 不适用 rows leave the total
    parts = [rc.recomputed if rc.recomputed is not None else max(ZERO, min(rc.self, rc.weight or rc.self))
             for rc in checks if not rc.na and (rc.recomputed is not None or rc.self is not None)]
    raw = sum(parts, ZERO) + (fc.funds_recomputed or ZERO)
    aw = res.values.get("summary.applicable_weight") or spec.total_weight
    if aw and aw > 0:
        fc.recomputed_total = min(spec.total_weight, round_half_up(raw * spec.total_weight / aw, 4))

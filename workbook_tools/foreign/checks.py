"""Findings of a re-scored foreign form, with the same catalogue entries as our own forms where they apply."""
from __future__ import annotations

from decimal import Decimal

from workbook_tools.checks.findings import Finding
from workbook_tools.numbers import round_half_up
from workbook_tools.foreign.grid import norm
from workbook_tools.foreign.scored import TOLERANCE, FormCheck, RowCheck, number


def _name(fc: FormCheck, rc: RowCheck) -> str:
    kind = fc.spec.targets.kind(rc.kind) if rc.kind else None
    where = kind.label if kind else (rc.row.level1 or "指标")
    return f"{where}“{rc.row.name or rc.row.level2}”"


def _f(code, cell, indicator, params, expected=None, found=None, file="", project="") -> Finding:
    return Finding(code, cell, indicator, params, expected, found, file=file, project=project)


def form_findings(fc: FormCheck, file: str = "") -> list[Finding]:
    out: list[Finding] = []
    proj = fc.label()
    has_reason = any("reason" in rc.row.values for rc in fc.rows)
    for rc in fc.rows:
        name, ind = _name(fc, rc), rc.indicator
        score_cell = rc.row.cell("score") or rc.row.cell("name")
        if rc.self is None:
            if not rc.na:
                out.append(_f("score-missing", score_cell, ind, {"indicator_name": name}, file=file, project=proj))
            continue
        if rc.weight is not None and (rc.self > rc.weight or rc.self < 0):
            out.append(_f("score-out-of-range", score_cell, ind,
                          {"indicator_name": name, "found": rc.self, "expected": rc.weight}, rc.weight, rc.self,
                          file, proj))
        if rc.diff is not None and rc.diff > TOLERANCE:
            out.append(_f("self-score-above-rule", score_cell, ind,
                          {"indicator_name": name, "found": rc.self, "expected": rc.recomputed, "how": rc.how,
                           "diff": round_half_up(rc.diff, 4)}, rc.recomputed, rc.self, file, proj))
        reason = rc.row.get("reason")
        if has_reason and norm(reason) in ("", "/", "无") and rc.weight is not None and not rc.na and rc.self < rc.weight:
            out.append(_f("deduction-without-reason", rc.row.cell("reason") or score_cell, ind,
                          {"indicator_name": name, "found": rc.self, "expected": rc.weight}, rc.weight, rc.self,
                          file, proj))
        if rc.unscorable:
            out.append(_f("foreign-row-unscorable", rc.row.cell("actual") or score_cell, ind,
                          {"indicator_name": name, "why": rc.unscorable}, file=file, project=proj))
    for rc in fc.rows:
        if rc.na and has_reason and norm(rc.row.get("reason")) in ("", "/"):
            kind = fc.spec.targets.kind(rc.kind)
            out.append(_f("target-not-applicable-without-reason", rc.row.cell("reason"), rc.indicator,
                          {"kind": kind.label, "row": rc.n, "name": rc.row.name}, file=file, project=proj))
    for node in fc.spec.tree:                       # a kind's row weights add up to its 一级指标 weight
        kind = (node.rule.params.get("kind") if node.rule else None)
        rows = [rc for rc in fc.rows if kind and rc.kind == kind]
        if not rows:
            continue
        s = sum((rc.weight for rc in rows if rc.weight is not None), Decimal(0))
        if s != node.weight:
            out.append(_f("target-weight-sum", rows[0].row.cell("weight"), kind,
                          {"kind": node.name, "found": s, "expected": node.weight}, node.weight, s, file, proj))
    out += _funds(fc, file, proj)
    out += _total(fc, file, proj)
    return out


def _funds(fc: FormCheck, file, proj) -> list[Finding]:
    out = []
    total = fc.form.funds.get("total", {})
    money = total or next(iter(fc.form.funds.values()), {})
    cell = money["score"].cell if "score" in money else ""
    if fc.funds_self is not None and fc.funds_recomputed is not None and fc.funds_self - fc.funds_recomputed > TOLERANCE:
        out.append(_f("self-score-above-rule", cell, "funds",
                      {"indicator_name": "预算执行率", "found": fc.funds_self, "expected": fc.funds_recomputed,
                       "how": f"执行率 {fc.exec_rate if fc.exec_rate is None else f'{fc.exec_rate * 100:.2f}%'}",
                       "diff": round_half_up(fc.funds_self - fc.funds_recomputed, 4)},
                      fc.funds_recomputed, fc.funds_self, file, proj))
    if fc.funds_self is not None and fc.funds_weight is not None and fc.funds_self > fc.funds_weight:
        out.append(_f("score-out-of-range", cell, "funds", {"indicator_name": "预算执行率", "found": fc.funds_self,
                                                             "expected": fc.funds_weight}, file=file, project=proj))
    if "rate" in money and fc.exec_rate is not None:
        typed = number(money["rate"].value)
        if typed is not None and typed > Decimal("1.5") and fc.exec_rate <= Decimal("1.5"):
            typed = typed / 100
        if typed is not None and abs(typed - fc.exec_rate) > Decimal("0.00005"):
            out.append(_f("exec-rate-mismatch", money["rate"].cell, "funds",
                          {"label": "执行率", "found": typed, "expected": fc.exec_rate}, fc.exec_rate, typed, file, proj))
    sources = [s for s in fc.spec.funds.sources if s in fc.form.funds]
    if total and sources:
        for k, label in (("adjusted", "全年预算数"), ("actual", "全年执行数")):
            if k not in total:
                continue
            parts = [number(fc.form.funds[s][k].value) for s in sources if k in fc.form.funds[s]]
            t = number(total[k].value)
            if t is not None and any(p is not None for p in parts):
                s = sum((p for p in parts if p is not None), Decimal(0))
                if abs(s - t) > Decimal("0.005"):
                    out.append(_f("fund-total-mismatch", total[k].cell, "funds",
                                  {"label": f"年度资金总额{label}", "found": t, "expected": s}, s, t, file, proj))
    return out


def _total(fc: FormCheck, file, proj) -> list[Finding]:
    out = []
    if fc.self_total is not None and fc.rows_total is not None and \
            round_half_up(fc.self_total, 2) != round_half_up(fc.rows_total, 2):
        out.append(_f("total-mismatch", fc.self_total_cell, "total",
                      {"found": fc.self_total, "expected": fc.rows_total}, fc.rows_total, fc.self_total, file, proj))
    if fc.diff is not None and fc.diff > TOLERANCE:
        s = fc.self_total if fc.self_total is not None else fc.rows_total
        out.append(_f("self-total-above-rule", fc.self_total_cell, "total",
                      {"label": proj, "found": s, "expected": fc.recomputed_total, "diff": round_half_up(fc.diff, 4)},
                      fc.recomputed_total, s, file, proj))
    return out

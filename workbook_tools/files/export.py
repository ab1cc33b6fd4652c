"""`wbtool export`: everything a workbook holds and the engine computes, as one documented JSON object."""
from __future__ import annotations

from pathlib import Path

from workbook_tools.model.engine import compute, Result, tally_projects
from workbook_tools.model.layout import fund_columns, narrative_keys, narrative_text
from workbook_tools.numbers import jsonable, to_float  # noqa: F401  (jsonable re-exported)
from workbook_tools.files.reader import Forms, Returned, read_workbook_forms
from workbook_tools.model.projectbook import fund_types
from workbook_tools.errors import UnreadableInput

SCHEMA = "wbtool.export/1"


def export_data(ret: Returned, result: Result | None = None) -> dict:
    """The export object of a read workbook (see docs/export.md for the schema)."""
    spec, L = ret.spec, ret.layout
    result = result or compute(spec, ret.inputs)
    covered = ret.cover()
    cover = {f.key: {"label": f.label, "value": jsonable(covered[f.key]), "cell": L[f"cover.{f.key}"].addr}
             for f in spec.cover}
    totals = {k: jsonable(result.values.get(f"summary.{k}")) for k in
              ("raw", "applicable_weight", "scaled", "penalty", "cap", "total", "display", "grade")
              if f"summary.{k}" in L.cells}
    narrative = {f.key: {"label": f.label, "text": narrative_text(ret.inputs, f),
                         "cell": L[narrative_keys(f)[0]].addr} for f in spec.narrative}
    return {"schema": SCHEMA, "file": Path(ret.source).name, "sha256": ret.sha256, "narrative": narrative,
            "spec": {"id": spec.id, "version": spec.version, "fingerprint": spec.fingerprint,
                     "title": spec.title, "file_fingerprint": ret.meta.get("fingerprint"), **spec_origin(ret.meta)},
            "cover": cover, "funds": _funds(ret, result.values), "targets": _targets(ret, result.values),
            "indicators": [_indicator(ret, result, node) for node in spec.nodes()], "totals": totals}


def _funds(ret: Returned, cv: dict) -> dict:
    """The 资金 block: each source's columns (typed or computed), the totals, the execution rate, mid-year."""
    spec, L = ret.spec, ret.layout
    cols = [k for k, _ in fund_columns(spec)]
    sources = []
    for i, name in enumerate(spec.funds.sources):
        row = {"source": name}
        for k in cols:
            key = f"funds.{i}.{k}"
            row[k] = jsonable(cv.get(key) if L[key].role == "formula" else ret.inputs.get(key))
        row["cells"] = {k: L[f"funds.{i}.{k}"].addr for k in cols}
        sources.append(row)
    funds = {"unit": spec.money_unit, "sources": sources,
             "total": {k: jsonable(cv.get(f"funds.total.{k}")) for k in cols},
             "exec_rate": jsonable(cv.get("funds.exec_rate")),
             "low_rate_reason": jsonable(ret.inputs.get("funds.low_rate_reason")),
             "adjust_reason": jsonable(ret.inputs.get("funds.adjust_reason"))}
    if spec.funds.midyear:
        funds["midyear"] = {"label": spec.funds.midyear.label, "progress": jsonable(cv.get("funds.mid_progress")),
                            "target": jsonable(spec.funds.midyear.target_progress),
                            "gap_points": jsonable(cv.get("funds.mid_gap"))}
    return funds


def _targets(ret: Returned, cv: dict) -> list[dict]:
    """The 绩效目标 rows that hold anything, each with its kind, ratio and (scored kinds) score."""
    L = ret.layout
    targets = []
    for kind in ret.spec.targets.kinds:
        for n in range(1, kind.rows + 1):
            b = f"target.{kind.key}.{n}"
            keys = ("category", "name", "direction", "initial", "value", "unit", "actual", "weight", "coef", "score",
                    "reason")
            row = {k: jsonable(ret.inputs.get(f"{b}.{k}")) for k in keys if f"{b}.{k}" in L.cells
                   and L.cells[f"{b}.{k}"].role == "input"}
            extra = {x.key: jsonable(ret.inputs.get(f"{b}.x_{x.key}")) for x in ret.spec.targets.extra_columns}
            if all(v in (None, "") for v in row.values()):
                continue
            row.update(kind=kind.key, kind_label=kind.label, row=n, cell=L[f"{b}.name"].addr,
                       ratio=jsonable(cv.get(f"{b}.ratio")),
                       # as the row is read (≥90% → ≥ and 0.9: model/targetvalue)
                       direction_read=jsonable(cv.get(f"{b}.dir")), value_read=jsonable(cv.get(f"{b}.ev")),
                       actual_read=jsonable(cv.get(f"{b}.gv")))
            if kind.scored:
                row["score"] = jsonable(cv.get(f"{b}.score"))
            if extra:
                row["extra"] = extra           # the spec's descriptive columns (是否核心指标 …), by key
            targets.append(row)
    return targets


def _indicator(ret: Returned, result: Result, node) -> dict:
    """One indicator: its weight and scores (typed and computed); a leaf also its rule, reason and basis."""
    L, cv, b = ret.layout, result.values, f"node.{node.id}"
    item = {"id": node.id, "name": node.name, "path": node.path(), "level": node.depth,
            "weight": jsonable(node.weight), "leaf": node.is_leaf, "cell": L[f"{b}.score"].addr,
            "score": jsonable(ret.value(f"{b}.score")),
            "computed": jsonable(cv.get(f"{b}.score"))}
    if node.is_leaf:
        item.update(rule=node.rule.type, rule_label=node.rule.label,
                    rule_score=jsonable(result.rule_scores.get(node.id)),
                    reason=jsonable(ret.inputs.get(f"{b}.reason")),
                    basis=jsonable(cv.get(f"{b}.basis") if L.get(f"{b}.basis") and L[f"{b}.basis"].role == "formula"
                                   else ret.inputs.get(f"{b}.basis")),
                    applicable=ret.inputs.get(f"{b}.applicable") != "不适用")
        if node.rule.impl.items(node.rule.params):
            item["items"] = [{"name": name, "points": jsonable(pts),
                              "met": ret.inputs.get(f"item.{node.id}.{j}.met") == "是"}
                             for j, (name, pts) in enumerate(node.rule.impl.items(node.rule.params), 1)]
    return item


def spec_origin(meta: dict) -> dict:
    """Where the spec that read the file came from and how the file's own copy compares (speclib)."""
    return {"origin": meta.get("_spec_origin"), "sha256": meta.get("_spec_sha256") or None,
            "embedded": meta.get("_embedded"), "embedded_sha256": meta.get("_embedded_sha256")}


PROJECTS_SCHEMA = "wbtool.projects/1"


def export_forms(forms: Forms) -> dict:
    """A classic workbook's export object, or a project workbook's: every project's form plus the list totals."""
    if not forms.is_projects:
        return export_data(forms.forms[0])
    spec = forms.spec
    projects, results = [], []
    for ret in forms.forms:
        res = compute(spec, ret.inputs)
        results.append(res)
        item = export_data(ret, res)
        for k in ("schema", "file", "sha256", "spec"):
            item.pop(k)
        projects.append({"sheet": ret.layout.form, "status": res.values.get("list.status"), **item})
    t = tally_projects(fund_types(spec), [r.values for r in results])
    return {"schema": PROJECTS_SCHEMA, "file": Path(forms.source).name, "sha256": forms.sha256,
            "spec": {"id": spec.id, "version": spec.version, "fingerprint": spec.fingerprint, "title": spec.title,
                     "file_fingerprint": forms.meta.get("fingerprint"), **spec_origin(forms.meta)},
            "totals": {"projects": len(projects), "evaluated": t.count, "counts": t.counts,
                       "average": jsonable(t.average), "budget": jsonable(t.budget), "actual": jsonable(t.actual),
                       "exec_rate": jsonable(t.rate)},
            "projects": projects}


def export_workbook(path: str | Path) -> dict:
    try:
        forms = read_workbook_forms(path)
    except UnreadableInput as e:
        from workbook_tools.foreign import is_foreign_candidate      # the rare path (see validate_workbook)
        from workbook_tools.foreign.describe import export_foreign
        if not is_foreign_candidate(path, e):
            raise
        return export_foreign(path)
    return export_forms(forms)

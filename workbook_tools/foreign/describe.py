"""What `wbtool inspect` and `wbtool export` say about a foreign file: blocks, cells, rows, scores (JSON-able)."""
from __future__ import annotations

from pathlib import Path

from workbook_tools.errors import UnreadableInput
from workbook_tools.numbers import jsonable
from workbook_tools.foreign import (
    _block_zh, FOREIGN_SCHEMA, form_row, is_foreign_candidate, not_understood, read_foreign)
from workbook_tools.foreign.anchors import FoundForm
from workbook_tools.foreign.rescore import rescore
from workbook_tools.files.reader import read_workbook_forms


def _form(f: FoundForm) -> dict:
    return {"sheet": f.sheet, "region": f.region, "title": None if f.title is None else jsonable(f.title.value),
            "blocks": [{"block": b.name, "label": b.label, "range": b.range} for b in f.blocks],
            "fields": {k: {"value": jsonable(v.value), "cell": v.cell} for k, v in f.fields.items()},
            "funds": {name: {k: {"value": jsonable(v.value), "cell": v.cell} for k, v in cols.items()}
                      for name, cols in f.funds.items()},
            "goal": {k: {"value": jsonable(v.value), "cell": v.cell} for k, v in f.goal.items()},
            "missing": [{"block": b, "name": _block_zh(b), "labels": labels} for b, labels in f.missing],
            "absent": [{"block": b, "name": _block_zh(b), "labels": labels} for b, labels in f.absent]}


def describe(path, layout: str | None = None) -> dict:
    """The whole picture of a file: ours (spec) or foreign (layout, forms, rows with self and recomputed scores)."""
    try:
        forms = read_workbook_forms(path)
        return {"schema": FOREIGN_SCHEMA, "file": Path(path).name, "kind": "wbtool", "understood": True,
                "spec": {"id": forms.spec.id, "version": forms.spec.version, "title": forms.spec.title},
                "forms": [{"sheet": r.layout.form or "", "region": ""} for r in forms.forms]}
    except UnreadableInput as e:
        if not is_foreign_candidate(path, e):
            raise
    fr = read_foreign(path, layout)
    out = {"schema": FOREIGN_SCHEMA, "file": Path(path).name, "kind": "foreign", "format": fr.book.format,
           "sha256": fr.book.sha256, "sheets": [g.name for g in fr.book.sheets],
           "layout": None if fr.layout is None else {"id": fr.layout.id, "title": fr.layout.title,
                                                      "spec": fr.layout.spec},
           "understood": fr.understood, "forms": [], "not_understood": [_form(f) for f in fr.failed]}
    if not fr.understood:
        out["message"] = not_understood(fr).zh
        return out
    for f in fr.forms:
        fc = rescore(f, fr.layout, str(path))
        item = _form(f)
        item["rows"] = [{"kind": rc.kind, "n": rc.n, "level1": rc.row.level1, "level2": rc.row.level2,
                         "name": rc.row.name, "row": rc.row.row + 1,
                         "cells": {k: v.cell for k, v in rc.row.values.items()},
                         "values": {k: jsonable(v.value) for k, v in rc.row.values.items() if k != "name"},
                         "weight": jsonable(rc.weight), "self": jsonable(rc.self), "recomputed": jsonable(rc.recomputed),
                         "diff": jsonable(rc.diff), "how": rc.how, "unscorable": rc.unscorable or None,
                         "not_applicable": rc.na} for rc in fc.rows]
        item["score"] = form_row(fc)
        item["funds_score"] = {"weight": jsonable(fc.funds_weight), "self": jsonable(fc.funds_self),
                               "recomputed": jsonable(fc.funds_recomputed), "exec_rate": jsonable(fc.exec_rate)}
        item["findings"] = [x.to_dict() for x in fc.findings]
        out["forms"].append(item)
    return out


def _n(v):
    """880.0 → 880, 9.974 stays: how a reviewer reads a figure."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return "" if v is None else v


def render_text(d: dict, lang: str = "zh") -> str:
    en = lang == "en"
    lines = [f"{d['file']}："]
    if d["kind"] == "wbtool":
        s = d["spec"]
        lines.append(f"  wbtool 模板（规格 {s['id']}，版本 {s['version']}，{len(d['forms'])} 张表）" if not en else
                     f"  a wbtool template (spec {s['id']} {s['version']}, {len(d['forms'])} form(s))")
        return "\n".join(lines)
    lay = d.get("layout") or {}
    lines.append(("  format {format}, sheets: " if en else "  格式 {format}，工作表：").format(**d) + "、".join(d["sheets"]))
    if lay:
        lines.append(f"  {'layout' if en else '表式'} {lay['id']}（{lay['title']}；{'scored with' if en else '计分规格'} {lay['spec']}）")
    for i, f in enumerate(d["forms"], 1):
        lines.append(f"  [{i}] {'sheet' if en else '工作表'}“{f['sheet']}” {f['region']}")
        for b in f["blocks"]:
            lines.append(f"      {b['block']:<20} {b['range']:<12} {str(b['label']).replace(chr(10), '')}")
        for a in f["absent"]:
            lines.append(f"      {a['block']:<20} {'not found (optional)' if en else '未找到（可选）'}：{a['labels']}")
        for k, v in f["fields"].items():
            lines.append(f"      {k:<20} {v['cell']:<24} {_n(v['value'])}")
        for name, cols in f["funds"].items():
            vals = "  ".join(f"{k}={_n(v['value'])}" for k, v in cols.items() if v["value"] is not None)
            lines.append(f"      funds:{name:<14} {vals}")
        lines.append("      " + ("rows (self → recomputed):" if en else "指标行（自评 → 复核）："))
        for r in f["rows"]:
            rec = "—" if r["recomputed"] is None else r["recomputed"]
            mark = " ▲" if r["diff"] is not None and r["diff"] > 0.005 else ""
            why = f"  [{r['unscorable']}]" if r["unscorable"] else ""
            lines.append(f"        {r['cells'].get('score', ''):<24} {r['kind'] or '?':<12} {r['name'][:28]:<28} "
                         f"{_n(r['weight'])} | {_n(r['self'])} → {_n(rec)}{mark}{why}")
        fs, sc = f["funds_score"], f["score"]
        lines.append(f"      {'budget execution' if en else '预算执行率'} {_n(fs['exec_rate'])}：{_n(fs['self'])} → "
                     f"{_n(fs['recomputed'])}")
        lines.append(f"      {'total' if en else '总分'}：{_n(sc['self'])} → {_n(sc['recomputed'])}"
                     f"（{'difference' if en else '差'} {_n(sc['diff'])}）")
        for x in f["findings"]:
            lines.append(f"      ! {x['cell']} {x['code']}: {x['message']}")
    for f in d.get("not_understood", []):
        lines.append(f"  {'not understood' if en else '无法识别'}：{'sheet' if en else '工作表'}“{f['sheet']}” {f['region']}")
        for m in f["missing"]:
            lines.append(f"      {'missing' if en else '未找到'} {m['name']}：{m['labels']}")
        for a in f["absent"]:
            lines.append(f"      {'not found (optional)' if en else '未找到（可选）'} {a['name']}：{a['labels']}")
    if not d["understood"]:
        lines.append("  " + d.get("message", ""))
    return "\n".join(lines)


def export_foreign(path, layout: str | None = None) -> dict:
    d = describe(path, layout)
    if not d["understood"]:
        raise not_understood(read_foreign(path, layout))
    return d

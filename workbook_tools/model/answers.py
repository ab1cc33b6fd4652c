"""Answers files: a readable YAML of what a unit enters, turned into input values by layout key."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from workbook_tools.errors import UsageError
from workbook_tools.model.layout import CELL_MAX_CHARS, NA, NO, YES, layout_for, narrative_keys
from workbook_tools.model.spec import Spec

FUND_KEYS = ("initial", "adjusted", "actual", "mid_budget", "mid_actual", "projects")
TARGET_KEYS = ("category", "name", "direction", "value", "unit", "actual", "weight", "reason")


def load_answers(path: str | Path) -> dict:
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as e:
        raise UsageError(f"无法读取填报数据文件 {path}：{e}", f"cannot read answers file {path}: {e}") from None
    if not isinstance(doc, dict):
        raise UsageError(f"填报数据文件 {path} 顶层应为映射", f"answers file {path} must be a mapping")
    return doc


def answers_to_values(spec: Spec, doc: dict) -> dict[str, object]:
    """Map an answers document onto layout keys; unknown names are usage errors, not silently dropped."""
    L = layout_for(spec)
    out: dict[str, object] = {}

    def put(key, value, where):
        if key not in L.cells or L.cells[key].role not in ("input", "const"):
            raise UsageError(f"填报数据中的 {where} 在表单 {spec.id} 中不存在", f"{where} is not in form {spec.id}")
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        out[key] = value

    for k, v in (doc.get("cover") or {}).items():
        put(f"cover.{k}", v, f"cover.{k}")
    sources = list(spec.funds.sources)
    for src, row in (doc.get("funds") or {}).items():
        if src in ("low_rate_reason", "adjust_reason"):
            put(f"funds.{src}", row, f"funds.{src}")
            continue
        if src not in sources:
            raise UsageError(f"资金来源“{src}”不在表单中（可用：{'、'.join(sources)}）", f"unknown fund source {src}")
        for k, v in (row or {}).items():
            put(f"funds.{sources.index(src)}.{k}", v, f"funds.{src}.{k}")
    for kind, rows in (doc.get("targets") or {}).items():
        for n, row in enumerate(rows or [], 1):
            for k, v in (row or {}).items():
                put(f"target.{kind}.{n}.{k}", v, f"targets.{kind}[{n}].{k}")
    for nid, entry in (doc.get("scores") or {}).items():
        entry = entry if isinstance(entry, dict) else {"score": entry}
        for k, v in entry.items():
            if k == "items":
                for j, met in enumerate(v, 1):
                    put(f"item.{nid}.{j}.met", YES if met in (True, YES) else NO, f"scores.{nid}.items[{j}]")
            elif k == "applicable":
                put(f"node.{nid}.applicable", "适用" if v in (True, "适用") else NA, f"scores.{nid}.applicable")
            else:
                put(f"node.{nid}.{k}", v, f"scores.{nid}.{k}")
    for k, v in (doc.get("notes") or {}).items():
        put(k, v, k)
    fields = {f.key: f for f in spec.narrative}
    for k, text in (doc.get("narrative") or {}).items():
        if k not in fields:
            raise UsageError(f"填报数据中的 narrative.{k} 在表单 {spec.id} 中不存在（可用：{'、'.join(fields) or '无'}）",
                             f"narrative.{k} is not in form {spec.id}")
        for key, part in zip(narrative_keys(fields[k]), split_narrative(str(text or "").strip(), fields[k].cells, k)):
            put(key, part, f"narrative.{k}")
    return out


def split_narrative(text: str, cells: int, where: str = "", limit: int = CELL_MAX_CHARS) -> list[str]:
    """A narrative text over its cells, whole paragraphs per cell (a cell holds at most ``limit`` characters)."""
    parts: list[str] = []
    for para in text.split("\n"):
        if len(para) > limit:
            raise UsageError(f"narrative.{where} 有一段超过 {limit} 字，请分段", f"narrative.{where}: a paragraph exceeds {limit} characters")
        if parts and len(parts[-1]) + 1 + len(para) <= limit:
            parts[-1] += "\n" + para
        else:
            parts.append(para)
    if len(parts) > cells:
        raise UsageError(f"narrative.{where} 过长：需要 {len(parts)} 个单元格，表单只有 {cells} 个",
                         f"narrative.{where} is too long: needs {len(parts)} cells, the form has {cells}")
    return parts

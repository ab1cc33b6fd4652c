"""A unit's list of projects (projects.csv / .xlsx): one row per project, columns named by the form's cover labels."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from workbook_tools.errors import UsageError
from workbook_tools.model.spec import Spec
from workbook_tools.files.tables import Table, code_text, read_table

MAX_PROJECTS = 2000         # a town had 225; far more is a mistake (wrong file) and an unusable workbook
_ALIASES = {"projectName": ("名称",), "projectCode": ("编码", "项目代码"), "fundType": ("资金类型", "资金性质"),
            "unitName": ("单位名称",), "agencyCode": ("单位代码",), "fiscalYear": ("年份", "评价年度")}


@dataclass
class ProjectRow:
    row: int                                   # row number in the file, for messages
    values: dict[str, object] = field(default_factory=dict)    # cover.<key> → value


def _norm(h) -> str:
    s = str(h).translate(str.maketrans("（）【】", "()[]"))
    s = re.sub(r"\(必填\)|[\s:：*＊]", "", s)
    return s.casefold()


def _loose(h) -> str:
    return re.sub(r"\([^)]*\)", "", _norm(h))


def _columns(table: Table, spec: Spec) -> dict[str, str]:
    """cover key → header: exact label or key first, then the label without its bracketed part, then aliases."""
    heads = {_norm(h): h for h in table.headers}
    out: dict[str, str] = {}
    for f in spec.cover:
        for cand in (f.label, f.key):
            if _norm(cand) in heads:
                out[f.key] = heads[_norm(cand)]
                break
    taken = set(out.values())
    for f in spec.cover:
        if f.key in out:
            continue
        names = [_loose(f.label)] + [_norm(a) for a in _ALIASES.get(f.key, ())]
        hits = [h for h in table.headers if h not in taken and (_loose(h) in names or _norm(h) in names)]
        if len(hits) == 1:
            out[f.key] = hits[0]
            taken.add(hits[0])
    return out


def read_project_list(path: str | Path, spec: Spec, *, limit: int | None = MAX_PROJECTS) -> list[ProjectRow]:
    """Projects in file order; 项目名称 is required, codes must be unique, 资金性质 one of the form's choices.

    ``limit``: at most this many rows (one workbook's worth); None for a bureau-wide list split by unit."""
    table = read_table(path)
    cols = _columns(table, spec)
    fields = {f.key: f for f in spec.cover}
    if "projectName" not in cols:
        raise UsageError(f"项目清单 {table.name} 缺少“项目名称”列。现有列：{'、'.join(table.headers)}。"
                         f"列名使用自评表封面的项目名称，如 项目名称、项目编码、资金性质、主管部门、实施单位。",
                         f"project list {table.name} has no 项目名称 column (columns: {', '.join(table.headers)})")
    rows, problems, codes = [], [], {}
    for n, raw in table.rows:
        vals = {}
        for key, head in cols.items():
            v = raw.get(head)
            if v is None or (isinstance(v, str) and not v.strip()):
                continue
            f = fields[key]
            if f.type == "code":
                v = code_text(v)
            elif f.type == "year":
                v = int(float(v)) if re.fullmatch(r"\d{4}(\.0+)?", str(v).strip()) else v
            vals[f"cover.{key}"] = v
        if not vals:
            continue
        if "cover.projectName" not in vals:
            problems.append((f"第 {n} 行缺少项目名称", f"row {n} lacks the project name"))
        ft = vals.get("cover.fundType")
        choices = fields["fundType"].choices if "fundType" in fields else ()
        if ft is not None and choices and ft not in choices:
            problems.append((f"第 {n} 行资金性质“{ft}”不是 {'/'.join(choices)} 之一",
                             f"row {n}: fund type '{ft}' is not one of {', '.join(choices)}"))
        code = vals.get("cover.projectCode")
        if code:
            codes.setdefault(code, []).append(n)
        rows.append(ProjectRow(n, vals))
    problems += [(f"项目编码 {c} 重复（第 {'、'.join(map(str, ns))} 行）", f"project code {c} repeated (rows {ns})")
                 for c, ns in codes.items() if len(ns) > 1]
    if not rows:
        problems.append(("没有任何项目行", "no project rows"))
    if limit is not None and len(rows) > limit:
        problems.append((f"共 {len(rows)} 个项目，超过一个工作簿可容纳的 {limit} 个，请按单位分开",
                         f"{len(rows)} projects, more than {limit} per workbook"))
    if problems:
        more = f"；另有 {len(problems) - 10} 处" if len(problems) > 10 else ""
        raise UsageError(f"项目清单 {table.name} 有问题：{'；'.join(z for z, _ in problems[:10])}{more}。",
                         f"project list {table.name}: {'; '.join(e for _, e in problems[:10])}")
    return rows

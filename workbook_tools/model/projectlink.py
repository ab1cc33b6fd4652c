"""Where the overall form meets the project forms: 开展绩效自评项目数 per source and their average score."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from workbook_tools.model.engine import Tally, compute, tally_projects
from workbook_tools.errors import UsageError
from workbook_tools.model.projectbook import fund_types
from workbook_tools.files.reader import read_workbook_forms
from workbook_tools.model.spec import Spec
from workbook_tools.files.tables import code_text


@dataclass
class ProjectTally:
    """The projects of one or more project workbooks (or one-project files), counted as the 项目清单 counts them."""
    tally: Tally
    files: list[str] = field(default_factory=list)
    forms: int = 0


def tally_project_files(paths) -> ProjectTally:
    """Read project workbooks and one-project files; the same project (by code) in two places is a usage error."""
    rows, files, spec, seen = [], [], None, {}
    for path in paths:
        forms = read_workbook_forms(path)
        if forms.spec.kind != "project":
            raise UsageError(f"{Path(path).name} 不是项目支出绩效自评表（表单 {forms.spec.id}），不能作为 --projects。",
                             f"{Path(path).name} is not a project form (form {forms.spec.id})")
        if spec is not None and forms.spec.id != spec.id:
            raise UsageError(f"--projects 的文件来自不同的表单（{spec.id} 与 {forms.spec.id}）。",
                             f"--projects files come from different forms ({spec.id}, {forms.spec.id})")
        spec = forms.spec
        files.append(str(path))
        for ret in forms.forms:
            code = code_text(ret.inputs.get("cover.projectCode"))
            where = f"{Path(path).name}" + (f" {ret.layout.form}" if ret.layout.form else "")
            if code and code in seen:
                raise UsageError(f"项目编码 {code} 出现两次：{seen[code]} 与 {where}。请去掉重复的项目表后重试。",
                                 f"project code {code} appears twice: {seen[code]} and {where}")
            if code:
                seen[code] = where
            rows.append(compute(spec, ret.inputs).values)
    if spec is None:
        raise UsageError("没有给出项目工作簿。", "no project workbook given")
    return ProjectTally(tally_projects(fund_types(spec), rows), files, len(rows))


def overall_inputs(spec: Spec, pt: ProjectTally) -> dict[str, object]:
    """The overall form's input values the projects determine (layout key → value)."""
    if not spec.funds.project_counts:
        raise UsageError(f"表单 {spec.id} 没有“开展绩效自评项目数”栏，不能用 --projects。",
                         f"form {spec.id} has no project-count column; --projects does not apply")
    out: dict[str, object] = {}
    for i, src in enumerate(spec.funds.sources):
        out[f"funds.{i}.projects"] = sum(n for t, n in pt.tally.counts.items() if spec.funds.project_types.get(t) == src)
    if spec.funds.project_average:
        avg = pt.tally.average
        out["funds.projects_average"] = float(avg) if avg is not None else None
    return out


def unmapped_types(spec: Spec, pt: ProjectTally) -> list[str]:
    """Fund types with self-evaluated projects that no source row of the overall form takes."""
    return [t for t, n in pt.tally.counts.items() if n and t not in spec.funds.project_types]


def expected_average(pt: ProjectTally) -> Decimal | None:
    return pt.tally.average

"""The overall form against its unit's project forms (validate --projects): counts per source and the average."""
from __future__ import annotations

from pathlib import Path

from workbook_tools.numbers import num, round_half_up
from workbook_tools.model.projectlink import overall_inputs, unmapped_types


def check(ctx, pt):
    """Findings when the overall form's project figures differ from the project workbooks ``pt`` (a ProjectTally)."""
    spec = ctx.spec
    if not spec.funds.project_counts:
        return
    want = overall_inputs(spec, pt)
    files = "、".join(Path(f).name for f in pt.files)
    for i, src in enumerate(spec.funds.sources):
        key = f"funds.{i}.projects"
        have = ctx.ret.inputs.get(key)
        n = num(have)
        if n is None and want[key] == 0:
            continue
        if n is None or n != want[key]:
            yield ctx.finding("projects-count-mismatch", key, source=src, expected=want[key], found=have, files=files)
    if spec.funds.project_average:
        have = ctx.ret.inputs.get("funds.projects_average")
        exp = pt.tally.average
        n = num(have)
        both_empty = exp is None and n is None
        if not both_empty and (exp is None or n is None or round_half_up(n, 2) != exp):
            yield ctx.finding("projects-average-mismatch", "funds.projects_average", expected=exp, found=have,
                              count=pt.tally.count, files=files)
    for t in unmapped_types(spec, pt):
        yield ctx.finding("projects-type-unmapped", "funds.0.projects", fund_type=t, found=pt.tally.counts[t])

"""`wbtool fill`: restore standard formulas and store the engine's values in every formula cell."""
from __future__ import annotations

import io
import re
from functools import lru_cache
from dataclasses import dataclass, field
from pathlib import Path

from workbook_tools.files.atomic import Stamp, atomic_output, make_backup
from workbook_tools.cells import CellWrite
from workbook_tools.model.engine import Result, Tally, compute, tally_projects
from workbook_tools.files.reader import Forms, Returned, read_forms, read_workbook_forms
from workbook_tools.files.xlsxfile import FileBook
from workbook_tools.model.layout import legacy_formula
from workbook_tools.numbers import to_float
from workbook_tools.model.projectbook import fund_types
from workbook_tools.model.projectlink import overall_inputs
from workbook_tools.errors import UsageError

_STR = re.compile(r'"(?:[^"]|"")*"')


@lru_cache(maxsize=8192)   # the same template formulas recur in every returned file
def normalize_formula(f: str | None) -> str:
    """Formula text compared by meaning: no spaces, $, sheet quotes or case outside string literals."""
    if not f:
        return ""
    out, pos = [], 0
    for m in _STR.finditer(f):
        out.append(re.sub(r"[\s$']", "", f[pos:m.start()]).upper())
        out.append(m.group(0))
        pos = m.end()
    out.append(re.sub(r"[\s$']", "", f[pos:]).upper())
    s = "".join(out)
    return s[1:] if s.startswith("=") else s


def overwritten_formulas(ret: Returned) -> set[str]:
    """Formula cells whose formula is missing or different from the template's."""
    out = set()
    for c in ret.layout.by_role("formula"):
        have = ret.stored[c.key]
        if normalize_formula(have.formula) != normalize_formula(c.formula):
            old = legacy_formula(c.key, c.formula)
            if old is None or normalize_formula(have.formula) != normalize_formula(old):
                out.add(c.key)
    return out


def cell_value(v):
    """Engine value → what a cell stores (Decimal → float, None → "")."""
    from decimal import Decimal

    if isinstance(v, (Decimal, float)):
        return to_float(v)          # beyond a float (inf, NaN): None, never <v>inf</v>
    return v


@dataclass
class Restored:
    cell: str
    key: str
    expected: str
    found: object


@dataclass
class FillReport:
    source: str
    output: str
    backup: str | None
    result: Result
    restored: list[Restored] = field(default_factory=list)
    written: int = 0
    results: list[Result] = field(default_factory=list)    # one per form (project workbooks: per project)
    tally: Tally | None = None                              # project workbooks: the 项目清单 totals
    forms: Forms | None = None
    inputs: dict = field(default_factory=dict)             # input cells written first (fill --projects)


def plan_writes(ret: Returned, result: Result) -> tuple[list[CellWrite], list[Restored]]:
    """Writes that put the standard formula and the engine's value into every formula cell."""
    writes, restored = [], []
    for c in ret.layout.by_role("formula"):
        have = ret.stored[c.key]
        formula = c.formula
        if normalize_formula(have.formula) == normalize_formula(c.formula):
            formula = have.formula          # keep the file's own spelling of the same formula
        else:
            restored.append(Restored(c.addr, c.key, c.formula, have.formula or have.value))
        writes.append(CellWrite(c.sheet, c.coord, cell_value(result.values.get(c.key)), formula))
    return writes, restored


def plan_totals(forms: Forms, results: list[Result], *, keep_typed: bool = False
                ) -> tuple[list[CellWrite], list[Restored], Tally | None]:
    """Writes for a project workbook's 项目清单 totals, from every form's list row (none for a classic form);
    ``keep_typed`` leaves typed-over totals as they are instead of restoring them."""
    if not forms.is_projects:
        return [], [], None
    P = forms.projects
    tally = tally_projects(fund_types(forms.spec), [r.values for r in results])
    writes, restored = [], []
    for key in P.totals:
        c, have = P.shared[key], forms.totals[key]
        formula = c.formula
        if normalize_formula(have.formula) == normalize_formula(c.formula):
            formula = have.formula
        elif keep_typed:
            continue
        else:
            restored.append(Restored(c.addr, key, c.formula, have.formula or have.value))
        writes.append(CellWrite(c.sheet, c.coord, cell_value(tally.values.get(key)), formula))
    return writes, restored, tally


def plan_forms(forms: Forms, inputs: dict | None = None):
    """Every form computed and its writes planned (``inputs`` adds values to the first form's inputs)."""
    writes, restored, results = [], [], []
    for ret in forms.forms:
        if inputs:
            ret.inputs.update(inputs)
        res = compute(ret.spec, ret.inputs)
        w, r = plan_writes(ret, res)
        writes += w
        restored += r
        results.append(res)
    w, r, tally = plan_totals(forms, results)
    return writes + w, restored + r, results, tally


def refresh_values(data: bytes, source: str = "workbook", spec=None) -> bytes:
    """Store in every intact formula cell the value Excel would show; typed-over cells are left as they are."""
    book = FileBook(source, data)
    forms = read_forms(book, spec=spec)
    writes, results = [], []
    for ret in forms.forms:
        over = overwritten_formulas(ret)
        res = compute(ret.spec, ret.inputs, {k: ret.stored[k].value for k in over})
        results.append(res)
        writes += [CellWrite(c.sheet, c.coord, cell_value(res.values.get(c.key)), ret.stored[c.key].formula)
                   for c in ret.layout.by_role("formula") if c.key not in over]
    writes += plan_totals(forms, results, keep_typed=True)[0]
    book.write_cells(writes)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def recalc_bytes(data: bytes, source: str = "workbook", spec=None) -> bytes:
    """Compute and store every formula value of an in-memory workbook (used by the template builder)."""
    book = FileBook(source, data)
    writes, _, _, _ = plan_forms(read_forms(book, spec=spec))
    book.write_cells(writes)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def fill_workbook(path: str | Path, output: str | Path | None = None, *, backup: bool = True,
                  spec=None, inputs: dict | None = None, projects=None) -> FillReport:
    """Fill ``path`` into ``output`` (or in place, keeping a backup); atomic, the original stays intact.

    A project workbook is filled form by form, then its 项目清单 totals. ``inputs`` (layout key → value)
    are written into a one-form workbook's input cells first; ``projects`` (a ProjectTally of the unit's
    project forms) adds the overall form's project counts and average to them (``fill --projects``).
    """
    path = Path(path)
    try:
        before = Stamp.of(path)           # a save made while we work must not be overwritten (in place)
    except OSError:
        before = None                     # the reader says what is wrong with the path
    forms = read_workbook_forms(path, spec)
    if projects is not None:
        if forms.is_projects:
            raise UsageError(f"{path.name} 是项目工作簿；--projects 用于把项目自评情况填入部门整体自评表。",
                             f"{path.name} is a project workbook; --projects fills an overall form")
        inputs = {**overall_inputs(forms.spec, projects), **(inputs or {})}
    if inputs and forms.is_projects:
        raise ValueError("inputs apply to one-form workbooks")
    writes, restored, results, tally = plan_forms(forms, inputs)
    if inputs:
        L = forms.forms[0].layout
        writes = [CellWrite(L[k].sheet, L[k].coord, v) for k, v in inputs.items()] + writes
    target = Path(output) if output else path
    bak = None
    in_place = target.resolve() == path.resolve()
    if in_place and backup:
        bak = make_backup(path)
    forms.book.write_cells(writes)
    expect = Stamp(before.size, before.mtime_ns, forms.sha256) if in_place and before else None
    with atomic_output(target, expect=expect) as fh:
        forms.book.save(fh)
    return FillReport(str(path), str(target), str(bak) if bak else None, results[0], restored, len(writes),
                      results, tally, forms, dict(inputs or {}))

"""`wbtool fill`: restore standard formulas and store the engine's values in every formula cell."""
from __future__ import annotations

import io
import re
from functools import lru_cache
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import atomic_output, make_backup
from .cells import CellWrite
from .engine import Result, compute
from .reader import Returned, read_book, read_workbook
from .xlsxfile import FileBook

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


def cell_value(v):
    """Engine value → what a cell stores (Decimal → float, None → "")."""
    from decimal import Decimal
    if isinstance(v, Decimal):
        f = float(v)
        return int(f) if f.is_integer() else f
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


def refresh_values(data: bytes, source: str = "workbook", spec=None) -> bytes:
    """Store in every intact formula cell the value Excel would show; typed-over cells are left as they are."""
    from .checks import overwritten_formulas
    book = FileBook(source, data)
    ret = read_book(book, spec=spec)
    over = overwritten_formulas(ret)
    res = compute(ret.spec, ret.inputs, {k: ret.stored[k].value for k in over})
    book.write_cells([CellWrite(c.sheet, c.coord, cell_value(res.values.get(c.key)), ret.stored[c.key].formula)
                      for c in ret.layout.by_role("formula") if c.key not in over])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def recalc_bytes(data: bytes, source: str = "workbook", spec=None) -> bytes:
    """Compute and store every formula value of an in-memory workbook (used by the template builder)."""
    book = FileBook(source, data)
    ret = read_book(book, spec=spec)
    result = compute(ret.spec, ret.inputs)
    writes, _ = plan_writes(ret, result)
    book.write_cells(writes)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def fill_workbook(path: str | Path, output: str | Path | None = None, *, backup: bool = True,
                  spec=None) -> FillReport:
    """Fill ``path`` into ``output`` (or in place, keeping a backup); atomic, the original stays intact."""
    path = Path(path)
    ret = read_workbook(path, spec)
    result = compute(ret.spec, ret.inputs)
    writes, restored = plan_writes(ret, result)
    target = Path(output) if output else path
    bak = None
    if target.resolve() == path.resolve() and backup:
        bak = make_backup(path)
    ret.book.write_cells(writes)
    with atomic_output(target) as fh:
        ret.book.save(fh)
    return FillReport(str(path), str(target), str(bak) if bak else None, result, restored, len(writes))

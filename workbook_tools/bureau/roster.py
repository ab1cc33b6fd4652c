"""The bureau's list of budget units (名单): code, name, parent and region, read from CSV or XLSX."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbook_tools.errors import UsageError
from workbook_tools.files.tables import Table, code_text, find_columns, read_table

# field → (canonical header, aliases…); matching ignores spaces, bracketed notes and ASCII case
ROSTER_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("单位编码", "编码", "单位代码", "agencyCode"),
    "name": ("单位名称", "名称", "unitName"),
    "parent_name": ("主管部门", "上级单位", "主管部门名称", "上级单位名称"),
    "parent_code": ("上级编码", "主管部门编码", "上级单位编码"),
    "mof_div_code": ("财政区划代码", "区划代码", "mofDivCode"),
    "budget": ("预算规模", "上年预算数", "预算规模（万元）", "上年预算数（万元）"),   # optional: scale in 万元 (plausibility)
}
REQUIRED = ("code", "name")


@dataclass(frozen=True)
class RosterUnit:
    code: str
    name: str
    parent_code: str = ""
    parent_name: str = ""
    mof_div_code: str = ""
    row: int = 0              # row number in the roster file, for messages
    budget: str = ""          # the unit's usual budget in 万元 where the roster gives it (预算规模), else ''



def read_roster(path: str | Path, *, sheet: str | None = None) -> list[RosterUnit]:
    """Units of a roster file in file order; empty rows skipped, a missing or duplicate code is a UsageError."""
    table = read_table(path, sheet=sheet)
    cols = find_columns(table, ROSTER_COLUMNS, REQUIRED, "单位名单")
    units = [_unit(table, cols, n, row) for n, row in table.rows]
    _check(table, units)
    return units


def _unit(table: Table, cols: dict[str, str], n: int, row: dict) -> RosterUnit:
    get = lambda k: code_text(row.get(cols[k])) if k in cols else ""  # noqa: E731
    return RosterUnit(code=get("code"), name=get("name"), parent_code=get("parent_code"),
                      parent_name=get("parent_name"), mof_div_code=get("mof_div_code"), row=n,
                      budget=get("budget"))


def _check(table: Table, units: list[RosterUnit]):
    problems = [(f"第 {u.row} 行缺少{'单位编码' if not u.code else '单位名称'}",
                 f"row {u.row} lacks the unit {'code' if not u.code else 'name'}")
                for u in units if not u.code or not u.name]
    rows: dict[str, list[int]] = {}
    for u in units:
        if u.code:
            rows.setdefault(u.code, []).append(u.row)
    problems += [(f"单位编码 {code} 重复（第 {'、'.join(map(str, ns))} 行）",
                  f"unit code {code} repeated (rows {', '.join(map(str, ns))})")
                 for code, ns in rows.items() if len(ns) > 1]
    if problems:
        more = f"；另有 {len(problems) - 10} 处" if len(problems) > 10 else ""
        raise UsageError(f"单位名单 {table.name} 有问题：{'；'.join(zh for zh, _ in problems[:10])}{more}。",
                         f"roster {table.name}: {len(problems)} problem(s): "
                         f"{'; '.join(en for _, en in problems[:10])}")

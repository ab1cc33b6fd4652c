"""Whose return is it: the unit of a file the tool cannot read (its cover, its file name) and the roster checks."""
from __future__ import annotations

import re
from pathlib import Path
from workbook_tools.catalogue import CATALOGUE
from workbook_tools.errors import SpecError
from workbook_tools.files.specsheet import load_spec
from workbook_tools.model.layout import layout_for

COVER_LABELS = {"code": ("单位编码", "单位代码"), "name": ("单位名称", "实施单位", "预算单位")}
SCAN_ROWS, SCAN_COLS, SCAN_SHEETS = 40, 12, 3


def cover_unit(path) -> dict:
    """The unit code and name of a workbook that cannot be checked (an old template, a renamed sheet, another
    form) read from the cell right of a 单位编码 / 单位名称 label on its first sheets; {} when nothing is found or the
    file is no zip workbook at all. Never raises: this is a courtesy for the bureau's list, not a read."""
    try:
        import openpyxl
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:       # noqa: BLE001 — any damage means: no cover to read
        return {}
    found: dict[str, str] = {}
    try:
        for ws in wb.worksheets[:SCAN_SHEETS]:
            for row in ws.iter_rows(min_row=1, max_row=SCAN_ROWS, max_col=SCAN_COLS, values_only=True):
                cells = list(row)
                for i, v in enumerate(cells[:-1]):
                    label = re.sub(r"[\s:：*＊]|（.*?）|\(.*?\)", "", str(v)) if isinstance(v, str) else ""
                    for key, labels in COVER_LABELS.items():
                        if key not in found and label in labels:
                            val = next((x for x in cells[i + 1:] if x not in (None, "")), None)
                            if val is not None:
                                found[key] = _text(val)
            if len(found) == 2:
                break
    except Exception:       # noqa: BLE001
        pass
    finally:
        wb.close()
    return {k: v for k, v in found.items() if v}


def _text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _norm(s: str) -> str:
    return re.sub(r"\s", "", s or "")


def unit_from_name(file_name: str, roster) -> tuple[str, str] | None:
    """The roster unit a file name names: its code in the name, else its full name, else one unique short name
    (the name without 人民政府/办事处… or the part after 区/县/市). None if no unit or more than one matches."""
    stem = _norm(Path(file_name).stem)
    by_code = [u for u in roster if u.code and u.code in stem]
    if len(by_code) == 1:
        return by_code[0].code, by_code[0].name
    by_name = [u for u in roster if _norm(u.name) and _norm(u.name) in stem]
    if len(by_name) == 1:
        return by_name[0].code, by_name[0].name
    by_short = [u for u in roster if any(len(s) >= 2 and s in stem for s in _short_names(u.name))]
    if len(by_short) == 1:
        return by_short[0].code, by_short[0].name
    return None


def _short_names(name: str) -> set[str]:
    n = _norm(name)
    n = re.sub(r"(人民政府|街道办事处|办事处|委员会|管理局)$", "", n)
    out = {n}
    tail = re.split(r"[省市区县]", n)[-1]
    if tail:
        out.add(tail)
    return out


def same_name(a: str, b: str) -> bool:
    """Unit names compared as the bureau reads them: spaces and full-/half-width brackets ignored."""
    def key(s):
        return _norm(s).replace("(", "（").replace(")", "）")
    return key(a) == key(b)


def roster_findings(s: dict, by_code: dict) -> list[dict]:
    """Findings of one readable return against the roster: a unit the roster does not list, or a unit name that
    differs from the roster's for that code (the code is what the bureau files by)."""
    code, name = s.unit_code or "", s.unit_name or ""
    where = _cover_cell(s)
    if code not in by_code:
        params = {"found": code or "空", "name": name}
        return [_finding("roster-unit-unknown", CATALOGUE, params, where.get("agencyCode", ""), None, code)]
    unit = by_code[code]
    if name and not same_name(name, unit.name):
        params = {"found": name, "expected": unit.name, "agency_code": code}
        return [_finding("roster-name-mismatch", CATALOGUE, params, where.get("unitName", ""), unit.name, name)]
    return []


def _finding(code, catalogue, params, cell, expected, found) -> dict:
    e = catalogue[code]
    return {"code": code, "severity": e.severity, "cell": cell, "indicator": "", "message": e.render("zh", params),
            "expected": expected, "found": found, "explained": False, "project": ""}


def _cover_cell(s: dict) -> dict:
    """Where the cover's unit code and name are in this return's form (for the finding's cell)."""
    try:
        L = layout_for(load_spec(s.spec_id))
    except (SpecError, OSError, ValueError, KeyError):
        return {}
    out = {}
    for key in ("agencyCode", "unitName"):
        c = L.cells.get(f"cover.{key}")
        if c is not None:
            out[key] = c.addr
    return out

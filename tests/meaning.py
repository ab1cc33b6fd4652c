"""A workbook's meaning for comparisons: cells, formulas, names, validations, protection, widths, styles."""
from __future__ import annotations

import openpyxl


def workbook_meaning(path, *, skip_keys=()) -> dict:
    wb = openpyxl.load_workbook(path)
    out = {"sheets": wb.sheetnames, "names": {n: d.attr_text for n, d in wb.defined_names.items()}}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                if c.value is None and not c.has_style:
                    continue
                cells[c.coordinate] = (c.value, c.number_format, c.protection.locked,
                                       c.fill.fgColor.rgb if c.fill and c.fill.fill_type else None,
                                       bool(c.font and c.font.b))
        dvs = sorted((str(dv.sqref), dv.type, dv.formula1, dv.formula2, dv.prompt, dv.error)
                     for dv in ws.data_validations.dataValidation)
        out[ws.title] = {
            "cells": cells, "validations": dvs, "merged": sorted(str(m) for m in ws.merged_cells.ranges),
            "protected": bool(ws.protection.sheet), "state": ws.sheet_state,
            "widths": {k: round(d.width, 2) for k, d in ws.column_dimensions.items() if d.width},
            "freeze": ws.freeze_panes, "print_titles": ws.print_title_rows,
            "paper": ws.page_setup.paperSize, "orientation": ws.page_setup.orientation,
        }
    return out


def diff_meaning(a: dict, b: dict, limit: int = 10) -> list[str]:
    """Human-readable differences (first ``limit``)."""
    out = []

    def walk(x, y, path):
        if len(out) >= limit:
            return
        if isinstance(x, dict) and isinstance(y, dict):
            for k in sorted(set(x) | set(y), key=str):
                walk(x.get(k), y.get(k), f"{path}/{k}")
        elif x != y:
            out.append(f"{path}: {x!r} != {y!r}")
    walk(a, b, "")
    return out

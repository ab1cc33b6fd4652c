"""The contract every Book implementation (file, live Excel) must honour; run by test_cells.py."""
from __future__ import annotations

import platform
from decimal import Decimal

from workbook_tools.cells import CellWrite
from workbook_tools.files.fill import normalize_formula
from workbook_tools.model.layout import layout_for
from workbook_tools.files.reader import read_book
from workbook_tools.files.specsheet import load_spec
from workbook_tools.checks.validate import validate_returned


def check_book_contract(book) -> None:
    L = layout_for(load_spec())
    names = book.sheet_names()
    assert set(L.sheets) <= set(names)
    scores = book.read_sheet("评分表")
    leaf = L["node.1.1.3.score"]
    assert normalize_formula(scores[leaf.coord].formula) == normalize_formula(leaf.formula)
    assert abs(Decimal(str(scores[leaf.coord].value)) - Decimal("9.974")) < Decimal("1e-9")
    assert scores[L["node.1.1.3.name"].coord].value == "部门预算资金支出率"
    assert scores[L["node.1.1.3.name"].coord].formula is None
    total = L["summary.total"]
    assert book.defined_names()[total.name].replace("'", "") == f"汇总!$D${total.row}"
    # the sample validates clean through this implementation
    ret = read_book(book)
    assert ret.spec.id == "gd-dept-overall-2023"
    assert validate_returned(ret).findings == []
    # writes are seen by the next read
    reason = L["node.2.5.5.reason"]
    book.write_cells([CellWrite(reason.sheet, reason.coord, "新的原因"),
                      CellWrite(leaf.sheet, leaf.coord, None, leaf.formula)])
    after = book.read_sheet("评分表")
    assert after[reason.coord].value == "新的原因" and after[reason.coord].formula is None
    assert normalize_formula(after[leaf.coord].formula) == normalize_formula(leaf.formula)


def excel_unavailable() -> str | None:
    """Why real Excel cannot be driven here (None when it can): the skip reason of the real-Excel tests."""
    if platform.system() not in ("Windows", "Darwin"):
        return f"needs Microsoft Excel (Windows/macOS); this is {platform.system()}"
    try:
        import xlwings as xw
        xw.App(visible=False).quit()
    except Exception as e:  # no xlwings or no Excel installed
        return f"xlwings/Excel unavailable: {e}"
    return None

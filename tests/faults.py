"""Workbooks with seeded faults, built from the seed sample in code (inputs) or patched like a careless edit."""
from __future__ import annotations

import io
import zipfile

from lxml import etree
from randomfill import fill_bytes

from workbook_tools.cells import CellWrite
from workbook_tools.files.fill import recalc_bytes
from workbook_tools.model.layout import layout_for
from workbook_tools.model.template import build_template
from workbook_tools.files.xlsxfile import FileBook, patch_package

_TEMPLATES: dict[str, bytes] = {}


def consistent(spec, values: dict) -> bytes:
    """A workbook with these inputs whose every formula value is right (as if Excel recalculated)."""
    if spec.id not in _TEMPLATES:
        _TEMPLATES[spec.id] = build_template(spec)
    return recalc_bytes(fill_bytes(_TEMPLATES[spec.id], spec, values), spec=spec)


def typed_over(data: bytes, spec, key: str, value, *, recalc: bool = True) -> bytes:
    """A value typed over a formula cell (the formula is gone); saved by Excel, which recalculates the rest."""
    c = layout_for(spec)[key]
    data = _patch(data, [CellWrite(c.sheet, c.coord, value)])
    return excel_recalc(data, spec) if recalc else data


def excel_recalc(data: bytes, spec) -> bytes:
    """What Excel stores on save: every intact formula recalculated, typed-over cells kept as typed."""
    from workbook_tools.files.fill import refresh_values
    return refresh_values(data, spec=spec)


def stale(data: bytes, spec, key: str, value) -> bytes:
    """A formula cell whose formula is intact but whose stored value is ``value``."""
    c = layout_for(spec)[key]
    return _patch(data, [CellWrite(c.sheet, c.coord, value, c.formula)])


def set_cell(data: bytes, sheet: str, coord: str, value) -> bytes:
    return _patch(data, [CellWrite(sheet, coord, value)])


def _patch(data: bytes, writes) -> bytes:
    buf = io.BytesIO()
    patch_package(FileBook("x.xlsx", data), writes, buf, full_calc=False)
    return buf.getvalue()


def edit_part(data: bytes, part: str, edit) -> bytes:
    """Rewrite one XML part of the package with ``edit(root)``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == part:
                root = etree.fromstring(body)
                edit(root)
                body = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            z.writestr(info, body)
    return out.getvalue()


def add_part(data: bytes, name: str, body: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info, src.read(info.filename))
        z.writestr(name, body)
    return out.getvalue()


NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def drop_defined_name(name: str):
    def edit(root):
        for d in root.iter(NS + "definedName"):
            if d.get("name") == name:
                d.getparent().remove(d)
    return edit


def rename_sheet(old: str, new: str):
    def edit(root):
        for s in root.iter(NS + "sheet"):
            if s.get("name") == old:
                s.set("name", new)
    return edit

"""A workbook's own copy of its spec, read from the file: a template given as --spec, a return's copy, `specs --workbook`."""
from __future__ import annotations

from pathlib import Path

from workbook_tools.errors import SpecError
from workbook_tools.files.safety import check_workbook_file
from workbook_tools.files.xlsxfile import FileBook
from workbook_tools.model import speclib
from workbook_tools.model.layout import SHEET_META
from workbook_tools.model.spec import Spec


def load_spec(ref: str | Path | None = None) -> Spec:
    """A spec by id or YAML path (model.speclib.load_spec), or the copy a template carries (``--spec t.xlsx``)."""
    if ref is not None and Path(str(ref)).suffix.lower() in (".xlsx", ".xlsm") and Path(str(ref)).is_file():
        return from_workbook(ref)
    return speclib.load_spec(ref)


def use(ref: str | Path) -> Spec:
    """``--spec FILE|ID|TEMPLATE.xlsx``: that spec, first for its id for the rest of this command."""
    return speclib.register(ref, load_spec(ref))


def from_workbook(path: str | Path):
    """The spec a workbook carries (``--spec template.xlsx``): its own copy, intact, else a SpecError."""
    path = Path(path)
    check_workbook_file(path)
    book = FileBook(str(path), path.read_bytes())
    emb = speclib.read_embedded(book)
    if emb is None:
        raise SpecError([("", "该工作簿没有内嵌规格（不是本版 wbtool 生成的模板）；请给出规格 YAML 文件或 id")], str(path))
    if not emb.intact:
        raise SpecError([(speclib.SPEC_SHEET, "内嵌规格已损坏或被改动（文本与其记录的 sha256 不符）")], str(path))
    spec = emb.spec(str(path))
    speclib.learn(spec)
    return spec


def text_of_return(path: str | Path, spec_id: str, version: str) -> str | None:
    """The intact copy of spec ``spec_id`` ``version`` a returned workbook carries, as text (None otherwise)."""
    try:
        check_workbook_file(Path(path))
        book = FileBook(str(path), Path(path).read_bytes())
        emb = speclib.read_embedded(book)
    except Exception:      # noqa: BLE001 — a file that changed or vanished since it was read: no copy from it
        return None
    if emb is None or not emb.intact or emb.spec_id != spec_id or emb.version != version:
        return None
    return emb.text


def describe_workbook(path: str | Path) -> dict:
    """The spec a workbook names and carries, and the spec the search path gives for it (``specs --workbook``)."""
    path = Path(path)
    check_workbook_file(path)
    book = FileBook(str(path), path.read_bytes())
    meta = {}
    if SHEET_META in book.sheet_names():
        cells = book.read_sheet(SHEET_META)
        for r in range(1, 6):
            k, v = cells.get(f"A{r}"), cells.get(f"B{r}")
            if k is not None and isinstance(k.value, str):
                meta[k.value] = "" if v is None or v.value is None else str(v.value)
    emb = speclib.read_embedded(book)
    sid, version = meta.get("spec_id", ""), meta.get("spec_version", "")
    found = speclib.find(sid, version) if sid else None
    out = {"file": str(path), "spec_id": sid or None, "spec_version": version or None,
           "embedded": None, "found": None, "same": None}
    if emb is not None:
        out["embedded"] = {"id": emb.spec_id, "version": emb.version, "sha256": emb.sha256, "intact": emb.intact,
                           "lines": len(emb.text.splitlines())}
    if found is not None:
        out["found"] = {"origin": found.origin, "origin_zh": speclib.ORIGIN_ZH[found.origin], "path": found.path,
                        "version": found.version, "sha256": found.sha256}
        if emb is not None and found.version == emb.version:
            out["same"] = emb.intact and found.sha256 == emb.sha256
    out["_text"] = emb.text if emb is not None else None
    return out

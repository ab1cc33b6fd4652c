"""Tables the bureau hands over (CSV in UTF-8/GBK, or XLSX) read as rows keyed by header, columns found by alias."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from workbook_tools.errors import UnreadableInput, UsageError
from workbook_tools.files.safety import check_workbook_file

MAX_BYTES = 100 * 1024 * 1024
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")


@dataclass
class Table:
    """A table as read: headers, data rows with their row number in the file, and any text above the header."""
    source: str                                   # the path, for messages
    headers: list[str]
    rows: list[tuple[int, dict[str, object]]]     # (row number in the file, header → value)
    preamble: list[str] = field(default_factory=list)   # title / "金额单位：万元" lines above the header
    sheet: str = ""
    header_row: int = 0

    @property
    def name(self) -> str:
        return Path(self.source).name


def read_table(path: str | Path, *, sheet: str | None = None) -> Table:
    """Read a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX table; the header is the first row with ≥ 2 cells."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        grid, sheet_name = _xlsx_grid(p, sheet)
    elif suffix in CSV_SUFFIXES:
        grid, sheet_name = _csv_grid(p), ""
    else:
        raise UsageError(f"{p.name}：不支持的表格类型“{p.suffix or '无扩展名'}”，请提供 .csv 或 .xlsx 文件。",
                         f"{p.name}: unsupported table type '{p.suffix}'; give a .csv or .xlsx file")
    return _to_table(str(p), grid, sheet_name)


def _read_bytes(p: Path) -> bytes:
    try:
        if p.is_dir():
            raise UnreadableInput(f"{p} 是文件夹，不是表格文件。", f"{p} is a folder, not a table", code="file-is-directory")
        if p.stat().st_size > MAX_BYTES:
            raise UnreadableInput(f"{p.name} 超过 100 MB，无法读取。", f"{p.name} is larger than 100 MB",
                                  code="file-too-large")
        return p.read_bytes()
    except FileNotFoundError:
        raise UnreadableInput(f"找不到文件 {p}。", f"file not found: {p}", code="file-missing") from None
    except OSError as e:
        raise UnreadableInput(f"无法读取 {p}：{e.strerror or e}（是否正被其他程序打开？）",
                              f"cannot read {p}: {e.strerror or e}", code="file-unreadable") from None


def decode_text(data: bytes, name: str) -> str:
    """Bytes of a text table → str: UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):    # Excel's "Unicode text" export
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise UnreadableInput(f"{name} 的文字编码无法识别（既不是 UTF-8 也不是 GBK）。请在 Excel 中另存为“CSV UTF-8”后重试。",
                          f"{name}: text encoding not recognised (neither UTF-8 nor GBK); save it as CSV UTF-8",
                          code="not-a-workbook")


def _csv_grid(p: Path) -> list[tuple[int, list[object]]]:
    text = decode_text(_read_bytes(p), p.name)
    if "\x00" in text:
        raise UnreadableInput(f"{p.name} 不是文本表格（含二进制内容）。", f"{p.name} is not a text table",
                              code="not-a-workbook")
    head = text[:20000]
    delim = max((",", "\t", ";"), key=head.count) if any(d in head for d in ",\t;") else ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
    except csv.Error as e:
        raise UnreadableInput(f"{p.name} 无法按 CSV 读取：{e}", f"{p.name} is not valid CSV: {e}",
                              code="not-a-workbook") from None
    return [(i, list(r)) for i, r in enumerate(rows, 1)]


def _xlsx_grid(p: Path, sheet: str | None) -> tuple[list[tuple[int, list[object]]], str]:
    from openpyxl import load_workbook

    info = check_workbook_file(p)          # the same guard as for returned workbooks (zip bombs, XXE, .xls…)
    try:
        wb = load_workbook(io.BytesIO(info.data), read_only=True, data_only=True)
    except Exception as e:   # openpyxl raises many types for damaged files
        raise UnreadableInput(f"{p.name} 无法作为 Excel 工作簿读取：{e}", f"{p.name} cannot be read as a workbook: {e}",
                              code="corrupt-zip") from None
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise UsageError(f"{p.name} 中没有名为“{sheet}”的工作表（有：{'、'.join(wb.sheetnames)}）。",
                             f"{p.name} has no sheet '{sheet}' (sheets: {', '.join(wb.sheetnames)})")
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        grid = [(i, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True), 1)]
        return grid, ws.title
    finally:
        wb.close()


def _clean(v):
    if isinstance(v, str):
        v = v.strip().replace("\u3000", " ").strip()
        return v or None
    return v


def _to_table(source: str, grid, sheet: str) -> Table:
    grid = [(n, [_clean(v) for v in r]) for n, r in grid]
    filled = [(n, r) for n, r in grid if any(v is not None for v in r)]
    if not filled:
        raise UsageError(f"{Path(source).name} 是空表，没有任何内容。", f"{Path(source).name} is empty")
    # a title or "金额单位：万元" line above the header has one cell; the header names at least two columns
    idx = next((i for i, (_, r) in enumerate(filled) if sum(v is not None for v in r) >= 2), 0)
    header_row, raw_heads = filled[idx]
    preamble = [" ".join(str(v) for v in r if v is not None) for _, r in filled[:idx]]
    heads = [str(h) if h is not None else "" for h in raw_heads]
    rows = []
    for n, r in filled[idx + 1:]:
        rows.append((n, {h: (r[i] if i < len(r) else None) for i, h in enumerate(heads) if h}))
    return Table(source, [h for h in heads if h], rows, preamble, sheet, header_row)


# ------------------------------------------------------------------ columns by alias

_BRACKETS = re.compile(r"[（(\[【][^）)\]】]*[）)\]】]")
_DASHES = str.maketrans({"—": "-", "–": "-", "－": "-", "~": "-", "～": "-", "至": "-", "到": "-"})


def norm_header(text: str) -> str:
    """A header as compared with aliases: no bracketed unit, spaces or colons; dashes unified; case-folded."""
    s = _BRACKETS.sub("", str(text))
    s = re.sub(r"[\s:：*＊]", "", s).translate(_DASHES)
    return s.casefold()


def find_columns(table: Table, fields: dict[str, tuple[str, ...]], required: tuple[str, ...],
                 what: str, config_hint: bool = False) -> dict[str, str]:
    """Field → header of ``table``; a missing required field or two headers for one field is a UsageError."""
    hint_zh, hint_en = ("，或用 --columns 指定列名", " or map it with --columns") if config_hint else ("", "")
    by_norm: dict[str, list[str]] = {}
    for h in table.headers:
        by_norm.setdefault(norm_header(h), []).append(h)
    out, missing = {}, []
    for key, aliases in fields.items():
        hits = list(dict.fromkeys(h for a in aliases for h in by_norm.get(norm_header(a), [])))
        if len(hits) > 1:
            raise UsageError(
                f"{table.name}：列“{'”“'.join(hits)}”都对应{what}的“{aliases[0]}”，无法确定用哪一列。"
                f"请删除或改名其中一列{hint_zh}。",
                f"{table.name}: columns '{', '.join(hits)}' all map to '{aliases[0]}' ({key}); "
                f"rename one{hint_en}")
        if hits:
            out[key] = hits[0]
        elif key in required:
            missing.append(key)
    if missing:
        names = "、".join(f"“{fields[k][0]}”" for k in missing)
        alias = "；".join(f"{fields[k][0]} 可写作 {'/'.join(fields[k][1:]) or '（无别名）'}" for k in missing)
        raise UsageError(
            f"{table.name}（第 {table.header_row} 行表头）缺少{what}的必需列{names}（{alias}）。"
            f"现有列：{'、'.join(table.headers)}{hint_zh}。",
            f"{table.name}: required column(s) {', '.join(fields[k][0] for k in missing)} missing "
            f"(header row {table.header_row}; columns: {', '.join(table.headers)}){hint_en}")
    return out


def code_text(v) -> str:
    """A code cell as text: 440117.0 → '440117', leading zeros kept, Excel's text apostrophe dropped."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (int, float, Decimal)):
        d = Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
        return format(d.to_integral_value(), "f") if d == d.to_integral_value() else format(d.normalize(), "f")
    s = str(v).strip().lstrip("'").strip()
    if re.fullmatch(r"\d+\.0+", s):
        s = s.split(".")[0]
    return s

"""Foreign workbooks (.xls BIFF or .xlsx from any program) read through python-calamine into grids of values."""
from __future__ import annotations

import hashlib
import io
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from workbook_tools.errors import UnreadableInput
from workbook_tools.model.layout import col_letter
from workbook_tools.files.safety import _ole2_is_encrypted, check_workbook_file

MIB = 1024 * 1024
MAX_BYTES = 50 * MIB
FOREIGN_SUFFIXES = (".xls", ".xlsx", ".xlsm")
MAX_CELLS = 4_000_000              # rows × columns of one sheet's used range
_OLE2 = bytes.fromhex("D0CF11E0A1B11AE1")


@dataclass
class Grid:
    """One sheet's non-empty values by 0-based (row, col), plus its merged ranges (r0, c0, r1, c1)."""
    name: str
    cells: dict[tuple[int, int], object] = field(default_factory=dict)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    rows: int = 0
    cols: int = 0

    def get(self, r: int, c: int):
        return self.cells.get((r, c))

    def merge_of(self, r: int, c: int) -> tuple[int, int, int, int]:
        """The merged range a cell starts (or the cell itself)."""
        for m in self.merged:
            if m[0] <= r <= m[2] and m[1] <= c <= m[3]:
                return m
        return (r, c, r, c)

    def addr(self, r: int, c: int) -> str:
        return f"{self.name}!{col_letter(c + 1)}{r + 1}"


def a1(r: int, c: int) -> str:
    return f"{col_letter(c + 1)}{r + 1}"


_SPACE = re.compile(r"\s+")
_WIDE = str.maketrans("（）：，％＝≧≦", "():,%=≥≤")


def norm(v) -> str:
    """Cell text as labels compare it: no whitespace (line breaks in merged headers), ASCII brackets and colon."""
    if v is None:
        return ""
    return _SPACE.sub("", str(v)).replace("\u3000", "").translate(_WIDE)


@dataclass
class ForeignBook:
    source: str
    sheets: list[Grid]
    sha256: str
    format: str           # xls | xlsx


def _fail(code: str, zh: str, en: str) -> UnreadableInput:
    return UnreadableInput(zh, en, code=code)


def _read_bytes(p: Path) -> bytes:
    try:
        st = os.stat(p)
    except (FileNotFoundError, NotADirectoryError, ValueError):
        raise _fail("file-missing", f"文件「{p.name}」不存在。", f"file '{p.name}' not found") from None
    except OSError as e:
        raise _fail("file-unreadable", f"文件「{p.name}」无法读取：{e.strerror}", f"cannot read '{p.name}'") from None
    if stat.S_ISDIR(st.st_mode):
        raise _fail("file-is-directory", f"「{p.name}」是一个文件夹，不是 Excel 文件。", f"'{p.name}' is a folder")
    if not stat.S_ISREG(st.st_mode):
        raise _fail("not-a-workbook", f"「{p.name}」不是普通文件。", f"'{p.name}' is not a regular file")
    if st.st_size == 0:
        raise _fail("file-empty", f"文件「{p.name}」是空文件（0 字节）。", f"'{p.name}' is empty")
    if st.st_size > MAX_BYTES:
        raise _fail("file-too-large", f"文件「{p.name}」超过 50 MB。", f"'{p.name}' is larger than 50 MB")
    try:
        with open(p, "rb") as fh:
            return fh.read(MAX_BYTES + 1)
    except OSError as e:
        raise _fail("file-unreadable", f"文件「{p.name}」无法读取：{e.strerror}", f"cannot read '{p.name}'") from None


def open_foreign(path: str | Path) -> ForeignBook:
    """Read every sheet's values (never formulas, never written back); bad input raises UnreadableInput."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        info = check_workbook_file(p)
        data, fmt = info.data, "xlsx"
    elif suffix == ".xls":
        data = _read_bytes(p)
        if data.startswith(_OLE2):
            if _ole2_is_encrypted(data):
                raise _fail("encrypted-workbook", f"文件「{p.name}」设置了打开密码，无法读取。请在 Excel/WPS 中取消密码后保存。",
                            f"'{p.name}' is password-protected")
            fmt = "xls"
        elif data.startswith(b"PK"):
            fmt = "xlsx"                # an .xlsx saved under .xls (exporters do this)
        else:
            head = data[:512].lstrip().lower()
            what = "网页（HTML）" if head.startswith((b"<", b"\xef\xbb\xbf<")) else "文本或其他格式"
            raise _fail("not-a-workbook", f"文件「{p.name}」扩展名是 .xls，内容却是{what}。请用 Excel 或 WPS 打开后"
                        f"另存为“Excel 工作簿 (*.xlsx)”。", f"'{p.name}' is named .xls but is not a workbook")
    else:
        raise _fail("wrong-extension", f"文件「{p.name}」的格式（{suffix or '无扩展名'}）不受支持，只读取 .xls、.xlsx 和 .xlsm。",
                    f"'{p.name}': unsupported type {suffix}")
    sheets = _calamine_sheets(p, data, fmt)
    return ForeignBook(str(p), sheets, hashlib.sha256(data).hexdigest(), fmt)


def _calamine_sheets(p: Path, data: bytes, fmt: str) -> list[Grid]:
    import python_calamine as pc
    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        out = []
        for name in wb.sheet_names:
            sh = wb.get_sheet_by_name(name)
            g = Grid(name)
            if sh.height * sh.width > MAX_CELLS:      # a formatted-to-the-end sheet is no form: skip, don't blow up
                out.append(g)
                continue
            for r, row in enumerate(sh.to_python(skip_empty_area=False)):
                for c, v in enumerate(row):
                    if v is None or (isinstance(v, str) and not v.strip()):
                        continue
                    g.cells[(r, c)] = v.strip() if isinstance(v, str) else v
            try:
                merged = sh.merged_cell_ranges or []
            except Exception:              # formats without merge information
                merged = []
            g.merged = [(a[0], a[1], b[0], b[1]) for a, b in merged]
            if g.cells:
                g.rows = max(r for r, _ in g.cells) + 1
                g.cols = max(c for _, c in g.cells) + 1
            out.append(g)
        wb.close()
        return out
    except pc.PasswordError:
        raise _fail("encrypted-workbook", f"文件「{p.name}」设置了打开密码，无法读取。", f"'{p.name}' is password-protected") \
            from None
    except UnreadableInput:
        raise
    except Exception as e:                 # calamine's own errors: damaged BIFF/zip/XML
        if fmt == "xls":
            raise _fail("legacy-xls", f"文件「{p.name}」是 Excel 97-2003 格式（.xls），但内容已损坏，无法读取"
                        f"（{type(e).__name__}）。请用 Excel 或 WPS 打开后另存为 .xlsx 再试。",
                        f"'{p.name}' is an Excel 97-2003 file but damaged ({e})") from None
        raise _fail("corrupt-zip", f"文件「{p.name}」已损坏或不是 Excel 工作簿，无法读取（{type(e).__name__}）。"
                    f"请用 Excel 或 WPS 打开后另存为 .xlsx 再试。", f"'{p.name}' is damaged ({e})") from None

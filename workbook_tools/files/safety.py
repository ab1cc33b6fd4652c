"""Pre-flight checks that a path is a safe .xlsx/.xlsm to hand to openpyxl, plus safe output-path helpers."""
from __future__ import annotations

import codecs
import hashlib
import io
import os
import re
import stat
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as defused_et
from defusedxml import DefusedXmlException

from workbook_tools.errors import OutputError, UnreadableInput

__all__ = [
    "ACCEPTED_SUFFIXES",
    "WorkbookFileInfo",
    "check_workbook_file",
    "ensure_inside",
    "safe_path_component",
    "fit_file_name",
]

MIB = 1024 * 1024
ACCEPTED_SUFFIXES = (".xlsx", ".xlsm")

_OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ENCRYPTED_PACKAGE = "EncryptedPackage"
_CHUNK = 256 * 1024
_OVERLAP = 8  # len("<!doctype") - 1: a marker split across chunks is still seen

# Parts openpyxl may parse as XML; media/binaries are skipped, anything else is sniffed.
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_BINARY_SUFFIXES = (
    ".bin", ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf",
    ".svg", ".ico", ".wdp", ".jfif", ".xlsx", ".xlsm", ".xls", ".docx", ".doc", ".pptx",
    ".ppt", ".pdf", ".odttf", ".fntdata", ".mp3", ".mp4", ".wav",
)
# Encodings in which "<!DOCTYPE" can only appear as those exact ASCII bytes.
_BYTE_SCAN_CODECS = {"utf-8", "utf-8-sig", "ascii", "iso8859-1", "latin-1"}
# Order matters: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS = ((codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF32_LE, "utf-32"),
         (codecs.BOM_UTF16_BE, "utf-16"), (codecs.BOM_UTF16_LE, "utf-16"))
_XML_DECL_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,300}?encoding\s*=\s*["']([^"']{1,40})["']""")

_WORKBOOK_CONTENT_TYPES = (  # openpyxl's own search order
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
)
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_DEFAULT_WORKBOOK_PART = "xl/workbook.xml"
_CONTENT_TYPES_PART = "[Content_Types].xml"
_VBA_PART = "xl/vbaProject.bin"

# Anything zipfile/zlib raises on hostile input means "damaged", never a crash mid-batch.
_ZIP_ERRORS = (
    zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, struct.error,
    NotImplementedError, RuntimeError, IndexError, KeyError, OverflowError,
)

_SAVE_AS_ZH = "请用 Excel 或 WPS 打开它，点“另存为”，文件类型选“Excel 工作簿 (*.xlsx)”，保存后再试。"
_SAVE_AS_EN = "Open it in Excel or WPS and use Save As > 'Excel Workbook (*.xlsx)', then try again."

_MESSAGES: dict[str, tuple[str, str]] = {
    "file-missing": (
        "找不到文件「{name}」。请确认文件没有被移动、改名或删除。",
        "File '{name}' was not found. Check that it has not been moved, renamed or deleted.",
    ),
    "file-is-directory": (
        "「{name}」是一个文件夹，不是 Excel 文件。请选择文件夹里面的 .xlsx 文件。",
        "'{name}' is a folder, not an Excel file. Choose the .xlsx files inside it.",
    ),
    "file-unreadable": (
        "无法读取文件「{name}」：没有访问权限，或文件正被其他程序占用。"
        "请先关闭正在打开它的 Excel/WPS，仍不行请联系电脑管理员。",
        "Cannot read file '{name}' ({detail}): permission denied or locked by another program.",
    ),
    "file-empty": (
        "文件「{name}」是空的（0 字节），可能在复制或下载时没有成功。请重新获取这个文件。",
        "File '{name}' is empty (0 bytes); it was probably not copied or downloaded completely.",
    ),
    "file-too-large": (
        "文件「{name}」太大（{size_mb:.1f} MB，上限 {limit_mb:.0f} MB）。"
        "请删除不需要的工作表、图片后另存，或拆分成几个文件再试。",
        "File '{name}' is too large ({size_mb:.1f} MB; limit {limit_mb:.0f} MB).",
    ),
    "legacy-xls": (
        "文件「{name}」是旧版 Excel 97-2003 格式（.xls），本工具只能读取 .xlsx。" + _SAVE_AS_ZH,
        "File '{name}' is in the old Excel 97-2003 (.xls) format; only .xlsx is supported. " + _SAVE_AS_EN,
    ),
    "encrypted-workbook": (
        "文件「{name}」设置了打开密码，本工具无法读取。"
        "请用 Excel 或 WPS 打开它，取消“打开密码”（文件加密）后保存，再试一次。",
        "File '{name}' is password-protected (encrypted); "
        "remove the open password in Excel/WPS and save it again.",
    ),
    "not-a-workbook": (
        "文件「{name}」的扩展名是 {ext}，但里面其实是{kind_zh}，不是 Excel 工作簿。"
        "请用 Excel 或 WPS 打开原始文件，点“另存为”，文件类型选“Excel 工作簿 (*.xlsx)”，保存后再试。",
        "File '{name}' has the extension {ext} but is actually {kind_en}, not an Excel workbook. "
        + _SAVE_AS_EN,
    ),
    "excel-lock-file": (
        "「{name}」是 Excel/WPS 打开表格时自动生成的临时文件（文件名以 ~$ 开头），不是真正的工作簿。"
        "请关闭 Excel/WPS 后删除它，或选择文件时跳过它。",
        "'{name}' is an Excel/WPS lock file (name starts with ~$), not a workbook; "
        "close Excel/WPS and delete it.",
    ),
    "corrupt-zip": (
        "文件「{name}」已损坏，无法打开，可能是下载或复制不完整。请重新获取原始文件；"
        "如果 Excel 能正常打开它，请另存为一份新的 .xlsx 再试。",
        "File '{name}' is damaged and cannot be opened ({detail}).",
    ),
    "zip-bomb": (
        "文件「{name}」的内部结构异常（解压后体积过大或内容过多），为安全起见已拒绝读取。"
        "请用 Excel 打开后另存为新的 .xlsx 再试；如仍有问题请联系技术人员。",
        "File '{name}' was refused as a possible zip bomb ({detail}).",
    ),
    "unsafe-xml": (
        "文件「{name}」含有不安全的内部内容（XML 实体声明），Excel/WPS 正常保存的文件不会这样，"
        "为安全起见已拒绝读取。请用 Excel 打开后另存为新的 .xlsx，或联系技术人员。",
        "File '{name}' was refused: unsafe XML ({detail}).",
    ),
    "wrong-extension": (
        "文件「{name}」的格式（{ext}）不受支持，本工具只读取 .xlsx 和 .xlsm 文件。" + _SAVE_AS_ZH,
        "File '{name}' has an unsupported type ({ext}); only .xlsx and .xlsm are accepted. " + _SAVE_AS_EN,
    ),
    "wrong-extension-xls": (
        "文件「{name}」是旧版 Excel 97-2003 格式（.xls），本工具只读取 .xlsx 和 .xlsm 文件。" + _SAVE_AS_ZH,
        "File '{name}' is an old Excel 97-2003 .xls file; only .xlsx and .xlsm are accepted. " + _SAVE_AS_EN,
    ),
}


@dataclass(frozen=True)
class WorkbookFileInfo:
    path: Path
    size: int
    has_macros: bool
    sha256: str
    data: bytes = field(default=b"", repr=False, compare=False)   # the bytes that were checked


def _error(code: str, path: Path, *, template: str | None = None, **fields) -> UnreadableInput:
    zh, en = _MESSAGES[template or code]
    fields.setdefault("name", path.name or str(path))
    fields.setdefault("ext", path.suffix or "（无扩展名）")
    fields.setdefault("detail", "")
    err = UnreadableInput(zh.format(**fields), en.format(**fields), code=code)
    err.path = path  # lets a batch report show the full path next to the short message
    return err


class _Budget:
    """Counts bytes actually decompressed, because declared sizes can lie."""

    def __init__(self, path: Path, max_uncompressed: int, max_ratio: int):
        self.path, self.left, self.max_ratio = path, max_uncompressed, max_ratio

    def take(self, info: zipfile.ZipInfo, part_total: int, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise _error("zip-bomb", self.path, detail="actual uncompressed data exceeds the limit")
        if part_total > info.file_size:
            raise _error("zip-bomb", self.path, detail=f"{info.filename} inflates past its declared size")
        if part_total > MIB and part_total > self.max_ratio * max(info.compress_size, 1):
            raise _error("zip-bomb", self.path, detail=f"{info.filename} compression ratio too high")


def check_workbook_file(
    path: str | os.PathLike,
    *,
    max_bytes: int = 50 * MIB,
    max_uncompressed: int = 300 * MIB,
    max_ratio: int = 200,
    max_entries: int = 5000,
) -> WorkbookFileInfo:
    """Return facts about ``path`` if it is safe to open with openpyxl, else raise UnreadableInput."""
    p = Path(path)
    _check_entry(p, max_bytes)
    data = _read_workbook_bytes(p, max_bytes)
    sha256 = hashlib.sha256(data).hexdigest()
    _check_zip_magic(p, data)
    has_macros = _check_zip(p, data, max_uncompressed=max_uncompressed, max_ratio=max_ratio,
                            max_entries=max_entries)
    return WorkbookFileInfo(path=p, size=len(data), has_macros=has_macros, sha256=sha256, data=data)


def _check_entry(p: Path, max_bytes: int) -> None:
    """The directory entry: it exists, is a regular file with a workbook's suffix, not empty, not too big."""
    try:
        st = os.stat(p)
    except (FileNotFoundError, NotADirectoryError, ValueError):  # ValueError: NUL in the path
        raise _error("file-missing", p) from None
    except OSError as exc:  # EACCES on a parent folder, ELOOP, name too long...
        raise _error("file-unreadable", p, detail=exc.strerror or type(exc).__name__) from None
    if stat.S_ISDIR(st.st_mode):
        raise _error("file-is-directory", p)

    suffix = p.suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        # Same code for .xls, with wording that names the old format.
        raise _error("wrong-extension", p, template="wrong-extension-xls" if suffix == ".xls" else None)
    if not stat.S_ISREG(st.st_mode):  # FIFO/device: reading could block forever
        raise _error("not-a-workbook", p, kind_zh="系统特殊文件", kind_en="a special (non-regular) file")
    if st.st_size == 0:
        raise _error("file-empty", p)
    if st.st_size > max_bytes:
        raise _error("file-too-large", p, size_mb=st.st_size / MIB, limit_mb=max_bytes / MIB)


def _read_workbook_bytes(p: Path, max_bytes: int) -> bytes:
    """The file's bytes, read once (every later step works on these very bytes)."""
    try:
        with open(p, "rb") as fh:
            data = fh.read(max_bytes + 1)  # +1: notice a file that grew after stat()
    except OSError as exc:
        raise _error("file-unreadable", p, detail=exc.strerror or type(exc).__name__) from None
    if not data:
        raise _error("file-empty", p)
    if len(data) > max_bytes:
        raise _error("file-too-large", p, size_mb=len(data) / MIB, limit_mb=max_bytes / MIB)
    return data


def _check_zip_magic(p: Path, data: bytes) -> None:
    """A zip package, not an old .xls (OLE2: or an encrypted workbook), an Excel lock file or something else."""
    if data.startswith(_OLE2_MAGIC):
        code = "encrypted-workbook" if _ole2_is_encrypted(data) else "legacy-xls"
        raise _error(code, p)
    if not data.startswith(b"PK"):
        if p.name.startswith("~$"):
            raise _error("not-a-workbook", p, template="excel-lock-file")
        kind_zh, kind_en = _describe_non_zip(data)
        raise _error("not-a-workbook", p, kind_zh=kind_zh, kind_en=kind_en)


def _check_zip(p: Path, data: bytes, *, max_uncompressed: int, max_ratio: int, max_entries: int) -> bool:
    # Every central-directory record starts with PK\1\2, so this bounds the entry count
    # before zipfile builds one ZipInfo per record (a huge directory costs real memory).
    if _count_central_records(data) > max_entries:
        raise _error("zip-bomb", p, detail=f"more than {max_entries} zip entries")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except _ZIP_ERRORS as exc:
        raise _error("corrupt-zip", p, detail=f"not a readable zip: {exc}") from None

    if len(infos) > max_entries:
        raise _error("zip-bomb", p, detail=f"{len(infos)} zip entries (limit {max_entries})")
    declared = sum(i.file_size for i in infos)
    if declared > max_uncompressed:
        raise _error("zip-bomb", p, detail=f"declared uncompressed size {declared} bytes")
    for info in infos:
        if info.file_size > MIB and info.file_size > max_ratio * max(info.compress_size, 1):
            raise _error("zip-bomb", p, detail=f"{info.filename} compression ratio too high")

    names = {i.filename for i in infos}
    if _CONTENT_TYPES_PART not in names:
        _raise_other_zip_format(p, zf, names)
        raise _error("corrupt-zip", p, detail=f"{_CONTENT_TYPES_PART} is missing")

    budget = _Budget(p, max_uncompressed, max_ratio)
    ct_info = zf.getinfo(_CONTENT_TYPES_PART)
    content_types = _scan_part(p, zf, ct_info, budget, keep=True)
    workbook_part = _workbook_part_name(p, content_types)
    if workbook_part is None or workbook_part not in names:
        _raise_other_zip_format(p, zf, names)
        missing = workbook_part or f"a workbook entry in {_CONTENT_TYPES_PART}"
        raise _error("corrupt-zip", p, detail=f"{missing} is missing")

    workbook_xml = b""
    for info in infos:
        if info is ct_info or info.is_dir():
            continue
        if info.filename == workbook_part:
            workbook_xml = _scan_part(p, zf, info, budget, keep=True)
        elif _is_xml_candidate(info):
            _scan_part(p, zf, info, budget, keep=False)
        elif not info.filename.lower().endswith(_BINARY_SUFFIXES):
            _scan_part(p, zf, info, budget, keep=False, sniff_only=True)

    root = _parse_safe(p, workbook_xml, workbook_part)
    if not root.tag.endswith("}workbook") and root.tag != "workbook":
        raise _error("corrupt-xml", p, template="corrupt-zip",
                     detail=f"{workbook_part} root is <{root.tag}>, not <workbook>")
    return _VBA_PART in names


def _count_central_records(data: bytes) -> int:
    lo, hi = 0, len(data)
    eocd = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 0xFFFF))
    if eocd >= 0 and eocd + 22 <= len(data):
        cd_size, cd_offset = struct.unpack_from("<II", data, eocd + 12)
        if cd_offset != 0xFFFFFFFF and cd_offset + cd_size <= eocd:
            lo, hi = cd_offset, cd_offset + cd_size
    return data.count(b"PK\x01\x02", lo, hi)


def _is_xml_candidate(info: zipfile.ZipInfo) -> bool:
    return info.filename.lower().endswith(_XML_SUFFIXES)


def _workbook_part_name(p: Path, content_types: bytes) -> str | None:
    """Locate the workbook part as openpyxl does (Override by content type, else a Default)."""
    root = _parse_defused(p, content_types, _CONTENT_TYPES_PART)
    overrides = {}
    for el in root.iter(f"{_CT_NS}Override"):
        overrides.setdefault(el.get("ContentType"), el.get("PartName") or "")
    for ct in _WORKBOOK_CONTENT_TYPES:
        if overrides.get(ct):
            return overrides[ct].lstrip("/")
    defaults = {el.get("ContentType") for el in root.iter(f"{_CT_NS}Default")}
    if defaults & set(_WORKBOOK_CONTENT_TYPES):
        return _DEFAULT_WORKBOOK_PART
    return None  # openpyxl would stop with "File contains no valid workbook part"


_LXML_SAFE = None


def _parse_safe(p: Path, xml: bytes, part: str):
    """The workbook part with lxml (fast on 700 defined names); entities are never resolved, no DTD, no network.

    Its DOCTYPE/ENTITY declarations were already refused by the byte scan, so this only checks well-formedness.
    """
    global _LXML_SAFE
    from lxml import etree
    if _LXML_SAFE is None:
        _LXML_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(xml, _LXML_SAFE)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise _error("corrupt-xml", p, template="corrupt-zip",
                     detail=f"{part} is not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise _error("unsafe-xml", p, detail=f"{part}: DOCTYPE")
    return root


def _parse_defused(p: Path, xml: bytes, part: str):
    try:
        return defused_et.fromstring(xml, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise _error("unsafe-xml", p, detail=f"{part}: {type(exc).__name__}") from None
    except (ParseError, ValueError) as exc:  # same code as xlsxfile uses for bad part XML
        raise _error("corrupt-xml", p, template="corrupt-zip",
                     detail=f"{part} is not well-formed XML: {exc}") from None


def _scan_part(p: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget, *,
               keep: bool, sniff_only: bool = False) -> bytes:
    """Stream one part with a byte cap; raise unsafe-xml on a DOCTYPE/ENTITY marker."""
    if info.flag_bits & 0x1:
        raise _error("corrupt-zip", p, detail=f"{info.filename} is zip-encrypted")
    kept: list[bytes] = []
    total = 0
    finder = None
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                budget.take(info, total, len(chunk))
                if finder is None:
                    if sniff_only and not _looks_like_markup(chunk):
                        return b""  # unknown binary part: openpyxl will not parse it as XML
                    finder = _MarkerFinder(p, info.filename, chunk)
                if keep:
                    kept.append(chunk)
                if finder.feed(chunk):
                    raise _error("unsafe-xml", p, detail=f"DOCTYPE/ENTITY declaration in {info.filename}")
            if finder is not None and finder.finish():
                raise _error("unsafe-xml", p, detail=f"DOCTYPE/ENTITY declaration in {info.filename}")
    except _ZIP_ERRORS as exc:  # CRC mismatch, bad deflate data, truncated member...
        raise _error("corrupt-zip", p, detail=f"{info.filename}: {exc}") from None
    return b"".join(kept)


class _MarkerFinder:
    """Find '<!DOCTYPE' / '<!ENTITY' (any case) without parsing, in bytes or decoded text."""

    def __init__(self, p: Path, part: str, head: bytes):
        self.decoder = None
        self.byte_tail, self.text_tail = b"", ""
        codec = _xml_codec(head)
        if codec is not None:
            try:
                self.decoder = codecs.getincrementaldecoder(codec)(errors="replace")
            except LookupError:
                # A parser (libxml2 via iconv) may know encodings Python does not: refuse.
                raise _error("unsafe-xml", p, detail=f"{part} uses unknown encoding {codec!r}") from None

    def feed(self, chunk: bytes) -> bool:
        # The byte scan always runs: a parser may ignore a lying encoding label.
        buf = self.byte_tail + chunk
        self.byte_tail = buf[-_OVERLAP:]
        if _has_marker(buf, b"!"):
            return True
        return self.decoder is not None and self._text(self.decoder.decode(chunk))

    def finish(self) -> bool:
        return self.decoder is not None and self._text(self.decoder.decode(b"", True))

    def _text(self, text: str) -> bool:
        buf = self.text_tail + text
        self.text_tail = buf[-_OVERLAP:]
        return _has_marker(buf, "!")


def _has_marker(buf, bang) -> bool:
    """True if ``buf`` (bytes or str; ``bang`` is "!" of the same type) holds <!DOCTYPE or <!ENTITY."""
    lt = "<" if isinstance(buf, str) else b"<"
    i = buf.find(bang)
    while i != -1:  # "!" is rare in OOXML and a 1-char find is memchr-fast; "<!" is not
        if i and buf[i - 1:i] == lt:
            word = buf[i + 1:i + 8].lower()
            if isinstance(word, bytes):
                word = word.decode("latin-1")
            if word.startswith(("doctype", "entity")):
                return True
        i = buf.find(bang, i + 1)
    return False


def _xml_codec(head: bytes) -> str | None:
    """Codec to decode an XML part with, or None when a raw byte scan is exact (UTF-8 family)."""
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]  # still honour a declared encoding below, in case a parser does
    else:
        for bom, codec in _BOMS:
            if head.startswith(bom):
                return codec
        for prefix, codec in ((b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
                              (b"\x00<", "utf-16-be"), (b"<\x00", "utf-16-le"),
                              (b"\x4c\x6f\xa7\x94", "cp500")):  # EBCDIC "<?xm"
            if head.startswith(prefix):
                return codec
    m = _XML_DECL_ENCODING.match(head)
    if not m:
        return None  # XML default is UTF-8
    declared = m.group(1).decode("ascii", "replace").strip()
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        return declared  # _MarkerFinder refuses it
    return None if name in _BYTE_SCAN_CODECS else name


def _looks_like_markup(head: bytes) -> bool:
    return _xml_codec(head[:4]) is not None or head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _raise_other_zip_format(p: Path, zf: zipfile.ZipFile, names: set[str]) -> None:
    """A zip that is some other office format gets a clearer message than 'damaged'."""
    kind = None
    if "word/document.xml" in names:
        kind = ("Word 文档", "a Word document")
    elif "ppt/presentation.xml" in names:
        kind = ("PowerPoint 演示文稿", "a PowerPoint presentation")
    elif "mimetype" in names:
        try:
            with zf.open("mimetype") as fh:
                mime = fh.read(100)
        except _ZIP_ERRORS:
            mime = b""
        if mime.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
            kind = ("OpenDocument 表格（.ods）", "an OpenDocument spreadsheet (.ods)")
        elif mime.startswith(b"application/vnd.oasis.opendocument"):
            kind = ("OpenDocument 文档", "an OpenDocument file")
    if kind:
        raise _error("not-a-workbook", p, kind_zh=kind[0], kind_en=kind[1])


def _describe_non_zip(data: bytes) -> tuple[str, str]:
    head = data[:4096]
    if b"%PDF-" in head[:1024]:
        return "PDF 文件", "a PDF file"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    low = stripped[:1024].lower()
    if low.startswith((b"<!doctype html", b"<html")) or b"<html" in low or b"<table" in low:
        return "网页（HTML）文件", "an HTML web page"
    if low.startswith(b"<?xml"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in head:
            return "Excel 2003 XML 表格", "an Excel 2003 XML spreadsheet"
        return "XML 文本文件", "an XML text file"
    for magic, zh, en in ((b"\x89PNG", "图片", "an image"), (b"\xff\xd8\xff", "图片", "an image"),
                          (b"GIF8", "图片", "an image"), (b"Rar!", "压缩包", "a RAR archive"),
                          (b"7z\xbc\xaf", "压缩包", "a 7-Zip archive"), (b"\x1f\x8b", "压缩包", "a gzip archive")):
        if head.startswith(magic):
            return zh, en
    if _looks_like_text(head):
        return "文本或 CSV 文件", "a text/CSV file"
    return "一种无法识别的格式", "an unrecognised format"


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in head:
        return False
    controls = sum(1 for b in head if b < 0x20 and b not in (9, 10, 13))
    if controls > len(head) // 100:
        return False
    for codec in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(codec)().decode(head)  # tolerates a char cut at the end
            return True
        except UnicodeDecodeError:
            continue
    return False


def _ole2_is_encrypted(data: bytes) -> bool:
    names = _ole2_directory_names(data)
    if names is None:  # directory unparseable: fall back to a raw scan for the name
        return _ENCRYPTED_PACKAGE.encode("utf-16-le") in data
    return _ENCRYPTED_PACKAGE in names


def _ole2_directory_names(data: bytes) -> list[str] | None:
    """Names of all directory entries of an OLE2 compound file, or None if malformed."""
    if len(data) < 512:
        return None
    (shift,) = struct.unpack_from("<H", data, 0x1E)
    if shift not in (9, 12):
        return None
    ssz = 1 << shift
    per_sector = ssz // 4
    n_sectors = len(data) // ssz  # upper bound on any valid chain length (header included)
    num_fat, first_dir = struct.unpack_from("<II", data, 0x2C)
    first_difat = struct.unpack_from("<I", data, 0x44)[0]

    def sector(n: int) -> tuple[int, ...] | None:
        off = (n + 1) * ssz
        if off + ssz > len(data):
            return None
        return struct.unpack_from(f"<{per_sector}I", data, off)

    difat = list(struct.unpack_from("<109I", data, 0x4C))
    sec, hops = first_difat, 0
    while sec < 0xFFFFFFFA:
        vals = sector(sec)
        hops += 1
        if vals is None or hops > n_sectors:
            return None
        difat.extend(vals[:-1])
        sec = vals[-1]
    fat: list[int] = []
    for s in difat[:num_fat]:
        if s >= 0xFFFFFFFA:
            continue
        vals = sector(s)
        if vals is None:
            return None
        fat.extend(vals)

    names: list[str] = []
    sec, hops = first_dir, 0
    while sec < 0xFFFFFFFA:
        off = (sec + 1) * ssz
        hops += 1
        if off + ssz > len(data) or hops > n_sectors:
            return None
        for eo in range(off, off + ssz, 128):
            name_len = struct.unpack_from("<H", data, eo + 0x40)[0]
            if data[eo + 0x42] in (1, 2, 5) and 2 <= name_len <= 64 and name_len % 2 == 0:
                names.append(data[eo:eo + name_len - 2].decode("utf-16-le", "replace"))
        sec = fat[sec] if sec < len(fat) else 0xFFFFFFFE
    return names if names else None


# --- output paths -------------------------------------------------------------------

_WINDOWS_INVALID = re.compile(r'[<>:"/\\|?*]')
_DOT_RUNS = re.compile(r"\.{2,}")
_UNDERSCORE_RUNS = re.compile(r"_{2,}")
_EDGE_JUNK = re.compile(r"^[\s._]+|[\s._]+$")
# Cf: bidi overrides can fake an extension; Cs cannot be encoded. Private-use and
# unassigned code points stay: rare-character (生僻字) names may use them.
_DROP_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
_RESERVED = (
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{dev}{n}" for dev in ("COM", "LPT") for n in "0123456789\u00b9\u00b2\u00b3"}
)


def _is_reserved(s: str) -> bool:
    return s.split(".", 1)[0].rstrip(" ").upper() in _RESERVED


def safe_path_component(name: str, *, max_len: int = 80) -> str:
    """Turn a unit name/code into one file-name component that is safe on Windows and POSIX.

    Separators and Windows-invalid characters become ``_``, ``..`` runs are removed,
    control/format characters are dropped, edges are trimmed of spaces/dots/underscores,
    the result is cut to ``max_len`` characters, Windows device names get a ``_`` after the
    stem (``con.txt`` -> ``con_.txt``), and an empty result becomes ``_``. CJK is kept.
    """
    if max_len < 1:
        raise ValueError("max_len must be >= 1")
    s = unicodedata.normalize("NFC", str(name))
    s = "".join(ch for ch in s if unicodedata.category(ch) not in _DROP_CATEGORIES)
    s = _WINDOWS_INVALID.sub("_", s)
    s = _DOT_RUNS.sub("_", s)
    s = _UNDERSCORE_RUNS.sub("_", s)
    s = _EDGE_JUNK.sub("", s)
    s = _EDGE_JUNK.sub("", s[:max_len])  # Windows drops trailing dots/spaces silently
    if _is_reserved(s):
        stem = s.split(".", 1)[0].rstrip(" ")
        s = stem + "_" + s[len(stem):]
        if len(s) > max_len:
            s = _EDGE_JUNK.sub("", s[:max_len])
            if _is_reserved(s) or not s:  # only when max_len is tiny
                s = ("_" + s)[:max_len]
    return s or "_"


MAX_NAME_BYTES = 200     # file systems count bytes (255 on ext4/APFS): a CJK character is 3 of them in UTF-8


def fit_file_name(stem: str, suffix: str = "", max_bytes: int = MAX_NAME_BYTES) -> str:
    """``stem + suffix`` cut to at most ``max_bytes`` bytes of UTF-8; a cut stem ends in ``~`` and 8 hex digits of
    its full text's hash, so two long names that share a beginning still differ, and the same name gives the
    same file every run."""
    import hashlib
    name = stem + suffix
    if len(name.encode("utf-8")) <= max_bytes:
        return name
    tag = "~" + hashlib.sha256(stem.encode("utf-8")).hexdigest()[:8]
    room = max_bytes - len(suffix.encode("utf-8")) - len(tag)
    if room < 1:
        raise ValueError("suffix too long for max_bytes")
    cut = stem.encode("utf-8")[:room].decode("utf-8", "ignore")      # never half a character
    return _EDGE_JUNK.sub("", cut) + tag + suffix


def ensure_inside(base_dir: str | os.PathLike, candidate: str | os.PathLike) -> Path:
    """Resolve ``candidate`` (symlinks and ``..`` included) and return it if it lies in ``base_dir``.

    Relative paths resolve against the current directory, as everywhere else in pathlib.
    ``base_dir`` itself counts as inside. Raises OutputError(code="path-escape") otherwise.
    """
    base = Path(base_dir).resolve()
    resolved = Path(candidate).resolve()
    if resolved == base or base in resolved.parents:
        return resolved
    raise OutputError(
        f"输出文件的位置「{resolved}」跑到了输出文件夹「{base}」之外，为安全起见已拒绝写入。"
        "这通常是单位名称里含有特殊字符造成的，请联系技术人员。",
        f"Refusing to write '{resolved}': it is outside the output folder '{base}'.",
        code="path-escape",
    )

"""Builders for hostile or broken workbook files used by the safety tests (all made in code)."""
from __future__ import annotations

import io
import math
import struct
import zipfile
import zlib
from pathlib import Path

import openpyxl

MIB = 1024 * 1024
OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")

_CT_XLSM = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_CT_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


# --- generic writers -------------------------------------------------------------------

def valid_xlsx_bytes(rows: int = 50) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append(["单位名称", "单位代码", "金额"])
    for i in range(rows):
        ws.append([f"太平镇人民政府{i}", f"110101{i:04d}", i * 1.5])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def rewrite_zip(src: bytes, replace: dict[str, bytes | None] | None = None,
                add: dict[str, bytes] | None = None) -> bytes:
    """Copy a zip, replacing (bytes) or dropping (None) named members and appending others."""
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in replace:
                if replace[info.filename] is not None:
                    zout.writestr(info.filename, replace[info.filename])
            else:
                zout.writestr(info.filename, zin.read(info.filename))
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return out.getvalue()


def write_raw_zip(path: Path, entries: list[tuple[str, int, int, int, list[bytes]]]) -> Path:
    """Write a zip from pre-compressed members: (name, method, crc, declared_size, chunks).

    zipfile cannot take already-deflated data, and the bombs need declared sizes and
    content that zipfile would never produce on its own.
    """
    central = []
    with open(path, "wb") as fh:
        for name, method, crc, size, chunks in entries:
            raw_name = name.encode("utf-8")
            csize = sum(len(c) for c in chunks)
            offset = fh.tell()
            fh.write(struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0x800, method, 0, 0x21,
                                 crc, csize, size, len(raw_name), 0))
            fh.write(raw_name)
            for c in chunks:
                fh.write(c)
            central.append(struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 0, 20, 0, 0x800, method,
                                       0, 0x21, crc, csize, size, len(raw_name), 0, 0, 0, 0, 0, offset)
                           + raw_name)
        cd_offset = fh.tell()
        cd = b"".join(central)
        fh.write(cd)
        fh.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central),
                             len(cd), cd_offset, 0))
    return path


def _deflated(name: str, data: bytes) -> tuple[str, int, int, int, list[bytes]]:
    co = zlib.compressobj(6, zlib.DEFLATED, -15)
    return name, zipfile.ZIP_DEFLATED, zlib.crc32(data), len(data), [co.compress(data) + co.flush()]


def _zeros_deflated(size: int) -> tuple[list[bytes], int]:
    """Raw DEFLATE of ``size`` zero bytes without compressing them all (takes milliseconds).

    A full flush leaves no back-references and ends on a byte boundary, so one 1 MiB
    segment can be repeated; b"\\x03\\x00" is an empty final block.
    """
    assert size % MIB == 0
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    seg = co.compress(bytes(MIB)) + co.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    block = bytes(MIB)
    for _ in range(size // MIB):
        crc = zlib.crc32(block, crc)
    return [seg] * (size // MIB) + [b"\x03\x00"], crc


def write_ole2(path: Path, streams: dict[str, bytes], *, sector_shift: int = 9) -> Path:
    """Minimal but spec-shaped OLE2/CFB writer: root storage holding the given streams.

    Streams are padded to 4096 bytes so they live in regular sectors (no mini stream).
    """
    ssz = 1 << sector_shift
    endofchain, freesect, fatsect, nostream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    names = sorted(streams, key=lambda n: (len(n), n.upper()))  # CFB sibling order
    blobs = [streams[n].ljust(4096, b"\0") for n in names]
    n_dir = math.ceil((1 + len(names)) * 128 / ssz)
    stream_secs = [math.ceil(len(b) / ssz) for b in blobs]
    n_fat = 1
    while n_fat + n_dir + sum(stream_secs) > n_fat * (ssz // 4):
        n_fat += 1
    assert n_fat <= 109, "DIFAT sectors not supported by this test writer"

    fat = [freesect] * (n_fat * ssz // 4)
    for i in range(n_fat):
        fat[i] = fatsect

    def chain(start: int, count: int) -> None:
        for k in range(count):
            fat[start + k] = start + k + 1 if k < count - 1 else endofchain

    dir_start = n_fat
    chain(dir_start, n_dir)
    starts, sec = [], dir_start + n_dir
    for count in stream_secs:
        starts.append(sec)
        chain(sec, count)
        sec += count

    def entry(name: str, etype: int, *, child=nostream, right=nostream, start=endofchain, size=0) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0" if name else b""
        return struct.pack("<64sHBBIII16sIQQIQ", raw, len(raw), etype, 1, nostream, right, child,
                           b"\0" * 16, 0, 0, 0, start, size)

    entries = [entry("Root Entry", 5, child=1 if names else nostream)]
    for i, (name, blob) in enumerate(zip(names, blobs)):
        right = i + 2 if i + 1 < len(names) else nostream
        entries.append(entry(name, 2, right=right, start=starts[i], size=len(blob)))
    while len(entries) * 128 < n_dir * ssz:
        entries.append(entry("", 0))

    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", OLE2_MAGIC, b"\0" * 16, 0x3E,
                         3 if sector_shift == 9 else 4, 0xFFFE, sector_shift, 6, b"\0" * 6,
                         n_dir if sector_shift == 12 else 0, n_fat, dir_start, 0, 4096,
                         endofchain, 0, endofchain, 0)
    header += struct.pack("<109I", *(list(range(n_fat)) + [freesect] * (109 - n_fat)))
    with open(path, "wb") as fh:
        fh.write(header.ljust(ssz, b"\0"))
        fh.write(struct.pack(f"<{len(fat)}I", *fat))
        fh.write(b"".join(entries))
        for blob in blobs:
            fh.write(blob.ljust(math.ceil(len(blob) / ssz) * ssz, b"\0"))
    return path


# --- good files ------------------------------------------------------------------------

def make_valid_xlsx(d: Path, name: str = "有效报表.xlsx") -> Path:
    p = d / name
    p.write_bytes(valid_xlsx_bytes())
    return p


def make_xlsm_with_macros(d: Path, name: str = "带宏.xlsm") -> Path:
    src = valid_xlsx_bytes()
    with zipfile.ZipFile(io.BytesIO(src)) as zf:
        ct = zf.read("[Content_Types].xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    ct = ct.replace(_CT_XLSX, _CT_XLSM).replace(
        "</Types>", '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    rels = rels.replace("</Relationships>", '<Relationship Id="rIdVba" Target="vbaProject.bin" '
                        'Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject"/>'
                        "</Relationships>")
    p = d / name
    p.write_bytes(rewrite_zip(src, {"[Content_Types].xml": ct.encode(),
                                    "xl/_rels/workbook.xml.rels": rels.encode()},
                              add={"xl/vbaProject.bin": OLE2_MAGIC + bytes(1024)}))
    return p


# --- not files / wrong type ------------------------------------------------------------

def make_empty(d: Path, name: str = "空文件.xlsx") -> Path:
    p = d / name
    p.write_bytes(b"")
    return p


def make_directory(d: Path, name: str = "文件夹.xlsx") -> Path:
    p = d / name
    p.mkdir()
    return p


def make_csv_renamed(d: Path, name: str = "名单.xlsx") -> Path:
    p = d / name
    p.write_bytes("单位名称,单位代码,金额\n太平镇人民政府,110101,12.5\n".encode("utf-8-sig"))
    return p


def make_gbk_csv_renamed(d: Path, name: str = "名单gbk.xlsx") -> Path:
    p = d / name
    p.write_bytes("单位名称,单位代码\r\n太平镇人民政府,110101\r\n".encode("gbk"))
    return p


def make_pdf_renamed(d: Path, name: str = "扫描件.xlsx") -> Path:
    p = d / name
    p.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n")
    return p


def make_html_renamed(d: Path, name: str = "导出.xlsx") -> Path:
    p = d / name
    p.write_text("<html><body><table><tr><td>单位</td></tr></table></body></html>", encoding="utf-8")
    return p


def make_lock_file(d: Path, name: str = "~$有效报表.xlsx") -> Path:
    p = d / name
    p.write_bytes(b"\x08" + "张三".encode("utf-16-le").ljust(161, b" "))  # Excel owner file shape
    return p


def make_ods(d: Path, name: str = "开放格式.ods") -> Path:
    p = d / name
    _write_ods(p)
    return p


def make_ods_renamed(d: Path, name: str = "开放格式改名.xlsx") -> Path:
    p = d / name
    _write_ods(p)
    return p


def _write_ods(p: Path) -> None:
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<office:document-content/>")
        zf.writestr("META-INF/manifest.xml", "<manifest:manifest/>")


def make_xls_extension(d: Path, name: str = "旧表.xls") -> Path:
    p = d / name
    p.write_bytes(OLE2_MAGIC + bytes(504))
    return p


# --- OLE2 ------------------------------------------------------------------------------

def make_legacy_xls_header(d: Path, name: str = "旧格式改名.xlsx") -> Path:
    """Just the OLE2 magic plus padding: no parseable directory."""
    p = d / name
    p.write_bytes(OLE2_MAGIC + bytes(4096 - len(OLE2_MAGIC)))
    return p


def make_legacy_xls_real_layout(d: Path, name: str = "旧格式结构.xlsx") -> Path:
    """A well-formed CFB with a Workbook stream whose *data* mentions EncryptedPackage.

    Only a directory-aware detector calls this legacy-xls rather than encrypted.
    """
    p = d / name
    body = b"BIFF8 dummy " + "EncryptedPackage".encode("utf-16-le") * 4
    return write_ole2(p, {"Workbook": body, "\x05SummaryInformation": b"summary"})


def make_encrypted_xlsx(d: Path, name: str = "加密报表.xlsx", *, sector_shift: int = 9) -> Path:
    """The shape Excel writes for a password-protected .xlsx (agile encryption)."""
    p = d / name
    info = struct.pack("<HHI", 4, 4, 0x40) + b'<?xml version="1.0"?><encryption/>'
    return write_ole2(p, {"EncryptionInfo": info, "EncryptedPackage": struct.pack("<Q", 5000) + bytes(5000)},
                      sector_shift=sector_shift)


# --- broken zips -----------------------------------------------------------------------

def make_truncated_zip(d: Path, name: str = "截断.xlsx") -> Path:
    data = valid_xlsx_bytes()
    p = d / name
    p.write_bytes(data[: len(data) // 2])
    return p


def make_flipped_bytes(d: Path, name: str = "损坏.xlsx", part: str = "xl/worksheets/sheet1.xml") -> Path:
    """Invert bytes in the middle of one member's compressed data (bad deflate or CRC)."""
    data = bytearray(valid_xlsx_bytes(rows=400))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo(part)
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_len + extra_len
    mid = start + info.compress_size // 2
    for i in range(mid, mid + 16):
        data[i] ^= 0xFF
    p = d / name
    p.write_bytes(bytes(data))
    return p


def make_missing_workbook_xml(d: Path, name: str = "缺少工作簿.xlsx") -> Path:
    p = d / name
    p.write_bytes(rewrite_zip(valid_xlsx_bytes(), {"xl/workbook.xml": None}))
    return p


def make_missing_content_types(d: Path, name: str = "缺少类型.xlsx") -> Path:
    p = d / name
    p.write_bytes(rewrite_zip(valid_xlsx_bytes(), {"[Content_Types].xml": None}))
    return p


def make_malformed_workbook_xml(d: Path, name: str = "工作簿损坏.xlsx") -> Path:
    p = d / name
    p.write_bytes(rewrite_zip(valid_xlsx_bytes(), {"xl/workbook.xml": b"<workbook><sheets>"}))
    return p


def make_docx_renamed(d: Path, name: str = "文档改名.xlsx") -> Path:
    p = d / name
    p.write_bytes(rewrite_zip(valid_xlsx_bytes(), {"xl/workbook.xml": None},
                              add={"word/document.xml": b"<w:document/>"}))
    return p


# --- zip bombs -------------------------------------------------------------------------

def _bomb(d: Path, name: str, size: int, *, declared_size: int | None = None) -> Path:
    chunks, crc = _zeros_deflated(size)
    src = valid_xlsx_bytes(rows=1)
    with zipfile.ZipFile(io.BytesIO(src)) as zf:
        ct, wb = zf.read("[Content_Types].xml"), zf.read("xl/workbook.xml")
    entries = [
        _deflated("[Content_Types].xml", ct),
        _deflated("xl/workbook.xml", wb),
        ("xl/worksheets/sheet1.xml", zipfile.ZIP_DEFLATED, crc,
         size if declared_size is None else declared_size, chunks),
    ]
    return write_raw_zip(d / name, entries)


def make_zip_bomb(d: Path, name: str = "炸弹.xlsx", size: int = 400 * MIB) -> Path:
    """400 MiB of zeros in a ~0.4 MiB file: over the declared-total limit."""
    return _bomb(d, name, size)


def make_ratio_bomb(d: Path, name: str = "高压缩比.xlsx", size: int = 64 * MIB) -> Path:
    """Under the total limit but one member inflates ~1000x."""
    return _bomb(d, name, size)


def make_lying_size_bomb(d: Path, name: str = "谎报大小.xlsx", size: int = 64 * MIB) -> Path:
    """Declares 1000 bytes for a member that inflates to ``size``; CRC is of the full data."""
    return _bomb(d, name, size, declared_size=1000)


def make_many_entries(d: Path, name: str = "条目过多.xlsx", count: int = 5001) -> Path:
    src = valid_xlsx_bytes(rows=1)
    p = d / name
    p.write_bytes(rewrite_zip(src, add={f"xl/media/x{i}.bin": b"" for i in range(count)}))
    return p


# --- unsafe XML ------------------------------------------------------------------------

BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]>"
)
EXTERNAL_ENTITY = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def _inject(xml: bytes, doctype: str) -> bytes:
    """Put ``doctype`` right after the XML declaration (where a real DTD would go)."""
    text = xml.decode("utf-8")
    if text.startswith("<?xml"):
        end = text.index("?>") + 2
        return (text[:end] + doctype + text[end:]).encode("utf-8")
    return (doctype + text).encode("utf-8")


def make_billion_laughs(d: Path, name: str = "实体膨胀.xlsx") -> Path:
    src = valid_xlsx_bytes()
    with zipfile.ZipFile(io.BytesIO(src)) as zf:
        wb = zf.read("xl/workbook.xml")
    p = d / name
    p.write_bytes(rewrite_zip(src, {"xl/workbook.xml": _inject(wb, BILLION_LAUGHS)}))
    return p


def _sheet_with(src: bytes, transform) -> bytes:
    with zipfile.ZipFile(io.BytesIO(src)) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml")
    return rewrite_zip(src, {"xl/worksheets/sheet1.xml": transform(sheet)})


def make_external_entity(d: Path, name: str = "外部实体.xlsx") -> Path:
    def transform(sheet: bytes) -> bytes:
        sheet = _inject(sheet, EXTERNAL_ENTITY)
        return sheet.replace(b"<sheetData>", b'<sheetData><row r="999"><c r="A999" t="inlineStr">'
                                             b"<is><t>&xxe;</t></is></c></row>", 1)
    p = d / name
    p.write_bytes(_sheet_with(valid_xlsx_bytes(), transform))
    return p


def make_lowercase_doctype(d: Path, name: str = "小写声明.xlsx") -> Path:
    p = d / name
    p.write_bytes(_sheet_with(valid_xlsx_bytes(), lambda s: _inject(s, EXTERNAL_ENTITY.lower())))
    return p


def make_utf16_doctype(d: Path, name: str = "utf16声明.xlsx") -> Path:
    """UTF-16 sheet: the ASCII bytes '<!DOCTYPE' never appear, only their UTF-16 form."""
    def transform(sheet: bytes) -> bytes:
        text = _inject(sheet, EXTERNAL_ENTITY).decode("utf-8")
        text = text.replace('encoding="UTF-8"', 'encoding="UTF-16"').replace("encoding='UTF-8'", "encoding='UTF-16'")
        return text.encode("utf-16")
    p = d / name
    p.write_bytes(_sheet_with(valid_xlsx_bytes(), transform))
    return p


def make_doctype_in_odd_part(d: Path, name: str = "怪名部件.xlsx") -> Path:
    """A DOCTYPE in a member without an .xml suffix (content sniffing must catch it)."""
    p = d / name
    p.write_bytes(rewrite_zip(valid_xlsx_bytes(), add={"customXml/item1.dat":
                                                       _inject(b"<root/>", EXTERNAL_ENTITY)}))
    return p


def make_doctype_across_chunks(d: Path, name: str = "跨块声明.xlsx", chunk: int = 256 * 1024) -> Path:
    """'<!DOCTYPE' straddling the scanner's read boundary (inside a comment-free prolog pad)."""
    prefix = b'<?xml version="1.0"?>'
    pad = b" " * (chunk - len(prefix) - 4)
    xml = prefix + pad + EXTERNAL_ENTITY.encode() + b"<root/>"
    p = d / name
    p.write_bytes(rewrite_zip(valid_xlsx_bytes(), add={"customXml/item1.xml": xml}))
    return p


def make_utf7_doctype(d: Path, name: str = "utf7声明.xlsx") -> Path:
    """UTF-7 hides '<' and '!' as '+ADw-' / '+ACE-'; libxml2 (via iconv) would decode it."""
    xml = b'<?xml version="1.0" encoding="UTF-7"?>+ADwAIQ-DOCTYPE r +AFsAPAAh-ENTITY x SYSTEM "file:///etc/passwd"+AD4AXQA+-<r/>'
    p = d / name
    p.write_bytes(rewrite_zip(valid_xlsx_bytes(), add={"customXml/item1.xml": xml}))
    return p


def make_unknown_encoding(d: Path, name: str = "未知编码.xlsx") -> Path:
    p = d / name
    xml = b'<?xml version="1.0" encoding="x-made-up-charset"?><r/>'
    p.write_bytes(rewrite_zip(valid_xlsx_bytes(), add={"customXml/item1.xml": xml}))
    return p


def make_harmless_markup(d: Path, name: str = "无害标记.xlsx") -> Path:
    """Comments, CDATA, a GBK-declared part and '&amp;' text: none of these is a DTD."""
    gbk = '<?xml version="1.0" encoding="GBK"?><r>太平镇人民政府 &amp; 社区!</r>'.encode("gbk")
    other = b'<?xml version="1.0"?><!-- note --><r><![CDATA[a<b]]>wow!</r>'
    p = d / name
    p.write_bytes(rewrite_zip(valid_xlsx_bytes(), add={"customXml/item1.xml": gbk, "customXml/item2.xml": other,
                                                       "xl/media/image1.svg": _inject(b"<svg/>", EXTERNAL_ENTITY)}))
    return p


def make_workbook_part_elsewhere(d: Path, name: str = "工作簿改名.xlsx") -> Path:
    """Workbook stored as xl/book.xml and found through [Content_Types].xml, as openpyxl does."""
    src = valid_xlsx_bytes()
    with zipfile.ZipFile(io.BytesIO(src)) as zf:
        ct = zf.read("[Content_Types].xml").replace(b"/xl/workbook.xml", b"/xl/book.xml")
        root_rels = zf.read("_rels/.rels").replace(b"xl/workbook.xml", b"xl/book.xml")
        wb, wb_rels = zf.read("xl/workbook.xml"), zf.read("xl/_rels/workbook.xml.rels")
    p = d / name
    p.write_bytes(rewrite_zip(src, {"[Content_Types].xml": ct, "_rels/.rels": root_rels,
                                    "xl/workbook.xml": None, "xl/_rels/workbook.xml.rels": None},
                              add={"xl/book.xml": wb, "xl/_rels/book.xml.rels": wb_rels}))
    return p


def make_no_workbook_content_type(d: Path, name: str = "无工作簿类型.xlsx") -> Path:
    """xl/workbook.xml is there but [Content_Types].xml does not declare it (openpyxl refuses)."""
    src = valid_xlsx_bytes()
    with zipfile.ZipFile(io.BytesIO(src)) as zf:
        ct = zf.read("[Content_Types].xml").replace(_CT_XLSX.encode(), b"application/xml")
    p = d / name
    p.write_bytes(rewrite_zip(src, {"[Content_Types].xml": ct}))
    return p


# --- odd-but-readable returns built from the sample (issue 15) -------------------------
# Each patches the sample's XML the way the attack run did; validate reads all of them.

def _sample() -> bytes:
    from conftest import SAMPLE
    return SAMPLE.read_bytes()


def _sample_part(name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(_sample())) as zf:
        return zf.read(name)


def _write(d: Path, name: str, data: bytes) -> Path:
    p = d / name
    p.write_bytes(data)
    return p


def make_rel_to_part(d: Path, target: str = "styles.xml", name: str | None = None, sheet: int = 6) -> Path:
    """A sheet's workbook relationship (评分表's by default) points at a non-worksheet part (styles, theme)."""
    rels = _sample_part("xl/_rels/workbook.xml.rels").replace(f'Target="/xl/worksheets/sheet{sheet}.xml"'.encode(),
                                                               f'Target="{target}"'.encode())
    return _write(d, name or f"关系指向{target.replace('/', '_')}.xlsx",
                  rewrite_zip(_sample(), {"xl/_rels/workbook.xml.rels": rels}))


def make_duplicate_entry(d: Path, name: str = "重复条目.xlsx", part: str = "xl/worksheets/sheet6.xml") -> Path:
    """The same zip member twice (the second an empty sheet)."""
    import warnings
    empty = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             b'spreadsheetml/2006/main"><sheetData/></worksheet>')
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # zipfile warns about the duplicate name: that is the point
        return _write(d, name, rewrite_zip(_sample(), add={part: empty}))


def _set_values(sheet: bytes, values: dict[str, bytes]) -> bytes:
    """Replace the stored <v> of existing cells (numbers)."""
    import re as _re
    for coord, v in values.items():
        pat = _re.compile(rb'<c r="' + coord.encode() + rb'"((?:\s+[\w:]+="[^"]*")*)\s*(/>|>.*?</c>)', _re.S)
        m = pat.search(sheet)
        attrs = _re.sub(rb'\s*t="[^"]*"', b"", m.group(1)) if m else b""
        new = b'<c r="' + coord.encode() + b'"' + attrs + b"><v>" + v + b"</v></c>"
        assert m, coord
        sheet = sheet[:m.start()] + new + sheet[m.end():]
    return sheet


def make_numbers(d: Path, values: dict[str, bytes], name: str) -> Path:
    """收支情况 (sheet3) money cells with the given raw <v> texts (1e308, NaN, -INF …)."""
    s = _set_values(_sample_part("xl/worksheets/sheet4.xml"), values)
    return _write(d, name, rewrite_zip(_sample(), {"xl/worksheets/sheet4.xml": s}))


def make_huge_money(d: Path, name: str = "巨大金额.xlsx") -> Path:
    """Two money cells of 1e308: their sum overflows a float."""
    return make_numbers(d, {"C4": b"1e308", "D4": b"1e308"}, name)


def make_nan_money(d: Path, name: str = "非数金额.xlsx") -> Path:
    return make_numbers(d, {"C4": b"NaN", "D4": b"-INF"}, name)


def make_padded_sheet(d: Path, name: str = "填充到末行.xlsx", part: str = "xl/worksheets/sheet9.xml",
                      rows: int = 1_048_576, text_every: int = 0) -> Path:
    """A sheet padded with styled rows down to Excel's last row (text in every ``text_every``-th row)."""
    sheet = _sample_part(part)
    end = sheet.rindex(b"</sheetData>")
    buf = io.BytesIO()
    for r in range(200, rows + 1):
        if text_every and r % text_every == 0:
            buf.write(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>' % (r, r))
        else:
            buf.write(b'<row r="%d" ht="15" customHeight="1"><c r="A%d" s="1"/></row>' % (r, r))
    sheet = sheet[:end] + buf.getvalue() + sheet[end:]
    sheet = re_sub_dimension(sheet, f"A1:E{rows}")
    return _write(d, name, rewrite_zip(_sample(), {part: sheet}))


def re_sub_dimension(sheet: bytes, ref: str) -> bytes:
    import re as _re
    return _re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="' + ref.encode() + b'"/>', sheet, count=1)


def make_shared_formulas(d: Path, name: str = "共享公式.xlsx", part: str = "xl/worksheets/sheet9.xml",
                         cells: int = 200_000, cols: int = 20, first_row: int = 100) -> Path:
    """``cells`` cells of one shared formula (as Excel writes a filled-down formula), below the form."""
    sheet = _sample_part(part)
    end = sheet.rindex(b"</sheetData>")
    buf = io.BytesIO()
    letters = [openpyxl.utils.get_column_letter(c) for c in range(1, cols + 1)]
    rows = cells // cols
    last = first_row + rows - 1
    for i in range(rows):
        r = first_row + i
        buf.write(b'<row r="%d">' % r)
        for j, col in enumerate(letters):
            coord = f"{col}{r}".encode()
            if i == 0 and j == 0:
                buf.write(b'<c r="%s"><f t="shared" ref="A%d:%s%d" si="0">ROW()*2</f><v>%d</v></c>'
                          % (coord, first_row, letters[-1].encode(), last, r * 2))
            else:
                buf.write(b'<c r="%s"><f t="shared" si="0"/><v>%d</v></c>' % (coord, r * 2))
        buf.write(b"</row>")
    sheet = sheet[:end] + buf.getvalue() + sheet[end:]
    return _write(d, name, rewrite_zip(_sample(), {part: sheet}))


def make_overlapping_merges(d: Path, name: str = "重叠合并.xlsx", part: str = "xl/worksheets/sheet6.xml") -> Path:
    """Two merged ranges over one score cell (评分表!J8), as a unit's copy-paste leaves them."""
    import re as _re
    sheet = _sample_part(part)
    extra = b'<mergeCell ref="J8:K9"/><mergeCell ref="J8:J10"/>'
    if b"<mergeCells" in sheet:
        sheet = _re.sub(rb"(<mergeCells[^>]*>)", lambda m: m.group(1) + extra, sheet, count=1)
    else:
        sheet = sheet.replace(b"</sheetData>", b"</sheetData><mergeCells>" + extra + b"</mergeCells>", 1)
    return _write(d, name, rewrite_zip(_sample(), {part: sheet}))

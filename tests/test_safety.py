"""Tests for workbook_tools.files.safety: pre-flight workbook checks and output-path helpers."""
from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import pytest

import workbook_tools.files.safety as safety
from workbook_tools.errors import OutputError, UnreadableInput
from workbook_tools.files.safety import (
    WorkbookFileInfo,
    check_workbook_file,
    ensure_inside,
    safe_path_component,
)

try:  # works whether or not tests/ becomes a package
    from tests import badfiles as bf
except ImportError:  # pragma: no cover
    import badfiles as bf


def _refused(path: Path, **kwargs) -> UnreadableInput:
    with pytest.raises(UnreadableInput) as info:
        check_workbook_file(path, **kwargs)
    return info.value


BAD_FILES = [
    # (builder, expected code, a word the English message should contain)
    (bf.make_empty, "file-empty", "empty"),
    (bf.make_directory, "file-is-directory", "folder"),
    (bf.make_csv_renamed, "not-a-workbook", "CSV"),
    (bf.make_gbk_csv_renamed, "not-a-workbook", "CSV"),
    (bf.make_pdf_renamed, "not-a-workbook", "PDF"),
    (bf.make_html_renamed, "not-a-workbook", "HTML"),
    (bf.make_lock_file, "not-a-workbook", "lock file"),
    (bf.make_ods_renamed, "not-a-workbook", "OpenDocument"),
    (bf.make_docx_renamed, "not-a-workbook", "Word"),
    (bf.make_ods, "wrong-extension", ".ods"),
    (bf.make_xls_extension, "wrong-extension", ".xls"),
    (bf.make_legacy_xls_header, "legacy-xls", "97-2003"),
    (bf.make_legacy_xls_real_layout, "legacy-xls", "97-2003"),
    (bf.make_encrypted_xlsx, "encrypted-workbook", "password"),
    (lambda d: bf.make_encrypted_xlsx(d, "加密4k.xlsx", sector_shift=12), "encrypted-workbook", "password"),
    (bf.make_truncated_zip, "corrupt-zip", "damaged"),
    (bf.make_flipped_bytes, "corrupt-zip", "damaged"),
    (bf.make_missing_workbook_xml, "corrupt-zip", "workbook.xml"),
    (bf.make_missing_content_types, "corrupt-zip", "Content_Types"),
    (bf.make_malformed_workbook_xml, "corrupt-xml", "well-formed"),
    (bf.make_no_workbook_content_type, "corrupt-zip", "Content_Types"),
    (bf.make_ratio_bomb, "zip-bomb", "ratio"),
    (bf.make_lying_size_bomb, "corrupt-zip", "CRC"),
    (bf.make_many_entries, "zip-bomb", "entries"),
    (bf.make_billion_laughs, "unsafe-xml", "workbook.xml"),
    (bf.make_external_entity, "unsafe-xml", "sheet1.xml"),
    (bf.make_lowercase_doctype, "unsafe-xml", "sheet1.xml"),
    (bf.make_utf16_doctype, "unsafe-xml", "sheet1.xml"),
    (bf.make_doctype_in_odd_part, "unsafe-xml", "item1.dat"),
    (bf.make_doctype_across_chunks, "unsafe-xml", "item1.xml"),
    (bf.make_utf7_doctype, "unsafe-xml", "item1.xml"),
    (bf.make_unknown_encoding, "unsafe-xml", "x-made-up-charset"),
]


@pytest.mark.parametrize("builder, code, en_word", BAD_FILES,
                         ids=[f"{c}-{getattr(b, '__name__', 'lambda')}" for b, c, _ in BAD_FILES])
def test_bad_files_are_refused_with_code(tmp_path, builder, code, en_word):
    path = builder(tmp_path)
    err = _refused(path)
    assert err.code == code
    assert err.exit_code == 3
    assert path.name in err.zh
    assert path.name in err.en
    assert en_word in err.en
    assert err.path == path


@pytest.fixture(scope="session")
def zip_bomb(tmp_path_factory) -> Path:
    return bf.make_zip_bomb(tmp_path_factory.mktemp("bomb"))


def test_zip_bomb_is_refused_from_the_central_directory(zip_bomb):
    # ~0.4 MiB on disk, 400 MiB declared: refused before any member is inflated.
    assert zip_bomb.stat().st_size < 1024 * 1024
    err = _refused(zip_bomb)
    assert err.code == "zip-bomb"
    assert "declared" in err.en
    assert zip_bomb.name in err.zh


def test_zip_bomb_never_inflates_the_member(zip_bomb, monkeypatch):
    opened = []
    real_open = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        opened.append(getattr(name, "filename", name))
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    _refused(zip_bomb)
    assert "xl/worksheets/sheet1.xml" not in opened


def test_limits_are_configurable(tmp_path):
    path = bf.make_valid_xlsx(tmp_path)
    assert _refused(path, max_bytes=100).code == "file-too-large"
    assert _refused(path, max_entries=3).code == "zip-bomb"
    assert _refused(path, max_uncompressed=1000).code == "zip-bomb"


def test_missing_file(tmp_path):
    err = _refused(tmp_path / "不存在的报表.xlsx")
    assert (err.code, err.exit_code) == ("file-missing", 3)
    assert "不存在的报表.xlsx" in err.zh


def test_nul_in_path_is_missing(tmp_path):
    assert _refused(str(tmp_path / "a\x00b.xlsx")).code == "file-missing"


def test_missing_parent_is_missing_too(tmp_path):
    (tmp_path / "a_file").write_text("x")
    assert _refused(tmp_path / "a_file" / "报表.xlsx").code == "file-missing"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores file permissions")
def test_unreadable_permissions(tmp_path):
    path = bf.make_valid_xlsx(tmp_path)
    path.chmod(0)
    try:
        assert _refused(path).code == "file-unreadable"
    finally:
        path.chmod(0o644)


def test_unreadable_when_open_fails(tmp_path, monkeypatch):
    def deny(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    path = bf.make_valid_xlsx(tmp_path)
    monkeypatch.setattr(safety, "open", deny, raising=False)
    err = _refused(path)
    assert (err.code, err.exit_code) == ("file-unreadable", 3)
    assert path.name in err.zh


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_not_read(tmp_path):
    fifo = tmp_path / "管道.xlsx"
    os.mkfifo(fifo)
    assert _refused(fifo).code == "not-a-workbook"


def test_valid_workbook_passes(tmp_path):
    path = bf.make_valid_xlsx(tmp_path)
    info = check_workbook_file(path)
    assert isinstance(info, WorkbookFileInfo)
    assert info == WorkbookFileInfo(path=path, size=path.stat().st_size, has_macros=False,
                                    sha256=hashlib.sha256(path.read_bytes()).hexdigest())
    with pytest.raises(AttributeError):
        info.size = 1  # frozen


def test_valid_workbook_accepts_str_path_and_upper_case_suffix(tmp_path):
    path = bf.make_valid_xlsx(tmp_path, "REPORT.XLSX")
    assert check_workbook_file(str(path)).path == path


def test_xlsm_with_macros_is_readable(tmp_path):
    path = bf.make_xlsm_with_macros(tmp_path)
    info = check_workbook_file(path)
    assert info.has_macros is True
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_passing_files_really_open_in_openpyxl(tmp_path):
    import openpyxl

    for builder in (bf.make_valid_xlsx, bf.make_xlsm_with_macros, bf.make_workbook_part_elsewhere,
                    bf.make_harmless_markup):
        path = builder(tmp_path)
        check_workbook_file(path)
        assert openpyxl.load_workbook(path, read_only=True).sheetnames == ["汇总"]


def test_old_xls_extension_message_names_the_format(tmp_path):
    err = _refused(bf.make_xls_extension(tmp_path))
    assert err.code == "wrong-extension"
    assert "97-2003" in err.zh and ".xlsx" in err.zh


@pytest.mark.parametrize("back", range(1, 11))
def test_doctype_split_across_read_chunks(tmp_path, back):
    # Put "<!" so that the marker straddles the scanner's chunk boundary at every offset.
    path = bf.make_doctype_across_chunks(tmp_path, chunk=safety._CHUNK + 4 - back)
    assert _refused(path).code == "unsafe-xml"


def test_safe_parse_backs_up_the_byte_scan(tmp_path, monkeypatch):
    # If the cheap scan ever missed a DTD in workbook.xml, the non-expanding parse still refuses it.
    monkeypatch.setattr(safety, "_has_marker", lambda buf, bang: False)
    err = _refused(bf.make_billion_laughs(tmp_path))
    assert err.code == "unsafe-xml"
    assert "DOCTYPE" in err.en


# --- safe_path_component -----------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("../../etc/passwd", "etc_passwd"),
    ("CON", "CON_"),
    ("con.txt", "con_.txt"),
    ("NUL", "NUL_"),
    ("nul", "nul_"),
    ("Lpt9.csv", "Lpt9_.csv"),
    ("COM1", "COM1_"),
    ("COM10", "COM10"),
    ("CONSOLE", "CONSOLE"),
    ("a/b\\c", "a_b_c"),
    ("  .. ", "_"),
    ("", "_"),
    ("...", "_"),
    ("太平镇人民政府", "太平镇人民政府"),
    ("太平镇（社区）人民政府", "太平镇（社区）人民政府"),
    ("\U00030000\ue000镇", "\U00030000\ue000镇"),  # rare CJK and private-use chars are kept
    ("a\ud800b", "ab"),  # a lone surrogate could not be encoded as a file name
    ("a\x00b\nc\td\x1f\x7f", "abcd"),
    ("evil\u202etxt.exe", "eviltxt.exe"),
    ('x<>:"|?*y', "x_y"),
    ("report.", "report"),
    ("  spaced name  ", "spaced name"),
    ("110101", "110101"),
    (".hidden", "hidden"),
])
def test_safe_path_component(raw, expected):
    assert safe_path_component(raw) == expected


def test_safe_path_component_truncates_long_names():
    assert safe_path_component("a" * 300) == "a" * 80
    assert safe_path_component("镇" * 300) == "镇" * 80
    assert safe_path_component("a" * 300, max_len=10) == "a" * 10
    assert safe_path_component("x" * 79 + ".  tail") == "x" * 79  # no trailing dot after the cut


def test_safe_path_component_never_yields_reserved_or_unsafe():
    samples = ["CON", "aux.tar.gz", "../..", "/", "\\\\server\\share", "C:\\Windows", "a" * 500,
               "PRN ", "com\u00b9", "conin$", "\u3000太平镇\u3000"]
    for raw in samples:
        for max_len in (1, 3, 4, 8, 80):
            out = safe_path_component(raw, max_len=max_len)
            assert out and len(out) <= max_len
            assert not any(ch in out for ch in '<>:"/\\|?*')
            assert out not in (".", "..") and not out.endswith((".", " "))
            assert out.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM\u00b9", "CONIN$"}


def test_safe_path_component_rejects_bad_max_len():
    with pytest.raises(ValueError):
        safe_path_component("x", max_len=0)


# --- ensure_inside -----------------------------------------------------------------

@pytest.mark.parametrize("relative", ["报表.xlsx", "sub/dir/报表.xlsx", "sub/../报表.xlsx", "."])
def test_ensure_inside_accepts(tmp_path, relative):
    assert ensure_inside(tmp_path, tmp_path / relative) == (tmp_path / relative).resolve()


@pytest.mark.parametrize("relative", ["../x.xlsx", "sub/../../x.xlsx", "../" + "out" + "2/x.xlsx"])
def test_ensure_inside_refuses_escape(tmp_path, relative):
    base = tmp_path / "out"
    base.mkdir()
    with pytest.raises(OutputError) as info:
        ensure_inside(base, base / relative)
    assert info.value.code == "path-escape"
    assert info.value.exit_code == 3


def test_ensure_inside_refuses_absolute_elsewhere(tmp_path):
    with pytest.raises(OutputError):
        ensure_inside(tmp_path, Path("/etc/passwd"))


def test_ensure_inside_refuses_sibling_with_common_prefix(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(OutputError):
        ensure_inside(tmp_path / "out", tmp_path / "out-evil" / "x.xlsx")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_ensure_inside_follows_symlinks(tmp_path):
    base = tmp_path / "out"
    base.mkdir()
    (base / "link").symlink_to(tmp_path)
    with pytest.raises(OutputError):
        ensure_inside(base, base / "link" / "x.xlsx")


def test_ensure_inside_with_safe_component(tmp_path):
    for name in ("../../etc/passwd", "..", "a/../../b", "CON"):
        target = tmp_path / f"{safe_path_component(name)}.xlsx"
        assert ensure_inside(tmp_path, target).parent == tmp_path.resolve()


def test_mutated_files_only_ever_raise_unreadable_input(tmp_path):
    # Hostile input must end as a clean refusal, never a stray zipfile/struct/zlib exception.
    import random

    rng = random.Random(20240601)
    seeds = [bf.valid_xlsx_bytes(), bf.make_encrypted_xlsx(tmp_path).read_bytes()]
    path = tmp_path / "变异.xlsx"
    for _ in range(300):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 6)):
            pos = rng.randrange(len(data))
            if rng.random() < 0.7:
                data[pos] = rng.randrange(256)
            else:
                del data[pos:pos + rng.randint(1, 40)]
        path.write_bytes(bytes(data))
        try:
            check_workbook_file(path)
        except UnreadableInput as err:
            assert err.exit_code == 3 and path.name in err.zh

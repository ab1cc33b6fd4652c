"""LibreOffice full recalculation replaces stale cached values with the true results."""
from __future__ import annotations

import os
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from lo_recalc import recalc_files, recalculated_values, soffice_path

# Local convenience only: CI installs LibreOffice, so there this never skips.
pytestmark = pytest.mark.skipif(soffice_path() is None and not os.environ.get("CI"), reason="LibreOffice not installed (CI installs it)")

STALE = 999


def expected(a1: int) -> dict[tuple[str, str], object]:
    return {
        ("数据", "D1"): round(a1 / 3, 4),
        ("数据", "D2"): min(1, a1 / 3) * 10,
        ("数据", "D3"): 1,
        ("数据", "D4"): 12 + a1,
        ("数据", "D5"): 3,  # Excel rounds half away from zero; Python's round(2.5) would be 2
        ("数据", "D6"): "合格" if a1 > 3 else "不合格",
        ("数据", "D7"): 100,
        ("数据", "D8"): 160,
        ("评分表", "B3"): 100,
    }


def make_stale(path: Path, a1: int = 7) -> Path:
    """Write a workbook whose formula cells all carry the wrong cached value 999."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数据"
    ws["A1"], ws["B1"], ws["C1"] = a1, 3, "≥"
    ws["D1"] = "=ROUND(A1/B1,4)"
    ws["D2"] = "=MIN(1,A1/B1)*10"
    ws["D3"] = '=IF(C1="≥",1,0)'
    ws["D4"] = "=SUM(A1:C1,9)"
    ws["D5"] = "=ROUND(2.5,0)"
    ws["D6"] = '=IF(A1>B1,"合格","不合格")'
    ws["D7"] = "='评分表'!B1+'评分表'!B2"
    ws["D8"] = "=满分*2"
    score = wb.create_sheet("评分表")
    score["B1"], score["B2"], score["B3"] = 80, 20, "=SUM(B1:B2)"
    wb.defined_names["满分"] = DefinedName("满分", attr_text="'评分表'!$B$1")
    raw = path.with_suffix(".raw")
    wb.save(raw)
    # openpyxl writes empty <v></v> and fullCalcOnLoad="1"; fake a file last saved by a
    # spreadsheet app with wrong cached values and no request to recalculate.
    with zipfile.ZipFile(raw) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = data.replace(b"<v></v>", b"<v>%d</v>" % STALE)
            elif info.filename == "xl/workbook.xml":
                data = data.replace(b' fullCalcOnLoad="1"', b"")
            zout.writestr(info, data)
    raw.unlink()
    return path


@pytest.fixture(scope="module")
def stale_book(tmp_path_factory) -> Path:
    path = make_stale(tmp_path_factory.mktemp("in") / "stale.xlsx")
    # Sanity: the fixture really is stale for any reader of cached values.
    wb = openpyxl.load_workbook(path, data_only=True)
    assert {wb[s][c].value for s, c in expected(7)} == {STALE}
    return path


def test_full_recalc_replaces_stale_values(stale_book, tmp_path):
    out = recalc_files([stale_book], tmp_path)[stale_book]
    assert out == tmp_path.resolve() / "stale.xlsx"
    got = recalculated_values(stale_book, out)
    assert got == pytest.approx(expected(7))


def test_without_recalc_setting_lo_keeps_stale_values(stale_book, tmp_path):
    # Control: with LibreOffice's default (1 = never recalc) the 999s survive, so the test
    # above passes only because of the profile setting.
    out = recalc_files([stale_book], tmp_path, _recalc_mode=1)[stale_book]
    assert set(recalculated_values(stale_book, out).values()) == {STALE}


def test_many_files_in_one_call(tmp_path):
    ins = [make_stale(tmp_path / f"book{i:02d}.xlsx", a1=i) for i in range(30)]
    mapping = recalc_files(ins, tmp_path / "out")
    assert list(mapping) == ins
    for i, p in enumerate(ins):
        assert recalculated_values(p, mapping[p]) == pytest.approx(expected(i))


def test_parallel_calls_use_separate_profiles(tmp_path):
    def run(tag: str) -> None:
        ins = [make_stale(tmp_path / f"{tag}{i}.xlsx", a1=i) for i in range(1, 6)]
        mapping = recalc_files(ins, tmp_path / f"out_{tag}")
        for i, p in enumerate(ins, start=1):
            assert recalculated_values(p, mapping[p]) == pytest.approx(expected(i))

    with ThreadPoolExecutor(2) as pool:
        for fut in [pool.submit(run, "a"), pool.submit(run, "b")]:
            fut.result()


def test_missing_output_raises_with_soffice_log(stale_book, tmp_path):
    with pytest.raises(RuntimeError, match="(?s)no output.*nope.xlsx.*stdout"):
        recalc_files([stale_book, tmp_path / "nope.xlsx"], tmp_path / "out")


def test_colliding_stems_rejected(stale_book, tmp_path):
    other = make_stale(tmp_path / "stale.xlsx")
    with pytest.raises(ValueError, match="collides"):
        recalc_files([stale_book, other], tmp_path / "out")

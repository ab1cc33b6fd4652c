import io
import json
import shutil
import zipfile

import openpyxl
import pandas as pd
import pytest
from meaning import diff_meaning, workbook_meaning

from workbook_tools.cells import CellWrite
from workbook_tools.errors import OutputError
from workbook_tools.files.export import export_workbook
from workbook_tools.files.fill import fill_workbook, normalize_formula
from workbook_tools.model.layout import layout_for
from workbook_tools.files.xlsxfile import FileBook, patch_package


def _overwrite(path, writes):
    """Edit cells the way a careless user would (value over a formula, cleared formula)."""
    book = FileBook(path)
    buf = io.BytesIO()
    patch_package(book, writes, buf, full_calc=False)
    path.write_bytes(buf.getvalue())


def test_fill_sample_golden_and_visible_without_recalculation(sample, tmp_path):
    out = tmp_path / "x.xlsx"
    rep = fill_workbook(sample, out)
    assert str(rep.result.total) == "95.8634" and rep.result.grade == "优" and not rep.restored
    data = export_workbook(out)
    assert data["totals"]["total"] == 95.8634 and data["totals"]["display"] == 95.86
    assert data["funds"]["exec_rate"] == 0.9974
    leaf = next(i for i in data["indicators"] if i["id"] == "1.1.3")
    assert leaf["computed"] == 9.974 and leaf["score"] == 9.974
    # readers that never recalculate see the numbers
    df = pd.read_excel(out, sheet_name="汇总", header=None, engine="openpyxl")
    assert 95.8634 in df[3].tolist() and "优" in df[3].tolist()
    from python_calamine import CalamineWorkbook
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("汇总").to_python()
    assert any(r[3] == 95.8634 for r in rows)
    # formulas are kept
    L = layout_for(rep.result and __import__("workbook_tools.files.specsheet", fromlist=["x"]).load_spec())
    wb = openpyxl.load_workbook(out)
    assert wb["汇总"][L["summary.total"].coord].value == L["summary.total"].formula


def test_fill_restores_overwritten_and_deleted_formulas(sample, gd_spec, tmp_path):
    L = layout_for(gd_spec)
    score, grade = L["node.1.1.3.score"], L["summary.grade"]
    _overwrite(sample, [CellWrite(score.sheet, score.coord, 10), CellWrite(grade.sheet, grade.coord, None)])
    out = tmp_path / "x.xlsx"
    rep = fill_workbook(sample, out)
    restored = {r.cell: r for r in rep.restored}
    assert set(restored) == {score.addr, grade.addr}
    assert restored[score.addr].found == 10 and restored[score.addr].expected == score.formula
    wb = openpyxl.load_workbook(out)
    assert wb[score.sheet][score.coord].value == score.formula
    vals = openpyxl.load_workbook(out, data_only=True)
    assert vals[score.sheet][score.coord].value == 9.974 and vals[grade.sheet][grade.coord].value == "优"


def test_fill_in_place_keeps_a_backup(sample, gd_spec):
    total = layout_for(gd_spec)["summary.total"]
    _overwrite(sample, [CellWrite(total.sheet, total.coord, 100)])
    original = sample.read_bytes()
    rep = fill_workbook(sample)
    assert rep.backup and rep.output == str(sample) and len(rep.restored) == 1
    backup = sample.parent / rep.backup.split("/")[-1]
    assert backup.read_bytes() == original
    assert export_workbook(sample)["totals"]["total"] == 95.8634


def test_fill_is_idempotent(sample, tmp_path):
    """Filling an already filled, untouched workbook changes no byte."""
    fill_workbook(sample, tmp_path / "a.xlsx")
    fill_workbook(tmp_path / "a.xlsx", tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_fill_with_output_never_touches_the_original(sample, tmp_path):
    original = sample.read_bytes()
    fill_workbook(sample, tmp_path / "o.xlsx")
    assert sample.read_bytes() == original
    assert not [p for p in sample.parent.iterdir() if "备份" in p.name]


def test_round_trip_keeps_everything_else(sample, tmp_path):
    out = tmp_path / "x.xlsx"
    fill_workbook(sample, out)
    a, b = workbook_meaning(sample), workbook_meaning(out)
    assert not diff_meaning(a, b)
    # untouched parts are byte-identical
    za, zb = zipfile.ZipFile(sample), zipfile.ZipFile(out)
    for name in ("xl/styles.xml", "xl/theme/theme1.xml", "docProps/app.xml", "xl/worksheets/sheet1.xml"):
        assert za.read(name) == zb.read(name)


def test_fill_keeps_unknown_parts_such_as_images(sample, tmp_path):
    data = io.BytesIO()
    with zipfile.ZipFile(sample) as zin, zipfile.ZipFile(data, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item.filename))
        zout.writestr("xl/media/image1.png", b"\x89PNG fake")
    sample.write_bytes(data.getvalue())
    out = tmp_path / "x.xlsx"
    fill_workbook(sample, out)
    assert zipfile.ZipFile(out).read("xl/media/image1.png") == b"\x89PNG fake"


def test_failed_write_leaves_no_partial_file(sample, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if (locked / "probe").parent.stat().st_mode & 0o200 == 0 and not _is_root():
            with pytest.raises(OutputError):
                fill_workbook(sample, locked / "x.xlsx")
            assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)
    # a read-only existing target (open in another program on Windows) is refused with a message
    target = tmp_path / "ro.xlsx"
    shutil.copy(sample, target)
    target.chmod(0o400)
    before = target.read_bytes()
    if not _is_root():
        with pytest.raises(OutputError) as e:
            fill_workbook(sample, target)
        assert "无法写入" in e.value.zh
        assert target.read_bytes() == before
    target.chmod(0o600)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def _is_root():
    import os
    return os.geteuid() == 0


@pytest.mark.parametrize("a,b,same", [
    ("=SUM(A1,B2)", "=sum( $A$1, B2 )", True),
    ("=IF('评分表'!J8=\"x\",1,0)", "=IF(评分表!J8=\"x\",1,0)", True),
    ("=IF(A1=\"a b\",1,0)", "=IF(A1=\"ab\",1,0)", False),
    ("=A1", "=A2", False), (None, "", True),
])
def test_normalize_formula(a, b, same):
    assert (normalize_formula(a) == normalize_formula(b)) is same


def test_export_json_is_serialisable(sample):
    data = export_workbook(sample)
    text = json.dumps(data, ensure_ascii=False)
    assert data["cover"]["fiscalYear"]["value"] == 2023 and data["cover"]["agencyCode"]["label"] == "单位编码"
    assert data["cover"]["fillDate"]["value"] == "2024-03-15"
    assert len([i for i in data["indicators"] if i["leaf"]]) == 25
    assert "评分表!" in text and data["schema"] == "wbtool.export/1"
    assert any("太平镇党委、政府贯彻落实党的方针政策" in v["text"] for v in data["narrative"].values())

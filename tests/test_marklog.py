"""The marks log format (marklog.py): one spelling for file and live marks, and older logs still read."""
from workbook_tools.files.marklog import HEADER, Entry, from_rows, hex_to_rgb, normalise_fill, rgb_to_hex, to_rows


def test_round_trip_through_text_and_through_excel_values():
    entries = [Entry("评分表", "J13", "#FFF2CC", "单位批注", "张三", "s12"), Entry("封面", "B3")]
    rows = to_rows(entries)
    assert rows[0] == HEADER and all(isinstance(x, str) for r in rows for x in r)
    assert from_rows(rows) == entries
    # Excel hands back empty cells as None and a sheet named "2023" as a float
    excel = [[None if x == "" else x for x in r] for r in rows] + [[2023.0, "a1", None, None, None, None]]
    assert from_rows(excel)[:2] == entries and from_rows(excel)[2] == Entry("2023", "A1")


def test_older_logs_are_read():
    live_rows = [["评分表", "J13", "255,199,206"], ["评分表", "J14", ""]]            # validate --live before
    file_rows = [["评分表", "J13", "00FFF2CC", "旧批注", "wbtool"], ["评分表", "K8", None]]  # wbtool mark before
    assert [e.fill for e in from_rows(live_rows)] == ["#FFC7CE", ""]
    assert from_rows(file_rows)[0] == Entry("评分表", "J13", "#FFF2CC", "旧批注", "wbtool")
    assert from_rows(file_rows)[1].rgb is None


def test_colour_spellings():
    assert normalise_fill("FFC7CE") == normalise_fill("#ffc7ce") == normalise_fill("FFFFC7CE") == "#FFC7CE"
    assert normalise_fill("fill:7") == "fill:7" and normalise_fill("theme 3") == ""
    assert hex_to_rgb("#FFC7CE") == (255, 199, 206) and rgb_to_hex((255, 199, 206)) == "#FFC7CE"
    assert Entry("a", "B2", "fill:7").rgb is None and Entry("a", "B2", style="s4").style_index == 4

"""Reading the bureau's tables: rosters and ledgers in CSV (UTF-8, BOM, GBK) and XLSX, units, columns, errors."""
from decimal import Decimal

import openpyxl
import pytest
from ledgerfiles import (SEED_CODE, HEADS, ledger_lines, seed_funds, seed_rows, write_csv, write_roster,
                         write_xlsx)

from workbook_tools.errors import UnreadableInput, UsageError
from workbook_tools.bureau.ledger import Figures, normalise_source, read_ledger
from workbook_tools.bureau.roster import RosterUnit, read_roster
from workbook_tools.files.tables import code_text, read_table

SEED = seed_funds()


def seed_figures(src) -> Figures:
    return Figures(**SEED[src])


# ------------------------------------------------------------------ tables and codes

@pytest.mark.parametrize("raw, text", [(440117.0, "440117"), (440117, "440117"), ("0440117", "0440117"),
                                       ("'0012", "0012"), ("440117.0", "440117"), (" A01 ", "A01"),
                                       (None, ""), (1.5, "1.5")])
def test_code_text_keeps_codes_as_written(raw, text):
    assert code_text(raw) == text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_are_detected(tmp_path, encoding):
    p = write_csv(tmp_path / "t.csv", [["单位编码", "单位名称"], ["001", "太平镇人民政府"]], encoding)
    t = read_table(p)
    assert t.headers == ["单位编码", "单位名称"]
    assert t.rows == [(2, {"单位编码": "001", "单位名称": "太平镇人民政府"})]


def test_undecodable_csv_is_unreadable(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_bytes(b"\xff\xfe\xfa\x80\x81,\x00\xc3(")
    with pytest.raises(UnreadableInput) as e:
        read_table(p)
    assert "bad.csv" in e.value.zh


def test_missing_table_and_wrong_type(tmp_path):
    with pytest.raises(UnreadableInput) as e:
        read_table(tmp_path / "无.csv")
    assert "无.csv" in e.value.zh and e.value.exit_code == 3
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    with pytest.raises(UsageError) as e:
        read_table(tmp_path / "x.pdf")
    assert "x.pdf" in e.value.zh


def test_xlsx_header_is_the_first_row_with_two_cells_and_sheet_by_name(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["其他"])
    ws = wb.create_sheet("名单")
    ws.append(["2023 年单位名单"])
    ws.append([])
    ws.append(["单位编码", "单位名称"])
    ws.append([440117101.0, "太平镇"])
    wb.save(tmp_path / "r.xlsx")
    t = read_table(tmp_path / "r.xlsx", sheet="名单")
    assert t.preamble == ["2023 年单位名单"] and t.header_row == 3 and t.rows[0][0] == 4
    with pytest.raises(UsageError) as e:
        read_table(tmp_path / "r.xlsx", sheet="没有")
    assert "没有" in e.value.zh and "名单" in e.value.zh


# ------------------------------------------------------------------ roster

def test_roster_reads_codes_as_text_and_skips_empty_rows(tmp_path):
    p = write_csv(tmp_path / "r.csv", [["编码", "名称", "上级单位", "上级编码", "mofDivCode"],
                                       ["0440117101", "太平镇", "从化区", "440117", "440117"],
                                       ["", "", "", "", ""],
                                       ["440117102", "鳌头镇", "", "", ""]], "gbk")
    assert read_roster(p) == [RosterUnit("0440117101", "太平镇", "440117", "从化区", "440117", 2),
                              RosterUnit("440117102", "鳌头镇", row=4)]


def test_roster_from_xlsx_numbers(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["单位编码", "单位名称", "财政区划代码"])
    wb.active.append([440117101.0, "太平镇", 440117])
    wb.save(tmp_path / "r.xlsx")
    assert read_roster(tmp_path / "r.xlsx") == [RosterUnit("440117101", "太平镇", mof_div_code="440117", row=2)]


def test_roster_duplicates_and_missing_codes_name_the_rows(tmp_path):
    p = write_roster(tmp_path / "r.csv", [("001", "甲"), ("002", "乙"), ("001", "丙"), ("", "丁")])
    with pytest.raises(UsageError) as e:
        read_roster(p)
    assert "001" in e.value.zh and "第 2、4 行" in e.value.zh and "第 5 行缺少单位编码" in e.value.zh
    assert "r.csv" in e.value.zh and "rows 2, 4" in e.value.en


def test_roster_missing_column(tmp_path):
    p = write_csv(tmp_path / "r.csv", [["代码", "单位名称"], ["1", "甲"]])
    with pytest.raises(UsageError) as e:
        read_roster(p)
    assert "单位编码" in e.value.zh and "r.csv" in e.value.zh


# ------------------------------------------------------------------ ledger: encodings and units

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
@pytest.mark.parametrize("how", ["header-yuan", "option-yuan", "note-wan", "header-wan"])
def test_ledger_encodings_and_units(tmp_path, encoding, how):
    unit = "元" if "yuan" in how else "万元"
    lines = ledger_lines(seed_rows(), unit=unit, head_unit=how.startswith("header"),
                         note="金额单位：万元" if how == "note-wan" else None)
    ledger = read_ledger(write_csv(tmp_path / "l.csv", lines, encoding),
                         unit="元" if how == "option-yuan" else None)
    u = ledger.units[SEED_CODE]
    assert ledger.money_unit == unit and ledger.has_midyear
    assert set(u.sources) == set(SEED)
    for src in SEED:
        assert u.sources[src] == seed_figures(src)
    assert u.total.adjusted == Decimal("40082.65") and u.total.actual == Decimal("39979.06")
    assert u.total.mid_budget == Decimal("25952.99") and u.total.mid_actual == Decimal("17622.59")


def test_yuan_to_wan_is_exact(tmp_path):
    rows = [{"code": "1", "name": "甲", "source": "一般公共预算", "initial": Decimal("0.0001"),
             "adjusted": Decimal("123456789.0123"), "actual": Decimal("0.3333"),
             "mid_budget": Decimal(0), "mid_actual": Decimal(0)}]
    lines = ledger_lines(rows, unit="万元", head_unit=False)
    # the same figures in 元: four more places before the point, nothing lost
    lines_yuan = ledger_lines(rows, unit="元", head_unit=True)
    a = read_ledger(write_csv(tmp_path / "w.csv", lines), unit="万元").units["1"].sources["一般公共预算"]
    b = read_ledger(write_csv(tmp_path / "y.csv", lines_yuan)).units["1"].sources["一般公共预算"]
    assert a == b and b.adjusted == Decimal("123456789.0123") and b.initial == Decimal("0.0001")


def test_xlsx_ledger_with_a_unit_note_and_numbers(tmp_path):
    lines = ledger_lines(seed_rows(), unit="元", head_unit=False, note="金额单位：元")
    ledger = read_ledger(write_xlsx(tmp_path / "l.xlsx", lines))
    assert ledger.units[SEED_CODE].total.adjusted == Decimal("40082.65")
    assert ledger.units[SEED_CODE].sources["其他资金"] == seed_figures("其他资金")


def test_unknown_money_unit_is_an_error(tmp_path):
    p = write_csv(tmp_path / "l.csv", ledger_lines(seed_rows(), head_unit=False))
    with pytest.raises(UsageError) as e:
        read_ledger(p)
    assert "--unit" in e.value.zh and "l.csv" in e.value.zh


def test_conflicting_units_are_an_error(tmp_path):
    p = write_csv(tmp_path / "l.csv", ledger_lines(seed_rows(), unit="元"))
    with pytest.raises(UsageError) as e:
        read_ledger(p, unit="万元")
    assert "元" in e.value.zh and "万元" in e.value.zh and "l.csv" in e.value.zh
    p = write_csv(tmp_path / "k.csv", ledger_lines(seed_rows(), unit="元", note="金额单位：万元"))
    with pytest.raises(UsageError):
        read_ledger(p)
    p = write_csv(tmp_path / "q.csv", ledger_lines(seed_rows(), unit="千元"))
    with pytest.raises(UsageError) as e:
        read_ledger(p)
    assert "千元" in e.value.zh


# ------------------------------------------------------------------ ledger: columns

def test_missing_column_names_the_column_and_the_file(tmp_path):
    fields = ("initial", "adjusted", "mid_budget", "mid_actual")      # no 实际支出
    p = write_csv(tmp_path / "台账.csv", ledger_lines(seed_rows(), fields=fields))
    with pytest.raises(UsageError) as e:
        read_ledger(p)
    assert "“实际支出”" in e.value.zh and "台账.csv" in e.value.zh and "执行数" in e.value.zh
    assert "实际支出" in e.value.en and "台账.csv" in e.value.en


def test_ambiguous_columns_are_an_error(tmp_path):
    lines = ledger_lines(seed_rows())
    lines[0].append("全年预算数（万元）")          # a second header meaning 调整后预算
    for line in lines[1:]:
        line.append("1")
    p = write_csv(tmp_path / "l.csv", lines)
    with pytest.raises(UsageError) as e:
        read_ledger(p)
    assert "调整后预算数（万元）" in e.value.zh and "全年预算数（万元）" in e.value.zh and "l.csv" in e.value.zh


def test_aliases_and_a_column_map(tmp_path):
    lines = [["单位代码", "资金性质", "年初预算数", "全年预算数", "全年执行数", "备注"],
             ["001", "一般公共预算资金", "10", "12", "11.5", ""],
             ["001", "其他", "0", "1", "1", ""]]
    led = read_ledger(write_csv(tmp_path / "a.csv", lines), unit="万元")
    assert led.units["001"].sources["其他资金"].adjusted == Decimal(1)
    assert led.units["001"].total.actual == Decimal("12.5") and not led.has_midyear
    lines = [["单位", "来源", "年初", "预算", "支出"], ["001", "财政拨款", "10", "12", "11.5"]]
    cfg = tmp_path / "map.yaml"
    cfg.write_text("columns:\n  code: 单位\n  source: 来源\n  initial: 年初\n  adjusted: [预算]\n  actual: 支出\n"
                   "unit: 万元\nsources:\n  财政拨款: 一般公共预算\n", encoding="utf-8")
    led = read_ledger(write_csv(tmp_path / "b.csv", lines), columns=cfg)
    assert led.units["001"].sources["一般公共预算"] == Figures(Decimal(10), Decimal(12), Decimal("11.5"))


def test_column_map_errors(tmp_path):
    cfg = tmp_path / "map.yaml"
    cfg.write_text("columns:\n  budget: 预算\n", encoding="utf-8")
    with pytest.raises(UsageError) as e:
        read_ledger(tmp_path / "any.csv", columns=cfg)
    assert "budget" in e.value.zh and "map.yaml" in e.value.zh
    cfg.write_text("unit: 千元\n", encoding="utf-8")
    with pytest.raises(UsageError):
        read_ledger(tmp_path / "any.csv", columns=cfg)


# ------------------------------------------------------------------ ledger: rows

def test_sources_are_normalised():
    assert normalise_source("其他") == "其他资金"
    assert normalise_source(" 政府性基金 ") == "政府性基金预算"
    assert normalise_source("国有资本经营预算资金") == "国有资本经营预算"
    assert normalise_source("专项债") is None
    assert normalise_source("本年财政拨款", ("本年财政拨款", "其他资金")) == "本年财政拨款"


def test_unknown_source_bad_amounts_and_duplicates_name_the_rows(tmp_path):
    lines = [["单位编码", "资金来源", "年初预算", "调整后预算", "实际支出"],
             ["001", "专项债", "1", "1", "1"],
             ["001", "一般公共预算", "1", "abc", "1"],
             ["002", "一般公共预算", "1", "1", "-3"],
             ["003", "其他", "1", "1", "1"],
             ["003", "其他资金", "1", "1", "1"]]
    with pytest.raises(UsageError) as e:
        read_ledger(write_csv(tmp_path / "l.csv", lines), unit="万元")
    msg = e.value.zh
    assert "l.csv" in msg and "第 2 行" in msg and "专项债" in msg and "第 3 行" in msg and "abc" in msg
    assert "第 4 行" in msg and "负数" in msg and "第 6 行与第 5 行重复" in msg


def test_total_rows_and_blank_amounts(tmp_path):
    lines = [["单位编码", "单位名称", "资金来源", "年初预算", "调整后预算", "实际支出"],
             ["001", "甲", "一般公共预算", "1,000.50", "", "-"],
             ["001", "甲", "小计", "1000.5", "0", "0"],
             ["合计", "", "", "9", "9", "9"]]
    led = read_ledger(write_csv(tmp_path / "l.csv", lines), unit="万元")
    assert list(led.units) == ["001"]
    assert led.units["001"].sources["一般公共预算"] == Figures(Decimal("1000.50"), Decimal(0), Decimal(0))


def test_project_rows_add_up_per_source(tmp_path):
    lines = [["单位编码", "资金来源", "项目编码", "年初预算", "调整后预算", "实际支出"],
             ["001", "一般公共预算", "P1", "1", "2", "1.5"],
             ["001", "一般公共预算", "P2", "3", "4", "3.5"]]
    led = read_ledger(write_csv(tmp_path / "l.csv", lines), unit="万元")
    assert led.units["001"].sources["一般公共预算"] == Figures(Decimal(4), Decimal(6), Decimal(5))
    assert led.units["001"].rows["一般公共预算"] == [2, 3]


def test_heads_cover_every_money_field():
    assert set(HEADS) == {"initial", "adjusted", "actual", "mid_budget", "mid_actual"}

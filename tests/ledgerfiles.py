"""Ledger and roster files built in code: the seed's figures per fund source, written as CSV or XLSX."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import yaml

from conftest import SAMPLE_ANSWERS

SEED_CODE = "440117101"
SEED_NAME = "广州市从化区太平镇人民政府"
MONEY = ("initial", "adjusted", "actual", "mid_budget", "mid_actual")
HEADS = {"initial": "年初预算数", "adjusted": "调整后预算数", "actual": "实际支出数",
         "mid_budget": "1-6月预算数", "mid_actual": "1-6月实际支出数"}


def seed_funds() -> dict[str, dict[str, Decimal]]:
    """The sample's per-source figures (万元), read from samples/taiping_2023.yaml."""
    doc = yaml.safe_load(SAMPLE_ANSWERS.read_text(encoding="utf-8"))
    return {src: {k: Decimal(str(row[k])) for k in MONEY}
            for src, row in doc["funds"].items() if isinstance(row, dict)}


def rows_for(code: str, name: str, funds: dict[str, dict[str, Decimal]]) -> list[dict]:
    return [{"code": code, "name": name, "source": src, **figs} for src, figs in funds.items()]


def seed_rows() -> list[dict]:
    return rows_for(SEED_CODE, SEED_NAME, seed_funds())


def _amount(d: Decimal, unit: str) -> str:
    return format(d * 10000 if unit == "元" else d, "f")


def ledger_lines(rows, *, unit="万元", head_unit=True, note=None, fields=MONEY) -> list[list[str]]:
    """Header (with “（元）” when ``head_unit``) and data lines; ``note`` is a line above the header."""
    suffix = f"（{unit}）" if head_unit else ""
    lines = [[note]] if note else []
    lines.append(["单位编码", "单位名称", "资金来源"] + [HEADS[k] + suffix for k in fields])
    for r in rows:
        lines.append([r["code"], r["name"], r["source"]] + [_amount(r[k], unit) for k in fields])
    return lines


def write_csv(path, lines, encoding="utf-8"):
    buf = io.StringIO()
    csv.writer(buf).writerows(lines)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_xlsx(path, lines, sheet="台账", money_from=3):
    """Money columns (from index ``money_from``) as numbers, as an accounting export has them; codes as text."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for line in lines:
        ws.append([_number(x) if i >= money_from else x for i, x in enumerate(line)])
    wb.save(path)
    return path


def _number(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return x


def write_roster(path, units, encoding="utf-8-sig"):
    """units: (code, name[, parent, mofdiv]) tuples."""
    lines = [["单位编码", "单位名称", "主管部门", "财政区划代码"]]
    lines += [list(u) + [""] * (4 - len(u)) for u in units]
    return write_csv(path, lines, encoding)

"""Build samples/bureau/: the files the README's bureau section uses (roster, ledgers, project list, an inbox).

The inbox holds what a bureau really receives: clean returns and returns with the typical problems — a
deduction without a reason, a score above its weight, figures that differ from the ledger, a funding row
typed in 元 instead of 万元, and a template sent back untouched. Run by scripts/regenerate.sh.
"""
from __future__ import annotations

import copy
import csv
import shutil
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from workbook_tools.model.answers import answers_to_values, load_answers
from workbook_tools.bureau.distribute import distribute
from workbook_tools.bureau.roster import RosterUnit
from workbook_tools.files.specsheet import load_spec
from workbook_tools.model.template import build_template

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "samples" / "bureau"
SEED = load_answers(ROOT / "samples" / "taiping_2023.yaml")
SPEC = load_spec(SEED["spec"])
PARENT = ("440117", "广州市从化区人民政府")

# code, name, scale of the seed's money, what is wrong with the return (None = a clean return, "-" = not returned)
UNITS = [
    ("440117101", "广州市从化区太平镇人民政府", "1", None),
    ("440117102", "广州市从化区鳌头镇人民政府", "1.32", None),
    ("440117103", "广州市从化区温泉镇人民政府", "0.61", "no-reason"),
    ("440117104", "广州市从化区良口镇人民政府", "0.47", "over-weight"),
    ("440117105", "广州市从化区吕田镇人民政府", "0.38", "ledger"),
    ("440117106", "广州市从化区江埔街道办事处", "0.55", "yuan"),
    ("440117201", "广州市从化区教育局", "1.8", "untouched"),
    ("440117202", "广州市从化区卫生健康局", "0.9", "-"),
]
FIELDS = ("initial", "adjusted", "actual", "mid_budget", "mid_actual")
PROJECTS = [   # 项目清单: the project forms distributed to two towns
    ("440117101", "2023-001", "农村公路日常养护", "一般公共预算", 1205000, 1302500, 1284000),
    ("440117101", "2023-002", "镇村环境卫生保洁", "一般公共预算", 2360000, 2360000, 2301500),
    ("440117101", "2023-003", "农田水利设施维修", "政府性基金预算", 880000, 960000, 912300),
    ("440117102", "2023-101", "圩镇垃圾转运", "一般公共预算", 1520000, 1520000, 1498800),
    ("440117102", "2023-102", "农村饮水安全巩固提升", "政府性基金预算", 3100000, 3400000, 2890000),
]


def money(x, scale) -> Decimal:
    return (Decimal(str(x)) * Decimal(scale)).quantize(Decimal("0.01"))


def answers(code, name, scale, fault) -> dict:
    doc = copy.deepcopy(SEED)
    doc["cover"].update(unitName=name, agencyCode=code, preparer=f"{name[6:]}财务室", phone="020-8794" + code[-4:])
    for src, row in doc["funds"].items():
        if isinstance(row, dict):
            for k in FIELDS:
                row[k] = float(money(row[k], scale))
    doc["funds"]["adjust_reason"] = "年中追加上级转移支付资金。"
    doc.pop("notes", None)
    if scale != "1":
        doc["scores"]["1.1.3"] = {"reason": "少量项目资金结转下年使用，预算完成率未达 100%。"}
    scores = doc["scores"]
    if fault == "no-reason":
        scores["2.5.5"] = 0                         # 合同备案时效性 0 of 1, no 扣分原因
    elif fault == "over-weight":
        scores["2.2.1"] = 3                         # 结转结余率 scored 3 on a 2-point indicator
    elif fault == "ledger":                         # actual spending of the general budget 120 万元 above the ledger
        doc["funds"]["一般公共预算"]["actual"] = float(Decimal(str(doc["funds"]["一般公共预算"]["actual"])) + 120)
    elif fault == "yuan":                           # the fund row typed in 元 instead of 万元
        row = doc["funds"]["政府性基金预算"]
        for k in FIELDS:
            row[k] = float(Decimal(str(row[k])) * 10000)
    return doc


def ledger_rows(yuan: bool):
    """One row per unit and fund source: what the bureau's accounts say (the clean figures of every unit)."""
    for code, name, scale, _ in UNITS:
        for src, row in SEED["funds"].items():
            if not isinstance(row, dict) or not row.get("adjusted"):
                continue
            figures = [money(row[k], scale) for k in FIELDS]
            if yuan:
                figures = [(x * 10000).quantize(Decimal("1")) for x in figures]
            yield [code, name, src, *map(str, figures)]


LEDGER_HEAD = ["单位编码", "单位名称", "资金来源", "年初预算", "调整后预算", "实际支出", "1-6月预算", "1-6月实际支出"]


def write_csv(path: Path, rows, note: str | None = None):
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        if note:
            fh.write(note + "\r\n")
        csv.writer(fh).writerows(rows)


def main(out: Path = OUT) -> Path:
    if out.exists():
        shutil.rmtree(out)
    inbox = out / "回收"
    inbox.mkdir(parents=True)
    write_csv(out / "单位名单.csv", [["单位编码", "单位名称", "主管部门", "上级编码"]]
              + [[c, n, PARENT[1], PARENT[0]] for c, n, _, _ in UNITS])
    write_csv(out / "台账.csv", [LEDGER_HEAD, *ledger_rows(yuan=True)], note="金额单位：元")
    wb = Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.append(["2023 年部门预算执行台账（金额单位：万元）"])
    ws.append(LEDGER_HEAD)
    for r in ledger_rows(yuan=False):
        ws.append(r[:3] + [float(x) for x in r[3:]])
    wb.save(out / "台账.xlsx")
    write_csv(out / "项目清单.csv", [["项目编码", "项目名称", "资金性质", "主管部门", "实施单位", "单位编码", "年度"]]
              + [[p, n, src, PARENT[1], dict((u[0], u[1]) for u in UNITS)[c], c, "2023"]
                 for c, p, n, src, *_ in PROJECTS])
    write_csv(out / "项目台账.csv", [["单位编码", "单位名称", "项目编码", "项目名称", "资金来源", "年初预算数", "全年预算数",
                                   "全年执行数"]]
              + [[c, dict((u[0], u[1]) for u in UNITS)[c], p, n, "本年财政拨款", a, b, x]
                 for c, p, n, _, a, b, x in PROJECTS], note="金额单位：元")
    short = {code: name.replace("广州市从化区", "").replace("人民政府", "") for code, name, _, _ in UNITS}
    for code, name, scale, fault in UNITS:
        if fault == "-":
            continue
        target = inbox / f"{short[code]}.xlsx"
        if fault == "untouched":                    # the issued template, sent back as it came
            with tempfile.TemporaryDirectory() as tmp:
                d = distribute([RosterUnit(code, name, PARENT[0], PARENT[1])], tmp, spec=SPEC, year=2023)
                shutil.copyfile(Path(tmp) / d.issued[0].file, target)
            continue
        build_template(SPEC, target, answers_to_values(SPEC, answers(code, name, scale, fault)))
    shutil.copyfile(ROOT / "samples" / "taiping_2023.xlsx", out / "太平镇.xlsx")
    return out


if __name__ == "__main__":
    print(main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))

"""Seeded random but *valid* figures for a project workbook (项目清单 + one form sheet per project).

    values = project_values(spec, random.Random(7), 225)      # one dict of input values per project
    write_project_workbook(path, spec, values)                 # the workbook, formula caches left stale

Valid means what a careful unit would send back: the cover complete and well formed, money ≥ 0 with a
reason where the execution rate is below the spec's threshold or the budget was adjusted, target rows
complete with weights adding up to their 一级指标's weight, a 偏差原因 on every row and node that loses
points, and 满意度 marked 不适用 (with a reason) now and then instead of having rows.
"""
from __future__ import annotations

import datetime as dt
import io
import random
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from workbook_tools.cells import CellWrite
from workbook_tools.model.layout import NA
from workbook_tools.model.projectbook import fund_types, project_sheet_name, projects_layout
from workbook_tools.model.template import build_projects_template
from workbook_tools.files.xlsxfile import FileBook

# The seed town's 225 self-evaluated projects: 141 一般公共预算, 83 政府性基金预算, 1 其他资金.
SEED_MIX = (141, 83, 1)

_TOWNS = ("太平镇", "鳌头镇", "温泉镇", "良口镇")
_WORKS = ("乡村道路维护", "农田水利设施修缮", "村居环境整治", "河涌清淤", "垃圾收运处理", "公共照明改造",
          "老旧小区改造", "森林防火", "农村供水保障", "防汛抢险物资储备", "社区卫生服务", "敬老院运营",
          "文化站活动", "义务教育学校维修", "残疾人帮扶", "困难群众救助", "农业技术推广", "动物防疫",
          "食品安全抽检", "安全生产检查", "综合治理网格化", "退役军人服务", "征地拆迁补偿", "土地整治")
_UNITS = ("太平镇人民政府", "太平镇农业农村办公室", "太平镇城乡建设办公室", "太平镇社会事务办公室",
          "太平镇公共服务办公室", "太平镇综合行政执法办公室")
_PEOPLE = ("陈晓敏", "李国强", "黄丽华", "张建军", "刘芳", "何志明", "谢婷", "邓文杰")

# (category → [(name, unit, direction, target value generator)]) — quantities, rates as fractions
_OUTPUT = {
    "数量指标": [("完成维护里程", "公里", "≥", lambda r: r.randint(5, 120)),
             ("受益户数", "户", "≥", lambda r: r.randint(50, 3000)),
             ("开展培训场次", "场", "≥", lambda r: r.randint(2, 40))],
    "质量指标": [("验收合格率", "%", "≥", lambda r: r.choice([0.9, 0.95, 0.98, 1])),
             ("工程质量", "", "定性", None),
             ("设施完好率", "%", "≥", lambda r: r.choice([0.85, 0.9, 0.95]))],
    "时效指标": [("按期完成率", "%", "≥", lambda r: r.choice([0.9, 0.95, 1])),
             ("完工时间", "月", "≤", lambda r: r.choice([6, 9, 10, 12]))],
    "成本指标": [("单位成本", "万元/公里", "≤", lambda r: round(r.uniform(2, 60), 2)),
             ("项目总成本", "万元", "≤", lambda r: round(r.uniform(20, 2000), 2)),
             ("人均补助标准", "元", "=", lambda r: r.choice([300, 500, 800, 1200]))],
}
_BENEFIT = {
    "经济效益指标": [("带动农户增收", "万元", "≥", lambda r: round(r.uniform(10, 500), 1))],
    "社会效益指标": [("群众出行条件", "", "定性", None),
               ("服务覆盖率", "%", "≥", lambda r: r.choice([0.8, 0.9, 0.95])),
               ("安全事故发生数", "起", "≤", lambda r: r.choice([0, 1, 2]))],
    "生态效益指标": [("水质达标率", "%", "≥", lambda r: r.choice([0.8, 0.9])),
               ("村容村貌", "", "定性", None)],
    "可持续影响指标": [("设施使用年限", "年", "≥", lambda r: r.choice([5, 10, 15, 20])),
                ("长效管护机制", "", "定性", None)],
}
_SATISFACTION = {
    "服务对象满意度指标": [("受益群众满意度", "%", "≥", lambda r: r.choice([0.85, 0.9, 0.95])),
                  ("服务对象满意度", "%", "≥", lambda r: r.choice([0.8, 0.9])),
                  ("群众评价", "", "定性", None)],
}
_CATALOGUE = {"output": _OUTPUT, "benefit": _BENEFIT, "satisfaction": _SATISFACTION}


def fund_mix(spec, n: int, mix=SEED_MIX) -> list[str]:
    """n 资金性质 values in the seed's proportion (exactly 141:83:1 for n = 225), in list order."""
    types = fund_types(spec)
    total = sum(mix)
    counts = [n * m // total for m in mix]
    rest = sorted(range(len(mix)), key=lambda i: -(n * mix[i] % total))
    for i in rest[: n - sum(counts)]:
        counts[i] += 1
    return [t for t, c in zip(types, counts) for _ in range(c)]


def _money(rng, lo, hi) -> float:
    return round(rng.uniform(lo, hi), 2)


def _split(rng, total: Decimal, k: int) -> list[float]:
    """``total`` split into k weights, each a positive multiple of 0.5 (exact in binary floating point)."""
    halves = int(total * 2)
    k = max(1, min(k, halves))
    cuts = sorted(rng.sample(range(1, halves), k - 1)) if k > 1 else []
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, halves])]
    return [p / 2 if p % 2 else p // 2 for p in parts]


def _funds(rng, vals: dict, n_sources: int) -> None:
    """Per source initial / adjusted / actual (万元); the first source always, the others sometimes."""
    present = [0] + [i for i in range(1, n_sources) if rng.random() < (0.35 if i == 1 else 0.12)]
    low = rng.random() < 0.12               # the project spends < 90% of its budget
    adjusted_any = False
    for i in present:
        if i == 0:
            initial = _money(rng, 5, 3000) if rng.random() < 0.9 else float(rng.randint(10, 800))
        else:
            initial = _money(rng, 1, 300)
        adjust = rng.random()
        if adjust < 0.7:
            adjusted = initial
        elif adjust < 0.85:
            adjusted = round(initial * rng.uniform(1.02, 1.4), 2)
        else:
            adjusted = round(initial * rng.uniform(0.6, 0.98), 2)
        if i == 1 and rng.random() < 0.3:   # carry-over only known after the year started
            initial = 0
        adjusted_any |= adjusted != initial
        if low:
            share = rng.uniform(0.35, 0.88)
        else:
            share = rng.choice([1, 1, rng.uniform(0.93, 1), rng.uniform(0.97, 1)])
        actual = adjusted if share == 1 else round(adjusted * share, 2)
        vals[f"funds.{i}.initial"] = initial
        vals[f"funds.{i}.adjusted"] = adjusted
        vals[f"funds.{i}.actual"] = actual
    if low:
        vals["funds.low_rate_reason"] = rng.choice(["部分工程款按合同约定待验收后支付，已结转下年。",
                                                    "项目招标延后，资金支付进度滞后。"])
    if adjusted_any:
        vals["funds.adjust_reason"] = "年中根据项目实际需要调整预算。"


def _row(rng, vals: dict, b: str, category: str, item, weight, miss: bool, n: int) -> None:
    name, unit, direction, gen = item
    vals[f"{b}.category"] = category
    vals[f"{b}.name"] = name if n == 1 else f"{name}（{n}）"
    vals[f"{b}.direction"] = direction
    if unit:
        vals[f"{b}.unit"] = unit
    vals[f"{b}.weight"] = weight
    if direction == "定性":
        vals[f"{b}.value"] = rng.choice(["有效提升", "明显改善", "达到预期", "建立并运行"])
        vals[f"{b}.actual"] = rng.choice(["部分达成", "未达成"]) if miss else "达成"
    else:
        e = gen(rng)
        if direction == "≥":
            if miss:
                g = round(e * rng.uniform(0.5, 0.97), 4) if unit == "%" else round(e * rng.uniform(0.4, 0.97), 2)
                if isinstance(e, int) and unit != "%":
                    g = max(0, min(e - 1, int(g)))
            else:
                g = e if rng.random() < 0.5 else (round(min(1, e * rng.uniform(1, 1.05)), 4) if unit == "%"
                                                  else (e + rng.randint(0, 5) if isinstance(e, int)
                                                        else round(e * rng.uniform(1, 1.3), 2)))
        elif direction == "≤":
            if miss:
                g = e + rng.randint(1, 3) if isinstance(e, int) else round(e * rng.uniform(1.03, 1.5), 2)
            else:
                g = e if rng.random() < 0.4 else (max(0, e - rng.randint(0, 2)) if isinstance(e, int)
                                                  else round(e * rng.uniform(0.7, 1), 2))
        else:   # "="
            g = (e + rng.choice([-1, 1]) * rng.randint(10, 100)) if miss else e
        vals[f"{b}.value"] = e
        vals[f"{b}.actual"] = g
    if miss:
        vals[f"{b}.reason"] = rng.choice(["受天气影响部分工程延期，下年度加快推进。", "实际需求低于预期，将完善需求测算。",
                                          "资金到位较晚，已督促实施单位按进度实施。"])


def _targets(spec, rng, vals: dict) -> dict[str, bool]:
    """Target rows of every kind; returns {node id: loses points}."""
    loses: dict[str, bool] = {}
    for leaf in spec.leaves():
        if leaf.rule.type != "target_completion":
            continue
        kind = spec.targets.kind(leaf.rule.params["kind"])
        if kind.key == "satisfaction" and rng.random() < 0.08:
            vals[f"node.{leaf.id}.applicable"] = NA
            vals[f"node.{leaf.id}.reason"] = "本项目未开展服务对象满意度调查。"
            loses[leaf.id] = False
            continue
        if rng.random() < 0.1:
            vals[f"node.{leaf.id}.applicable"] = "适用"
        k = rng.randint(1, min(kind.rows, {"output": 6, "benefit": 4}.get(kind.key, 2)))
        weights = _split(rng, leaf.weight, k)
        cats = _CATALOGUE[kind.key]
        seen: Counter = Counter()
        missed = False
        miss_share = rng.choice([0, 0, 0.15, 0.3])
        for n, w in enumerate(weights, 1):
            cat = rng.choice([c for c in kind.categories if c in cats])
            item = rng.choice(cats[cat])
            seen[item[0]] += 1
            miss = rng.random() < miss_share
            missed |= miss
            _row(rng, vals, f"target.{kind.key}.{n}", cat, item, w, miss, seen[item[0]])
        loses[leaf.id] = missed
        if missed:
            vals[f"node.{leaf.id}.reason"] = "部分指标未完全完成，偏差原因见指标行。"
    return loses


def _total(vals: dict, col: str, n_sources: int) -> Decimal:
    return sum((Decimal(repr(vals[f"funds.{i}.{col}"])) for i in range(n_sources) if f"funds.{i}.{col}" in vals),
               Decimal(0))


def project_values(spec, rng: random.Random, n: int) -> list[dict]:
    """One dict of input values (by layout key) per project: cover, funds, target rows, 不适用 and reasons."""
    types = fund_mix(spec, n)
    rng.shuffle(types)
    year = rng.choice([2022, 2023, 2024])
    town = rng.choice(_TOWNS)
    agency = f"44011{rng.randint(7000, 7999)}"
    n_sources = len(spec.funds.sources)
    out = []
    for p in range(1, n + 1):
        work = _WORKS[(p - 1) % len(_WORKS)]
        batch = (p - 1) // len(_WORKS)
        vals = {
            "cover.projectName": f"{year}年{town}{work}项目" + (f"（第{batch + 1}批）" if batch else ""),
            "cover.projectCode": f"{agency}-{year}-P{p:04d}",
            "cover.supervisor": f"广州市从化区{town}人民政府",
            "cover.unitName": rng.choice(_UNITS).replace("太平镇", town),
            "cover.agencyCode": agency,
            "cover.fundType": types[p - 1],
            "cover.fiscalYear": year,
            "cover.goalPlanned": f"按计划完成{work}，改善群众生产生活条件。",
            "cover.goalActual": f"已完成{work}年度任务，群众生产生活条件得到改善。",
            "cover.preparer": rng.choice(_PEOPLE),
            "cover.phone": rng.choice([f"020-8{rng.randint(1000000, 9999999)}",
                                       f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"]),
            "cover.fillDate": dt.date(year + 1, rng.randint(1, 4), rng.randint(1, 28)),
        }
        _funds(rng, vals, n_sources)
        _targets(spec, rng, vals)
        for leaf in spec.leaves():
            if leaf.rule.type == "execution_rate":
                adjusted, actual = _total(vals, "adjusted", n_sources), _total(vals, "actual", n_sources)
                # the rate is shown as a 2-decimal percent: 99.996% is 100.00% and loses nothing
                short = (actual / adjusted).quantize(Decimal("0.0001"), ROUND_HALF_UP) < 1
                if short:
                    vals[f"node.{leaf.id}.reason"] = "预算资金未全部支出。"
        out.append(vals)
    return out


def self_evaluated_counts(spec, values_list: list[dict]) -> dict[str, int]:
    """Projects per 资金性质 whose every 一级指标 can be scored (rows with weights, or 不适用), from the inputs."""
    counts = {t: 0 for t in fund_types(spec)}
    for vals in values_list:
        scored = True
        for leaf in spec.leaves():
            if vals.get(f"node.{leaf.id}.applicable") == NA:
                continue
            if leaf.rule.type == "target_completion":
                key = leaf.rule.params["kind"]
                scored &= any(f"target.{key}.{n}.weight" in vals and f"target.{key}.{n}.actual" in vals
                              for n in range(1, spec.targets.kind(key).rows + 1))
            elif leaf.rule.type == "execution_rate":
                scored &= _total(vals, "adjusted", len(spec.funds.sources)) > 0
        if scored and vals.get("cover.fundType") in counts:
            counts[vals["cover.fundType"]] += 1
    return counts


def project_workbook_bytes(spec, values_list: list[dict]) -> bytes:
    """The project workbook: cover values through the builder, every other input written afterwards.

    The builder stores formula values for the cover-only forms; the inputs written afterwards leave those
    caches stale on purpose (as a file typed in by hand and saved without recalculation by a tool would).
    """
    covers = [{k: v for k, v in vals.items() if k.startswith("cover.")} for vals in values_list]
    data = build_projects_template(spec, covers)
    P = projects_layout(spec, [project_sheet_name(i) for i in range(1, len(values_list) + 1)])
    book = FileBook("projects.xlsx", data)
    writes = []
    for F, vals in zip(P.forms, values_list):
        for k, v in vals.items():
            if k.startswith("cover.") or v is None:
                continue
            c = F[k]
            assert c.role == "input", k
            writes.append(CellWrite(c.sheet, c.coord, v))
    book.write_cells(writes)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def write_project_workbook(path, spec, values_list: list[dict]) -> Path:
    path = Path(path)
    path.write_bytes(project_workbook_bytes(spec, values_list))
    return path

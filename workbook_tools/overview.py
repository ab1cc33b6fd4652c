"""The bureau's overview report (`wbtool report --summary`): returns, grades, weak indicators, reasons, follow-ups."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from .collect import PASS, RETURN, UNREADABLE
from .errors import UsageError
from .report import Bar, Chart, Document, Heading, Para, Table, score_text, write_document


@dataclass
class OverviewData:
    """What the overview needs, whether it comes from the collect database or from a summary workbook."""
    units: list[dict]                                   # unit_code, unit_name, display, grade, status, errors, file
    leaves: list[dict] = field(default_factory=list)    # id, name, weight, mean, losers, reasons [(text, n)]
    missing: list[dict] = field(default_factory=list)   # roster units without a return
    grades: list[str] = field(default_factory=lambda: ["优", "良", "中", "差"])
    title: str = "绩效自评汇总情况"
    projects: int = 0                                   # project forms among the returns (项目汇总 rows)
    project_units: int = 0                              # units that returned them


def from_database(db_path, roster_path=None) -> OverviewData:
    """Current returns (one per unit) from a `wbtool collect` database."""
    from .collect import _read_roster, current_returns, form_kind, is_project_workbook, main_form_kind
    from .spec import load_spec
    every, _ = current_returns(db_path)
    main = main_form_kind(every)       # beside overall forms, project returns are only counted as projects
    kept = [s for s in every if form_kind(s) in (main, None)]
    specs = Counter(s["spec_id"] for s in kept if s.get("spec_id"))
    spec = load_spec(specs.most_common(1)[0][0]) if specs else None
    units = [{"unit_code": s.get("unit_code") or "", "unit_name": s.get("unit_name") or s["file_name"],
              "display": s.get("display"), "grade": s.get("grade"), "status": s["status"],
              "errors": s.get("errors") or 0, "file": s["file_name"]} for s in kept]
    leaves = []
    if spec:
        mine = [s for s in kept if s["readable"] and s.get("spec_id") == spec.id and not is_project_workbook(s)]
        for leaf in spec.leaves():
            scores = [(s["data"].get("leaves") or {}).get(leaf.id) for s in mine]
            scores = [x for x in scores if x is not None]
            losers = [s for s in mine if ((s["data"].get("leaves") or {}).get(leaf.id) or 0) < float(leaf.weight)]
            reasons = Counter((s["data"].get("reasons") or {}).get(leaf.id) for s in losers)
            reasons.pop(None, None)
            leaves.append({"id": leaf.id, "name": leaf.name, "weight": float(leaf.weight),
                           "mean": sum(scores) / len(scores) if scores else None, "losers": len(losers),
                           "reasons": reasons.most_common()})
    have = {u["unit_code"] for u in units}
    missing = [{"unit_code": u.code, "unit_name": u.name} for u in _read_roster(roster_path) if u.code not in have]
    return OverviewData(units, leaves, missing, [g.name for g in spec.grades] if spec else ["优", "良", "中", "差"],
                        title=f"{spec.title.replace('自评表', '自评')}汇总情况" if spec else "绩效自评汇总情况",
                        projects=sum(len(s.get("projects") or []) for s in every),
                        project_units=len({s.get("unit_code") for s in every if s.get("projects")}))


def from_workbook(path) -> OverviewData:
    """The same from a summary workbook written by `wbtool collect` (its 汇总, 扣分统计 and 未报送 sheets)."""
    import pandas as pd
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype={"单位编码": str}, engine="openpyxl")
    except Exception as e:   # pandas/openpyxl raise many types for a file that is not a summary
        raise UsageError(f"无法读取汇总表 {path}：{e}", f"cannot read summary workbook {path}: {e}") from None
    need = {"单位编码", "状态", "来源文件"}
    if "汇总" not in sheets or not need <= set(map(str, sheets["汇总"].columns)):
        raise UsageError(f"{path} 不是 wbtool collect 生成的汇总表（“汇总”表缺少单位编码、状态、来源文件等列）。",
                         f"{path} is not a summary workbook written by wbtool collect")
    units = [{"unit_code": _s(r.get("单位编码")), "unit_name": _s(r.get("单位名称")) or _s(r.get("来源文件")),
              "display": _f(r.get("总分")), "grade": _s(r.get("等级")), "status": _s(r.get("状态")),
              "errors": int(_f(r.get("错误数")) or 0), "file": _s(r.get("来源文件"))}
             for r in sheets["汇总"].to_dict("records")]
    leaves = []
    for r in sheets.get("扣分统计", pd.DataFrame()).to_dict("records"):
        reasons = []
        for part in _s(r.get("常见扣分原因")).split("；"):
            if part.endswith("）") and "（" in part:
                text, n = part[:-1].rsplit("（", 1)
                reasons.append((text, int(n) if n.isdigit() else 1))
        leaves.append({"id": _s(r.get("编号")), "name": _s(r.get("指标")), "weight": _f(r.get("分值")) or 0,
                       "mean": _f(r.get("平均得分")), "losers": int(_f(r.get("扣分单位数")) or 0), "reasons": reasons})
    missing = []
    if "未报送" in sheets:
        df = pd.read_excel(path, sheet_name="未报送", header=1, dtype=str, engine="openpyxl")
        missing = [{"unit_code": _s(r.get("单位编码")), "unit_name": _s(r.get("单位名称"))} for r in df.to_dict("records")]
    projects, project_units = 0, 0
    if "项目汇总" in sheets:      # its first line is a note: the header is the second row
        df = pd.read_excel(path, sheet_name="项目汇总", header=1, dtype=str, engine="openpyxl")
        projects, project_units = len(df), df["单位编码"].nunique() if "单位编码" in df else 0
    return OverviewData(units, leaves, missing, projects=projects, project_units=project_units)


def _score(v) -> str:
    return "—" if v is None else f"{v:.2f}"


def _s(v) -> str:
    return "" if v is None or (isinstance(v, float) and v != v) else str(v)


def _f(v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if f != f else f


def build_overview(data: OverviewData) -> Document:
    doc = Document(title=data.title)
    readable = [u for u in data.units if u["status"] != UNREADABLE]
    st = Counter(u["status"] for u in data.units)
    totals = [u["display"] for u in readable if u["display"] is not None]
    doc.blocks.append(Heading(1, "一、报送情况"))
    line = (f"共收到 {len(data.units)} 份报送（同一单位取最新一份），其中校验通过 {st.get(PASS, 0)} 份，"
            f"需退回修改 {st.get(RETURN, 0)} 份，无法读取 {st.get(UNREADABLE, 0)} 份")
    line += f"；名单中尚有 {len(data.missing)} 个单位未报送。" if data.missing else "。"
    if data.projects:
        line += f"其中项目支出自评 {data.projects} 个项目，来自 {data.project_units} 个单位（明细见汇总表“项目汇总”）。"
    doc.blocks.append(Para(line))
    doc.blocks.append(Heading(1, "二、自评得分分布"))
    grades = Counter(u["grade"] for u in readable)
    if totals:
        doc.blocks.append(Para(f"平均分 {sum(totals) / len(totals):.2f} 分，最高 {max(totals):.2f} 分，最低 {min(totals):.2f} 分；"
                               + "，".join(f"{g} {grades.get(g, 0)} 个" for g in data.grades) + "。"))
    doc.blocks.append(Table("表 1  自评等级分布", ["等级", "单位数", "占比"],
                            [[g, str(grades.get(g, 0)), f"{grades.get(g, 0) / len(readable) * 100:.1f}%" if readable else "—"]
                             for g in data.grades], numeric=(1, 2)))
    doc.blocks.append(Chart("等级分布（单位数）", [Bar(g, Decimal(max(len(readable), 1)), Decimal(grades.get(g, 0)))
                                             for g in data.grades], count="单位数"))
    scored = [x for x in data.leaves if x["mean"] is not None and x["weight"]]
    low = sorted(scored, key=lambda x: x["mean"] / x["weight"])[:5]
    doc.blocks.append(Heading(1, "三、得分较低的指标"))
    doc.blocks.append(Table("表 2  平均得分率最低的指标", ["编号", "指标", "分值", "平均得分", "得分率", "扣分单位数"],
                            [[x["id"], x["name"], score_text(Decimal(str(x["weight"]))),
                              f"{x['mean']:.2f}", f"{x['mean'] / x['weight'] * 100:.2f}%",
                              str(x["losers"])] for x in low], numeric=(2, 3, 4, 5)))
    doc.blocks.append(Heading(1, "四、常见扣分原因"))
    reasons = Counter()
    where: dict[str, str] = {}
    for x in data.leaves:
        for text, n in x["reasons"]:
            reasons[text] += n
            where.setdefault(text, f"{x['id']} {x['name']}")
    rows = [[text, where[text], str(n)] for text, n in reasons.most_common(10)]
    doc.blocks.append(Table("表 3  出现最多的扣分原因", ["扣分原因", "指标", "单位数"], rows, numeric=(2,)) if rows
                      else Para("各单位均未填写扣分原因。"))
    doc.blocks.append(Heading(1, "五、需跟进的单位"))
    follow = [[u["unit_code"], u["unit_name"], u["status"], f"{u['errors']} 项强制性问题" if u["status"] == RETURN
               else ("文件无法读取" if u["status"] == UNREADABLE else f"总分 {_score(u['display'])}，等级 {u['grade']}")]
              for u in sorted(data.units, key=lambda u: (u["status"] == PASS, u["display"] or 0))
              if u["status"] != PASS or (u["grade"] in data.grades[2:])]
    follow += [[m["unit_code"], m["unit_name"], "未报送", "催报"] for m in data.missing]
    doc.blocks.append(Table("表 4  需退回、未报送或得分偏低的单位", ["单位编码", "单位名称", "状态", "说明"], follow)
                      if follow else Para("所有单位均已报送且校验通过。"))
    return doc


def report_overview(source, output, roster_path=None) -> Document:
    """Write the bureau's overview from a collect database (.db) or summary workbook (.xlsx)."""
    from .report import output_format
    output_format(output)
    src = Path(source)
    data = from_workbook(src) if src.suffix.lower() in (".xlsx", ".xlsm") else from_database(src, roster_path)
    doc = build_overview(data)
    write_document(doc, output)
    return doc

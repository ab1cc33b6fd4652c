"""The bureau's overview report (`wbtool report --summary`): returns, grades, weak indicators, reasons, follow-ups."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from workbook_tools.bureau.records import PASS, RETURN, UNREADABLE, form_kind
from workbook_tools.errors import SpecError, UsageError
from workbook_tools.report.narrative import (Bar, Chart, Document, Heading, Para, Table, output_format, score_text,
                                             write_document)
from workbook_tools.bureau.batch import main_form_kind
from workbook_tools.bureau.collect import current_returns, _read_roster
from workbook_tools.bureau.statistics import accepted, leaf_stats, scored_units
from workbook_tools.files.specsheet import load_spec


@dataclass
class OverviewData:
    """What the overview needs, read from the collect database (a summary workbook only leads to its database)."""
    units: list[dict]                                   # unit_code, unit_name, display, grade, status, errors, file,
                                                        # on_roster (None: no roster)
    leaves: list[dict] = field(default_factory=list)    # statistics.leaf_stats over accepted returns
    missing: list[dict] = field(default_factory=list)   # roster units without a return
    grades: list[str] = field(default_factory=lambda: ["优", "良", "中", "差"])
    title: str = "绩效自评汇总情况"
    projects: int = 0                                   # project forms among the returns (项目汇总 rows)
    project_units: int = 0                              # units that returned them
    sections: list[tuple[str, str, list[dict]]] = field(default_factory=list)   # accepted returns of several
                                                        # forms: (spec id, title, leaf_stats) per form


def _title(spec) -> str:
    return f"{spec.title.replace('自评表', '自评')}汇总情况" if spec else "绩效自评汇总情况"


def from_database(db_path, roster_path=None) -> OverviewData:
    """Current returns (one per unit) from a `wbtool collect` database."""
    every, _ = current_returns(db_path)
    main = main_form_kind(every)       # beside overall forms, project returns are only counted as projects
    kept = [s for s in every if form_kind(s) in (main, None)]
    specs = Counter(s.spec_id for s in kept if s.spec_id)
    spec = load_spec(specs.most_common(1)[0][0]) if specs else None
    roster = _read_roster(roster_path)
    codes = {u.code for u in roster}
    units = [{"unit_code": s.unit_code or "", "unit_name": s.unit_name or s.file_name,
              "display": s.display, "grade": s.grade, "status": s.status,
              "errors": s.errors or 0, "file": s.file_name,
              "on_roster": ((s.unit_code or "") in codes) if codes else None} for s in kept]
    leaves = leaf_stats(spec, accepted(scored_units(spec, kept), codes)) if spec else []
    sections = _sections(kept, codes)
    have = {u["unit_code"] for u in units}
    missing = [{"unit_code": u.code, "unit_name": u.name} for u in roster if u.code not in have]
    return OverviewData(units, leaves, missing, [g.name for g in spec.grades] if spec else ["优", "良", "中", "差"],
                        title=_title(spec), projects=sum(len(s.projects or []) for s in every),
                        project_units=len({s.unit_code for s in every if s.projects}), sections=sections)


def _sections(kept, codes) -> list[tuple[str, str, list[dict]]]:
    """Accepted returns of several forms (``collect --spec A --spec B``): each form's indicator statistics apart,
    never averaged across forms. Empty for one form."""
    ids = sorted({s.spec_id for s in accepted(kept, codes) if s.spec_id})
    if len(ids) < 2:
        return []
    out = []
    for sid in ids:
        try:
            spec = load_spec(sid)
        except (SpecError, OSError, ValueError):     # a form no longer available here: its statistics cannot be named
            continue
        out.append((spec.id, spec.title, leaf_stats(spec, accepted(scored_units(spec, kept), codes))))
    return out


def database_of(summary) -> Path:
    """The collect database a summary workbook was written from: the one the workbook names (its ``wbtool_db``
    property), else the database beside it under collect's default name (汇总.xlsx → 汇总.db). The overview reads
    only the database: the workbook's cells are a paper for people, not a record to parse back."""
    import openpyxl
    path = Path(summary)
    try:
        book = openpyxl.load_workbook(path, read_only=True)
        names = book.sheetnames
        props = {p.name: p.value for p in getattr(book, "custom_doc_props", None) or []}
        book.close()
    except Exception as e:   # openpyxl raises many types for a file that is not a workbook
        raise UsageError(f"无法读取汇总表 {path}：{e}", f"cannot read summary workbook {path}: {e}") from None
    if "汇总" not in names and "wbtool_db" not in props:
        raise UsageError(f"{path} 不是 wbtool collect 生成的汇总表。请给出 collect 的数据库（.db 文件）。",
                         f"{path} is not a summary workbook written by wbtool collect; give the collect database (.db)")
    named = Path(props["wbtool_db"]) if props.get("wbtool_db") else None
    beside = path.with_suffix(".db")
    for db in (named, beside, beside.with_name(named.name) if named else None):
        if db is not None and db.is_file():
            return db
    where = f"（汇总表记录的数据库为 {named}）" if named else ""
    raise UsageError(f"找不到汇总表 {path.name} 对应的 collect 数据库{where}，也不在它旁边（{beside.name}）。"
                     "汇总情况只从数据库统计：请用 wbtool report --summary 数据库.db。",
                     f"cannot find the collect database of {path.name}; give the .db to report --summary")


def from_workbook(path, roster_path=None) -> OverviewData:
    """The overview of a summary workbook: from the collect database it was written from (``database_of``)."""
    return from_database(database_of(path), roster_path)


def _score(v) -> str:
    return "—" if v is None else f"{v:.2f}"


def build_overview(data: OverviewData) -> Document:
    """The overview document: 一 returns, 二 score distribution, 三 weakest indicators, 四 common deduction
    reasons (三 and 四 per form when the accepted returns are of several), 五 units to follow up."""
    doc = Document(title=data.title)
    good = [u for u in data.units if u["status"] == PASS and u.get("on_roster") is not False]   # statistics.accepted
    doc.blocks += _returns_part(data)
    doc.blocks += _scores_part(data, good)
    parts = ([(f"（{'一二三四五六七八九十'[i - 1] if i <= 10 else i}）{title}（{sid}）", f"-{i}", leaves)
              for i, (sid, title, leaves) in enumerate(data.sections, 1)]
             or [(None, "", data.leaves)])
    doc.blocks.append(Heading(1, "三、得分较低的指标"))
    for head, n, leaves in parts:
        if head:
            doc.blocks.append(Heading(2, head))
        doc.blocks.append(_low_table(leaves, n))
    doc.blocks.append(Heading(1, "四、常见扣分原因"))
    for head, n, leaves in parts:
        if head:
            doc.blocks.append(Heading(2, head))
        doc.blocks.append(_reasons_table(leaves, n))
    doc.blocks.append(Heading(1, "五、需跟进的单位"))
    doc.blocks.append(_follow_up_table(data))
    return doc


def _returns_part(data: OverviewData) -> list:
    """一、报送情况: how many returns, in which state, from whom, who is missing."""
    st = Counter(u["status"] for u in data.units)
    outside = [u for u in data.units if u.get("on_roster") is False]
    line = (f"共收到 {len(data.units)} 份报送（同一单位取最新一份），其中校验通过 {st.get(PASS, 0)} 份，"
            f"需退回修改 {st.get(RETURN, 0)} 份，无法读取 {st.get(UNREADABLE, 0)} 份")
    if outside:
        line += f"；{len(outside)} 份来自不在单位名单中的单位"
    line += f"；名单中尚有 {len(data.missing)} 个单位未报送。" if data.missing else "。"
    if data.projects:
        line += f"其中项目支出自评 {data.projects} 个项目，来自 {data.project_units} 个单位（明细见汇总表“项目汇总”）。"
    return [Heading(1, "一、报送情况"), Para(line)]


def _scores_part(data: OverviewData, good: list[dict]) -> list:
    """二、自评得分分布 over the accepted returns: the scope, mean / max / min, 表 1 and its chart."""
    outside = any(u.get("on_roster") is False for u in data.units)
    totals = [u["display"] for u in good if u["display"] is not None]
    scope = ("以下统计只含校验通过" + ("且在单位名单中" if any(u.get("on_roster") is not None for u in data.units) else "")
             + f"的 {len(good)} 个单位；需退回、无法读取"
             + ("和不在名单中" if outside else "") + "的单位另列于第五部分，不计入统计。")
    out = [Heading(1, "二、自评得分分布"), Para(scope)]
    grades = Counter(u["grade"] for u in good)
    if totals:
        out.append(Para(f"平均分 {sum(totals) / len(totals):.2f} 分，最高 {max(totals):.2f} 分，最低 {min(totals):.2f} 分；"
                        + "，".join(f"{g} {grades.get(g, 0)} 个" for g in data.grades) + "。"))
    out.append(Table("表 1  自评等级分布", ["等级", "单位数", "占比"],
                     [[g, str(grades.get(g, 0)), f"{grades.get(g, 0) / len(good) * 100:.1f}%" if good else "—"]
                      for g in data.grades], numeric=(1, 2)))
    out.append(Chart("等级分布（单位数）", [Bar(g, Decimal(max(len(good), 1)), Decimal(grades.get(g, 0)))
                                      for g in data.grades], count="单位数"))
    return out


def _follow_up_table(data: OverviewData):
    """表 4: returns to send back, unreadable, off the roster or scored low, and units that have not returned."""
    def why(u):
        if u["status"] == RETURN:
            return f"{u['errors']} 项强制性问题"
        if u["status"] == UNREADABLE:
            return "文件无法读取"
        if u.get("on_roster") is False:
            return f"不在单位名单中（总分 {_score(u['display'])}，未计入统计）"
        return f"总分 {_score(u['display'])}，等级 {u['grade']}"
    follow = [[u["unit_code"], u["unit_name"], u["status"], why(u)]
              for u in sorted(data.units, key=lambda u: (u["status"] == PASS, u["display"] or 0, u["unit_code"]))
              if u["status"] != PASS or u.get("on_roster") is False or (u["grade"] in data.grades[2:])]
    follow += [[m["unit_code"], m["unit_name"], "未报送", "催报"] for m in data.missing]
    return (Table("表 4  需退回、无法读取、不在名单、未报送或得分偏低的单位", ["单位编码", "单位名称", "状态", "说明"],
                  follow) if follow else Para("所有单位均已报送且校验通过。"))


def _low_table(leaves: list[dict], n: str = "") -> Table:
    """表 2: the five indicators with the lowest mean score rate."""
    scored = [x for x in leaves if x["mean"] is not None and x["weight"]]
    low = sorted(scored, key=lambda x: (x["mean"] / x["weight"], x["id"]))[:5]
    return Table(f"表 2{n}  平均得分率最低的指标", ["编号", "指标", "分值", "平均得分", "得分率", "扣分单位数"],
                 [[x["id"], x["name"], score_text(Decimal(str(x["weight"]))),
                   f"{x['mean']:.2f}", f"{x['mean'] / x['weight'] * 100:.2f}%",
                   str(x["losers"])] for x in low], numeric=(2, 3, 4, 5))


def _reasons_table(leaves: list[dict], n: str = ""):
    """表 3: the ten most frequent deduction reasons, with the indicator they were given for."""
    reasons = Counter()
    where: dict[str, str] = {}
    for x in leaves:
        for text, count in x["reasons"]:
            reasons[text] += count
            where.setdefault(text, f"{x['id']} {x['name']}")
    rows = [[text, where[text], str(c)] for text, c in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:10]]
    return (Table(f"表 3{n}  出现最多的扣分原因", ["扣分原因", "指标", "单位数"], rows, numeric=(2,)) if rows
            else Para("各单位均未填写扣分原因。"))


def report_overview(source, output, roster_path=None) -> Document:
    """Write the bureau's overview from a collect database (.db), or from the database a summary workbook (.xlsx)
    was written from (see ``database_of``)."""
    output_format(output)
    src = Path(source)
    data = from_workbook(src, roster_path) if src.suffix.lower() in (".xlsx", ".xlsm") else from_database(src, roster_path)
    doc = build_overview(data)
    write_document(doc, output)
    return doc

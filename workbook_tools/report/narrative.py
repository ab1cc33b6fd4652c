"""`wbtool report`: the self-evaluation report (自评报告) as a document model built once from a workbook."""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from workbook_tools.model.engine import Result, compute
from workbook_tools.errors import WbtoolError
from workbook_tools.checks.findings import Report
from workbook_tools.model.layout import LEVEL_NAMES, NA, narrative_text
from workbook_tools.numbers import excel_serial_to_date, num, plain, round_half_up
from workbook_tools.files.reader import Returned, read_workbook
from workbook_tools.model.spec import Node, Spec
from workbook_tools.report.document import (  # noqa: F401  (re-exported: the model's old home)
    Bar, Chart, Document, Heading, Notice, PageBreak, Para, Signature, Table, xml_safe)
from workbook_tools.report.write import output_format, write_document  # noqa: F401  (re-exported)
from workbook_tools.checks.validate import validate_returned

CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (section numbers)."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return (CN_DIGITS[tens] if tens > 1 else "") + "十" + (CN_DIGITS[ones] if ones else "")


def money(x) -> str:
    """40082.65; money always shows 2 decimals, as the form does."""
    d = num(x) if not isinstance(x, Decimal) else x
    return "—" if d is None else format(round_half_up(d, 2), "f")


def percent(ratio, places: int) -> str:
    """0.9974 → '99.74%' (a fixed number of decimals, as the form shows it); '—' when there is none."""
    d = num(ratio) if not isinstance(ratio, Decimal) else ratio
    return "—" if d is None else format(round_half_up(d * 100, places), "f") + "%"


def score_text(x) -> str:
    """Scores and weights without trailing zeros: 19.8894, 9.974, 3."""
    return "未评分" if x is None else plain(x)


def score_shown(x) -> str:
    """A score as the printed form shows it, to two decimals (19.8894 → 19.89, 9.974 → 9.97, 20 → 20)."""
    return "未评分" if x is None else plain(round_half_up(x, 2))


def score_cell(x) -> str:
    """A score in a table column: always two decimals so the column lines up (20.00, 19.89)."""
    return "未评分" if x is None else format(round_half_up(x, 2), ".2f")


# ====================================================================== the self-evaluation report

# staff may cite the workbook's figures in their text: these become sentences written from the workbook
TOKEN_FUNDS, TOKEN_MIDYEAR, TOKEN_PROJECTS = "【收支情况】", "【年中监控】", "【自评项目】"
# 一、基本情况: narrative keys in the seed's order, None = the generated （四）收支情况
BASIC = ("duties", "work", "goals", None, "management")
# 三 and 四: (chapter heading, narrative key)
CHAPTERS = (("三、存在的主要问题", "problems"), ("四、下一步改进措施", "measures"))
_SUBHEAD = re.compile(r"^（[一二三四五六七八九十]+）[^。；]{1,40}$")


class ReportRefused(WbtoolError):
    """The workbook has errors (强制性问题): no report unless forced (exit 1)."""

    exit_code = 1


@dataclass
class Facts:
    """What the report says about one workbook, taken once from the read file and the engine."""
    ret: Returned
    result: Result

    @property
    def spec(self) -> Spec:
        return self.ret.spec

    @property
    def project(self) -> bool:
        return self.spec.kind == "project"

    def cover(self, key: str) -> str:
        v = self.ret.cover().get(key)
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return "" if v is None else str(v).strip()

    @property
    def year(self) -> str:
        return self.cover("fiscalYear")

    @property
    def subject(self) -> str:
        """The unit (部门整体) or the project (项目支出) the report is about."""
        return (self.cover("projectName") if self.project else "") or self.cover("unitName")

    def value(self, key: str):
        return self.result.values.get(key)


def year_prefix(f: Facts) -> str:
    return f"{f.year} 年" if f.year else "本年度"


def funds_sentence(f: Facts) -> str:
    """The seed's （四） sentence: budget, actual spending and execution rate."""
    unit, t = f.spec.money_unit, f.value
    who = f"{f.subject} " if f.subject else ""
    if f.project:
        return (f"{who}{year_prefix(f)}全年预算数共 {money(t('funds.total.adjusted'))} {unit}，"
                f"全年执行数 {money(t('funds.total.actual'))} {unit}，执行率 {percent(t('funds.exec_rate'), 2)}。")
    return (f"{who}{year_prefix(f)}部门年度预算支出数共 {money(t('funds.total.adjusted'))} {unit}，"
            f"实际支出 {money(t('funds.total.actual'))} {unit}，预算完成率 {percent(t('funds.exec_rate'), 2)}。")


def midyear_sentence(f: Facts) -> str | None:
    """The seed's monitoring sentence, '超过' or '低于' the target; None when the form has no mid-year data."""
    m = f.spec.funds.midyear
    progress, gap = f.value("funds.mid_progress"), f.value("funds.mid_gap")
    if m is None or not isinstance(progress, Decimal) or not isinstance(gap, Decimal):
        return None
    unit, target = f.spec.money_unit, plain(m.target_progress * 100)
    period = re.sub(r"(\d)\s*月", r"\1 月", m.label) + "份"          # 1-6月 → 1-6 月份
    # the gap between two rates is a difference of percentage points (个百分点), not a percentage
    if gap > 0:
        against = f"超过预定目标（{target}%）{format(gap, 'f')} 个百分点"
    elif gap < 0:
        against = f"低于预定目标（{target}%）{format(-gap, 'f')} 个百分点"
    else:
        against = f"与预定目标 {target}%持平"
    return (f"{period}的年度预算金额 {money(f.value('funds.total.mid_budget'))} {unit}，"
            f"整体实际支出金额 {money(f.value('funds.total.mid_actual'))} {unit}，"
            f"整体支出进度比例为 {percent(progress, 1)}，{against}。")


def project_counts(f: Facts) -> str | None:
    """'141 个一般公共预算项目、83 个政府性基金预算项目、1 个其他资金项目' from 开展绩效自评项目数."""
    if not f.spec.funds.project_counts:
        return None
    parts = []
    for i, source in enumerate(f.spec.funds.sources):
        n = num(f.ret.inputs.get(f"funds.{i}.projects"))
        if n is not None and n > 0:
            parts.append(f"{plain(n)} 个{source}项目")
    return "、".join(parts) or None


def _tokens(f: Facts) -> dict[str, str]:
    mid, counts = midyear_sentence(f), project_counts(f)
    return {TOKEN_FUNDS: funds_sentence(f), TOKEN_MIDYEAR: mid or "（年中监控数据未填报）",
            TOKEN_PROJECTS: counts or "（开展绩效自评项目数未填报）"}


def narrative_blocks(text: str, level: int, tokens: dict[str, str]) -> list:
    """A narrative text as paragraphs, its short （一）… lines as subheadings one level down."""
    for token, sentence in tokens.items():
        text = text.replace(token, sentence)
    blocks = []
    for line in (x.strip() for x in text.splitlines()):
        if not line:
            continue
        if _SUBHEAD.match(line) and level < 3:
            blocks.append(Heading(level + 1, line))
        else:
            blocks.append(Para(line))
    return blocks or [Para("（未填写）")]


def _used_tokens(f: Facts) -> str:
    return "".join(narrative_text(f.ret.inputs, n) for n in f.spec.narrative)


def _funds_paras(f: Facts) -> list:
    """（四）: the budget sentence, plus the monitoring and project sentences no narrative already cites."""
    used = _used_tokens(f)
    paras = [Para(funds_sentence(f))]
    mid = midyear_sentence(f)
    if mid and TOKEN_MIDYEAR not in used:
        paras.append(Para(f"{year_prefix(f)} {mid}"))
    counts = project_counts(f)
    if counts and TOKEN_PROJECTS not in used:
        paras.append(Para(f"{year_prefix(f)}，组织对 {counts}开展绩效自评。"))
    return paras


def _basic_chapter(f: Facts, tokens) -> list:
    fields = {n.key: n for n in f.spec.narrative}
    blocks: list = [Heading(1, "一、项目基本情况" if f.project else "一、部门基本情况")]
    keys = [k for k in BASIC if k is None or k in fields]
    keys += [k for k in fields if k not in BASIC and k not in {key for _, key in CHAPTERS}]   # a spec's extra fields
    for i, key in enumerate(keys, 1):
        if key is None:
            label = "项目资金情况" if f.project else "部门整体收支情况"
            blocks += [Heading(2, f"（{cn_number(i)}）{label}"), *_funds_paras(f)]
        else:
            blocks.append(Heading(2, f"（{cn_number(i)}）{fields[key].label}"))
            blocks += narrative_blocks(narrative_text(f.ret.inputs, fields[key]), 2, tokens)
    return blocks


def leaf_line(f: Facts, leaf: Node) -> str:
    """'结转结余率：分值 2 分，自评得分 2 分' (the seed's wording)."""
    s = f.result.leaf_scores.get(leaf.id)
    line = f"{leaf.name}：分值 {score_text(leaf.weight)} 分，" + (f"自评得分 {score_shown(s)} 分" if s is not None else "尚未评分")
    if f.spec.inapplicable != "forbidden" and f.ret.inputs.get(f"node.{leaf.id}.applicable") == NA:
        line += "（不适用）"
    return line


def _leaves(node: Node) -> list[Node]:
    return [node] if node.is_leaf else [x for c in node.children for x in _leaves(c)]


def _scores_chapter(f: Facts) -> list:
    """二、绩效自评情况: the conclusion, then per first-level indicator one numbered line per second level."""
    what = "项目支出" if f.project else "部门整体支出"
    grade = f"，评价等级为“{f.result.grade}”" if f.result.grade else ""
    blocks: list = [Heading(1, "二、绩效自评情况"), Heading(2, "（一）自评结论"),
                    Para(f"{year_prefix(f)}{what}绩效自评分值 {score_text(f.spec.total_weight)} 分，"
                         f"自评得分 {score_text(f.result.display)} 分{grade}。")]
    for i, top in enumerate(f.spec.tree, 2):
        blocks.append(Heading(2, f"（{cn_number(i)}）{top.name}分析"))
        if top.is_leaf:
            blocks.append(Para(leaf_line(f, top) + "。"))
            continue
        for j, child in enumerate(top.children, 1):
            if child.is_leaf:
                text = leaf_line(f, child).split("：", 1)[1]
            else:
                text = "；".join(leaf_line(f, leaf) for leaf in _leaves(child))
            blocks.append(Para(text + "。", lead=f"{j}.{child.name}："))
    return blocks


def _narrative_chapters(f: Facts, tokens) -> list:
    fields = {n.key: n for n in f.spec.narrative}
    blocks: list = []
    for heading, key in CHAPTERS:
        if key in fields:
            blocks.append(Heading(1, heading))
            blocks += narrative_blocks(narrative_text(f.ret.inputs, fields[key]), 1, tokens)
    return blocks


def score_table(f: Facts) -> Table:
    """一级 / 二级 / 三级 / 分值 / 得分 / 扣分原因, one row per leaf, the total at the foot."""
    depth = f.spec.depth
    rows = []
    for leaf in f.spec.leaves():
        names = leaf.path() + [""] * (depth - leaf.depth)
        reason = f.ret.inputs.get(f"node.{leaf.id}.reason")
        rows.append(names + [score_text(leaf.weight), score_cell(f.result.leaf_scores.get(leaf.id)),
                             "" if reason is None else str(reason).strip()])
    foot = ["合计"] + [""] * (depth - 1) + [score_text(f.spec.total_weight), score_cell(f.result.display),
                                            f"评价等级：{f.result.grade}" if f.result.grade else ""]
    return Table(caption="附表：绩效自评得分表", header=list(LEVEL_NAMES[:depth]) + ["分值", "得分", "扣分原因"],
                 rows=rows, group=depth - 1, foot=foot, numeric=(depth, depth + 1))


def score_chart(f: Facts) -> Chart:
    """Score against weight for every second-level indicator (first level when the tree is flat)."""
    nodes = [n for n in f.spec.nodes() if n.depth == 2] or list(f.spec.tree)
    return Chart(caption="各二级指标得分情况" if nodes[0].depth == 2 else "各指标得分情况",
                 bars=[Bar(n.name, n.weight, f.result.node_scores.get(n.id)) for n in nodes])


def signature(f: Facts) -> Signature:
    """单位（盖章） with the unit's name and the 填报日期 of the cover (blank 年 月 日 when there is none)."""
    raw = f.ret.cover().get("fillDate")
    day = raw if isinstance(raw, (_dt.date, _dt.datetime)) else excel_serial_to_date(raw) if raw is not None else None
    if day is None and isinstance(raw, str):
        m = re.match(r"\s*(\d{4})\D+(\d{1,2})\D+(\d{1,2})", raw)
        day = _dt.date(*map(int, m.groups())) if m else None
    when = f"{day.year} 年 {day.month} 月 {day.day} 日" if day else "　　　　年　　月　　日"
    return Signature([f"单位（盖章）：{f.cover('unitName') or '　' * 12}", f"日期：{when}"])


def error_notice(report: Report, limit: int = 50) -> Notice:
    lines = [f"{e.code}　{e.cell or '（整个文件）'}　{e.message('zh')}" for e in report.errors[:limit]]
    if len(report.errors) > limit:
        lines.append(f"……另有 {len(report.errors) - limit} 项，见 wbtool validate 的结果")
    return Notice(f"注意：本报告所依据的自评表未通过校验，存在 {len(report.errors)} 项强制性问题（见下），"
                  f"报告内容仅供核对，不能作为正式报告报送。", lines)


def build_report(ret: Returned, report: Report | None = None, result: Result | None = None) -> Document:
    """The self-evaluation report of a read workbook; ``report`` with errors adds the warning box."""
    f = Facts(ret, result or compute(ret.spec, ret.inputs))
    what = "项目支出" if f.project else "部门整体支出"
    doc = Document(title=f"{year_prefix(f)}{f.subject}{what}绩效自评报告", author=f.subject,
                   source=Path(ret.source).name)
    if report is not None and report.errors:
        doc.blocks.append(error_notice(report))
    tokens = _tokens(f)
    doc.blocks += _basic_chapter(f, tokens) + _scores_chapter(f) + _narrative_chapters(f, tokens)
    doc.blocks += [signature(f), PageBreak(), score_table(f), score_chart(f)]
    return doc


def refusal(report: Report, limit: int = 20) -> ReportRefused:
    errs = report.errors
    lines = "\n".join(f"  {e.code}  {e.cell or '（文件）'}  {e.message('zh')}" for e in errs[:limit])
    lines_en = "\n".join(f"  {e.code}  {e.cell or '(file)'}  {e.message('en')}" for e in errs[:limit])
    more = f"\n  ……另有 {len(errs) - limit} 项" if len(errs) > limit else ""
    name = Path(report.file).name
    return ReportRefused(
        f"{name} 有 {len(errs)} 项强制性问题，未生成报告：\n{lines}{more}\n"
        f"请先修改（wbtool validate {name} 查看详情），或加 --force 生成带警示的报告。",
        f"{name} has {len(errs)} error(s); no report written:\n{lines_en}\n"
        f"fix them first (see wbtool validate), or use --force for a report with a warning box.",
        code="report-refused")


@dataclass
class ReportOutcome:
    output: Path
    document: Document
    validation: Report
    forced: bool


def report_workbook(path: str | Path, output: str | Path, *, force: bool = False) -> ReportOutcome:
    """Read, validate and write the report of one workbook; refuses (ReportRefused) on errors unless forced."""
    output_format(output)                      # a bad -o fails before any work
    ret = read_workbook(path)                  # UnreadableInput: exit 3
    rep = validate_returned(ret)
    if rep.errors and not force:
        raise refusal(rep)
    doc = build_report(ret, rep)
    return ReportOutcome(write_document(doc, output), doc, rep, bool(rep.errors))

"""`wbtool collect` and `wbtool status`: the finance bureau's batch commands."""
from __future__ import annotations

import json
import sys

import click

from workbook_tools.commands.common import LANG_OPTION, SPEC_OPTION


@click.command("collect")
@click.argument("inboxes", nargs=-1, type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="汇总工作簿 summary.xlsx")
@click.option("--roster", type=click.Path(dir_okay=False), help="单位名单（CSV/XLSX：单位编码、单位名称、主管部门…）")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help="数据库（默认与汇总表同名 .db）")
@click.option("--ledger", type=click.Path(dir_okay=False), help="财政台账，逐单位核对预算与支出，另增“台账核对”表")
@click.option("--tolerance", default=None, help="台账核对容差（万元，默认 0.01）")
@click.option("--unit", "money_unit", type=click.Choice(["元", "万元"]), default=None,
              help="台账的金额单位（表头未注明时必须指定）")
@click.option("--columns", type=click.Path(dir_okay=False), help="台账列名配置 YAML（见 docs/ledger.md）")
@click.option("--spec", "spec_ref", multiple=True,
              help="本次汇总的表单规格（默认取多数文件的规格）；可重复给出，每种表单在汇总表中分表统计")
@click.option("--feedback", "feedback_dir", type=click.Path(file_okay=False), help="为有错误的单位生成标注副本的文件夹")
@click.option("-j", "--jobs", type=int, default=None, help="并行进程数（默认 CPU 核数）")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("-q", "--quiet", is_flag=True, help="不显示进度")
@click.option("--sample", default=None, metavar="N|P%", help="随机抽取 N 份或 P% 的自评表做抽查复核（写入“抽查”表）")
@click.option("--seed", type=int, default=0, show_default=True, help="抽查的随机种子（同样的种子抽出同样的清单）")
@click.option("--sample-csv", type=click.Path(dir_okay=False), default=None, help="抽查清单另存为 CSV")
@LANG_OPTION
@click.pass_context
def collect_cmd(ctx, inboxes, output, roster, db_path, ledger, tolerance, money_unit, columns, spec_ref, feedback_dir,
                jobs, fmt, quiet, sample, seed, sample_csv, lang):
    """汇总收到的全部自评表：逐个校验，写入汇总工作簿与数据库（重跑时只读新增或改动的文件）。

    退出码：0 全部通过，1 有需退回或无法读取的文件，2 用法错误，3 名单/台账无法读取。"""
    from workbook_tools.cli import say
    from workbook_tools.bureau.collect import run_collect
    if not inboxes:
        raise click.UsageError("请指定收件文件夹 / give at least one inbox folder")
    if spec_ref:
        from workbook_tools.files import specsheet
        for ref in spec_ref:           # each first for its id here and in the worker processes (run_collect)
            specsheet.use(ref)
    if sample:
        from workbook_tools.foreign.review import parse_sample
        parse_sample(sample)
    elif sample_csv:
        raise click.UsageError("--sample-csv 需要 --sample / --sample-csv needs --sample")
    show = not quiet and sys.stderr.isatty() and fmt == "text"
    factory = (lambda n: _Bar(n)) if show else None
    led = None
    if ledger:
        from workbook_tools.bureau.ledger import read_ledger
        from workbook_tools.files.specsheet import load_spec
        led = read_ledger(ledger, unit=money_unit, columns=columns,
                          sources=load_spec(spec_ref[0]).funds.sources if spec_ref else None)
    elif money_unit or columns or tolerance:
        raise click.UsageError("--unit / --columns / --tolerance 只能与 --ledger 一起使用 / need --ledger")
    result = run_collect(inboxes, output, roster_path=roster, db_path=db_path, jobs=jobs, spec_ref=spec_ref or None,
                         feedback_dir=feedback_dir, ledger=led, tolerance=tolerance, progress_factory=factory,
                         sample=sample, seed=seed, sample_csv=sample_csv,
                         on_wait=lambda: say(ctx, "数据库正被另一个 collect 使用，等待其结束…",
                                             "database is in use by another collect run; waiting…", lang, err=True))
    if fmt == "json":
        click.echo(json.dumps(result, ensure_ascii=False, indent=2, default=str))
        ctx.exit(0 if result["ok"] else 1)
    st = result["statuses"]
    say(ctx, f"共找到 {result['files']} 个文件（新读取 {result['read']} 个，未变化 {result['cached']} 个）；"
             f"{result['units']} 个单位：通过 {st.get('通过', 0)}，需退回 {st.get('需退回', 0)}，"
             f"无法读取 {st.get('无法读取', 0)}；未报送 {len(result['missing'])}，重复报送 {len(result['duplicates'])}。",
        f"{result['files']} files ({result['read']} read, {result['cached']} unchanged); {result['units']} units: "
        f"{st.get('通过', 0)} passed, {st.get('需退回', 0)} to return, {st.get('无法读取', 0)} unreadable; "
        f"{len(result['missing'])} missing, {len(result['duplicates'])} duplicates.", lang)
    if result.get("ledger_returned"):
        say(ctx, f"其中 {result['ledger_returned']} 份本身无误、但与台账不符，已计入需退回（见汇总表“台账核对”）。",
            f"{result['ledger_returned']} of them are correct in themselves but differ from the ledger: to return "
            f"(sheet 台账核对).", lang)
    if result.get("project_returns"):       # overall forms with project returns beside them
        ps = result["project_statuses"]
        say(ctx, f"另有项目自评 {result['projects']} 个，共 {result['project_returns']} 份报送：通过 {ps.get('通过', 0)}，"
                 f"需退回 {ps.get('需退回', 0)}（见汇总表“项目汇总”“单位项目统计”）；"
                 f"{result['linked_units']} 个单位的部门整体自评表已与其项目自评表核对项目数。",
            f"Also {result['projects']} project forms in {result['project_returns']} returns: {ps.get('通过', 0)} "
            f"passed, {ps.get('需退回', 0)} to return (sheets 项目汇总 and 单位项目统计); the overall form of "
            f"{result['linked_units']} units checked against their project forms.", lang)
    elif result.get("projects"):
        say(ctx, f"其中项目自评 {result['projects']} 个（见汇总表“项目汇总”“单位项目统计”）。",
            f"{result['projects']} project forms (sheets 项目汇总 and 单位项目统计 of the summary).", lang)
    rv = result.get("review") or {}
    if rv.get("forms"):
        say(ctx, f"复核：{rv['forms']} 份自评表，其中 {rv['flagged']} 份自评总分高于复核总分（见汇总表“复核”表）"
                 + (f"；随机抽查 {len(rv['sample'])} 份（种子 {rv['seed']}，见“抽查”表）" if rv.get("sample") is not None else "")
                 + "。",
            f"review: {rv['forms']} forms, {rv['flagged']} with a self total above the recomputed one (sheet 复核)"
            + (f"; {len(rv['sample'])} drawn for 抽查 (seed {rv['seed']})" if rv.get("sample") is not None else "") + ".",
            lang)
    say(ctx, f"汇总表：{result['summary']}；数据库：{result['db']}", f"summary: {result['summary']}; db: {result['db']}",
        lang)
    if result["feedback"]:
        say(ctx, f"已生成 {len(result['feedback'])} 份问题标注副本于 {feedback_dir}",
            f"{len(result['feedback'])} annotated copies in {feedback_dir}", lang)
    failed = result.get("feedback_failed") or []
    for f in failed:       # the other copies were made; these say why one was not
        say(ctx, f"未能生成 {f['file']} 的问题标注副本：{f['message']}",
            f"no annotated copy of {f['file']}: {f['message']}", lang, err=True)
    ctx.exit(0 if result["ok"] and not failed else 1)   # 1: some returns must be sent back or could not be read



class _Bar:
    """A progress bar on stderr (only on a terminal)."""

    def __init__(self, n):
        self.bar = click.progressbar(length=n, label="校验中", file=sys.stderr)
        self.bar.__enter__()

    def update(self, k):
        self.bar.update(k)

    def close(self):
        self.bar.__exit__(None, None, None)


@click.command("status")
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False), help="collect 生成的数据库")
@click.option("--roster", type=click.Path(dir_okay=False), help="单位名单：列出未报送的单位")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text")
@SPEC_OPTION
@LANG_OPTION
@click.pass_context
def status_cmd(ctx, db_path, roster, fmt, lang):
    """列出报送情况：谁已报送、谁通过、谁需退回重报、谁未报送。"""
    from workbook_tools.bureau.collect import unit_status
    rows = unit_status(db_path, roster)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
    elif fmt == "csv":
        from workbook_tools.cli import _lang
        from workbook_tools.checks.render import csv_table
        keys = ["unit_code", "unit_name", "status", "display", "grade", "errors", "submissions", "fill_date", "file",
                "project_status", "projects"]
        click.echo(csv_table(keys, rows, _lang(ctx, lang), STATUS_HEADERS_ZH), nl=False)
    else:
        from workbook_tools.cli import _lang
        en = _lang(ctx, lang) == "en"
        for r in rows:
            score = f"{r['display']:.2f} {r['grade'] or ''}".rstrip() if r["display"] is not None else ""
            file = r["file"]
            if r.get("projects"):
                ps = r.get("project_status")
                if ps and ps != r["status"]:    # an overall form whose unit's project forms stand otherwise
                    score = f"{score} ({r['projects']} projects: {ps})" if en else f"{score}（{r['projects']} 个项目：{ps}）"
                else:
                    score = f"{score} ({r['projects']} projects)" if en else f"{score}（{r['projects']} 个项目）"
                score = score.strip()
                if len(r.get("files") or []) > 1:
                    file += f" and {len(r['files']) - 1} more" if en else f" 等 {len(r['files'])} 个文件"
            click.echo(f"{r['status']}\t{r['unit_code']}\t{r['unit_name']}\t{score}\t{file}"
                       + (f"\t{r['note']}" if r.get("note") else ""))      # the bureau's send-back note
        from collections import Counter
        c = Counter(r["status"] for r in rows)
        click.echo("；".join(f"{k} {v}" for k, v in c.items()))


STATUS_HEADERS_ZH = {"unit_code": "单位编码", "unit_name": "单位名称", "status": "状态", "display": "总分", "grade": "等级",
                     "errors": "错误数", "submissions": "报送次数", "fill_date": "填报日期", "file": "文件",
                     "project_status": "项目状态", "projects": "项目数"}

COMMANDS = [collect_cmd, status_cmd]

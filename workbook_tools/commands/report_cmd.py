"""`wbtool report`: the self-evaluation report of one workbook as Word, Markdown or HTML."""
from __future__ import annotations

import click

# cli.py imports this module while it registers commands: its helpers are imported inside the function
from workbook_tools.commands.common import LANG_OPTION as _LANG
from workbook_tools.commands.common import SPEC_OPTION


@click.command("report")
@click.argument("file", type=click.Path(dir_okay=True), required=False)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="报告文件：.docx（Word）、.md（Markdown）或 .html（网页，含得分图）")
@click.option("--force", is_flag=True, help="自评表有强制性问题时仍生成报告（报告开头列出问题）")
@click.option("--summary", "summary", type=click.Path(dir_okay=False),
              help="财政局汇总报告：collect 的数据库（.db）或汇总表（.xlsx）")
@click.option("--roster", type=click.Path(dir_okay=False), help="与 --summary 一起：单位名单，列出未报送单位")
@SPEC_OPTION
@_LANG
@click.pass_context
def report_cmd(ctx, file, output, force, summary, roster, lang):
    """根据自评表生成绩效自评报告：文字取自“文字说明”表，金额与得分由本表数据计算。

    退出码：0 已生成，1 自评表有强制性问题（未加 --force），2 用法错误，3 文件无法读取或报告无法写入。"""
    from workbook_tools.cli import say
    from workbook_tools.report.narrative import report_workbook
    if summary:
        from workbook_tools.bureau.overview import report_overview
        doc = report_overview(summary, output, roster)
        say(ctx, f"已生成汇总报告 {output}：{doc.title}。", f"wrote overview {output}: {doc.title}.", lang)
        return
    if not file:
        raise click.UsageError("请指定自评表文件，或用 --summary 指定汇总数据库 / give a FILE or --summary")
    out = report_workbook(file, output, force=force)
    r = out.document
    if out.forced:
        n = len(out.validation.errors)
        say(ctx, f"警告：自评表有 {n} 项强制性问题，报告开头已列出，仅供核对。",
            f"warning: the workbook has {n} error(s), listed at the top of the report; for checking only.",
            lang, err=True)
    say(ctx, f"已生成报告 {out.output}：{r.title}。", f"wrote report {out.output}: {r.title}.", lang)


COMMANDS = [report_cmd]

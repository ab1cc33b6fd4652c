"""`wbtool inspect`: what the tool finds in a workbook (blocks, cells, indicator rows, re-scored values)."""
from __future__ import annotations

import json

import click

from workbook_tools.commands.common import LANG_OPTION, SPEC_OPTION


@click.command("inspect")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--layout", default=None, help="按指定表式读取（id 或 YAML 路径；默认自动选择内置表式）")
@SPEC_OPTION
@LANG_OPTION
@click.pass_context
def inspect_cmd(ctx, file, fmt, layout, lang):
    """显示工作簿的识别结果：每张表的区块与单元格范围、每个指标行及其复核得分；无法识别时说明缺少哪个区块。

    退出码：0 已识别，3 无法读取或无法识别。"""
    from workbook_tools.cli import _lang
    from workbook_tools.foreign.describe import describe, render_text
    d = describe(file, layout)
    if fmt == "json":
        click.echo(json.dumps(d, ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(render_text(d, _lang(ctx, lang)))
    ctx.exit(0 if d["understood"] else 3)


COMMANDS = [inspect_cmd]

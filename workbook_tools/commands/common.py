"""Options shared by every command."""
from __future__ import annotations

import click


def _remember_lang(ctx, param, value):
    """A subcommand's --lang also governs the error message the group prints for it."""
    if value:
        root = ctx.find_root()
        root.obj = {**(root.obj or {}), "lang": value}
    return value


LANG_OPTION = click.option("--lang", type=click.Choice(["zh", "en"]), default=None, callback=_remember_lang,
                           help="消息语言 / message language (默认 zh)")


def _use_spec(ctx, param, value):
    """--spec FILE|ID: that spec comes first for its id while this command runs (speclib's search path)."""
    if value:
        from workbook_tools.files import specsheet
        specsheet.use(value)
    return value


SPEC_OPTION = click.option("--spec", "spec_use", default=None, callback=_use_spec, expose_value=False,
                           metavar="FILE|ID",
                           help="规格文件或 id：先于 WBTOOL_SPEC_PATH、内置规格和工作簿内嵌的规格使用（见 wbtool specs）")

_STYLES = {"head": {"bold": True}, "error": {"fg": "red"}, "warning": {"fg": "yellow"}, "explained": {"fg": "green"}}


def terminal_style(text: str, role: str) -> str:
    """Colours of the text report on a terminal (render_text's ``style``): bold head, red errors, yellow warnings,
    green explained warnings."""
    return click.style(text, **_STYLES.get(role, {}))

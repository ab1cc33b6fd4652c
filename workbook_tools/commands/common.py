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


_STYLES = {"head": {"bold": True}, "error": {"fg": "red"}, "warning": {"fg": "yellow"}, "explained": {"fg": "green"}}


def terminal_style(text: str, role: str) -> str:
    """Colours of the text report on a terminal (render_text's ``style``): bold head, red errors, yellow warnings,
    green explained warnings."""
    return click.style(text, **_STYLES.get(role, {}))

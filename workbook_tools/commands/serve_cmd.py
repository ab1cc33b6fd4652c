"""`wbtool serve`: the bureau's intake portal in a browser (optional extra ``wbtool[serve]``)."""
from __future__ import annotations

import os
import sys

import click

from workbook_tools.commands.common import LANG_OPTION

ADMIN_ENV = "WBTOOL_ADMIN_PASSWORD"


@click.command("serve")
@click.option("--roster", type=click.Path(dir_okay=False), help="单位名单（CSV/XLSX）：列出未报送单位、显示单位名称")
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False),
              help="汇总数据库（与 wbtool collect / status 同一个）")
@click.option("--ledger", type=click.Path(dir_okay=False), help="财政台账：下载的汇总表中增加“台账核对”表")
@click.option("--unit", "money_unit", type=click.Choice(["元", "万元"]), default=None,
              help="台账的金额单位（表头未注明时必须指定）")
@click.option("--spec", "spec_ref", default=None, help="本次报送的表单规格（id 或 YAML 路径）")
@click.option("--manifest", "manifests", multiple=True, type=click.Path(dir_okay=False),
              help="distribute 生成的 manifest.csv：导入各单位的访问码（只保存摘要，可重复）")
@click.option("--uploads", type=click.Path(file_okay=False), help="上传文件的保存位置（默认：数据库旁的 <db>.uploads）")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址（内网使用请填本机内网 IP 或 0.0.0.0）")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--max-upload-mb", default=20, show_default=True, type=click.IntRange(1, 50), help="单个上传文件的大小上限")
@click.option("--idle-minutes", default=30, show_default=True, type=click.IntRange(1, 24 * 60),
              help="登录后无操作多久自动退出")
@LANG_OPTION
@click.pass_context
def serve_cmd(ctx, roster, db_path, ledger, money_unit, spec_ref, manifests, uploads, host, port, max_upload_mb, idle_minutes,
              lang):
    """启动报送平台：单位在浏览器中上传自评表、即时看到校验结果；财政局查看报送情况、退回、下载汇总。

    管理员密码：环境变量 WBTOOL_ADMIN_PASSWORD，或首次启动时在终端输入。"""
    from workbook_tools.cli import say
    try:
        import jinja2  # noqa: F401
        try:
            import python_multipart  # noqa: F401
        except ImportError:
            import multipart  # noqa: F401
        import starlette  # noqa: F401
        import uvicorn
    except ImportError as e:
        say(ctx, f"wbtool serve 需要可选组件（缺少 {e.name}）。请安装：pip install 'wbtool[serve]'",
            f"wbtool serve needs the optional extra (missing {e.name}): pip install 'wbtool[serve]'", lang, err=True)
        ctx.exit(2)
    from workbook_tools.errors import UsageError
    from workbook_tools.serve.app import create_app
    from workbook_tools.serve.portal import MIB, Portal, PortalConfig
    from workbook_tools.bureau.store import open_store
    open_store(db_path).close()      # a clear message for a folder, a missing folder or a damaged database
    if spec_ref:
        from workbook_tools.files.specsheet import load_spec
        load_spec(spec_ref)
    portal = Portal(PortalConfig(db=db_path, uploads=uploads, roster=roster, ledger=ledger, ledger_unit=money_unit,
                                 spec=spec_ref,
                                 max_upload=max_upload_mb * MIB, idle_minutes=idle_minutes))
    for m in manifests:
        n = portal.import_codes(m)
        say(ctx, f"已从 {m} 导入 {n} 个单位的新访问码（未变的不重复导入）。", f"imported {n} new access codes from {m}.", lang)
    _admin_password(ctx, portal, lang)
    if host not in ("127.0.0.1", "localhost", "::1"):
        say(ctx, f"注意：平台对网络开放（{host}）。请只在内网使用，最好置于 HTTPS 反向代理之后。",
            f"note: the portal listens on {host}; keep it on the intranet, ideally behind an HTTPS proxy.", lang, err=True)
    say(ctx, f"报送平台：http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/ （Ctrl+C 停止）；"
             f"数据库 {db_path}，上传文件保存在 {portal.cfg.uploads}",
        f"portal at http://{host}:{port}/ (Ctrl+C to stop); database {db_path}, uploads in {portal.cfg.uploads}", lang)
    if not portal.units:
        say(ctx, "未指定 --roster：未报送的单位不会列出。", "no --roster: units that have not returned are not listed.",
            lang, err=True)
    try:
        uvicorn.run(create_app(portal), host=host, port=port, log_level="warning", access_log=False,
                    server_header=False, timeout_graceful_shutdown=5)
    except OSError as e:
        raise UsageError(f"无法在 {host}:{port} 启动：{e.strerror or e}（端口被占用？可用 --port 换一个）。",
                         f"cannot listen on {host}:{port}: {e}") from None


def _admin_password(ctx, portal, lang):
    """From the environment (its hash replaces the stored one), else asked once at the first start."""
    from workbook_tools.cli import say
    pw = os.environ.get(ADMIN_ENV)
    if pw:
        try:
            portal.set_admin_password(pw)
        except ValueError as e:
            raise click.UsageError(f"{ADMIN_ENV}：{e}") from None
        return
    if portal.admin_password_set():
        return
    if not sys.stdin.isatty():
        raise click.UsageError(f"首次启动需要设置管理员密码：在终端中运行，或设置环境变量 {ADMIN_ENV}。"
                               f" / first start: run in a terminal or set {ADMIN_ENV}")
    say(ctx, "首次启动：请设置财政局管理员密码（至少 8 个字符；只保存其摘要）。",
        "first start: set the bureau's admin password (8+ characters; only its hash is stored).", lang)
    while True:
        pw = click.prompt("管理员密码", hide_input=True, confirmation_prompt="再输入一次")
        try:
            portal.set_admin_password(pw)
            return
        except ValueError as e:
            say(ctx, str(e), str(e), lang, err=True)


COMMANDS = [serve_cmd]

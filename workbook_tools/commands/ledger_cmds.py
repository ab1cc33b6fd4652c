"""`wbtool distribute` and `wbtool crosscheck`: the bureau's ledger into the templates, and returned files against it."""
from __future__ import annotations

import sys

import click

# cli.py imports this module while it registers commands: its helpers are imported inside the functions
from workbook_tools.commands.common import LANG_OPTION as _LANG
_UNIT = click.option("--unit", "money_unit", type=click.Choice(["元", "万元"]), default=None,
                     help="台账的金额单位（表头未注明时必须指定）")
_COLUMNS = click.option("--columns", "columns", type=click.Path(dir_okay=False),
                        help="台账列名配置 YAML（见 docs/ledger.md）")
_SHEET = click.option("--sheet", default=None, help="台账为 xlsx 时读取的工作表（默认第一个）")


def _read_ledger(path, money_unit, columns, sheet, spec=None):
    """The ledger, its fund sources checked against the form's (the default form's when none is given)."""
    from workbook_tools.bureau.ledger import read_ledger
    return read_ledger(path, unit=money_unit, columns=columns, sheet=sheet,
                       sources=spec.funds.sources if spec is not None else None)


@click.command("distribute")
@click.option("--roster", required=True, type=click.Path(dir_okay=False), help="单位名单（CSV 或 xlsx）")
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False), help="预算执行台账（CSV 或 xlsx）")
@click.option("--projects", "projects_path", type=click.Path(dir_okay=False),
              help="项目清单（CSV 或 xlsx，含单位编码列）：每个单位生成一个项目工作簿")
@click.option("--spec", "spec_ref", default=None,
              help="规格 id 或 YAML 路径（默认 gd-dept-overall-2023；有 --projects 时 national-project-2020）")
@click.option("--year", type=click.IntRange(2000, 2100), default=None, help="预填封面“年度”")
@_UNIT
@_COLUMNS
@_SHEET
@click.option("-o", "--output", "outbox", required=True, type=click.Path(file_okay=False), help="输出文件夹")
@click.option("--strict", is_flag=True, help="名单与台账不一致时以退出码 1 结束")
@_LANG
@click.pass_context
def distribute_cmd(ctx, roster, ledger_path, projects_path, spec_ref, year, money_unit, columns, sheet, outbox,
                   strict, lang):
    """按单位名单逐个生成预填模板（封面；有台账时资金预填并锁定），并写出 manifest.csv。

    有 --projects 时每个单位生成一个项目工作簿（项目清单 + 每个项目一张表），项目资金按项目级台账预填并锁定。
    """
    from workbook_tools.cli import say
    from workbook_tools.bureau.distribute import PROJECT_SPEC, distribute
    from workbook_tools.files.specsheet import load_spec
    if not ledger_path and (money_unit or columns or sheet):
        raise click.UsageError("--unit / --columns / --sheet 只能与 --ledger 一起使用 / need --ledger")
    spec = load_spec(spec_ref or (PROJECT_SPEC if projects_path else None))
    ledger = _read_ledger(ledger_path, money_unit, columns, sheet, spec) if ledger_path else None
    from workbook_tools.cli import _lang
    bar = _Progress(lang_zh=_lang(ctx, lang) != "en") if sys.stderr.isatty() else None
    if projects_path:
        d = distribute(roster, outbox, ledger=ledger, spec=spec, year=year, projects=projects_path,
                       progress=bar)
        if bar:
            bar.close()
        _report_projects(ctx, d, lang)
        _report_unmatched(ctx, d, lang)
        ctx.exit(1 if strict and (d.not_in_ledger or d.not_in_roster or d.projects_not_in_ledger
                                  or d.ledger_not_in_list) else 0)
    d = distribute(roster, outbox, ledger=ledger, spec=spec, year=year, progress=bar)
    if bar:
        bar.close()
    written = sum(1 for x in d.issued if x.file)
    say(ctx, f"已在 {d.outbox} 生成 {written} 个模板（{sum(x.prefilled for x in d.issued)} 个已预填台账资金），清单见 {d.manifest}。",
        f"wrote {written} template(s) to {d.outbox} ({sum(x.prefilled for x in d.issued)} with ledger funds); "
        f"manifest {d.manifest}.", lang)
    _report_unmatched(ctx, d, lang)
    ctx.exit(1 if strict and (d.not_in_ledger or d.not_in_roster) else 0)


class _Progress:
    """distribute's progress on stderr (a terminal only): 生成中 [####    ] 120/480."""

    def __init__(self, lang_zh=True):
        self.bar, self.label = None, "生成中" if lang_zh else "writing"

    def __call__(self, done: int, total: int):
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr, show_pos=True)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def close(self):
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def _report_projects(ctx, d, lang):
    from workbook_tools.cli import say
    files = [x for x in d.issued if x.file]
    count = sum(x.projects or 0 for x in files)
    pre = sum(x.prefilled for x in files)
    say(ctx, f"已在 {d.outbox} 生成 {len(files)} 个项目工作簿，共 {count} 个项目（{pre} 个单位已预填台账资金），清单见 {d.manifest}。",
        f"wrote {len(files)} project workbook(s) with {count} project(s) to {d.outbox} ({pre} with ledger funds); "
        f"manifest {d.manifest}.", lang)
    if d.without_projects:
        items = "、".join(f"{u.code} {u.name}" for u in d.without_projects)
        say(ctx, f"项目清单中没有以下 {len(d.without_projects)} 个单位的项目，未生成项目工作簿：{items}",
            f"{len(d.without_projects)} unit(s) have no project in the list, no workbook written: {items}",
            lang, err=True)
    if d.unknown_units:
        items = "、".join(f"{c}（{len(rows)} 个项目）" for c, rows in d.unknown_units.items())
        say(ctx, f"项目清单中以下单位编码不在名单中，未生成项目工作簿：{items}",
            f"unit codes of the project list not in the roster, no workbook written: {items}", lang, err=True)
    if d.projects_not_in_ledger:
        more = " 等" if len(d.projects_not_in_ledger) > 20 else ""
        first = d.projects_not_in_ledger[:20]
        items = "、".join(f"{r.values.get('cover.projectCode')}（第 {r.row} 行）" for r in first) + more
        items_en = ", ".join(f"{r.values.get('cover.projectCode')} (row {r.row})" for r in first) + more.replace(" 等", " …")
        say(ctx, f"台账中没有 {len(d.projects_not_in_ledger)} 个项目（资金由单位填写）：{items}",
            f"{len(d.projects_not_in_ledger)} project(s) not in the ledger (funds left to the unit): {items_en}",
            lang, err=True)
    if d.ledger_not_in_list:
        items = "、".join(p.code for p in d.ledger_not_in_list[:20]) + (" 等" if len(d.ledger_not_in_list) > 20 else "")
        say(ctx, f"台账中有、项目清单中没有的 {len(d.ledger_not_in_list)} 个项目：{items}",
            f"{len(d.ledger_not_in_list)} ledger project(s) not in the project list: {items}", lang, err=True)


def _report_unmatched(ctx, d, lang):
    from workbook_tools.cli import say
    if d.not_in_ledger:
        items = "、".join(f"{u.code} {u.name}" for u in d.not_in_ledger)
        say(ctx, f"台账中没有以下 {len(d.not_in_ledger)} 个单位，其资金未预填：{items}",
            f"{len(d.not_in_ledger)} unit(s) not in the ledger, funds not pre-filled: {items}", lang, err=True)
    if d.not_in_roster:
        items = "、".join(f"{u.code} {u.name}".strip() for u in d.not_in_roster)
        say(ctx, f"台账中有、名单中没有的 {len(d.not_in_roster)} 个单位，未生成模板：{items}",
            f"{len(d.not_in_roster)} ledger unit(s) not in the roster, no template written: {items}", lang, err=True)


@click.command("crosscheck")
@click.argument("files", nargs=-1, type=click.Path())
@click.option("--ledger", "ledger_path", required=True, type=click.Path(), help="预算执行台账（CSV 或 xlsx）")
@click.option("--tolerance", default="0.01", show_default=True, help="金额容差（万元）")
@_UNIT
@_COLUMNS
@_SHEET
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", help="报告格式")
@click.option("--strict", is_flag=True, help="未说明的警告也视为错误")
@click.option("--spec", "spec_ref", default=None, help="用指定规格（id 或 YAML 路径）读取")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="报告写入文件")
@_LANG
@click.pass_context
def crosscheck_cmd(ctx, files, ledger_path, tolerance, money_unit, columns, sheet, fmt, strict, spec_ref, output,
                   lang):
    """与财政局台账核对自评表的资金与执行率：退出码 0 一致，1 有差异，2 用法错误，3 文件无法读取。

    项目工作簿与单个项目的自评表按项目编码与项目级台账（有“项目编码”列）逐个项目核对。
    """
    from workbook_tools.cli import _report_out
    from workbook_tools.bureau.crosscheck import crosscheck_workbook, tolerance_of
    from workbook_tools.files.specsheet import load_spec
    if not files:
        raise click.UsageError("请指定要核对的文件 / give at least one file")
    tol = tolerance_of(tolerance)
    from workbook_tools.files import specsheet
    spec = specsheet.use(spec_ref) if spec_ref else None
    ledger = _read_ledger(ledger_path, money_unit, columns, sheet, spec)
    reports = [crosscheck_workbook(f, ledger, tolerance=tol, spec=spec) for f in files]
    _report_out(ctx, reports, fmt, lang, strict, output)
    ctx.exit(max(r.exit_code(strict) for r in reports))


COMMANDS = [distribute_cmd, crosscheck_cmd]

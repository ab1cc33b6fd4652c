"""The `wbtool` command line: parse, call one library function, print, set the exit code."""
from __future__ import annotations

import json
import os
import sys

import click

from workbook_tools import __version__
from workbook_tools.commands.common import LANG_OPTION, SPEC_OPTION, terminal_style
from workbook_tools.errors import WbtoolError

def _lang(ctx: click.Context, lang: str | None) -> str:
    root = ctx.find_root()
    return lang or (root.obj or {}).get("lang") or os.environ.get("WBTOOL_LANG", "zh")


def say(ctx, zh: str, en: str, lang: str | None = None, err: bool = False):
    click.echo(en if _lang(ctx, lang) == "en" else zh, err=err)


class WbtoolGroup(click.Group):
    """Library exceptions become user messages here, in one place."""

    def invoke(self, ctx):
        try:
            return self._invoke(ctx)
        finally:
            from workbook_tools.model import speclib
            speclib.reset()          # --spec and specs learnt from workbooks last one command

    def _invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except WbtoolError as e:
            lang = (ctx.obj or {}).get("lang") or os.environ.get("WBTOOL_LANG", "zh")
            click.echo(("错误：" if lang != "en" else "error: ") + e.message(lang), err=True)
            ctx.exit(e.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("已中断。", err=True)
            ctx.exit(130)
        except Exception as e:  # a bug: say so briefly, keep the traceback in a log, exit 4 (not 3: the input is fine)
            if os.environ.get("WBTOOL_DEBUG"):
                raise
            from workbook_tools.errors import INTERNAL_EXIT, internal_message, save_traceback
            lang = (ctx.obj or {}).get("lang") or os.environ.get("WBTOOL_LANG", "zh")
            log = save_traceback(e, " ".join(sys.argv))
            click.echo(internal_message(e, log, lang), err=True)
            ctx.exit(INTERNAL_EXIT)


@click.group(cls=WbtoolGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wbtool")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="消息语言 / message language")
@click.pass_context
def main(ctx, lang):
    """wbtool：部门整体及项目支出绩效自评表的模板、填报计算、校验、汇总与报告工具。

    \b
    退出码 / exit codes: 0 通过 ok · 1 有错误 findings with errors · 2 用法错误 usage ·
    3 输入无法读取 input unreadable · 4 内部错误 internal error (日志路径见消息 / log path in the message)
    """
    ctx.obj = {"lang": lang or os.environ.get("WBTOOL_LANG", "zh")}


# ------------------------------------------------------------------ specs

@main.command("specs")
@click.option("--check", "check_path", type=click.Path(dir_okay=False), help="检查一个规格 YAML 文件")
@click.option("--schema", "schema", is_flag=True, help="输出规格格式的 JSON Schema（供编辑器检查，见 docs/specs.md）")
@click.option("--workbook", "workbook", type=click.Path(dir_okay=False),
              help="显示一个工作簿内嵌的规格及其与查找路径上同一规格的比较")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="与 --workbook 一起：把内嵌的规格另存为 YAML")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@SPEC_OPTION
@LANG_OPTION
@click.pass_context
def specs_cmd(ctx, check_path, schema, workbook, output, fmt, lang):
    """列出可用的规格及其来源（--spec、WBTOOL_SPEC_PATH、随 wbtool 安装），或检查一个规格文件，或显示工作簿内嵌的规格。

    \b
    查找顺序：--spec 指定 > WBTOOL_SPEC_PATH 中的文件夹（按顺序）> 随 wbtool 安装 > 工作簿内嵌。
    同一 id 只用排在最前的一个；被遮住的列为“未使用”。--schema 输出规格格式的 JSON Schema。"""
    from workbook_tools.model import speclib
    from workbook_tools.files.specsheet import load_spec
    if schema:
        from workbook_tools.model.specformat import schema_text
        click.echo(schema_text(), nl=False)
        return
    if check_path:
        _specs_check(ctx, load_spec(check_path), lang)
        return
    if workbook:
        _specs_workbook(ctx, workbook, output, fmt, lang)
        return
    if output:
        raise click.UsageError("-o 只能与 --workbook 一起使用 / -o needs --workbook")
    rows = speclib.listing()
    if fmt == "json":
        click.echo(json.dumps({"search_path": [str(d) for d in speclib.path_dirs()], "specs": rows,
                               "skipped": speclib.skipped_files()}, ensure_ascii=False, indent=2))
        return
    en = _lang(ctx, lang) == "en"
    for r in rows:
        where = r["origin"] if en else r["origin_zh"]
        note = ""
        if r["shadowed_by"]:
            note = f"\t(not used: shadowed by {r['shadowed_by']})" if en else f"\t（未使用：被 {r['shadowed_by']} 遮住）"
        if r["error"]:
            note += f"\t{r['error'].splitlines()[0]}"
        leaves = "" if r["leaves"] is None else (f"{r['leaves']} leaves" if en else f"{r['leaves']} 项指标")
        click.echo(f"{r['id']}\t{r['version']}\t{r['title']}\t{leaves}\t{where}\t{r['path']}{note}")
    for s in speclib.skipped_files():
        say(ctx, f"跳过：{s}", f"skipped: {s}", lang, err=True)


def _specs_check(ctx, spec, lang):
    """`wbtool specs --check FILE` on a spec that loaded: its size, and the published form it transcribes."""
    say(ctx, f"规格 {spec.id}（版本 {spec.version}）有效：{len(spec.leaves())} 项末级指标，满分 {spec.total_weight}。",
        f"spec {spec.id} (version {spec.version}) is valid: {len(spec.leaves())} leaves, total {spec.total_weight}.",
        lang)
    src = spec.provenance
    if src:
        where = "，".join(str(src[k]) for k in ("publisher", "url") if src.get(k))
        say(ctx, f"出处：{src['title']}" + (f"（{where}）" if where else ""),
            f"source: {src['title']}" + (f" ({where})" if where else ""), lang)


def _specs_workbook(ctx, workbook, output, fmt, lang):
    """`wbtool specs --workbook FILE`: the spec a workbook names and carries, against the search path."""
    from workbook_tools.files import specsheet
    d = specsheet.describe_workbook(workbook)
    text = d.pop("_text")
    if output:
        if text is None:
            from workbook_tools.errors import UsageError
            raise UsageError(f"{workbook} 没有内嵌规格（模板由较早版本的 wbtool 生成）。",
                             f"{workbook} carries no spec (made by an older wbtool)")
        from workbook_tools.files.atomic import atomic_output
        with atomic_output(output, "w") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
    if fmt == "json":
        click.echo(json.dumps(d, ensure_ascii=False, indent=2))
    else:
        e, f = d["embedded"], d["found"]
        say(ctx, f"{workbook}：表单 {d['spec_id'] or '（无）'} 版本 {d['spec_version'] or '（无）'}",
            f"{workbook}: form {d['spec_id']} version {d['spec_version']}", lang)
        if e is None:
            say(ctx, "  内嵌规格：无（较早的模板；按查找路径上的规格读取）", "  embedded spec: none (older template)", lang)
        else:
            ok = "完好" if e["intact"] else "已损坏或被改动"
            say(ctx, f"  内嵌规格：{e['id']} {e['version']}，{e['lines']} 行，sha256 {e['sha256'][:12]}（{ok}）",
                f"  embedded spec: {e['id']} {e['version']}, {e['lines']} lines, sha256 {e['sha256'][:12]}"
                f" ({'intact' if e['intact'] else 'damaged or edited'})", lang)
        if f is None:
            say(ctx, "  查找路径上没有该规格：读取时使用内嵌规格。", "  not on the search path: the embedded copy is used.",
                lang)
        else:
            same = {True: "与内嵌规格相同", False: "与内嵌规格不同（校验时报 spec-embedded-mismatch，按此规格计分）",
                    None: ""}[d["same"]]
            say(ctx, f"  查找路径上的规格：{f['origin_zh']} {f['path']}（版本 {f['version']}）{same}",
                f"  on the search path: {f['origin']} {f['path']} (version {f['version']})"
                + {True: ", same as the embedded copy", False: ", differs from the embedded copy", None: ""}[d["same"]],
                lang)
    if output:
        say(ctx, f"已把内嵌规格写入 {output}。", f"embedded spec written to {output}.", lang, err=True)


# ------------------------------------------------------------------ template

@main.command("template")
@click.option("--spec", "spec_ref", default=None, help="规格 id 或 YAML 路径（默认 gd-dept-overall-2023）")
@click.option("--values", "values_path", type=click.Path(exists=True, dir_okay=False),
              help="预填数据（YAML，格式见 docs/form-to-spec.md 附录二）")
@click.option("--projects", "projects_path", type=click.Path(dir_okay=False),
              help="项目清单（CSV/XLSX，每行一个项目）：生成一个含“项目清单”和每个项目一张表的项目工作簿")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="输出的 .xlsx 文件")
@LANG_OPTION
@click.pass_context
def template_cmd(ctx, spec_ref, values_path, projects_path, output, lang):
    """按规格生成 Excel 自评模板（可用 --values 预填，或用 --projects 按项目清单生成项目工作簿）。"""
    from workbook_tools.model.answers import answers_to_values, load_answers
    from workbook_tools.files.specsheet import load_spec
    from workbook_tools.model.template import build_template
    if projects_path:
        if values_path:
            raise click.UsageError("--projects 与 --values 不能同时使用 / --projects and --values exclude each other")
        from workbook_tools.bureau.projectlist import read_project_list
        from workbook_tools.model.template import build_projects_template
        spec = load_spec(spec_ref or "national-project-2020")
        rows = read_project_list(projects_path, spec)
        build_projects_template(spec, [r.values for r in rows], output)
        say(ctx, f"已生成项目工作簿 {output}：{len(rows)} 个项目（项目清单 + 每个项目一张表；规格 {spec.id}，版本 {spec.version}）。",
            f"wrote project workbook {output}: {len(rows)} projects (spec {spec.id}, version {spec.version}).", lang)
        return
    values = None
    if values_path:
        doc = load_answers(values_path)
        spec_ref = spec_ref or doc.get("spec")
    spec = load_spec(spec_ref)
    if values_path:
        values = answers_to_values(spec, doc)
    build_template(spec, output, values)
    say(ctx, f"已生成模板 {output}（规格 {spec.id}，版本 {spec.version}）。",
        f"wrote template {output} (spec {spec.id}, version {spec.version}).", lang)


# ------------------------------------------------------------------ fill

@main.command("fill")
@click.argument("file", type=click.Path(dir_okay=True), required=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="另存为（不指定则覆盖原文件并保留备份）")
@click.option("--no-backup", is_flag=True, help="覆盖原文件时不保留备份")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--live", is_flag=True, help="在 Excel 中打开的工作簿上恢复公式（需 xlwings；FILE 可给工作簿名称）")
@click.option("--projects", "project_files", multiple=True, type=click.Path(dir_okay=False),
              help="本单位的项目工作簿（可重复）：把已自评项目数（按资金来源）和平均分填入部门整体自评表")
@SPEC_OPTION
@LANG_OPTION
@click.pass_context
def fill_cmd(ctx, file, output, no_backup, fmt, live, project_files, lang):
    """恢复被改动的标准公式，计算并写回所有结果（公式保留、数值可见）。"""
    from workbook_tools.files.fill import fill_workbook
    from workbook_tools.numbers import plain
    if live:
        from workbook_tools.files.live import fill_live
        result, restored, tally = fill_live(file)
        for x in restored:
            say(ctx, f"已恢复公式 {x.cell}", f"restored formula {x.cell}", lang)
        if tally is not None:
            avg = "空" if tally.average is None else plain(tally.average)
            say(ctx, f"已自评项目 {tally.count} 个，平均分 {avg}（未保存，请在 Excel 中确认后保存）。",
                f"{tally.count} projects self-evaluated, average {avg} (not saved).", lang)
            return
        say(ctx, f"总分 {plain(result.display)}，等级 {result.grade}（未保存，请在 Excel 中确认后保存）。",
            f"total {plain(result.display)}, grade {result.grade} (not saved).", lang)
        return
    if not file:
        raise click.UsageError("请指定文件 / give a file")
    pt = None
    if project_files:
        from workbook_tools.model.projectlink import tally_project_files
        pt = tally_project_files(project_files)
    rep = fill_workbook(file, output, backup=not no_backup, projects=pt)
    r = rep.result
    from workbook_tools.checks.validate import validate_workbook
    left = validate_workbook(rep.output, projects=pt)        # no grade until the form is complete and correct
    errors = len(left.errors)
    if rep.tally is not None:
        _fill_projects_out(ctx, rep, fmt, lang)
        _say_left(ctx, rep, errors, fmt, lang)
        ctx.exit(1 if errors else 0)
    if fmt == "json":
        click.echo(json.dumps({"source": rep.source, "output": rep.output, "backup": rep.backup,
                               "total": float(r.total), "display": float(r.display),
                               "grade": r.grade if not errors else None, "errors": errors,
                               "written": rep.written, "restored": _restored(rep)}, ensure_ascii=False, indent=2))
        ctx.exit(1 if errors else 0)
    _say_restored(ctx, rep, lang)
    if rep.inputs:
        from workbook_tools.model.layout import layout_for
        L = layout_for(rep.forms.spec)
        for k, v in rep.inputs.items():
            say(ctx, f"已由项目自评表填入 {L[k].addr}（{L[k].label}）：{'空' if v is None else v}",
                f"filled {L[k].addr} ({k}) from the project forms: {v}", lang)
    from workbook_tools.checks.render import grade_text
    zh_grade, en_grade = grade_text(left), grade_text(left, "en")
    say(ctx, f"已写入 {rep.output}：总分 {plain(r.display)}（{plain(r.total)}），{zh_grade}；"
             f"{rep.written} 个公式单元格已写入计算值" + (f"；原文件备份为 {rep.backup}" if rep.backup else "") + "。",
        f"wrote {rep.output}: total {plain(r.display)} ({plain(r.total)}), {en_grade}; "
        f"{rep.written} formula cells carry values" + (f"; backup {rep.backup}" if rep.backup else "") + ".", lang)
    _say_left(ctx, rep, errors, fmt, lang)
    ctx.exit(1 if errors else 0)


def _say_left(ctx, rep, errors: int, fmt: str, lang):
    """After fill: how many errors (强制性问题) remain for the unit to correct."""
    if errors and fmt != "json":
        say(ctx, f"仍有 {errors} 个错误（强制性问题）需要改正：运行 wbtool validate {rep.output} 查看每一处及怎么改。",
            f"{errors} error(s) remain to correct: run wbtool validate {rep.output} to see each one and how to fix it.",
            lang)


def _restored(rep) -> list[dict]:
    return [{"cell": x.cell, "key": x.key, "expected": x.expected, "found": None if x.found is None else str(x.found)}
            for x in rep.restored]


def _say_restored(ctx, rep, lang):
    for x in rep.restored:
        say(ctx, f"已恢复公式 {x.cell}：原为 {x.found!r}，恢复为 {x.expected}",
            f"restored formula {x.cell}: was {x.found!r}, now {x.expected}", lang)


def _fill_projects_out(ctx, rep, fmt, lang):
    """What `wbtool fill` says about a project workbook: per project and the list totals."""
    from workbook_tools.numbers import plain
    t, forms = rep.tally, rep.forms
    rows = [{"sheet": ret.layout.form, "projectName": ret.inputs.get("cover.projectName"),
             "display": float(res.display), "grade": res.grade, "status": res.values.get("list.status")}
            for ret, res in zip(forms.forms, rep.results)]
    if fmt == "json":
        click.echo(json.dumps({"source": rep.source, "output": rep.output, "backup": rep.backup, "written": rep.written,
                               "projects": rows, "evaluated": t.count, "counts": t.counts,
                               "average": None if t.average is None else float(t.average),
                               "restored": _restored(rep)}, ensure_ascii=False, indent=2))
        return
    _say_restored(ctx, rep, lang)
    counts = "、".join(f"{k} {n} 个" for k, n in t.counts.items())
    avg = "空" if t.average is None else plain(t.average)
    say(ctx, f"已写入 {rep.output}：{len(rows)} 张项目表，已自评 {t.count} 个（{counts}），平均分 {avg}；"
             f"{rep.written} 个公式单元格已写入计算值" + (f"；原文件备份为 {rep.backup}" if rep.backup else "") + "。",
        f"wrote {rep.output}: {len(rows)} project sheets, {t.count} self-evaluated, average {avg}; "
        f"{rep.written} formula cells carry values" + (f"; backup {rep.backup}" if rep.backup else "") + ".", lang)


# ------------------------------------------------------------------ validate

def _report_out(ctx, reports, fmt, lang, strict, output=None):
    from workbook_tools.checks.render import plain_style, render_csv, render_json, render_text
    lang = _lang(ctx, lang)
    if fmt == "json":
        text = render_json(reports, lang, strict)
    elif fmt == "csv":
        text = render_csv(reports, lang)
    else:
        text = render_text(reports, lang, strict, terminal_style if output is None and sys.stdout.isatty() else plain_style)
    if output:
        from workbook_tools.files.atomic import atomic_output
        with atomic_output(output, "w") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
    else:
        click.echo(text)


@main.command("validate")
@click.argument("files", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", help="报告格式")
@click.option("--strict", is_flag=True, help="未说明的警告也视为错误")
@click.option("--only", multiple=True, metavar="CODE", help="只运行这些检查（可重复或逗号分隔）")
@click.option("--skip", multiple=True, metavar="CODE", help="跳过这些检查")
@click.option("--annotate", type=click.Path(dir_okay=False), help="另存一份标注了问题的副本（原文件不变）")
@click.option("--spec", "spec_ref", default=None,
              help="用指定规格（id 或 YAML 路径）读取；先于 WBTOOL_SPEC_PATH、内置和内嵌的规格（见 wbtool specs）")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="报告写入文件")
@click.option("--live", is_flag=True, help="校验 Excel 中打开的工作簿（需 xlwings；FILES 可给工作簿名称）")
@click.option("--projects", "project_files", multiple=True, type=click.Path(dir_okay=False),
              help="本单位的项目工作簿（可重复）：核对部门整体表中的自评项目数和平均分")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="大的项目工作簿分几个进程校验（默认 CPU 核数）")
@LANG_OPTION
@click.pass_context
def validate_cmd(ctx, files, fmt, strict, only, skip, annotate, spec_ref, output, live, project_files, jobs, lang):
    """校验自评表：退出码 0 通过，1 有错误，2 用法错误，3 文件无法读取。"""
    from workbook_tools.checks.validate import check_codes, validate_workbook
    if live:
        from workbook_tools.files.live import validate_live
        rep = validate_live(files[0] if files else None, only=only, skip=skip, lang=_lang(ctx, lang))
        _report_out(ctx, [rep], fmt, lang, strict, output)
        ctx.exit(rep.exit_code(strict))
    if not files:
        raise click.UsageError("请指定要校验的文件 / give at least one file")
    if annotate and len(files) != 1:
        raise click.UsageError("--annotate 只能用于单个文件 / --annotate takes one file")
    check_codes(only), check_codes(skip)
    from workbook_tools.files import specsheet
    spec = specsheet.use(spec_ref) if spec_ref else None
    pt = None
    if project_files:
        from workbook_tools.model.projectlink import tally_project_files
        pt = tally_project_files(project_files)
    jobs = jobs or os.cpu_count() or 1
    reports = [validate_workbook(f, only=only, skip=skip, spec=spec, projects=pt, jobs=jobs) for f in files]
    _report_out(ctx, reports, fmt, lang, strict, output)
    if annotate:
        from workbook_tools.files.annotate import annotate_workbook
        if reports[0].summary.get("kind") == "foreign":
            from workbook_tools.foreign import refuse_write
            refuse_write(files[0])
        if reports[0].readable:
            annotate_workbook(files[0], reports[0], annotate, _lang(ctx, lang))
            say(ctx, f"已另存标注副本：{annotate}", f"annotated copy written: {annotate}", lang, err=True)
        else:
            say(ctx, "文件无法读取，未生成标注副本。", "file unreadable; no annotated copy written.", lang, err=True)
    ctx.exit(max(r.exit_code(strict) for r in reports))


@main.command("mark")
@click.argument("file", type=click.Path(dir_okay=False))
@SPEC_OPTION
@LANG_OPTION
@click.pass_context
def mark_cmd(ctx, file, lang):
    """把校验结果写进工作簿本身（标注单元格并加“校验结果”表，保留备份）；适合 WPS 用户。"""
    from workbook_tools.files.annotate import mark_workbook
    from workbook_tools.checks.validate import validate_workbook
    rep = validate_workbook(file)
    if not rep.readable:
        raise_unreadable(rep)
    if rep.summary.get("kind") == "foreign":
        from workbook_tools.foreign import refuse_write
        refuse_write(file)
    bak = mark_workbook(file, rep, _lang(ctx, lang))
    c = rep.counts()
    say(ctx, f"已在 {file} 中标注 {c['errors']} 个错误、{c['warnings']} 个警告（原文件备份：{bak}）。清除标注：wbtool clear {file}",
        f"marked {c['errors']} errors and {c['warnings']} warnings in {file} (backup {bak}).", lang)
    ctx.exit(rep.exit_code())


def raise_unreadable(rep):
    from workbook_tools.errors import UnreadableInput
    f = rep.findings[0]
    raise UnreadableInput(f.params.get("detail", f.code), f.params.get("detail_en"), code=f.code)


@main.command("clear")
@click.argument("target", required=False)
@click.option("--live", is_flag=True, help="清除 Excel 中打开的工作簿（TARGET 为工作簿名称，可省略）")
@SPEC_OPTION
@LANG_OPTION
@click.pass_context
def clear_cmd(ctx, target, live, lang):
    """清除 validate --live 或 wbtool mark 留下的标注（恢复原底色和批注，删除“校验结果”表）。"""
    if live:
        from workbook_tools.files.live import clear_live
        n = clear_live(target)
        say(ctx, f"已清除 {n} 处标注。", f"cleared {n} marks.", lang)
        return
    if not target:
        raise click.UsageError("请指定文件，或用 --live 清除 Excel 中打开的工作簿 / give a file or --live")
    from workbook_tools.files.annotate import clear_workbook
    from workbook_tools.files.safety import check_workbook_file
    check_workbook_file(target)
    n, bak = clear_workbook(target)
    say(ctx, f"已清除 {n} 处标注" + (f"（原文件备份：{bak}）。" if bak else "；文件中没有标注，未改动。"),
        f"cleared {n} marks" + (f" (backup {bak})." if bak else "; nothing to clear, file unchanged."), lang)


# ------------------------------------------------------------------ export

@main.command("export")
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", help="输出格式")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="写入文件（默认输出到屏幕）")
@SPEC_OPTION
@click.pass_context
def export_cmd(ctx, file, fmt, output):
    """导出工作簿的全部填报内容与计算结果（JSON，结构见 docs/export.md）。"""
    from workbook_tools.files.atomic import atomic_output
    from workbook_tools.files.export import export_workbook
    text = json.dumps(export_workbook(file), ensure_ascii=False, indent=2)
    if output:
        with atomic_output(output, "w") as fh:
            fh.write(text + "\n")
    else:
        click.echo(text)




def _register_command_modules():
    """Every module in workbook_tools.commands adds its COMMANDS to `wbtool`."""
    import importlib
    import pkgutil

    from workbook_tools import commands
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        for cmd in getattr(module, "COMMANDS", ()):
            main.add_command(cmd)


_register_command_modules()


if __name__ == "__main__":  # pragma: no cover
    main()

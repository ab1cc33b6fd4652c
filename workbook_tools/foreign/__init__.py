"""Foreign forms: self-evaluation forms wbtool did not make (.xls or .xlsx from any program), found by their
labels, read through python-calamine, re-scored with the engine (抽查复核). See docs/foreign.md."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from workbook_tools.errors import UnreadableInput, UsageError
from workbook_tools.checks.findings import Finding, Report, check_codes, unreadable_report
from workbook_tools.numbers import to_float
from workbook_tools.foreign.anchors import AnchoredLayout, FoundForm, find_forms, list_layouts, load_layout
from workbook_tools.foreign.grid import ForeignBook, open_foreign
from workbook_tools.foreign.rescore import FormCheck, rescore
from workbook_tools.files.safety import _SAVE_AS_EN, _SAVE_AS_ZH

FOREIGN_SCHEMA = "wbtool.foreign/1"


@dataclass
class ForeignRead:
    book: ForeignBook
    layout: AnchoredLayout | None
    forms: list[FoundForm] = field(default_factory=list)        # understood forms
    failed: list[FoundForm] = field(default_factory=list)       # forms (titles) whose blocks were not all found

    @property
    def understood(self) -> bool:
        return bool(self.forms)


def _attempt(book: ForeignBook, layout: AnchoredLayout):
    found = [f for g in book.sheets for f in find_forms(g, layout)]
    return [f for f in found if f.understood], [f for f in found if not f.understood]


def read_foreign(path, layout: str | None = None) -> ForeignRead:
    """Open ``path`` and find every form of the given (or the best fitting shipped) anchored layout."""
    book = open_foreign(path)
    refs = [layout] if layout else list_layouts()
    best = None
    for ref in refs:
        lay = load_layout(ref)
        ok, bad = _attempt(book, lay)
        titled = sum(1 for f in ok + bad if f.title is not None)
        score = (len(ok), titled, -min((len(f.missing) for f in bad), default=99))
        if best is None or score > best[0]:
            best = (score, ForeignRead(book, lay, ok, bad))
    return best[1] if best else ForeignRead(book, None)


def not_understood(fr: ForeignRead) -> UnreadableInput:
    """The clear message for a form the tool does not understand: which block (label) it could not find."""
    name = Path(fr.book.source).name
    lay = fr.layout
    if fr.book.format == "xls" and any(g.name == "_wbtool" for g in fr.book.sheets):
        # the bureau's own template saved as .xls: the advice is to save it back as .xlsx (issue 16)
        return UnreadableInput(f"文件「{name}」是财政局下发的模板，但被保存成了旧版 Excel 97-2003 格式（.xls），"
                               f"无法按模板校验。" + _SAVE_AS_ZH,
                               f"File '{name}' is the bureau's template saved in the old .xls format. " + _SAVE_AS_EN,
                               code="legacy-xls")
    if fr.failed:
        f = min(fr.failed, key=lambda f: len(f.missing))
        what = "；".join(f"{_block_zh(b)}（{detail}）" for b, detail in f.missing)
        where = f"工作表“{f.sheet}”{f.region}" + (f"（标题 {f.title.cell}）" if f.title else "")
        zh = (f"{name} 不是由 wbtool 模板生成的自评表，按“{lay.title}”表式读取时，{where}中未找到：{what}。"
              f"可用 wbtool inspect {name} 查看识别情况。")
        en = (f"{name} is not a wbtool template; read as '{lay.id}', {f.sheet} {f.region} lacks: "
              + "; ".join(f"{b} ({labels})" for b, labels in f.missing))
    else:
        titles = "、".join(t for ref in list_layouts() for t in load_layout(ref).form_title)
        zh = (f"{name} 不是由 wbtool 模板生成的自评表，也没有找到已知表式（{titles}）的标题或绩效指标表"
              f"（一级指标、三级指标、分值、得分）。请使用财政局下发的模板填报，或用 wbtool inspect {name} 查看。")
        en = f"{name} is not a wbtool template and holds no known form (no title or indicator table found)"
    return UnreadableInput(zh, en, code="form-unknown")


_BLOCKS = {"indicators": "绩效指标表", "funds": "项目资金（预算执行）表", "total": "总分", "goal": "年度总体目标",
           "title": "标题"}


def _block_zh(b: str) -> str:
    if b.startswith("field:"):
        return f"字段 {b[6:]}"
    return _BLOCKS.get(b, b)


def rescore_file(path, layout: str | None = None) -> tuple[ForeignRead, list[FormCheck]]:
    fr = read_foreign(path, layout)
    if not fr.understood:
        raise not_understood(fr)
    return fr, [rescore(f, fr.layout, str(path)) for f in fr.forms]


def is_foreign_candidate(path, err: UnreadableInput) -> bool:
    """An UnreadableInput from our reader that a foreign read may still answer: not our template, or .xls."""
    suffix = Path(path).suffix.lower()
    if suffix == ".xls":
        return err.code in ("wrong-extension", "legacy-xls", "form-unknown")
    return err.code == "form-unknown" and not _has_identity(path)


def _has_identity(path) -> bool:
    """A workbook with our hidden identity sheet is ours, however damaged (a broken project list): never foreign."""
    import zipfile
    try:
        with zipfile.ZipFile(path) as zf:
            return b'"_wbtool"' in zf.read("xl/workbook.xml")
    except (OSError, KeyError, zipfile.BadZipFile, RuntimeError):
        return False


def form_row(fc: FormCheck) -> dict:
    """One form's 复核 line: self total, recomputed total, difference, the rows scored above their rule."""
    f = fc.form.fields
    val = lambda k: None if k not in f else f[k].value  # noqa: E731
    self_total = fc.self_total if fc.self_total is not None else fc.rows_total
    flagged = [f"{r.row.name}（{r.row.cell('score')}：自评 {to_float(r.self)}，复核 {to_float(r.recomputed)}）"
               for r in fc.flagged]
    if fc.funds_above:
        cell = fc.form.funds.get("total", {}).get("score")
        flagged.append(f"预算执行率（{cell.cell if cell else ''}：自评 {to_float(fc.funds_self)}，"
                       f"复核 {to_float(fc.funds_recomputed)}）")
    return {"sheet": fc.form.sheet, "region": fc.form.region, "layout": fc.layout.id,
            "project_name": _text(val("projectName")), "project_code": _text(val("projectCode")),
            "unit_name": _text(val("unitName")), "supervisor": _text(val("supervisor")),
            "agency_code": _text(val("agencyCode")), "fund_type": _text(val("fundType")),
            "self": to_float(self_total), "recomputed": to_float(fc.recomputed_total), "diff": to_float(fc.diff),
            "budget": to_float(fc.budget), "actual": to_float(fc.actual), "exec_rate": to_float(fc.exec_rate),
            "flagged": flagged, "flagged_count": len(flagged),
            "unscorable": sum(1 for r in fc.rows if r.unscorable),
            "grade_self": fc.spec.grade_for(self_total) if self_total is not None else None,
            "grade_recomputed": fc.spec.grade_for(fc.recomputed_total) if fc.recomputed_total is not None else None}


def _text(v):
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip() or None


def validate_foreign(path, *, only=None, skip=None, layout: str | None = None) -> Report:
    """A foreign file's report: every form re-scored, findings at its cells; not understood → exit 3 report."""
    only, skip = check_codes(only), check_codes(skip)
    try:
        fr, checks = rescore_file(path, layout)
    except UnreadableInput as e:
        return unreadable_report(path, e)
    findings: list[Finding] = []
    for fc in checks:
        findings += [x for x in fc.findings if (not only or x.code in only) and x.code not in skip]
    spec = checks[0].spec
    rep = Report(file=str(path), spec_id=spec.id, spec_version=spec.version, findings=findings)
    rep.result = checks
    rows = [form_row(fc) for fc in checks]
    first = rows[0]
    rep.summary = {"kind": "foreign", "layout": fr.layout.id, "format": fr.book.format,
                   "unitName": first["unit_name"], "agencyCode": first["agency_code"], "fiscalYear": None,
                   "total": first["self"], "display": first["self"], "grade": first["grade_self"],
                   "recomputed": first["recomputed"], "exec_rate": first["exec_rate"], "forms": rows}
    return rep


def refuse_write(path):
    """Foreign forms and .xls files are read, never written: annotate/mark/fill say so (exit 2)."""
    name = Path(path).name
    raise UsageError(f"{name} 不是由 wbtool 模板生成的工作簿（外来表式或 .xls），只能读取和复核，不能写入标注或公式；"
                     f"问题清单请用 wbtool validate {name} --format csv -o 问题.csv 导出。",
                     f"{name} is a foreign form (or .xls): it is read and re-scored, never written; "
                     f"export the findings with --format csv instead", code="foreign-read-only")

"""Reports for people and scripts: text grouped by sheet, JSON (the Report object) and CSV."""
from __future__ import annotations

import csv
import io
import json

from workbook_tools.catalogue import ERROR
from workbook_tools.checks.findings import Report
from workbook_tools.model.layout import INCOMPLETE

SEV = {"zh": {"error": "错误", "warning": "警告"}, "en": {"error": "error", "warning": "warning"}}


def _v(v) -> str:
    if v is None:
        return "空"
    if isinstance(v, float):
        from decimal import Decimal
        return format(Decimal(repr(v)).normalize(), "f") if abs(v) < 1e15 else repr(v)
    return str(v)


def plain_style(text: str, role: str) -> str:
    """No styling: what a file, a pipe or a test gets. The CLI passes its own (colours on a terminal)."""
    return text


def render_text(reports: list[Report], lang: str = "zh", strict: bool = False, style=plain_style) -> str:
    """The text report; ``style(text, role)`` dresses the head line (role "head") and each severity ("error",
    "warning", "explained") — the library returns text, the CLI decides on colours."""
    out = []
    for rep in reports:
        head = rep.file
        if rep.readable and rep.spec_id and rep.summary.get("kind") == "projects":
            s = rep.summary
            if lang == "en":
                head += (f" — form {rep.spec_id} {rep.spec_version}; {s['project_count']} project sheet(s), "
                         f"{s['evaluated']} self-evaluated, average {_v(s.get('average'))}")
            else:
                head += (f" — 表单 {rep.spec_id}（{rep.spec_version}）；项目表 {s['project_count']} 张，"
                         f"已自评 {s['evaluated']} 个，平均分 {_v(s.get('average'))}")
        elif rep.readable and rep.spec_id:
            s = rep.summary
            if lang == "en":
                head += f" — form {rep.spec_id} {rep.spec_version}; total {_v(s.get('display'))}, {grade_text(rep, 'en')}"
            else:
                head += f" — 表单 {rep.spec_id}（{rep.spec_version}）；总分 {_v(s.get('display'))}，{grade_text(rep)}"
        out.append(style(head, "head"))
        sheet = None
        for f in rep.findings:
            if f.sheet != sheet:
                sheet = f.sheet
                out.append(f"  [{f.project or sheet or ('文件' if lang != 'en' else 'file')}]")
            sev = SEV[lang][f.severity]
            if f.explained:
                sev += "（已说明）" if lang != "en" else " (explained)"
            sev = style(sev, "error" if f.severity == ERROR else ("explained" if f.explained else "warning"))
            where = " ".join(x for x in (f.cell, f.indicator) if x)
            line = f"    {sev}  {f.code}  {where}  {f.message(lang)}" if where else f"    {sev}  {f.code}  {f.message(lang)}"
            out.append(line)
            if f.explained:
                out.append(("      说明：" if lang != "en" else "      explanation: ") + f.explanation)
            elif lang != "en" and f.entry.fix:        # the catalogue's fix text, in the clerk's words
                out.append("      怎么改：" + f.entry.fix)
        c = rep.counts()
        if not rep.readable:
            out.append("  无法读取，未校验。" if lang != "en" else "  unreadable; not checked.")
        elif lang == "en":
            out.append(f"  {c['errors']} error(s), {c['warnings']} warning(s) ({c['explained']} explained)"
                       + ("; OK" if rep.exit_code(strict) == 0 else ""))
        else:
            out.append(f"  共 {c['errors']} 个错误（强制性），{c['warnings']} 个警告（提示性，已说明 {c['explained']} 个）"
                       + ("；校验通过" if rep.exit_code(strict) == 0 else "；需修改"))
    return "\n".join(out)


def grade_text(rep: Report, lang: str = "zh") -> str:
    """No grade until the form is complete and free of errors: 等级 优, or why there is none yet."""
    grade, n = (rep.summary or {}).get("grade"), len(rep.errors)
    if grade == INCOMPLETE:
        return "not graded: indicators still unscored" if lang == "en" else "等级：未完成（尚有指标未评分）"
    if n:
        return (f"not graded: {n} error(s) to correct" if lang == "en"
                else f"暂不评级（尚有 {n} 个错误，改正后才有等级）")
    return f"grade {grade}" if lang == "en" else f"等级 {grade}"


def render_json(reports: list[Report], lang: str = "zh", strict: bool = False) -> str:
    data = [r.to_dict(lang, strict) for r in reports]
    return json.dumps(data[0] if len(data) == 1 else data, ensure_ascii=False, indent=2)


CSV_COLUMNS = ("file", "severity", "code", "cell", "indicator", "title", "message", "expected", "found", "explained",
               "explanation", "project")
CSV_HEADERS_ZH = {"file": "文件", "severity": "严重程度", "code": "检查代码", "cell": "单元格", "indicator": "指标",
                  "title": "问题", "message": "说明", "expected": "应为", "found": "实际", "explained": "已说明",
                  "explanation": "情况说明", "project": "项目", "fix": "怎么改"}
BOM = "\ufeff"        # Excel (and WPS) read a UTF-8 CSV as UTF-8 only with it; without it Chinese is garbled


def csv_value(v, lang: str = "zh"):
    """One CSV cell: yes/no in the report's language, text never a formula."""
    if isinstance(v, bool):
        return ("是" if v else "否") if lang != "en" else ("yes" if v else "no")
    return csv_safe(v)


def csv_table(columns, rows, lang: str = "zh", headers_zh: dict | None = None) -> str:
    """A CSV document (BOM, header row in the report's language) from dict rows."""
    heads = headers_zh or {}
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([c if lang == "en" else heads.get(c, c) for c in columns])
    for r in rows:
        w.writerow([csv_value(r.get(c), lang) for c in columns])
    return BOM + buf.getvalue()


def render_csv(reports: list[Report], lang: str = "zh") -> str:
    rows = []
    for rep in reports:
        for f in rep.findings:
            d = f.to_dict(lang)
            d["severity"] = SEV["en" if lang == "en" else "zh"][d["severity"]]
            d["fix"] = f.entry.fix if lang != "en" else ""
            rows.append(d)
    cols = CSV_COLUMNS if lang == "en" else CSV_COLUMNS + ("fix",)
    return csv_table(cols, rows, lang, CSV_HEADERS_ZH)


def csv_safe(v):
    """Text from a returned file never becomes a formula in a spreadsheet that opens the CSV."""
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v
    return "" if v is None else v

"""collect's side of foreign forms: a submission record per foreign file, the 复核 rows and the 抽查 draw."""
from __future__ import annotations

import csv
import math
import random
import re
from pathlib import Path

from workbook_tools.errors import UnreadableInput, UsageError
from workbook_tools.numbers import to_float
from workbook_tools.files.tables import code_text
from workbook_tools.foreign import form_row, rescore_file, validate_foreign
from workbook_tools.files.atomic import atomic_output
from workbook_tools.checks.render import csv_safe, render_csv
from workbook_tools.bureau.records import OVERALL, PROJECT, PROJECTS
from workbook_tools.bureau.records import ProjectRow


def foreign_record(path: Path, rec):
    """The collect record (a bureau.records.Submission) of a foreign file, completing ``rec`` (the file's stat).

    Project-kind forms become project rows (one per form, several per file when a sheet holds several);
    a 部门整体 form is one unit row. ``data.review`` keeps each form's 复核 line for the summary."""
    try:
        fr, checks = rescore_file(path)
    except UnreadableInput as e:
        return rec.set(sha256=rec.sha256 or _sha(path), status="无法读取", readable=False, error_code=e.code,
                       error_message=e.zh, errors=1, warnings=0,
                       findings=[{"code": e.code, "severity": "error", "cell": "", "indicator": "", "message": e.zh,
                                  "explained": False}])
    spec = checks[0].spec
    findings = []
    for fc in checks:
        findings += [{**f.to_dict("zh"), "form": fc.label()} for f in fc.findings]
    rows = [form_row(fc) for fc in checks]
    first = rows[0]
    errors = sum(1 for f in findings if f["severity"] == "error")
    rec.set(sha256=fr.book.sha256, readable=True, spec_id=spec.id, spec_version=spec.version,
            unit_code=code_text(first["agency_code"]) if first["agency_code"] else "",
            unit_name=first["unit_name"] or "", fiscal_year="", fill_date=None,
            total=first["self"], display=first["self"], grade=first["grade_self"] or "",
            budget=first["budget"], actual=first["actual"], exec_rate=first["exec_rate"],
            findings=findings, errors=errors, warnings=sum(1 for f in findings if f["severity"] == "warning"),
            status="需退回" if errors else "通过")
    data = {"nodes": {}, "leaves": {}, "reasons": {}, "parent": first["supervisor"] or "", "foreign": fr.layout.id,
            "format": fr.book.format, "review": rows}
    if spec.kind == "project":
        rec.kind = PROJECT if len(rows) == 1 else PROJECTS
        rec.projects = [_project_row(r, [f for f in findings if f.get("form") == fc.label()])
                        for r, fc in zip(rows, checks)]
        if len(rows) > 1:
            rec.set(total=_avg(rows), display=_avg(rows), grade="")
    else:
        rec.kind = OVERALL
        data["leaves"] = {n.id: to_float(checks[0].result.leaf_scores.get(n.id)) for n in spec.leaves()}
    rec.data = data
    return rec


def _avg(rows):
    vals = [r["self"] for r in rows if r["self"] is not None]
    return round(sum(vals) / len(vals), 2) if vals else None


def _project_row(r: dict, findings: list[dict]):
    return ProjectRow(sheet=r["sheet"], project_code=r["project_code"], project_name=r["project_name"],
                      fund_type=r["fund_type"], budget=r["budget"], actual=r["actual"], exec_rate=r["exec_rate"],
                      total=r["self"], display=r["self"], grade=r["grade_self"], status="已完成",
                      errors=sum(1 for f in findings if f["severity"] == "error"),
                      warnings=sum(1 for f in findings if f["severity"] == "warning"))


def _sha(path):
    import hashlib
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return f"unreadable:{path}"


# ------------------------------------------------------------------ 复核 rows

REVIEW_KEYS = ("file_name", "source", "sheet", "unit_name", "project_name", "project_code", "self", "recomputed",
               "diff", "flagged_count", "flagged", "unscorable", "status")


def review_rows(kept: list[dict]) -> list[dict]:
    """One line per form of every current readable return: foreign forms with their re-scored total,
    our own forms (scores are the template's formulas, recomputed by the same engine) for the same list."""
    out = []
    for s in kept:
        if not s.readable:
            continue
        data = s.data or {}
        base = {"file_name": s.file_name, "status": s.status, "unit_name": s.unit_name}
        if data.get("review"):
            for r in data["review"]:
                out.append({**base, "source": f"外来表式 .{data.get('format', '')}",
                            "sheet": r["sheet"], "unit_name": r["unit_name"] or s.unit_name,
                            "project_name": r["project_name"], "project_code": r["project_code"],
                            "self": r["self"], "recomputed": r["recomputed"], "diff": r["diff"],
                            "flagged_count": r["flagged_count"], "flagged": "；".join(r["flagged"]),
                            "unscorable": r["unscorable"]})
            continue
        projects = s.projects or []
        for p in projects or [None]:
            d = (p or s).display
            out.append({**base, "source": "wbtool 模板", "sheet": (p.sheet if p else "") or "",
                        "project_name": p.project_name if p else None, "project_code": p.project_code if p else None,
                        "self": d, "recomputed": d, "diff": 0 if d is not None else None,
                        "flagged_count": 0, "flagged": "", "unscorable": 0})
    out.sort(key=lambda r: (str(r["file_name"]), str(r["sheet"]), str(r["project_code"] or "")))
    return out


# ------------------------------------------------------------------ 抽查 draw

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$")


def parse_sample(text) -> tuple[float, bool]:
    """--sample 20 (forms) or 10% (of the forms)."""
    m = _SIZE.match(str(text))
    if not m or float(m[1]) <= 0 or (m[2] and float(m[1]) > 100) or (not m[2] and not float(m[1]).is_integer()):
        raise UsageError(f"--sample 应为份数（如 20）或比例（如 10%），实际为“{text}”。",
                         f"--sample takes a count (20) or a share (10%), got '{text}'")
    return float(m[1]), bool(m[2])


def draw_sample(rows: list[dict], size: str, seed: int) -> list[dict]:
    """A reproducible random draw of forms for 抽查复核: the same rows, size and seed give the same list."""
    n, pct = parse_sample(size)
    k = math.ceil(len(rows) * n / 100) if pct else int(n)
    k = min(k, len(rows))
    picked = random.Random(seed).sample(range(len(rows)), k) if k else []
    return [{**rows[i], "order": j} for j, i in enumerate(sorted(picked), 1)]


SAMPLE_HEADERS = [("order", "序号"), ("file_name", "文件"), ("source", "来源"), ("sheet", "工作表"),
                  ("unit_name", "单位"), ("project_name", "项目名称"), ("project_code", "项目编码"),
                  ("self", "自评总分"), ("recomputed", "复核总分"), ("diff", "差额"), ("flagged_count", "高于规则的行数"),
                  ("status", "校验状态")]


def write_sample_csv(rows: list[dict], path) -> None:
    with atomic_output(path, "w") as fh:
        w = csv.writer(fh)
        w.writerow([h for _, h in SAMPLE_HEADERS])
        for r in rows:
            w.writerow([csv_safe(r.get(k)) for k, _ in SAMPLE_HEADERS])


def feedback_csv(path, dest) -> str:
    """collect --feedback for a foreign form: its findings (cells, messages) as CSV instead of a marked copy."""
    text = render_csv([validate_foreign(path)], "zh")
    with atomic_output(dest, "w") as fh:
        fh.write(text if text.endswith("\n") else text + "\n")
    return str(dest)

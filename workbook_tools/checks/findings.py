"""Findings are data: one problem at one cell, collected into a Report that renders in both languages."""
from __future__ import annotations

from dataclasses import dataclass, field

from workbook_tools.catalogue import CATALOGUE, ERROR, WARNING
from workbook_tools.errors import UnreadableInput, UsageError

REPORT_SCHEMA = "wbtool.report/1"


@dataclass
class Finding:
    code: str
    cell: str = ""                 # 评分表!J8 ('' for whole-file findings)
    indicator: str = ""            # indicator id (2.5.5) or target row (output-3)
    params: dict = field(default_factory=dict)
    expected: object = None
    found: object = None
    explained: bool = False
    explanation: str = ""
    file: str = ""
    project: str = ""              # project workbooks: 项目003 项目名称（编码）
    level: str = ""                # the spec's severity for this check ('' = the catalogue's)

    @property
    def entry(self):
        return CATALOGUE[self.code]

    @property
    def severity(self) -> str:
        return self.level or self.entry.severity

    @property
    def sheet(self) -> str:
        return self.cell.split("!")[0] if "!" in self.cell else ""

    @property
    def coord(self) -> str:
        return self.cell.split("!")[1] if "!" in self.cell else ""

    def message(self, lang: str = "zh") -> str:
        return self.entry.render(lang, self.params)

    def to_dict(self, lang: str = "zh") -> dict:
        return {"code": self.code, "severity": self.severity, "title": self.entry.title(lang),
                "message": self.message(lang), "cell": self.cell, "sheet": self.sheet, "coord": self.coord,
                "indicator": self.indicator, "expected": _plain(self.expected), "found": _plain(self.found),
                "explained": self.explained, "explanation": self.explanation, "file": self.file, "project": self.project}


def _plain(v):
    from decimal import Decimal
    import datetime as dt
    if isinstance(v, Decimal):
        f = float(v)
        return int(f) if f.is_integer() else f
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return v


@dataclass
class Report:
    file: str
    spec_id: str = ""
    spec_version: str = ""
    readable: bool = True
    findings: list[Finding] = field(default_factory=list)
    summary: dict = field(default_factory=dict)     # total, grade, unit, code… when readable
    result: object = field(default=None, repr=False, compare=False)   # engine Result when readable

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    def counts(self) -> dict:
        return {"errors": len(self.errors), "warnings": len(self.warnings),
                "explained": sum(1 for f in self.warnings if f.explained),
                "unexplained_warnings": sum(1 for f in self.warnings if not f.explained)}

    def exit_code(self, strict: bool = False) -> int:
        if not self.readable:
            return 3
        if self.errors or (strict and any(not f.explained for f in self.warnings)):
            return 1
        return 0

    def to_dict(self, lang: str = "zh", strict: bool = False) -> dict:
        return {"schema": REPORT_SCHEMA, "file": self.file, "spec": {"id": self.spec_id, "version": self.spec_version},
                "readable": self.readable, "ok": self.exit_code(strict) == 0, "exit_code": self.exit_code(strict),
                "counts": self.counts(), "summary": self.summary,
                "findings": [f.to_dict(lang) for f in self.findings]}


def check_codes(codes) -> set[str]:
    """Validate --only/--skip codes (usage error for unknown ones)."""
    codes = {c.strip() for item in codes or () for c in str(item).split(",") if c.strip()}
    unknown = sorted(c for c in codes if c not in CATALOGUE)
    if unknown:
        raise UsageError(f"未知的检查代码：{', '.join(unknown)}（见 docs/checks.md）",
                         f"unknown check code(s): {', '.join(unknown)} (see docs/checks.md)")
    return codes


def unreadable_report(path, err: UnreadableInput) -> Report:
    code = err.code if err.code in CATALOGUE else "corrupt-zip"
    f = Finding(code, params={"detail": err.zh, "detail_en": err.en}, file=str(path))
    return Report(file=str(path), readable=False, findings=[f])

"""What re-scoring a foreign form gives: a FormCheck of RowChecks (self score vs the rule's), read by the findings."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from workbook_tools.checks.findings import Finding
from workbook_tools.foreign.anchors import AnchoredLayout, FoundForm, Row
from workbook_tools.model.spec import Spec
from workbook_tools.numbers import num, parse_number_text

TOLERANCE = Decimal("0.005")     # a self score rounded to 2 decimals is not "higher than the rule"


def number(v) -> Decimal | None:
    """A typed number: a numeric cell, or text such as "95%", "1,234"."""
    if isinstance(v, bool):
        return None
    n = num(v)
    return n if n is not None else parse_number_text(v)


@dataclass
class RowCheck:
    row: Row
    kind: str | None
    n: int                              # 1-based index within its kind (engine row)
    weight: Decimal | None
    self: Decimal | None
    recomputed: Decimal | None = None
    how: str = ""                       # how the rule read the figures (≥ 90% → 95%)
    unscorable: str = ""                # why the rule could not be applied
    na: bool = False
    grade: str = ""                     # 定性 rows: 达成 / 部分达成 / 未达成

    @property
    def diff(self) -> Decimal | None:
        if self.self is None or self.recomputed is None:
            return None
        return self.self - self.recomputed

    @property
    def indicator(self) -> str:
        return f"{self.kind or 'other'}-{self.n}"


@dataclass
class FormCheck:
    form: FoundForm
    layout: AnchoredLayout
    spec: Spec
    rows: list[RowCheck]
    funds_weight: Decimal | None = None
    funds_self: Decimal | None = None
    funds_recomputed: Decimal | None = None
    exec_rate: Decimal | None = None
    budget: Decimal | None = None
    actual: Decimal | None = None
    self_total: Decimal | None = None
    self_total_cell: str = ""
    rows_total: Decimal | None = None           # Σ typed row scores + typed funds score
    recomputed_total: Decimal | None = None
    findings: list[Finding] = field(default_factory=list)
    result: object = None

    @property
    def diff(self) -> Decimal | None:
        s = self.self_total if self.self_total is not None else self.rows_total
        if s is None or self.recomputed_total is None:
            return None
        return s - self.recomputed_total

    @property
    def flagged(self) -> list[RowCheck]:
        return [r for r in self.rows if r.diff is not None and r.diff > TOLERANCE]

    @property
    def funds_above(self) -> bool:
        return self.funds_self is not None and self.funds_recomputed is not None and \
            self.funds_self - self.funds_recomputed > TOLERANCE

    def label(self) -> str:
        f = self.form.fields
        name = f.get("projectName") or f.get("unitName")
        return f"{self.form.sheet} {name.value}" if name and name.value not in (None, "") else self.form.sheet

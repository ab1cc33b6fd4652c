"""What every rule type is: its parameters (a contract record), label, docs, Excel formula and Python twin."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from workbook_tools.model.contract import Enum, Field, Num, Problems, Record

QUAL_GRADES = ("达成", "部分达成", "未达成")     # the grades of a qualitative result (targets and the rule alike)


@dataclass(frozen=True)
class BasisInput:
    """The 评分依据 cell a rule's score is computed from, typed by staff."""
    kind: str                  # layout input kind: number | count | choice
    prompt: str                # the cell's input message
    what: str                  # what the basis is, in the basis-missing finding (实际值, 例数 …)
    choices: tuple = ()


def to_decimal(v, path, probs: Problems) -> Decimal | None:
    """A YAML number as Decimal (via its text, so 0.1 stays 0.1); problems at ``path``."""
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        probs.add(path, f"应为数字，实际为 {v!r}", f"expected a number, found {v!r}")
        return None
    try:
        d = Decimal(str(v))
    except InvalidOperation:
        probs.add(path, f"应为数字，实际为 {v!r}", f"expected a number, found {v!r}")
        return None
    if not d.is_finite():
        probs.add(path, "应为有限数字", "expected a finite number")
        return None
    return d


class RuleType:
    """A scoring rule type. Subclass it in a module of this package and it is registered (see ``__init__``).

    Class attributes say what the rule is; methods say how it scores, in Excel (``formula``) and in Python
    (``compute``) — the two must agree, which the LibreOffice agreement test proves for every registered rule.
    """
    name = ""                  # the YAML ``type:``
    label = ""                 # 评分方法 shown in the workbook
    order = 100                # position in docs and lists
    summary = ""               # how the score is computed (docs)
    params: dict[str, Field] = {}
    defaults: dict = {}        # parameter → value when the spec leaves it out
    examples: tuple[str, ...] = ()   # YAML of a leaf indicator using the rule (docs and the LibreOffice test)
    example_context: dict = {}       # spec blocks the examples need (e.g. a targets kind)
    manual_score = False       # staff type the 自评得分; otherwise it is a formula
    basis: BasisInput | None = None

    # ------------------------------------------------------------ spec
    def contract(self) -> Record:
        """The rule's YAML mapping: ``type`` plus its parameters, nothing else."""
        fields = {"type": Field(Enum((self.name,)), required=True, doc=self.label)}
        fields.update(self.params)
        return Record(fields, doc=f"{self.label}：{self.summary}", what_zh=f"参数（规则 {self.name}）",
                      what_en=f"parameter of rule {self.name}",
                      missing_zh=f"规则 {self.name} 缺少参数 {{k}}", missing_en=f"rule {self.name} needs parameter {{k}}")

    def parse(self, raw: dict, path: str, weight: Decimal, probs: Problems, targets) -> dict:
        """Parameters as the engine uses them (numbers as Decimal, defaults filled); meaning checks at ``path``."""
        out = {k: v for k, v in raw.items() if k != "type"}
        for k, f in self.params.items():
            if k in out and isinstance(f.type, Num):
                out[k] = to_decimal(out[k], f"{path}.{k}", probs) or Decimal(0)
        for k, v in self.defaults.items():
            out.setdefault(k, v)
        return self.validate(out, raw, path, weight, probs, targets)

    def validate(self, p: dict, raw: dict, path: str, weight: Decimal, probs: Problems, targets) -> dict:
        return p

    # ------------------------------------------------------------ hooks for the generic form
    def items(self, p) -> list:
        """(name, points) rows answered 是/否 below the indicator (checklists)."""
        return []

    def na_rows_kind(self, p) -> str | None:
        """The target kind whose 不适用 rows lower this indicator's reachable score, if any."""
        return None

    def choices(self, p) -> tuple:
        """The words of a choice 评分依据 (its dropdown), in order."""
        return self.basis.choices if self.basis is not None else ()

    def basis_prompt(self, p) -> str:
        """The 评分依据 cell's input message."""
        if self.basis is not None and self.basis.kind == "choice":
            return " / ".join(self.choices(p))
        return self.basis.prompt if self.basis is not None else ""

    def basis_bounds(self, p):
        """(lowest, highest) a typed numeric 评分依据 may be, or None: outside them is a finding at the cell."""
        return None

    def score_band(self, p, basis):
        """(low, high) share of the weight the typed score must lie in for this basis value, or None."""
        return None

    # ------------------------------------------------------------ scoring
    def formula(self, f) -> str | None:
        """The Excel expression of the score (without "="), or None when staff type it. ``f``: layout.FormulaContext."""
        return None

    def compute(self, e) -> Decimal | None:
        """The Python twin of ``formula``. ``e``: engine.RuleContext."""
        return None

    # ------------------------------------------------------------ docs
    def parameters_doc(self) -> str:
        parts = []
        for k, f in self.params.items():
            opts = " (" + " \\| ".join(map(str, f.type.values)) + ")" if isinstance(f.type, Enum) else ""
            need = "required" if f.required else (f"default `{self.defaults[k]}`" if k in self.defaults else "optional")
            parts.append(f"`{k}`{opts}, {need}: {f.doc}")
        return "<br>".join(parts) or "—"

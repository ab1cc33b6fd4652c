"""Indicator specs: the parser of the YAML that describes a whole form, checked with YAML paths (loading by id or
path: model/speclib.load_spec)."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path

from workbook_tools.errors import SpecError
from workbook_tools.catalogue import CATALOGUE, ERROR, WARNING
from workbook_tools.model.contract import Problems, suggest
from workbook_tools.model.rules import QUAL_GRADES, RULES, RuleType
from workbook_tools.model.rules.bands import BAND_OPS  # noqa: F401 (kept for callers)
from workbook_tools.model.rules.base import to_decimal
from workbook_tools.model.rules.qualitative import DEFAULT_QUAL_BANDS  # noqa: F401 (kept for callers)
from workbook_tools.model.scales import check_unused, parse_scales, scale_ref

from workbook_tools.model.rules.target_completion import kinds_of
from workbook_tools.model.specformat import COVER_TYPES, check_shape

DEFAULT_SPEC = "gd-dept-overall-2023"

# The rule types live in workbook_tools/model/rules/ (one module each); these names stay for callers.
RULE_TYPES: dict[str, RuleType] = RULES
MANUAL_SCORE_RULES = {name for name, r in RULES.items() if r.manual_score}     # 自评得分 typed by staff
BASIS_INPUT_RULES = {name for name, r in RULES.items() if r.basis is not None}  # 评分依据 typed by staff
DIRECTIONS = ("≥", "≤", "=", "定性")


@dataclass(frozen=True)
class CoverField:
    key: str
    label: str
    type: str = "text"
    required: bool = False
    pattern: str | None = None
    choices: tuple[str, ...] = ()
    hint: str = ""


@dataclass(frozen=True)
class MidYear:
    label: str
    target_progress: Decimal


@dataclass(frozen=True)
class Funds:
    sources: tuple[str, ...]
    midyear: MidYear | None
    low_rate_threshold: Decimal
    project_counts: bool
    labels: dict = field(default_factory=dict)
    project_types: dict = field(default_factory=dict)    # a project's 资金性质 → the source row it counts in
    project_average: bool = False                         # a cell for the projects' average self-evaluation score


@dataclass(frozen=True)
class TargetKind:
    key: str
    label: str
    rows: int
    categories: tuple[str, ...]
    scored: bool
    scale: str = ""          # the scale (spec ``scales:``) of its 定性 rows; "" = targets.qualitative_ratios
    row_score: str = "ratio"                 # ratio (× 分值) | coefficient (typed 得分系数 × 分值) | typed (得分 typed)
    coefficient: tuple[Decimal, Decimal] = (Decimal(0), Decimal(1))     # bounds of a typed 得分系数


@dataclass(frozen=True)
class ExtraColumn:
    """A descriptive column of the target table (是否核心指标 …): typed, carried by reader and export, not scored."""
    key: str
    label: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Targets:
    kinds: tuple[TargetKind, ...]
    qualitative_ratios: dict
    placeholder_rows: int = 0
    scales: dict = field(default_factory=dict)      # the spec's ``scales:``: name → {word: ratio}, dropdown order
    extra_columns: tuple[ExtraColumn, ...] = ()
    value_columns: tuple[str, ...] = ("value",)     # or ("initial", "adjusted"): 年初指标值 + 调整后指标值
    form_values: bool = False       # 指标值 / 完成值 read as forms write them (≥90%, 5次): hidden helper columns

    @property
    def adjusted(self) -> bool:
        """Two 指标值 columns: 年初 (key initial) and 调整后 (key value, used when filled)."""
        return self.value_columns == ("initial", "adjusted")

    def kind(self, key: str) -> TargetKind | None:
        return next((k for k in self.kinds if k.key == key), None)

    def words(self, kind: TargetKind | None = None) -> dict:
        """The words (→ ratio) a 定性 row of ``kind`` may hold: its scale, else ``qualitative_ratios``."""
        return self.scales[kind.scale] if kind is not None and kind.scale else self.qualitative_ratios


@dataclass(frozen=True)
class Rule:
    type: str
    params: dict

    @property
    def impl(self) -> RuleType:
        """The rule type's class: its formula, Python twin, label and docs."""
        return RULES[self.type]

    @property
    def label(self) -> str:
        return self.impl.label

    @property
    def manual_score(self) -> bool:
        return self.impl.manual_score


@dataclass
class Node:
    id: str
    name: str
    weight: Decimal
    depth: int
    children: list["Node"] = field(default_factory=list)
    rule: Rule | None = None
    standard: str = ""
    parent: "Node | None" = field(default=None, repr=False)

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def path(self) -> list[str]:
        names, n = [], self
        while n is not None:
            names.append(n.name)
            n = n.parent
        return names[::-1]


@dataclass(frozen=True)
class NarrativeField:
    """A text of the narrative report typed in the 文字说明 sheet (部门职能, 存在的主要问题…)."""
    key: str
    label: str
    required: bool = False
    hint: str = ""
    cells: int = 1          # a text longer than one cell holds (32767 characters) continues below
    height: int = 300       # row height in points of each input cell (Excel's maximum is 409)


@dataclass(frozen=True)
class Grade:
    name: str
    min: Decimal


@dataclass(frozen=True)
class FormRules:
    execution_cap: tuple[tuple[Decimal, Decimal], ...] = ()   # (rate below, max total), ascending
    deviation_threshold: Decimal | None = None
    deviation_points: Decimal = Decimal(0)
    deviation_max: Decimal | None = None


@dataclass
class Spec:
    id: str
    version: str
    title: str
    kind: str
    money_unit: str
    cover: tuple[CoverField, ...]
    funds: Funds
    targets: Targets
    tree: list[Node]
    grades: tuple[Grade, ...]
    inapplicable: str
    form_rules: FormRules
    total_weight: Decimal
    fingerprint: str
    instructions: tuple[str, ...] = ()
    placeholders: tuple[str, ...] = ()
    source: str = ""
    narrative: tuple[NarrativeField, ...] = ()
    severities: dict = field(default_factory=dict)   # check code → error / warning: the form's own words decide
    text: str = ""                                   # the YAML text it was loaded from (embedded in its templates)
    provenance: dict = field(default_factory=dict)   # the YAML's ``source:`` block: the published form it transcribes

    def severity_of(self, code: str, default: str) -> str:
        return self.severities.get(code, default)

    def nodes(self) -> list[Node]:
        """Every node in pre-order (computed once: specs are not changed after loading)."""
        if "_nodes" not in self.__dict__:
            out: list[Node] = []

            def walk(ns):
                for n in ns:
                    out.append(n)
                    walk(n.children)
            walk(self.tree)
            self.__dict__["_nodes"] = out
            self.__dict__["_by_id"] = {n.id: n for n in out}
        return self.__dict__["_nodes"]

    def leaves(self) -> list[Node]:
        return [n for n in self.nodes() if n.is_leaf]

    def node(self, node_id: str) -> Node:
        self.nodes()
        try:
            return self.__dict__["_by_id"][node_id]
        except KeyError:
            raise StopIteration(node_id) from None

    @property
    def depth(self) -> int:
        return max(n.depth for n in self.nodes())

    def grade_for(self, total: Decimal) -> str:
        for g in sorted(self.grades, key=lambda g: g.min, reverse=True):
            if total >= g.min:
                return g.name
        return self.grades[-1].name


# ---------------------------------------------------------------- the installed specs

def spec_dir() -> Path:
    return Path(str(resources.files("workbook_tools") / "specs"))


def list_specs() -> list[str]:
    return sorted(p.stem for p in spec_dir().glob("*.yaml"))


# Keys that do not change what a workbook means: the form's own severities, and where the form was published.
NOT_FINGERPRINTED = ("severities", "source")


def fingerprint_of(data) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _dec(v, path, probs, *, allow_none=False) -> Decimal | None:
    if v is None and allow_none:
        return None
    return to_decimal(v, path, probs)


def _under(path: str, roots: set[str]) -> bool:
    return any(path == r or path.startswith(r + ".") or path.startswith(r + "[") for r in roots)


def parse_spec(data, source: str = "spec") -> Spec:
    """Check a parsed YAML document and build the Spec; every problem is reported at once.

    First the shape (specformat: unknown keys, wrong types), then the meaning (weights, ids, references). A
    meaning problem at or below a path whose shape is already wrong is left out: one problem, one message.
    """
    if not isinstance(data, dict):
        raise SpecError([("", "规格文件顶层应为映射 (mapping)")], source,
                        problems_en=[("", "the top level of a spec must be a mapping")])
    shape = check_shape(data)
    probs = Problems()
    try:
        spec = _build(data, source, probs)
    except Exception:          # noqa: BLE001 — only when the shape is wrong: its problems say why
        if not shape.items:
            raise
        spec = None
    bad = shape.paths()
    items = shape.items + [it for it in probs.items if not _under(it[0], bad)]
    if items:
        raise SpecError([(p, zh) for p, zh, _ in items], source, problems_en=[(p, en) for p, _, en in items])
    return spec


def _build(data, source: str, probs: Problems) -> Spec | None:
    for key in ("id", "version", "title", "tree"):
        if key not in data:
            probs.add(key, "缺少必填项")
    cover = _parse_cover(data.get("cover", []), probs)
    funds = _parse_funds(data.get("funds", {}) or {}, probs)
    targets = _parse_targets(data.get("targets", {}) or {}, probs)
    targets = _with_scales(targets, data, probs)
    grades = _parse_grades(data.get("grades"), probs)
    inapplicable = data.get("inapplicable", "forbidden")
    if inapplicable not in ("forbidden", "full_marks", "rescale"):
        probs.add("inapplicable", "应为 forbidden / full_marks / rescale 之一")
    form_rules = _parse_form_rules(data.get("form_rules") or {}, probs)
    narrative = _parse_narrative(data.get("narrative") or [], probs)
    severities = _parse_severities(data.get("severities") or {}, probs)
    tree: list[Node] = []
    seen: dict[str, str] = {}
    raw_tree = data.get("tree") or []
    if not isinstance(raw_tree, list) or not raw_tree:
        probs.add("tree", "指标树应为非空列表")
        raw_tree = []
    for i, n in enumerate(raw_tree):
        node = _parse_node(n, f"tree[{i}]", 1, None, probs, seen, targets)
        if node:
            tree.append(node)
    total = _dec(data.get("total_weight", 100), "total_weight", probs) or Decimal(100)
    if tree and sum(n.weight for n in tree) != total:
        probs.add("tree", f"一级指标分值合计 {sum(n.weight for n in tree)} ≠ 总分 {total}",
                  f"the top-level weights add up to {sum(n.weight for n in tree)} ≠ total_weight {total}")
    check_unused(targets.scales, {k.scale for k in targets.kinds} | {
        str(n.rule.params.get("scale")) for n in _all(tree) if n.rule and n.rule.params.get("scale")}, probs)
    for kind in targets.kinds:
        if kind.scored and not any(n.rule and n.rule.type == "target_completion"
                                   and kind.key in kinds_of(n.rule.params) for n in _all(tree)):
            probs.add(f"targets.kinds[{kind.key}]", "计分的目标类别没有对应的 target_completion 指标",
                      "a scored target kind has no target_completion indicator")
    if probs.items:
        return None
    return Spec(id=str(data["id"]), version=str(data["version"]), title=str(data["title"]),
                kind=str(data.get("kind", "dept-overall")), money_unit=str(data.get("money_unit", "万元")),
                cover=cover, funds=funds, targets=targets, tree=tree, grades=grades,
                inapplicable=inapplicable, form_rules=form_rules, total_weight=total,
                fingerprint=fingerprint_of({k: v for k, v in data.items() if k not in NOT_FINGERPRINTED}),
                instructions=tuple(str(s) for s in data.get("instructions", []) or []),
                placeholders=tuple(str(s) for s in data.get("placeholders", []) or []),
                source=source, narrative=narrative, severities=severities,
                provenance=dict(data.get("source") or {}))


def _parse_severities(items, probs) -> dict:
    """``severities: {low-exec-rate: error}``: the form's own words decide how strict a check is. Only checks of the
    form itself (not unreadable-file checks) may be changed; the fingerprint ignores this map, so a bureau can make a
    check stricter without issuing new templates."""
    if not isinstance(items, dict):
        probs.add("severities", "应为映射（检查代码: error 或 warning）")
        return {}
    out = {}
    for code, level in items.items():
        path = f"severities.{code}"
        if code not in CATALOGUE:
            guess = suggest(code, CATALOGUE)
            probs.add(path, "不是已知的检查代码（见 docs/checks.md）" + (f"；您是否想写 `{guess}`？" if guess else ""),
                      "not a known check code (see docs/checks.md)" + (f"; did you mean `{guess}`?" if guess else ""))
        elif CATALOGUE[code].category == "file":
            probs.add(path, "文件无法读取类的检查不能改严重程度", "the severity of a file check cannot be changed")
        elif level not in (ERROR, WARNING):
            probs.add(path, f"应为 error 或 warning，实际为 {level!r}")
        else:
            out[str(code)] = level
    return out


def _all(nodes):
    for n in nodes:
        yield n
        yield from _all(n.children)


def _parse_cover(items, probs) -> tuple[CoverField, ...]:
    out, keys = [], set()
    if not isinstance(items, list):
        probs.add("cover", "应为列表")
        return ()
    for i, c in enumerate(items):
        p = f"cover[{i}]"
        if not isinstance(c, dict) or "key" not in c or "label" not in c:
            probs.add(p, "封面字段需要 key 和 label")
            continue
        if c["key"] in keys:
            probs.add(f"{p}.key", f"重复的封面字段 {c['key']}", f"duplicate cover field {c['key']}")
        keys.add(c["key"])
        typ = c.get("type", "text")
        if typ not in COVER_TYPES:
            probs.add(f"{p}.type", f"未知类型 {typ}；可用：{', '.join(COVER_TYPES)}")
        if c.get("pattern"):
            try:
                re.compile(c["pattern"])
            except re.error as e:
                probs.add(f"{p}.pattern", f"正则表达式无效：{e}", f"invalid regular expression: {e}")
        out.append(CoverField(key=str(c["key"]), label=str(c["label"]), type=typ,
                              required=bool(c.get("required", False)), pattern=c.get("pattern"),
                              choices=tuple(c.get("choices", []) or []), hint=str(c.get("hint", ""))))
    return tuple(out)


_NARRATIVE_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")   # no "_" or ".": keys become defined names


def _parse_narrative(items, probs) -> tuple[NarrativeField, ...]:
    if not isinstance(items, list):
        probs.add("narrative", "应为列表")
        return ()
    out, keys = [], set()
    for i, f in enumerate(items):
        p = f"narrative[{i}]"
        if not isinstance(f, dict) or "key" not in f or "label" not in f:
            probs.add(p, "文字说明项需要 key 和 label")
            continue
        key = _new_key(f["key"], f"{p}.key", keys, probs, "duties", ("文字说明项", "narrative key"))
        cells, height = f.get("cells", 1), f.get("height", 300)
        if isinstance(cells, bool) or not isinstance(cells, int) or not 1 <= cells <= 10:
            probs.add(f"{p}.cells", "单元格数应为 1–10 的整数", "cells must be an integer 1–10")
            cells = 1
        if isinstance(height, bool) or not isinstance(height, (int, float)) or not 15 <= height <= 409:
            probs.add(f"{p}.height", "行高应为 15–409 磅", "height must be 15–409 points")
            height = 300
        out.append(NarrativeField(key=key, label=str(f["label"]), required=bool(f.get("required", False)),
                                  hint=str(f.get("hint", "") or ""), cells=cells, height=height))
    return tuple(out)


def _parse_funds(f, probs) -> Funds:
    sources = f.get("sources") or ["一般公共预算", "政府性基金预算", "国有资本经营预算", "其他资金"]
    if not isinstance(sources, list) or len(set(sources)) != len(sources):
        probs.add("funds.sources", "资金来源应为不重复的列表", "sources must be a list without repeats")
        sources = list(dict.fromkeys(sources if isinstance(sources, list) else []))
    mid = None
    if f.get("midyear"):
        m = f["midyear"]
        tp = _dec(m.get("target_progress"), "funds.midyear.target_progress", probs)
        if tp is not None and not (0 < tp <= 1):
            probs.add("funds.midyear.target_progress", "序时进度目标应为 0–1 之间的比例，如 0.5",
                      "target_progress must be a share between 0 and 1, e.g. 0.5")
        mid = MidYear(label=str(m.get("label", "1-6月")), target_progress=tp or Decimal("0.5"))
    thr = _dec(f.get("low_rate_threshold", 0.9), "funds.low_rate_threshold", probs) or Decimal("0.9")
    counts = f.get("project_counts", False)
    types = {}
    if isinstance(counts, dict):
        types = {str(k): str(v) for k, v in counts.items()}
        for k, v in types.items():
            if v not in sources:
                probs.add(f"funds.project_counts.{k}", f"“{v}”不是 funds.sources 中的资金来源",
                          f"{v!r} is not one of funds.sources")
    elif counts:
        types = _default_project_types(sources)
    if f.get("project_average") and not counts:
        probs.add("funds.project_average", "project_average 需要同时设置 project_counts")
    return Funds(sources=tuple(str(s) for s in sources), midyear=mid, low_rate_threshold=thr,
                 project_counts=bool(counts), project_types=types,
                 project_average=bool(f.get("project_average", False)),
                 labels={str(k): str(v) for k, v in (f.get("labels") or {}).items()})


def _default_project_types(sources) -> dict:
    """资金性质 of the national project form → the overall form's source row with the same name (其他 → 其他…)."""
    out = {}
    for t in ("一般公共预算", "政府性基金预算", "国有资本经营预算", "其他"):
        hit = next((s for s in sources if s == t), None) or next((s for s in sources if s.startswith(t)), None)
        if hit:
            out[t] = hit
    return out


def _parse_targets(t, probs) -> Targets:
    kinds, keys = [], set()
    for i, k in enumerate(t.get("kinds", []) or []):
        p = f"targets.kinds[{i}]"
        if not isinstance(k, dict) or "key" not in k:
            probs.add(p, "目标类别需要 key")
            continue
        if k["key"] in keys:
            probs.add(f"{p}.key", f"重复的目标类别 {k['key']}", f"duplicate target kind {k['key']}")
        keys.add(k["key"])
        rows = k.get("rows", 10)
        if not isinstance(rows, int) or not 1 <= rows <= 200:
            probs.add(f"{p}.rows", "行数应为 1–200 的整数", "rows must be an integer 1–200")
            rows = 10
        row_score, coef = _parse_row_score(k, p, probs)
        kinds.append(TargetKind(key=str(k["key"]), label=str(k.get("label", k["key"])), rows=rows,
                                categories=tuple(k.get("categories", []) or []),
                                scored=bool(k.get("scored", False)), row_score=row_score, coefficient=coef))
    ratios = {}
    raw = t.get("qualitative_ratios") or {"达成": 1, "部分达成": 0.7, "未达成": 0.3}
    for g in QUAL_GRADES:
        if g not in raw:
            probs.add(f"targets.qualitative_ratios.{g}", "缺少定性等级的完成比例")
            continue
        d = _dec(raw[g], f"targets.qualitative_ratios.{g}", probs)
        if d is not None and not (0 <= d <= 1):
            probs.add(f"targets.qualitative_ratios.{g}", "完成比例应在 0–1 之间", "a ratio must lie between 0 and 1")
        ratios[g] = d if d is not None else Decimal(0)
    vc = t.get("value_columns") or ["value"]
    if isinstance(vc, list) and vc not in (["value"], ["initial", "adjusted"]):
        probs.add("targets.value_columns", "应为 [value]（一列指标值）或 [initial, adjusted]（年初指标值 + 调整后指标值）",
                  "must be [value] (one 指标值 column) or [initial, adjusted] (年初指标值 + 调整后指标值)")
    return Targets(kinds=tuple(kinds), qualitative_ratios=ratios,
                   extra_columns=_parse_extra_columns(t.get("extra_columns") or [], probs),
                   value_columns=tuple(vc) if vc == ["initial", "adjusted"] else ("value",),
                   form_values=t.get("form_values") is True)


def _new_key(raw, path: str, keys: set, probs, example: str, what: tuple[str, str]) -> str:
    """A key of letters and digits (``example``) not used before in ``keys`` (which it joins)."""
    key = str(raw)
    if not _NARRATIVE_KEY.match(key):
        probs.add(path, f"键 {key} 只能由字母和数字组成，且以字母开头，如 {example}",
                  f"key {key} must be letters and digits starting with a letter, e.g. {example}")
    if key in keys:
        probs.add(path, f"重复的{what[0]} {key}", f"duplicate {what[1]} {key}")
    keys.add(key)
    return key


def _parse_extra_columns(items, probs) -> tuple[ExtraColumn, ...]:
    out, keys = [], set()
    if not isinstance(items, list):
        return ()                          # the shape check names it
    for i, c in enumerate(items):
        p = f"targets.extra_columns[{i}]"
        if not isinstance(c, dict) or "key" not in c or "label" not in c:
            continue                       # the shape check names it
        key = _new_key(c["key"], f"{p}.key", keys, probs, "core", ("列", "column"))
        choices = tuple(str(x) for x in (c.get("choices") or []))
        if len(set(choices)) != len(choices):
            probs.add(f"{p}.choices", "选项重复", "a choice is listed twice")
        out.append(ExtraColumn(key=key, label=str(c["label"]), choices=choices))
    return tuple(out)


ROW_SCORES = ("ratio", "coefficient", "typed")


def _parse_row_score(k: dict, p: str, probs) -> tuple[str, tuple[Decimal, Decimal]]:
    """``row_score`` of a kind: how a row's 得分 comes about; ``coefficient: {min, max}`` bounds a typed 得分系数."""
    mode = k.get("row_score", "ratio")
    lo, hi = Decimal(0), Decimal(1)
    if mode not in ROW_SCORES:
        return "ratio", (lo, hi)          # the shape check names it
    if mode != "ratio" and not k.get("scored", False):
        probs.add(f"{p}.row_score", f"row_score: {mode} 需要 scored: true（每行有分值）",
                  f"row_score: {mode} needs scored: true (a 分值 per row)")
    c = k.get("coefficient")
    if c is not None and mode != "coefficient":
        probs.add(f"{p}.coefficient", "coefficient 只用于 row_score: coefficient",
                  "coefficient is for row_score: coefficient only")
    if mode == "coefficient" and isinstance(c, dict):
        lo = _dec(c.get("min", 0), f"{p}.coefficient.min", probs) or Decimal(0)
        hi = _dec(c.get("max", 1), f"{p}.coefficient.max", probs)
        hi = Decimal(1) if hi is None else hi
        if not (0 <= lo < hi <= 1):
            probs.add(f"{p}.coefficient", f"得分系数范围应满足 0 ≤ min < max ≤ 1，实际为 {lo}–{hi}",
                      f"the coefficient bounds must satisfy 0 ≤ min < max ≤ 1, found {lo}–{hi}")
    return mode, (lo, hi)


def _with_scales(targets: Targets, data: dict, probs) -> Targets:
    """The spec's ``scales:`` and each target kind's ``scale:`` (checked against them) on the targets block."""
    scales = parse_scales(data.get("scales") or {}, probs)
    raw_kinds = (data.get("targets") or {}).get("kinds") if isinstance(data.get("targets"), dict) else None
    kinds = []
    for k in targets.kinds:
        i, raw = next(((i, r) for i, r in enumerate(raw_kinds if isinstance(raw_kinds, list) else [])
                       if isinstance(r, dict) and str(r.get("key")) == k.key), (0, {}))
        name = raw.get("scale")
        if name is not None and scale_ref(name, scales, f"targets.kinds[{i}].scale", probs) is not None:
            k = dataclasses.replace(k, scale=str(name))
        kinds.append(k)
    return dataclasses.replace(targets, kinds=tuple(kinds), scales=scales)


def _parse_grades(g, probs) -> tuple[Grade, ...]:
    g = g or [{"name": "优", "min": 90}, {"name": "良", "min": 80}, {"name": "中", "min": 60},
              {"name": "差", "min": 0}]
    out = []
    for i, item in enumerate(g):
        if not isinstance(item, dict) or "name" not in item or "min" not in item:
            probs.add(f"grades[{i}]", "等级需要 name 和 min")
            continue
        out.append(Grade(str(item["name"]), _dec(item["min"], f"grades[{i}].min", probs) or Decimal(0)))
    mins = [x.min for x in out]
    if mins != sorted(mins, reverse=True):
        probs.add("grades", "等级应按下限从高到低排列", "grades must be listed from the highest min down")
    return tuple(out)


def _parse_form_rules(f, probs) -> FormRules:
    cap = []
    for i, b in enumerate((f.get("execution_cap") or {}).get("bands", []) or []):
        p = f"form_rules.execution_cap.bands[{i}]"
        below = _dec(b.get("below") if isinstance(b, dict) else None, f"{p}.below", probs)
        mx = _dec(b.get("max_total") if isinstance(b, dict) else None, f"{p}.max_total", probs)
        if below is not None and mx is not None:
            cap.append((below, mx))
    cap.sort()
    dev = f.get("target_deviation_penalty") or {}
    thr = pts = mx = None
    if dev:
        thr = _dec(dev.get("threshold"), "form_rules.target_deviation_penalty.threshold", probs)
        pts = _dec(dev.get("points"), "form_rules.target_deviation_penalty.points", probs)
        mx = _dec(dev.get("max_total"), "form_rules.target_deviation_penalty.max_total", probs,
                  allow_none=True)
    return FormRules(execution_cap=tuple(cap), deviation_threshold=thr,
                     deviation_points=pts or Decimal(0), deviation_max=mx)


_ID_RE = re.compile(r"^[0-9A-Za-z]+(\.[0-9A-Za-z]+)*$")


def _parse_node(n, path, depth, parent, probs, seen, targets) -> Node | None:
    if not isinstance(n, dict):
        probs.add(path, "指标应为映射")
        return None
    for key in ("id", "name", "weight"):
        if key not in n:
            probs.add(f"{path}.{key}", "缺少必填项")
    nid = str(n.get("id", ""))
    if nid and not _ID_RE.match(nid):
        probs.add(f"{path}.id", f"编号 {nid} 只能由字母数字和点组成，如 2.4.1",
                  f"id {nid} must be letters, digits and dots, e.g. 2.4.1")
    if nid in seen:
        probs.add(f"{path}.id", f"编号 {nid} 重复（已用于 {seen[nid]}）", f"id {nid} repeats (used at {seen[nid]})")
    seen[nid] = path
    weight = _dec(n.get("weight"), f"{path}.weight", probs) or Decimal(0)
    if weight < 0:
        probs.add(f"{path}.weight", "分值不能为负", "a weight cannot be negative")
    node = Node(id=nid, name=str(n.get("name", "")), weight=weight, depth=depth,
                standard=str(n.get("standard", "") or ""), parent=parent)
    kids = n.get("children") or []
    if kids:
        if "rule" in n:
            probs.add(f"{path}.rule", "有下级指标的节点不能设置计分规则", "an indicator with children has no rule")
        for i, c in enumerate(kids):
            child = _parse_node(c, f"{path}.children[{i}]", depth + 1, node, probs, seen, targets)
            if child:
                node.children.append(child)
        s = sum(c.weight for c in node.children)
        if node.children and s != weight:
            probs.add(f"{path}.children", f"下级分值合计 {s} ≠ 本级分值 {weight}（{node.name}）",
                      f"the children's weights add up to {s} ≠ the weight {weight} ({node.name})")
    else:
        node.rule = _parse_rule(n.get("rule", {"type": "manual"}), f"{path}.rule", weight, probs,
                                targets)
    return node


def _parse_rule(r, path, weight, probs, targets) -> Rule:
    if isinstance(r, str):
        r = {"type": r}
    if not isinstance(r, dict) or "type" not in r:
        probs.add(path, "计分规则需要 type", "a rule needs a type")
        return Rule("manual", {})
    typ = r["type"]
    if typ not in RULES:
        probs.add(f"{path}.type", f"未知的计分规则 {typ}；可用：{', '.join(RULES)}")
        return Rule("manual", {})
    return Rule(typ, RULES[typ].parse(r, path, weight, probs, targets))

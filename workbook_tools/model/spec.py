"""Indicator specs: YAML files that describe a whole form, loaded and checked with YAML paths."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path

import yaml

from workbook_tools.errors import SpecError

DEFAULT_SPEC = "gd-dept-overall-2023"

# rule type → (Chinese name, required params, optional params with allowed values or None)
RULE_TYPES: dict[str, tuple[str, tuple[str, ...], dict[str, tuple | None]]] = {
    "execution_rate": ("预算执行率计分", (), {"budget": ("adjusted", "initial")}),
    "target_completion": ("目标完成率计分", ("kind",), {"method": ("average", "sum_scores")}),
    "proportional": ("正向比例计分", ("target",), {}),
    "reverse_proportional": ("反向比例计分", ("target",), {}),
    "bands": ("区间计分", ("bands",), {"otherwise": None}),
    "deduct_per_point_over": ("超限扣分", ("limit", "per_point"), {"rounding": ("exact", "ceil")}),
    "deduct_per_case": ("按例扣分", ("per_case",), {}),
    "qualitative": ("定性分档", (), {"bands": None}),
    "checklist": ("清单计分", ("items",), {}),
    "manual": ("人工评分", (), {}),
}
# rules whose 自评得分 is typed by staff; the others are formulas
MANUAL_SCORE_RULES = {"manual", "qualitative"}
# rules whose 评分依据 cell is an input
BASIS_INPUT_RULES = {"proportional", "reverse_proportional", "bands", "deduct_per_point_over",
                     "deduct_per_case", "qualitative"}
DIRECTIONS = ("≥", "≤", "=", "定性")
QUAL_GRADES = ("达成", "部分达成", "未达成")
DEFAULT_QUAL_BANDS = {"达成": (Decimal("0.8"), Decimal(1)), "部分达成": (Decimal("0.6"), Decimal("0.8")),
                      "未达成": (Decimal(0), Decimal("0.6"))}
COVER_TYPES = ("text", "code", "year", "phone", "date", "choice")
BAND_OPS = ("eq", "gt", "ge", "lt", "le")


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


@dataclass(frozen=True)
class Targets:
    kinds: tuple[TargetKind, ...]
    qualitative_ratios: dict
    placeholder_rows: int = 0

    def kind(self, key: str) -> TargetKind | None:
        return next((k for k in self.kinds if k.key == key), None)


@dataclass(frozen=True)
class Rule:
    type: str
    params: dict

    @property
    def label(self) -> str:
        return RULE_TYPES[self.type][0]

    @property
    def manual_score(self) -> bool:
        return self.type in MANUAL_SCORE_RULES


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


# ---------------------------------------------------------------- loading

def spec_dir() -> Path:
    return Path(str(resources.files("workbook_tools") / "specs"))


def list_specs() -> list[str]:
    return sorted(p.stem for p in spec_dir().glob("*.yaml"))


_CACHE: dict[str, Spec] = {}


def load_spec(ref: str | Path | None = None) -> Spec:
    """A shipped spec by id, or a YAML file by path; raises SpecError listing every problem."""
    from workbook_tools.model import speclib        # the search path: --spec, WBTOOL_SPEC_PATH, installed, learnt
    ref = str(ref or DEFAULT_SPEC)
    path = Path(ref)
    if path.suffix.lower() in (".xlsx", ".xlsm") and path.is_file():
        return speclib.from_workbook(path)          # the spec a template carries
    if not (path.suffix in (".yaml", ".yml") and path.exists()):
        found = speclib.find(ref)
        if found is None:
            learnt = speclib.resolve(ref)
            if learnt is not None:
                return learnt
            raise SpecError([("", f"未知的规格 {ref}；可用：{', '.join(speclib.known_ids())}"
                                  f"（查找顺序见 wbtool specs）")], ref)
        if found.origin == speclib.ORIGIN_EXPLICIT:
            return speclib.load(found)
        path = Path(found.path)
    st = path.stat()
    key = f"{path.resolve()}:{st.st_mtime_ns}:{st.st_size}"
    if key not in _CACHE:
        try:
            text = path.read_text(encoding="utf-8")
            data = yaml.safe_load(text)
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            raise SpecError([("", f"YAML 无法解析：{e}")], str(path)) from None
        spec = parse_spec(data, source=str(path))
        spec.text = speclib.normalize(text)
        _CACHE[key] = spec
    return _CACHE[key]


def fingerprint_of(data) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class _Problems:
    def __init__(self):
        self.items: list[tuple[str, str]] = []

    def add(self, path: str, msg: str):
        self.items.append((path, msg))


def _dec(v, path, probs, *, allow_none=False) -> Decimal | None:
    if v is None and allow_none:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        probs.add(path, f"应为数字，实际为 {v!r}")
        return None
    try:
        d = Decimal(str(v))
    except InvalidOperation:
        probs.add(path, f"应为数字，实际为 {v!r}")
        return None
    if not d.is_finite():
        probs.add(path, "应为有限数字")
        return None
    return d


def parse_spec(data, source: str = "spec") -> Spec:
    """Check a parsed YAML document and build the Spec; every problem is reported at once."""
    probs = _Problems()
    if not isinstance(data, dict):
        raise SpecError([("", "规格文件顶层应为映射 (mapping)")], source)
    for key in ("id", "version", "title", "tree"):
        if key not in data:
            probs.add(key, "缺少必填项")
    cover = _parse_cover(data.get("cover", []), probs)
    funds = _parse_funds(data.get("funds", {}) or {}, probs)
    targets = _parse_targets(data.get("targets", {}) or {}, probs)
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
        probs.add("tree", f"一级指标分值合计 {sum(n.weight for n in tree)} ≠ 总分 {total}")
    for kind in targets.kinds:
        if kind.scored and not any(n.rule and n.rule.type == "target_completion"
                                   and n.rule.params.get("kind") == kind.key for n in _all(tree)):
            probs.add(f"targets.kinds[{kind.key}]", "计分的目标类别没有对应的 target_completion 指标")
    if probs.items:
        raise SpecError(probs.items, source)
    return Spec(id=str(data["id"]), version=str(data["version"]), title=str(data["title"]),
                kind=str(data.get("kind", "dept-overall")), money_unit=str(data.get("money_unit", "万元")),
                cover=cover, funds=funds, targets=targets, tree=tree, grades=grades,
                inapplicable=inapplicable, form_rules=form_rules, total_weight=total,
                fingerprint=fingerprint_of({k: v for k, v in data.items() if k != "severities"}),
                instructions=tuple(str(s) for s in data.get("instructions", []) or []),
                placeholders=tuple(str(s) for s in data.get("placeholders", []) or []),
                source=source, narrative=narrative, severities=severities)


def _parse_severities(items, probs) -> dict:
    """``severities: {low-exec-rate: error}``: the form's own words decide how strict a check is. Only checks of the
    form itself (not unreadable-file checks) may be changed; the fingerprint ignores this map, so a bureau can make a
    check stricter without issuing new templates."""
    from workbook_tools.checks.catalogue import CATALOGUE, ERROR, WARNING
    if not isinstance(items, dict):
        probs.add("severities", "应为映射（检查代码: error 或 warning）")
        return {}
    out = {}
    for code, level in items.items():
        path = f"severities.{code}"
        if code not in CATALOGUE:
            probs.add(path, "不是已知的检查代码（见 docs/checks.md）")
        elif CATALOGUE[code].category == "file":
            probs.add(path, "文件无法读取类的检查不能改严重程度")
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
            probs.add(f"{p}.key", f"重复的封面字段 {c['key']}")
        keys.add(c["key"])
        typ = c.get("type", "text")
        if typ not in COVER_TYPES:
            probs.add(f"{p}.type", f"未知类型 {typ}；可用：{', '.join(COVER_TYPES)}")
        if c.get("pattern"):
            try:
                re.compile(c["pattern"])
            except re.error as e:
                probs.add(f"{p}.pattern", f"正则表达式无效：{e}")
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
        key = str(f["key"])
        if not _NARRATIVE_KEY.match(key):
            probs.add(f"{p}.key", f"键 {key} 只能由字母和数字组成，且以字母开头，如 duties")
        if key in keys:
            probs.add(f"{p}.key", f"重复的文字说明项 {key}")
        keys.add(key)
        cells, height = f.get("cells", 1), f.get("height", 300)
        if isinstance(cells, bool) or not isinstance(cells, int) or not 1 <= cells <= 10:
            probs.add(f"{p}.cells", "单元格数应为 1–10 的整数")
            cells = 1
        if isinstance(height, bool) or not isinstance(height, (int, float)) or not 15 <= height <= 409:
            probs.add(f"{p}.height", "行高应为 15–409 磅")
            height = 300
        out.append(NarrativeField(key=key, label=str(f["label"]), required=bool(f.get("required", False)),
                                  hint=str(f.get("hint", "") or ""), cells=cells, height=height))
    return tuple(out)


def _parse_funds(f, probs) -> Funds:
    sources = f.get("sources") or ["一般公共预算", "政府性基金预算", "国有资本经营预算", "其他资金"]
    if not isinstance(sources, list) or len(set(sources)) != len(sources):
        probs.add("funds.sources", "资金来源应为不重复的列表")
        sources = list(dict.fromkeys(sources if isinstance(sources, list) else []))
    mid = None
    if f.get("midyear"):
        m = f["midyear"]
        tp = _dec(m.get("target_progress"), "funds.midyear.target_progress", probs)
        if tp is not None and not (0 < tp <= 1):
            probs.add("funds.midyear.target_progress", "序时进度目标应为 0–1 之间的比例，如 0.5")
        mid = MidYear(label=str(m.get("label", "1-6月")), target_progress=tp or Decimal("0.5"))
    thr = _dec(f.get("low_rate_threshold", 0.9), "funds.low_rate_threshold", probs) or Decimal("0.9")
    counts = f.get("project_counts", False)
    types = {}
    if isinstance(counts, dict):
        types = {str(k): str(v) for k, v in counts.items()}
        for k, v in types.items():
            if v not in sources:
                probs.add(f"funds.project_counts.{k}", f"“{v}”不是 funds.sources 中的资金来源")
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
            probs.add(f"{p}.key", f"重复的目标类别 {k['key']}")
        keys.add(k["key"])
        rows = k.get("rows", 10)
        if not isinstance(rows, int) or not 1 <= rows <= 200:
            probs.add(f"{p}.rows", "行数应为 1–200 的整数")
            rows = 10
        kinds.append(TargetKind(key=str(k["key"]), label=str(k.get("label", k["key"])), rows=rows,
                                categories=tuple(k.get("categories", []) or []),
                                scored=bool(k.get("scored", False))))
    ratios = {}
    raw = t.get("qualitative_ratios") or {"达成": 1, "部分达成": 0.7, "未达成": 0.3}
    for g in QUAL_GRADES:
        if g not in raw:
            probs.add(f"targets.qualitative_ratios.{g}", "缺少定性等级的完成比例")
            continue
        d = _dec(raw[g], f"targets.qualitative_ratios.{g}", probs)
        if d is not None and not (0 <= d <= 1):
            probs.add(f"targets.qualitative_ratios.{g}", "完成比例应在 0–1 之间")
        ratios[g] = d if d is not None else Decimal(0)
    return Targets(kinds=tuple(kinds), qualitative_ratios=ratios)


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
        probs.add("grades", "等级应按下限从高到低排列")
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
        probs.add(f"{path}.id", f"编号 {nid} 只能由字母数字和点组成，如 2.4.1")
    if nid in seen:
        probs.add(f"{path}.id", f"编号 {nid} 重复（已用于 {seen[nid]}）")
    seen[nid] = path
    weight = _dec(n.get("weight"), f"{path}.weight", probs) or Decimal(0)
    if weight < 0:
        probs.add(f"{path}.weight", "分值不能为负")
    node = Node(id=nid, name=str(n.get("name", "")), weight=weight, depth=depth,
                standard=str(n.get("standard", "") or ""), parent=parent)
    kids = n.get("children") or []
    if kids:
        if "rule" in n:
            probs.add(f"{path}.rule", "有下级指标的节点不能设置计分规则")
        for i, c in enumerate(kids):
            child = _parse_node(c, f"{path}.children[{i}]", depth + 1, node, probs, seen, targets)
            if child:
                node.children.append(child)
        s = sum(c.weight for c in node.children)
        if node.children and s != weight:
            probs.add(f"{path}.children", f"下级分值合计 {s} ≠ 本级分值 {weight}（{node.name}）")
    else:
        node.rule = _parse_rule(n.get("rule", {"type": "manual"}), f"{path}.rule", weight, probs,
                                targets)
    return node


def _parse_rule(r, path, weight, probs, targets) -> Rule:
    if isinstance(r, str):
        r = {"type": r}
    if not isinstance(r, dict) or "type" not in r:
        probs.add(path, "计分规则需要 type")
        return Rule("manual", {})
    typ = r["type"]
    if typ not in RULE_TYPES:
        probs.add(f"{path}.type", f"未知的计分规则 {typ}；可用：{', '.join(RULE_TYPES)}")
        return Rule("manual", {})
    _, required, optional = RULE_TYPES[typ]
    params = {k: v for k, v in r.items() if k != "type"}
    for k in required:
        if k not in params:
            probs.add(f"{path}.{k}", f"规则 {typ} 缺少参数 {k}")
    for k, v in params.items():
        if k not in required and k not in optional:
            probs.add(f"{path}.{k}", f"规则 {typ} 不认识参数 {k}")
        elif optional.get(k) and v not in optional[k]:
            probs.add(f"{path}.{k}", f"参数 {k} 应为 {' / '.join(optional[k])} 之一")
    out = dict(params)
    for k in ("target", "limit", "per_point", "per_case", "otherwise"):
        if k in params:
            out[k] = _dec(params[k], f"{path}.{k}", probs) or Decimal(0)
    if typ == "target_completion" and "kind" in params and not targets.kind(params["kind"]):
        probs.add(f"{path}.kind", f"没有名为 {params['kind']} 的目标类别")
    if typ == "bands":
        out["bands"] = _parse_bands(params.get("bands"), f"{path}.bands", weight, probs)
    if typ == "checklist":
        items = []
        for i, it in enumerate(params.get("items") or []):
            if not isinstance(it, dict) or "name" not in it or "points" not in it:
                probs.add(f"{path}.items[{i}]", "清单项需要 name 和 points")
                continue
            items.append((str(it["name"]), _dec(it["points"], f"{path}.items[{i}].points", probs)
                          or Decimal(0)))
        if items and sum(p for _, p in items) != weight:
            probs.add(f"{path}.items", f"清单项分值合计 {sum(p for _, p in items)} ≠ 指标分值 {weight}")
        if not items and "items" in params:
            probs.add(f"{path}.items", "清单至少需要一项")
        out["items"] = items
    if typ == "qualitative":
        bands = dict(DEFAULT_QUAL_BANDS)
        for g, rng in (params.get("bands") or {}).items():
            if g not in QUAL_GRADES or not isinstance(rng, list) or len(rng) != 2:
                probs.add(f"{path}.bands.{g}", "定性分档应为 达成/部分达成/未达成: [下限比例, 上限比例]")
                continue
            bands[g] = (_dec(rng[0], f"{path}.bands.{g}", probs) or Decimal(0),
                        _dec(rng[1], f"{path}.bands.{g}", probs) or Decimal(0))
        out["bands"] = bands
    if typ == "deduct_per_point_over":
        out.setdefault("rounding", "exact")
    if typ == "execution_rate":
        out.setdefault("budget", "adjusted")
    if typ == "target_completion":
        out.setdefault("method", "average")
    return Rule(typ, out)


def _parse_bands(bands, path, weight, probs):
    out = []
    if not isinstance(bands, list) or not bands:
        probs.add(path, "区间表应为非空列表")
        return out
    for i, b in enumerate(bands):
        p = f"{path}[{i}]"
        if not isinstance(b, dict) or "points" not in b:
            probs.add(p, "区间需要 points 以及 eq/gt/ge/lt/le 条件")
            continue
        conds = {k: _dec(v, f"{p}.{k}", probs) for k, v in b.items() if k in BAND_OPS}
        unknown = [k for k in b if k not in BAND_OPS and k != "points"]
        if unknown:
            probs.add(p, f"不认识的条件 {', '.join(unknown)}（可用 eq/gt/ge/lt/le）")
        if not conds:
            probs.add(p, "区间至少需要一个条件")
        pts = _dec(b["points"], f"{p}.points", probs) or Decimal(0)
        if pts > weight or pts < 0:
            probs.add(f"{p}.points", f"区间得分 {pts} 超出 0–{weight}")
        out.append((conds, pts))
    return out

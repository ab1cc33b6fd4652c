"""Label-anchored layouts: find a form's blocks by their header labels wherever they sit in a sheet."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from workbook_tools.errors import SpecError
from workbook_tools.foreign.grid import Grid, a1, norm
from workbook_tools.files.specsheet import load_spec


# ------------------------------------------------------------------ the layout (YAML data)

@dataclass
class AnchoredLayout:
    id: str
    version: str
    title: str
    spec: str
    form_title: list[str]
    fields: dict[str, list[str]]
    required_fields: list[str]
    funds: dict
    goal: dict
    indicators: dict
    total: list[str]
    actual_words: dict[str, list[str]]
    source: str = ""

    def all_labels(self) -> list[str]:
        """Every label of the layout: a field's value never is one of these (an empty field)."""
        out = [x for v in self.fields.values() for x in v] + self.funds.get("anchor", []) + self.goal.get("anchor", [])
        out += [x for v in self.funds.get("columns", {}).values() for x in v]
        out += [x for v in self.indicators.get("columns", {}).values() for x in v] + self.total
        return [norm(x) for x in out]


def layout_dir() -> Path:
    return Path(str(resources.files("workbook_tools") / "specs" / "layouts"))


def list_layouts() -> list[str]:
    return sorted(p.stem for p in layout_dir().glob("*.yaml"))


_LAYOUTS: dict[str, AnchoredLayout] = {}


def load_layout(ref: str | Path) -> AnchoredLayout:
    """A shipped anchored layout by id, or a YAML file by path; problems raise SpecError with YAML paths."""
    ref = str(ref)
    path = Path(ref)
    if not (path.suffix in (".yaml", ".yml") and path.exists()):
        path = layout_dir() / f"{ref}.yaml"
        if not path.exists():
            raise SpecError([("", f"未知的表式 {ref}；可用：{', '.join(list_layouts())}")], ref)
    key = str(path.resolve())
    if key not in _LAYOUTS:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            raise SpecError([("", f"YAML 无法解析：{e}")], str(path)) from None
        _LAYOUTS[key] = parse_layout(data, str(path))
    return _LAYOUTS[key]


def _labels(v, path, probs) -> list[str]:
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list) or not v or not all(isinstance(x, str) and x.strip() for x in v):
        probs.append((path, "应为非空的标签列表"))
        return []
    return [str(x) for x in v]


def parse_layout(data, source="layout") -> AnchoredLayout:
    probs: list[tuple[str, str]] = []
    if not isinstance(data, dict):
        raise SpecError([("", "表式文件顶层应为映射")], source)
    for k in ("id", "spec", "indicators"):
        if k not in data:
            probs.append((k, "缺少必填项"))
    try:
        spec = load_spec(data.get("spec")) if data.get("spec") else None
    except SpecError as e:
        probs.append(("spec", e.zh.splitlines()[-1].strip()))
        spec = None
    fields = {str(k): _labels(v, f"fields.{k}", probs) for k, v in (data.get("fields") or {}).items()}
    funds = dict(data.get("funds") or {})
    if funds:
        funds["anchor"] = _labels(funds.get("anchor", []), "funds.anchor", probs) if funds.get("anchor") else []
        funds["columns"] = {k: _labels(v, f"funds.columns.{k}", probs) for k, v in (funds.get("columns") or {}).items()}
        funds["total"] = _labels(funds.get("total", ["合计"]), "funds.total", probs)
        srcs = {str(k): _labels(v, f"funds.sources.{k}", probs) for k, v in (funds.get("sources") or {}).items()}
        if spec is not None:
            for k in srcs:
                if k not in spec.funds.sources:
                    probs.append((f"funds.sources.{k}", f"规格 {spec.id} 没有资金来源“{k}”"))
        funds["sources"] = srcs
    ind = dict(data.get("indicators") or {})
    ind["columns"] = {k: _labels(v, f"indicators.columns.{k}", probs) for k, v in (ind.get("columns") or {}).items()}
    for k in ("level1", "name", "weight", "score"):
        if k not in ind["columns"]:
            probs.append((f"indicators.columns.{k}", "缺少必需的列"))
    ind["kinds"] = {k: _labels(v, f"indicators.kinds.{k}", probs) for k, v in (ind.get("kinds") or {}).items()}
    if spec is not None:
        for k in ind["kinds"]:
            if not spec.targets.kind(k):
                probs.append((f"indicators.kinds.{k}", f"规格 {spec.id} 没有目标类别 {k}"))
    words = {str(g): _labels(v, f"actual_words.{g}", probs) for g, v in (data.get("actual_words") or {}).items()}
    for g in words:
        if g not in ("达成", "部分达成", "未达成"):
            probs.append((f"actual_words.{g}", "等级应为 达成 / 部分达成 / 未达成"))
    if probs:
        raise SpecError(probs, source)
    return AnchoredLayout(id=str(data["id"]), version=str(data.get("version", "")), title=str(data.get("title", "")),
                          spec=str(data["spec"]), form_title=[str(x) for x in data.get("form_title") or []],
                          fields=fields, required_fields=[str(x) for x in data.get("required_fields") or []],
                          funds=funds, goal=dict(data.get("goal") or {}), indicators=ind,
                          total=[str(x) for x in data.get("total") or ["总分"]], actual_words=words, source=source)


# ------------------------------------------------------------------ matching labels

_SUFFIX = re.compile(r"^(\(.{0,12}\)|:|（.{0,12}）|[A-Za-z]?|\d+分?)*:?$")


def match(text: str, labels, loose: bool = False) -> int:
    """How well a cell's text is one of the labels: 2 equal, 1 the label plus a short suffix like （A）or （万元）, 0 no."""
    t = norm(text)
    if not t:
        return 0
    best = 0
    for lab in labels:
        lab = norm(lab)
        if t == lab or t == lab + ":":
            return 2
        if t.startswith(lab) and (_SUFFIX.match(t[len(lab):]) or loose and len(t) <= len(lab) + 10):
            best = 1                        # 全年预算数（A）, 偏差原因分析及改进措施
        elif t.startswith("其中:") and t[3:].startswith(lab):
            best = max(best, 1)
    return best


def starts(text: str, labels) -> bool:
    """A row heading that begins with a label (产出指标（50分）, 年度资金总额：)."""
    t = norm(text)
    if t.startswith("其中:"):
        t = t[3:]
    return any(t.startswith(norm(lab)) for lab in labels)


# ------------------------------------------------------------------ what was found

@dataclass
class Region:
    """Part of a sheet holding one form: rows r0..r1, cols c0..c1 (inclusive, 0-based)."""
    grid: Grid
    r0: int
    r1: int
    c0: int
    c1: int

    def cells(self):
        for (r, c), v in self.grid.cells.items():
            if self.r0 <= r <= self.r1 and self.c0 <= c <= self.c1:
                yield r, c, v

    def text_cells(self):
        return sorted((r, c, v) for r, c, v in self.cells() if isinstance(v, str))

    def ref(self, r0=None, c0=None, r1=None, c1=None) -> str:
        return f"{a1(self.r0 if r0 is None else r0, self.c0 if c0 is None else c0)}:" \
               f"{a1(self.r1 if r1 is None else r1, self.c1 if c1 is None else c1)}"


@dataclass
class Block:
    name: str            # title / fields / funds / goal / indicators / total
    label: str           # the label it was found by
    range: str           # A3:H9


@dataclass
class Value:
    value: object
    cell: str            # 表1!C5 ('' when absent)


@dataclass
class Row:
    """One indicator row of the table as typed."""
    kind: str | None     # output / benefit / satisfaction (None: its 一级指标 is not one of the spec's kinds)
    level1: str
    level2: str
    name: str
    row: int             # 0-based sheet row
    values: dict[str, Value] = field(default_factory=dict)   # direction, value, unit, actual, weight, score, reason

    def get(self, k):
        v = self.values.get(k)
        return v.value if v else None

    def cell(self, k) -> str:
        v = self.values.get(k)
        return v.cell if v else ""


@dataclass
class FoundForm:
    sheet: str
    region: str
    title: Value | None
    blocks: list[Block] = field(default_factory=list)
    fields: dict[str, Value] = field(default_factory=dict)
    funds: dict[str, dict[str, Value]] = field(default_factory=dict)    # total / source name → column → value
    goal: dict[str, Value] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    total: dict[str, Value] = field(default_factory=dict)               # weight / score
    missing: list[tuple[str, str]] = field(default_factory=list)        # (block, labels tried): not understood
    absent: list[tuple[str, str]] = field(default_factory=list)         # optional blocks not found (总分)

    @property
    def understood(self) -> bool:
        return not self.missing


# ------------------------------------------------------------------ finding forms in a sheet

def _title_cells(grid: Grid, titles) -> list[tuple[int, int]]:
    """Cells that are a form's title (2022年度XX局项目支出绩效自评表, 项目支出绩效自评表（2022年度）) — not a note
    that mentions it (注：…), which would split a form in two."""
    out = []
    for (r, c), v in grid.cells.items():
        if not isinstance(v, str):
            continue
        t = norm(v)
        if t.startswith(("注", "说明", "备注", "填表说明")) or len(t) > len(norm(titles[0])) + 24:
            continue
        if any(0 <= t.find(norm(x)) <= 16 for x in titles):
            out.append((r, c))
    return sorted(out)


def regions(grid: Grid, layout: AnchoredLayout) -> list[tuple[Region, tuple[int, int] | None]]:
    """The parts of a sheet holding one form each: split at every title; forms side by side split at the
    titles' columns. A sheet without the title is one region (exports often drop the title)."""
    if not grid.cells:
        return []
    titles = _title_cells(grid, layout.form_title) if layout.form_title else []
    full = Region(grid, 0, grid.rows - 1, 0, grid.cols - 1)
    if not titles:
        return [(full, None)]
    bands: dict[int, list[int]] = {}
    for r, c in titles:
        bands.setdefault(r, []).append(c)
    starts_ = sorted(bands)
    out = []
    for i, r in enumerate(starts_):
        r_end = starts_[i + 1] - 1 if i + 1 < len(starts_) else grid.rows - 1
        cols = sorted(bands[r])
        for j, c in enumerate(cols):
            c0 = 0 if j == 0 else c
            c1 = cols[j + 1] - 1 if j + 1 < len(cols) else grid.cols - 1
            out.append((Region(grid, r if i else 0, r_end, c0, c1), (r, c)))
    return out


def _find_header(reg: Region, columns: dict[str, list[str]], required, after: int = -1,
                 before: int | None = None) -> tuple[int, dict[str, int]] | None:
    """The first row (after ``after``) holding every required column label; column key → column index.
    Multi-row headers (merged over two rows) are searched one row down too."""
    by_row: dict[int, list[tuple[int, str]]] = {}
    for r, c, v in reg.text_cells():
        if r > after and (before is None or r < before):
            by_row.setdefault(r, []).append((c, v))
    for r in sorted(by_row):
        cand = by_row[r] + by_row.get(r + 1, [])
        cols: dict[str, int] = {}
        quality: dict[str, int] = {}
        for key, labels in columns.items():
            for c, v in sorted(cand):
                q = match(v, labels, loose=True)
                if q and c not in cols.values() and q > quality.get(key, 0):
                    cols[key], quality[key] = c, q
                    if q == 2:
                        break
        on_row = {c for c, _ in by_row[r]}
        if all(k in cols for k in required) and cols[required[0]] in on_row:
            return r, cols
    return None


def _partial(reg: Region, columns: dict[str, list[str]], required, before: int | None = None) -> str:
    """Why a header was not found: the row that comes closest and the required labels it lacks."""
    best = None
    rows: dict[int, list[str]] = {}
    for r, c, v in reg.text_cells():
        if before is None or r < before:
            rows.setdefault(r, []).append(v)
    for r, texts in sorted(rows.items()):
        have = [k for k in required if any(match(t, columns[k], loose=True) for t in texts)]
        if have and (best is None or len(have) > len(best[1])):
            best = (r, have)
    if best is None:
        return "找不到表头，应含 " + "、".join(columns[k][0] for k in required)
    r, have = best
    lack = [k for k in required if k not in have]
    return (f"第 {r + 1} 行的表头有 " + "、".join(columns[k][0] for k in have) + "，缺少 "
            + "、".join("/".join(columns[k]) for k in lack))


def _header_end(reg: Region, r: int, cols: dict[str, int]) -> int:
    """Last row of a header whose cells may be merged over several rows (or continue on a second label row)."""
    end = r
    for c in cols.values():
        if reg.grid.get(r, c) is not None:
            end = max(end, reg.grid.merge_of(r, c)[2])
    if end == r and _is_label_row(reg, r + 1, cols):
        end = r + 1
    return end


def _is_label_row(reg, r, cols) -> bool:
    vals = [reg.grid.get(r, c) for c in cols.values()]
    return all(v is None or isinstance(v, str) and not any(ch.isdigit() for ch in v) for v in vals) and \
        any(v is not None for v in vals)


def _right_value(reg: Region, r: int, c: int, labels: list[str]):
    """The first non-empty cell right of a label (past its merged range), unless that is another label."""
    c_from = reg.grid.merge_of(r, c)[3] + 1
    for cc in range(c_from, reg.c1 + 1):
        v = reg.grid.get(r, cc)
        if v is None:
            continue
        if isinstance(v, str) and norm(v) and any(match(v, [lab]) for lab in labels):
            return None, (r, cc)
        return v, (r, cc)
    return None, None


def find_forms(grid: Grid, layout: AnchoredLayout) -> list[FoundForm]:
    """Every form of ``layout`` in one sheet (a region without an indicator table is not a form)."""
    out = []
    for reg, title in regions(grid, layout):
        f = read_region(reg, title, layout)
        if title is not None or not any(b == "indicators" for b, _ in f.missing):
            out.append(f)
    return out


def read_region(reg: Region, title, layout: AnchoredLayout) -> FoundForm:
    g = reg.grid
    f = FoundForm(sheet=g.name, region=reg.ref(), title=Value(g.get(*title), g.addr(*title)) if title else None)
    if title:
        f.blocks.append(Block("title", str(g.get(*title)), a1(*title)))
    labels = layout.all_labels()
    ind = layout.indicators
    head = _find_header(reg, ind["columns"], ind.get("required_columns", ["level1", "name", "weight", "score"]))
    if head is None:
        f.missing.append(("indicators", _partial(reg, ind["columns"], ind.get("required_columns",
                                                                              ["level1", "name", "weight", "score"]))))
    # fields (above the indicator table)
    limit = head[0] if head else reg.r1 + 1
    for key, labs in layout.fields.items():
        for r, c, v in reg.text_cells():
            if r < limit and match(v, labs) == 2 or (r < limit and match(v, labs) == 1 and len(norm(v)) <= 12):
                val, pos = _right_value(reg, r, c, labels)
                f.fields[key] = Value(val, g.addr(*pos) if pos else g.addr(r, c))
                f.blocks.append(Block(f"field:{key}", str(v), a1(r, c)))
                break
    for key in layout.required_fields:
        if key not in f.fields:
            f.missing.append((f"field:{key}", "找不到标签 " + "、".join(layout.fields.get(key, [key]))))
    _read_funds(reg, layout, f, limit)
    _read_goal(reg, layout, f, limit)
    if head:
        _read_rows(reg, layout, f, *head)
    return f


def _read_funds(reg: Region, layout, f: FoundForm, limit: int):
    fd = layout.funds
    if not fd:
        return
    head = _find_header(reg, fd["columns"], fd.get("required_columns", ["adjusted", "actual"]), before=limit)
    if head is None:
        f.missing.append(("funds", _partial(reg, fd["columns"], fd.get("required_columns", ["adjusted", "actual"]),
                                            before=limit)))
        return
    r, cols = head
    end = _header_end(reg, r, cols)
    first_money = min(cols[k] for k in ("initial", "adjusted", "actual") if k in cols)
    r_last = r
    g = reg.grid
    names = [("total", fd["total"])] + list(fd["sources"].items())
    for rr in range(end + 1, min(limit, end + 12)):
        label = " ".join(str(g.get(rr, c)) for c in range(reg.c0, first_money) if isinstance(g.get(rr, c), str))
        hit = None
        for cand in [str(g.get(rr, c)) for c in range(reg.c0, first_money) if isinstance(g.get(rr, c), str)][::-1]:
            hit = next((name for name, labs in names if starts(cand, labs)), None)
            if hit:
                break
        if hit is None:
            if label and any(starts(label, layout.goal.get("anchor", [])) for _ in [0]):
                break
            continue
        if hit in f.funds:
            continue
        f.funds[hit] = {k: Value(g.get(rr, c), g.addr(rr, c)) for k, c in cols.items()}
        r_last = rr
    if "total" not in f.funds and not any(k != "total" for k in f.funds):
        f.missing.append(("funds", "表头下找不到行标签 " + "、".join(fd["total"] + [x for v in fd["sources"].values()
                                                                                 for x in v])))
        return
    anchor = next(((rr, c) for rr, c, v in reg.text_cells() if rr <= r_last and match(v, fd.get("anchor", [])) > 0), None)
    top = min(r, anchor[0]) if anchor else r
    left = min([anchor[1]] if anchor else [] + [first_money])
    f.blocks.append(Block("funds", str(g.get(*anchor)) if anchor else "",
                          reg.ref(top, min(left, first_money - 1), r_last, max(cols.values()))))


def _read_goal(reg: Region, layout, f: FoundForm, limit: int):
    goal = layout.goal
    if not goal:
        return
    g = reg.grid
    anchor = next(((r, c) for r, c, v in reg.text_cells() if r < limit and starts(v, goal.get("anchor", []))), None)
    if anchor is None:
        return
    for key in ("planned", "actual"):
        labs = goal.get(key) or []
        pos = next(((r, c) for r, c, v in reg.text_cells()
                    if anchor[0] <= r <= anchor[0] + 3 and r < limit and match(v, labs) and (r, c) != anchor), None)
        if pos is None:
            continue
        m = g.merge_of(*pos)
        for rr in range(m[2] + 1, min(limit, m[2] + 4)):     # the text below its heading
            v = g.get(rr, pos[1])
            if v is not None:
                f.goal[key] = Value(v, g.addr(rr, pos[1]))
                break
    f.blocks.append(Block("goal", str(g.get(*anchor)), a1(*anchor)))


_PLACEHOLDER = re.compile(r"^(指标\d+[:：]?|…+|\.{3,}|/)$")


def _read_rows(reg: Region, layout, f: FoundForm, r: int, cols: dict[str, int]):
    g = reg.grid
    ind = layout.indicators
    end = _header_end(reg, r, cols)
    lv1 = lv2 = ""
    last = end
    for rr in range(end + 1, reg.r1 + 1):
        heads = [g.get(rr, cols[k]) for k in ("level1", "level2", "name") if k in cols]
        if any(isinstance(h, str) and match(h, layout.total) for h in heads) or \
                any(isinstance(g.get(rr, c), str) and match(g.get(rr, c), layout.total) == 2
                    for c in range(reg.c0, min(cols.values()) + 1)):
            f.total = {k: Value(g.get(rr, cols[k]), g.addr(rr, cols[k])) for k in ("weight", "score") if k in cols}
            if f.total.get("score") is None or f.total["score"].value is None:   # "总分 100 95" left of the columns
                nums = [(c, g.get(rr, c)) for c in range(reg.c0, reg.c1 + 1)
                        if isinstance(g.get(rr, c), (int, float)) and not isinstance(g.get(rr, c), bool)]
                if nums:
                    f.total["score"] = Value(nums[-1][1], g.addr(rr, nums[-1][0]))
            f.blocks.append(Block("total", "总分", a1(rr, cols.get("score", reg.c0))))
            last = rr
            break
        v1 = g.get(rr, cols["level1"])
        if v1 is not None:
            lv1 = str(v1)
            lv2 = ""
        if "level2" in cols and g.get(rr, cols["level2"]) is not None:
            lv2 = str(g.get(rr, cols["level2"]))
        name = g.get(rr, cols["name"])
        vals = {k: Value(g.get(rr, c), g.addr(rr, c)) for k, c in cols.items() if k not in ("level1", "level2", "name")}
        typed = [vals[k].value for k in ("weight", "score", "value", "actual") if k in vals]
        if name is None and all(x is None for x in typed):
            continue
        sname = norm(name)
        if (not sname or _PLACEHOLDER.match(sname)) and all(x is None for x in typed):
            continue
        if isinstance(name, str) and match(name, ind["columns"]["name"]):
            continue                                   # a repeated header row
        kind = next((k for k, labs in ind.get("kinds", {}).items() if starts(lv1, labs)), None)
        if kind is None:
            kind = next((k for k, labs in ind.get("kinds", {}).items() if starts(lv2, labs)), None)
        row = Row(kind, norm(lv1), norm(lv2), "" if name is None else str(name).strip(), rr, vals)
        row.values["name"] = Value(name, g.addr(rr, cols["name"]))
        f.rows.append(row)
        last = rr
    if not f.total:
        f.absent.append(("total", "找不到标签 " + "、".join(layout.total)))
    f.blocks.append(Block("indicators", "、".join(str(g.get(r, c)) for c in sorted(cols.values())[:3]),
                          reg.ref(r, min(cols.values()), last, max(cols.values()))))


"""The bureau's budget-execution ledger (台账): per unit and fund source, money read exactly as Decimal 万元.

A ledger with a 项目编码 column also holds project rows: each is added to its unit's figures (as before) and kept
per project in ``Ledger.projects`` (per fund source, or one 合计 row per project), for project forms."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from pathlib import Path

import yaml

from workbook_tools.errors import SpecError, UsageError
from workbook_tools.numbers import ZERO, num, parse_number_text
from workbook_tools.files.tables import Table, code_text, find_columns, read_table
from workbook_tools.files.specsheet import load_spec
from workbook_tools.model.spec import list_specs

# field → (canonical header, aliases…); matching ignores spaces, bracketed units like “（元）” and ASCII case
LEDGER_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("单位编码", "编码", "单位代码", "agencyCode"),
    "name": ("单位名称", "名称", "unitName"),
    "source": ("资金来源", "资金性质", "资金类型"),
    "initial": ("年初预算", "年初预算数"),
    "adjusted": ("调整后预算", "调整后预算数", "全年预算数", "全年预算", "年度预算数", "预算数"),
    "actual": ("实际支出", "实际支出数", "执行数", "全年执行数", "支出数"),
    "mid_budget": ("1-6月预算", "1-6月预算数", "上半年预算数"),
    "mid_actual": ("1-6月实际支出", "1-6月实际支出数", "1-6月执行数", "上半年实际支出数"),
    "project_code": ("项目编码", "项目代码", "项目编号", "projectCode"),   # project rows: see LedgerProject
    "project_name": ("项目名称", "projectName"),
}
REQUIRED = ("code", "source", "initial", "adjusted", "actual")    # source is optional with a project_code column
PROJECT_TOTAL = "合计"             # LedgerProject.rows key of a project's total row (no fund source)
MONEY = ("initial", "adjusted", "actual", "mid_budget", "mid_actual")
MONEY_UNITS = ("元", "万元")
DEFAULT_SOURCES = ("一般公共预算", "政府性基金预算", "国有资本经营预算", "其他资金")
SOURCE_ALIASES = {"其他": "其他资金", "其它": "其他资金", "其它资金": "其他资金", "一般公共": "一般公共预算", "一般预算": "一般公共预算",
                  "政府性基金": "政府性基金预算", "基金预算": "政府性基金预算", "国有资本经营": "国有资本经营预算"}
TOTAL_WORDS = ("合计", "总计", "小计")

_HEAD_UNIT = re.compile(r"[（(]\s*(?:金额)?(?:单位\s*[:：]\s*)?(千元|万元|亿元|元)\s*[）)]")
_NOTE_UNIT = re.compile(r"单位\s*[:：]\s*(千元|万元|亿元|元)")


@dataclass(frozen=True)
class Figures:
    """One unit's money for one fund source (or the total), in 万元; mid-year None when the ledger has none."""
    initial: Decimal = ZERO
    adjusted: Decimal = ZERO
    actual: Decimal = ZERO
    mid_budget: Decimal | None = None
    mid_actual: Decimal | None = None

    def get(self, key: str) -> Decimal | None:
        return getattr(self, key)

    def __add__(self, other: "Figures") -> "Figures":
        def add(a, b):
            return None if a is None and b is None else (a or ZERO) + (b or ZERO)
        return Figures(*(add(getattr(self, f.name), getattr(other, f.name)) for f in fields(self)))

    def is_zero(self) -> bool:
        return all(not v for v in (getattr(self, f.name) for f in fields(self)))


@dataclass
class LedgerUnit:
    code: str
    name: str = ""
    sources: dict[str, Figures] = field(default_factory=dict)    # fund source (the spec's name) → figures
    rows: dict[str, list[int]] = field(default_factory=dict)     # fund source → row numbers in the file

    @property
    def total(self) -> Figures:
        return sum(self.sources.values(), Figures())


@dataclass
class LedgerProject:
    """One project's money (万元): per fund source, or only its total when the ledger gives one row per project."""
    code: str                          # 项目编码
    unit: str                          # 单位编码 of the unit that carries it
    name: str = ""                     # 项目名称
    unit_name: str = ""
    sources: dict[str, Figures] = field(default_factory=dict)    # fund source → figures
    rows: dict[str, list[int]] = field(default_factory=dict)     # fund source (or PROJECT_TOTAL) → row numbers
    total_row: Figures | None = None   # a row without fund source (blank or 合计): the project's total

    @property
    def by_source(self) -> bool:
        """True when the ledger splits the project by fund source (its 合计 row, if any, is then not used)."""
        return bool(self.sources)

    @property
    def total(self) -> Figures:
        if self.sources:
            return sum(self.sources.values(), Figures())
        return self.total_row or Figures()


@dataclass
class Ledger:
    source: str                        # the file
    units: dict[str, LedgerUnit]       # unit code → its figures
    money_unit: str                    # the unit the file states (元 / 万元); figures are always 万元
    columns: dict[str, str]            # field → header used
    has_midyear: bool = False
    projects: dict[str, LedgerProject] = field(default_factory=dict)   # 项目编码 → project (project rows only)

    @property
    def has_projects(self) -> bool:
        """A project-level ledger: at least one row carries a 项目编码."""
        return bool(self.projects)

    def unit_projects(self, unit_code: str) -> list[LedgerProject]:
        return [p for p in self.projects.values() if p.unit == unit_code]

    @property
    def name(self) -> str:
        return Path(self.source).name


@dataclass
class LedgerConfig:
    """A --columns YAML: header names per field (replacing the defaults), a money unit, fund source aliases."""
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unit: str | None = None
    sources: dict[str, str] = field(default_factory=dict)
    sheet: str | None = None


def read_ledger(path: str | Path, *, unit: str | None = None, columns=None,
                sources: tuple[str, ...] | None = None, sheet: str | None = None) -> Ledger:
    """Read a ledger file; ``unit`` (元/万元) states the money unit, ``columns`` is a LedgerConfig, dict or YAML path."""
    cfg = columns if isinstance(columns, LedgerConfig) else load_config(columns)
    unit = _check_unit(unit or cfg.unit, "--unit")
    table = read_table(path, sheet=sheet or cfg.sheet)
    spec_cols = {k: cfg.columns.get(k, v) for k, v in LEDGER_COLUMNS.items()}
    # 资金来源 may be left out when rows are whole projects (项目编码 and one total per project)
    found = find_columns(table, spec_cols, (), "台账", config_hint=True)
    required = tuple(k for k in REQUIRED if k != "source") if "project_code" in found else REQUIRED
    cols = find_columns(table, spec_cols, required, "台账", config_hint=True)
    units_by_field = _money_units(table, cols, unit)
    default = DEFAULT_SOURCES + (project_sources() if "project_code" in cols else ())
    known = tuple(sources or default) + tuple(v for v in cfg.sources.values())
    ledger = Ledger(str(path), {}, "/".join(sorted(set(units_by_field.values()))), cols,
                    has_midyear=any(k in cols for k in ("mid_budget", "mid_actual")))
    _fill(ledger, table, cols, units_by_field, known, cfg.sources)
    return ledger


def project_sources() -> tuple[str, ...]:
    """The fund sources of the shipped project forms (本年财政拨款, 上年结转资金…): a ledger with a 项目编码 column
    read without a spec may use them."""
    out: list[str] = []
    for sid in list_specs():
        try:
            spec = load_spec(sid)
        except SpecError:
            continue
        if spec.kind == "project":
            out += [s for s in spec.funds.sources if s not in out]
    return tuple(out)


# ------------------------------------------------------------------ configuration

def load_config(src) -> LedgerConfig:
    """A LedgerConfig from None, a mapping, or a YAML file (every unknown key is a UsageError)."""
    if src is None:
        return LedgerConfig()
    where = "列名配置"
    if isinstance(src, (str, Path)):
        where = Path(src).name
        try:
            src = yaml.safe_load(Path(src).read_text(encoding="utf-8-sig")) or {}
        except (OSError, yaml.YAMLError, UnicodeDecodeError) as e:
            raise UsageError(f"无法读取列名配置文件 {where}：{e}", f"cannot read column map {where}: {e}") from None
    if not isinstance(src, dict):
        raise UsageError(f"列名配置 {where} 顶层应为映射（columns / unit / sources / sheet）",
                         f"column map {where} must be a mapping")
    _unknown(src, ("columns", "unit", "sources", "sheet"), where, "")
    cols = src.get("columns") or {}
    if not isinstance(cols, dict):
        raise UsageError(f"列名配置 {where} 的 columns 应为映射", f"{where}: columns must be a mapping")
    _unknown(cols, tuple(LEDGER_COLUMNS), where, "columns.")
    out = {}
    for k, v in cols.items():
        names = [v] if isinstance(v, str) else v
        if not isinstance(names, list) or not names or not all(isinstance(x, str) and x.strip() for x in names):
            raise UsageError(f"列名配置 {where} 的 columns.{k} 应为列名或列名列表",
                             f"{where}: columns.{k} must be a header name or a list of them")
        out[k] = tuple(x.strip() for x in names)
    srcs = src.get("sources") or {}
    if not isinstance(srcs, dict):
        raise UsageError(f"列名配置 {where} 的 sources 应为 “台账中的写法: 表单中的资金来源” 映射",
                         f"{where}: sources must map ledger names to form fund sources")
    return LedgerConfig(out, _check_unit(src.get("unit"), f"{where} 的 unit"),
                        {_norm_source(k): str(v) for k, v in srcs.items()},
                        str(src["sheet"]) if src.get("sheet") is not None else None)


def _unknown(d: dict, allowed: tuple[str, ...], where: str, prefix: str):
    bad = [str(k) for k in d if k not in allowed]
    if bad:
        raise UsageError(f"列名配置 {where} 中不认识的项：{'、'.join(prefix + b for b in bad)}（可用：{', '.join(allowed)}）",
                         f"{where}: unknown key(s) {', '.join(prefix + b for b in bad)} (known: {', '.join(allowed)})")


def _check_unit(u, where: str) -> str | None:
    if u is None or u == "":
        return None
    if str(u).strip() not in MONEY_UNITS:
        raise UsageError(f"{where} 的金额单位“{u}”无效，应为 元 或 万元", f"{where}: money unit '{u}' must be 元 or 万元")
    return str(u).strip()


# ------------------------------------------------------------------ money units

def _money_units(table: Table, cols: dict[str, str], option: str | None) -> dict[str, str]:
    """Field → money unit: a unit in the column header, else the file's note (金额单位：…) or --unit; all must agree."""
    note = next((m.group(1) for line in table.preamble for m in [_NOTE_UNIT.search(line)] if m), None)
    _supported(table, note, "表头上方的说明")
    if option and note and option != note:
        raise UsageError(f"{table.name} 注明“金额单位：{note}”，与指定的 --unit {option} 不一致，请核实。",
                         f"{table.name} states amounts in {note}, but --unit says {option}")
    base = option or note
    out, unknown = {}, []
    for key in (k for k in MONEY if k in cols):
        m = _HEAD_UNIT.search(cols[key])
        head = m.group(1) if m else None
        _supported(table, head, f"列“{cols[key]}”")
        if head and base and head != base:
            raise UsageError(f"{table.name} 的列“{cols[key]}”标明单位为{head}，与{'--unit' if option else '表头说明'}"
                             f"的{base}不一致，请核实。",
                             f"{table.name}: column '{cols[key]}' is in {head} but the file is stated in {base}")
        out[key] = head or base
        if not out[key]:
            unknown.append(cols[key])
    if unknown:
        raise UsageError(f"无法判断 {table.name} 的金额单位（列 {'、'.join(unknown)}）：请在表头注明，如“实际支出（元）”"
                         f"或“金额单位：万元”，或用 --unit 元 / --unit 万元 指定。",
                         f"cannot tell the money unit of {table.name} ({', '.join(unknown)}): "
                         f"state it in the header or give --unit 元|万元")
    return out


def _supported(table: Table, unit: str | None, where: str):
    if unit is not None and unit not in MONEY_UNITS:
        raise UsageError(f"{table.name} {where}的金额单位“{unit}”不受支持，请换算为元或万元。",
                         f"{table.name}: money unit {unit} is not supported; use 元 or 万元")


def to_wan(d: Decimal, unit: str) -> Decimal:
    """An amount in ``unit`` as 万元, exactly (元 → 万元 moves the decimal point four places)."""
    return d.scaleb(-4) if unit == "元" else d


def from_wan(d: Decimal | None, unit: str) -> Decimal | None:
    """A ledger amount (万元) in a form's money unit (the spec's ``money_unit``: 万元 or 元)."""
    if unit not in MONEY_UNITS:
        raise UsageError(f"表单的金额单位“{unit}”不是元或万元，无法与台账比对。",
                         f"the form's money unit '{unit}' is neither 元 nor 万元")
    return d.scaleb(4) if d is not None and unit == "元" else d


# ------------------------------------------------------------------ the ledger as form inputs

def money_fields(spec, ledger: Ledger) -> tuple[str, ...]:
    """The money columns both the form (spec) and the ledger have."""
    mid = ("mid_budget", "mid_actual") if spec.funds.midyear and ledger.has_midyear else ()
    return ("initial", "adjusted", "actual") + mid


def form_inputs(spec, unit: LedgerUnit, ledger: Ledger) -> dict[str, Decimal]:
    """Money input keys of the form → the ledger's figure in the form's unit (a source the ledger lacks is 0)."""
    out = {}
    for i, src in enumerate(spec.funds.sources):
        fig = unit.sources.get(src, Figures())
        for k in money_fields(spec, ledger):
            out[f"funds.{i}.{k}"] = from_wan(fig.get(k) or ZERO, spec.money_unit)
    return out


# ------------------------------------------------------------------ rows

def _norm_source(text) -> str:
    return re.sub(r"\s", "", str(text or ""))


def normalise_source(text, known=DEFAULT_SOURCES, extra: dict[str, str] | None = None) -> str | None:
    """A fund source as the ledger writes it → the form's name (其他 → 其他资金), or None when unknown."""
    s = _norm_source(text)
    if extra and s in extra:
        return extra[s]
    for cand in (s, SOURCE_ALIASES.get(s), s[:-2] if s.endswith("资金") else None, s + "资金"):
        if cand and cand in known:
            return cand
    return None


class _Problems(list):
    def add(self, row: int, zh: str, en: str):
        self.append((row, zh, en))

    def raise_if_any(self, name: str):
        if not self:
            return
        more = f"；另有 {len(self) - 10} 处" if len(self) > 10 else ""
        raise UsageError(f"台账 {name} 有 {len(self)} 处问题：" + "；".join(f"第 {r} 行{zh}" for r, zh, _ in self[:10])
                         + more + "。",
                         f"ledger {name}: {len(self)} problem(s): " + "; ".join(f"row {r}: {en}" for r, _, en in self[:10]))


def _is_total_row(*texts) -> bool:
    return any(isinstance(t, str) and t.replace(" ", "").startswith(TOTAL_WORDS) for t in texts)


def _fill(ledger: Ledger, table: Table, cols, units_by_field, known, extra):
    probs = _Problems()
    seen: dict[tuple, int] = {}
    owner: dict[str, tuple[str, int]] = {}       # 项目编码 → (unit code, first row)
    for n, row in table.rows:
        get = lambda k: row.get(cols[k]) if k in cols else None  # noqa: E731
        code, src_text = code_text(get("code")), get("source")
        pcode, pname = code_text(get("project_code")), get("project_name")
        if _is_total_row(code, get("name"), pname) or (not pcode and _is_total_row(src_text)):
            continue           # 合计 / 小计 lines would count the money twice
        if not code:
            probs.add(n, "缺少单位编码", "unit code missing")
            continue
        if pcode and (src_text in (None, "") or _is_total_row(src_text)):
            src = None         # a project's total row: used for that project only, not added to its unit
        else:
            src = normalise_source(src_text, known, extra)
            if src is None:
                probs.add(n, f"的资金来源“{src_text or '空'}”无法识别（应为 {'、'.join(dict.fromkeys(known))}）",
                          f"unknown fund source '{src_text}'")
                continue
        if pcode and owner.get(pcode, (code,))[0] != code:
            other, first = owner[pcode]
            probs.add(n, f"的项目编码 {pcode} 在第 {first} 行属于单位 {other}，此行为单位 {code}",
                      f"project {pcode} belongs to unit {other} in row {first}, here to {code}")
            continue
        key = (code, src, pcode)
        if key in seen:
            what = f"项目 {pcode} 的合计" if src is None else (f"项目 {pcode}，{src}" if pcode else src)
            probs.add(n, f"与第 {seen[key]} 行重复（单位 {code}，{what}）", f"repeats row {seen[key]} ({code}, {pcode} {src or ''})")
            continue
        seen[key] = n
        figs = _figures(n, row, cols, units_by_field, ledger.has_midyear, probs)
        if figs is None:
            continue
        if pcode:
            owner.setdefault(pcode, (code, n))
        _add_figures(ledger, n, figs, code, code_text(get("name")), src, pcode, pname)
    probs.raise_if_any(table.name)


def _add_figures(ledger: Ledger, n: int, figs, code: str, unit_name: str, src, pcode: str, pname) -> None:
    """One checked ledger row's money: added to its unit's source (project rows add up) and kept on its project
    (a source row, or the project's total row when ``src`` is None)."""
    if src is not None:
        lu = ledger.units.setdefault(code, LedgerUnit(code, unit_name))
        lu.sources[src] = lu.sources[src] + figs if src in lu.sources else figs   # project rows add up
        lu.rows.setdefault(src, []).append(n)
    if pcode:
        lp = ledger.projects.setdefault(pcode, LedgerProject(pcode, code))
        lp.name = lp.name or _text(pname)
        lp.unit_name = lp.unit_name or unit_name
        if src is None:
            lp.total_row = figs
        else:
            lp.sources[src] = figs
        lp.rows.setdefault(src or PROJECT_TOTAL, []).append(n)


def _text(v) -> str:
    return "" if v is None else " ".join(str(v).split())


def _figures(n, row, cols, units_by_field, midyear: bool, probs) -> Figures | None:
    vals, ok = {}, True
    for key in MONEY:
        if key not in cols:
            continue
        d = _money(row.get(cols[key]))
        if d is None:
            probs.add(n, f"“{cols[key]}”不是金额：{row.get(cols[key])}", f"'{cols[key]}' is not an amount")
            ok = False
        elif d < 0:
            probs.add(n, f"“{cols[key]}”为负数 {row.get(cols[key])}", f"'{cols[key]}' is negative")
            ok = False
        else:
            vals[key] = to_wan(d, units_by_field[key])
    if not ok:
        return None
    fig = Figures(**vals)
    if midyear:   # a ledger with only one mid-year column still has the other as 0 in the form
        fig = replace(fig, mid_budget=fig.mid_budget or ZERO, mid_actual=fig.mid_actual or ZERO)
    return fig


def _money(v) -> Decimal | None:
    """A ledger cell as Decimal: blank and “-” mean 0 (accounting exports leave zero cells so); text is parsed."""
    if v is None or (isinstance(v, str) and v.strip() in ("", "-", "—", "－", "--")):
        return ZERO
    if isinstance(v, str):
        return None if v.strip().endswith(("%", "％")) else parse_number_text(v)
    return num(v) if not hasattr(v, "year") else None   # a date is not an amount

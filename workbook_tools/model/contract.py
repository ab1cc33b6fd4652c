"""The spec contract's type language: one definition checks a YAML value at its path and yields its JSON Schema."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation


class Problems:
    """(yaml path, Chinese message, English message) triples, collected so every problem is reported at once."""

    def __init__(self):
        self.items: list[tuple[str, str, str]] = []

    def add(self, path: str, zh: str, en: str | None = None):
        self.items.append((path, zh, en or zh))

    def paths(self) -> set[str]:
        return {p for p, _, _ in self.items}


def join(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


def suggest(word, options) -> str | None:
    """The closest known word to a misspelt one (did you mean …)."""
    if not isinstance(word, str):
        return None
    hits = difflib.get_close_matches(word, [str(o) for o in options], n=1, cutoff=0.6)
    return hits[0] if hits else None


def _yaml_type(v) -> tuple[str, str]:
    """What a YAML value is, in Chinese and English, for "expected X, found Y"."""
    if v is None:
        return "空值", "null"
    if isinstance(v, bool):
        return f"布尔值 {str(v).lower()}", f"boolean {str(v).lower()}"
    if isinstance(v, (int, float)):
        return f"数字 {v}", f"number {v}"
    if isinstance(v, str):
        return f"文字 {v!r}", f"string {v!r}"
    if isinstance(v, list):
        return "列表 (list)", "a list"
    if isinstance(v, dict):
        return "映射 (mapping)", "a mapping"
    return type(v).__name__, type(v).__name__


class T:
    """A contract type: ``check`` reports problems at ``path`` (True when the value has the right shape)."""
    zh = en = ""
    doc = ""

    def check(self, v, path: str, probs: Problems) -> bool:
        raise NotImplementedError

    def schema(self) -> dict:
        raise NotImplementedError

    def wrong(self, v, path, probs) -> bool:
        fz, fe = _yaml_type(v)
        probs.add(path, f"应为{self.zh}，实际为{fz}", f"expected {self.en}, found {fe}")
        return False

    def _with_doc(self, s: dict) -> dict:
        if self.doc:
            s["description"] = self.doc
        return s


@dataclass
class Str(T):
    doc: str = ""
    zh = "文字"
    en = "a string"

    def check(self, v, path, probs):
        return True if isinstance(v, str) else self.wrong(v, path, probs)

    def schema(self):
        return self._with_doc({"type": "string"})


@dataclass
class Num(T):
    doc: str = ""
    zh = "数字"
    en = "a number"

    def check(self, v, path, probs):
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and v not in (float("inf"), float("-inf"))
        return True if ok else self.wrong(v, path, probs)

    def schema(self):
        return self._with_doc({"type": "number"})


@dataclass
class Int(T):
    doc: str = ""
    zh = "整数"
    en = "an integer"

    def check(self, v, path, probs):
        return True if isinstance(v, int) and not isinstance(v, bool) else self.wrong(v, path, probs)

    def schema(self):
        return self._with_doc({"type": "integer"})


@dataclass
class Bool(T):
    doc: str = ""
    zh = "true 或 false"
    en = "true or false"

    def check(self, v, path, probs):
        return True if isinstance(v, bool) else self.wrong(v, path, probs)

    def schema(self):
        return self._with_doc({"type": "boolean"})


@dataclass
class Enum(T):
    values: tuple
    doc: str = ""
    what_zh: str = ""
    what_en: str = ""

    def check(self, v, path, probs):
        if isinstance(v, (str, int, float)) and not isinstance(v, bool) and v in self.values:
            return True
        opts = " / ".join(str(x) for x in self.values)
        guess = suggest(v, self.values)
        hint_zh = f"；您是否想写 `{guess}`？" if guess else ""
        hint_en = f"; did you mean `{guess}`?" if guess else ""
        fz, fe = _yaml_type(v)
        if self.what_zh:
            probs.add(path, f"未知的{self.what_zh} {v}；可用：{', '.join(map(str, self.values))}{hint_zh}",
                      f"unknown {self.what_en} {v}; available: {', '.join(map(str, self.values))}{hint_en}")
        else:
            probs.add(path, f"应为 {opts} 之一，实际为{fz}{hint_zh}", f"expected one of {opts}, found {fe}{hint_en}")
        return False

    def schema(self):
        return self._with_doc({"enum": list(self.values)})


@dataclass
class ListOf(T):
    item: T
    doc: str = ""
    zh = "列表 (list)"
    en = "a list"

    def check(self, v, path, probs):
        if not isinstance(v, list):
            return self.wrong(v, path, probs)
        ok = True
        for i, x in enumerate(v):
            ok = self.item.check(x, f"{path}[{i}]", probs) and ok
        return ok

    def schema(self):
        return self._with_doc({"type": "array", "items": self.item.schema()})


@dataclass
class MapOf(T):
    """An open mapping: any string key (checked by the spec's meaning, not its shape) to values of one type."""
    value: T
    doc: str = ""
    zh = "映射 (mapping)"
    en = "a mapping"

    def check(self, v, path, probs):
        if not isinstance(v, dict):
            return self.wrong(v, path, probs)
        ok = True
        for k, x in v.items():
            ok = self.value.check(x, join(path, k), probs) and ok
        return ok

    def schema(self):
        return self._with_doc({"type": "object", "additionalProperties": self.value.schema()})


@dataclass
class Field:
    type: T
    required: bool = False
    doc: str = ""


@dataclass
class Record(T):
    """A closed mapping: known keys only (a misspelt key is an error with a "did you mean")."""
    fields: dict
    doc: str = ""
    what_zh: str = "键"          # words for an unknown key: "不认识的键 x" / "规则 bands 不认识参数 x"
    what_en: str = "key"
    missing_zh: str = "缺少必填项 {k}"
    missing_en: str = "required key {k} is missing"
    zh = "映射 (mapping)"
    en = "a mapping"

    def check(self, v, path, probs):
        if not isinstance(v, dict):
            return self.wrong(v, path, probs)
        ok = True
        for k, x in v.items():
            at = join(path, k)
            f = self.fields.get(k)
            if f is None:
                guess = suggest(k, self.fields)
                probs.add(at, f"不认识的{self.what_zh} `{k}`" + (f"；您是否想写 `{guess}`？" if guess else
                                                               f"；可用：{', '.join(self.fields)}"),
                          f"unknown {self.what_en} `{k}`" + (f"; did you mean `{guess}`?" if guess else
                                                              f"; allowed: {', '.join(self.fields)}"))
                ok = False
            else:
                ok = f.type.check(x, at, probs) and ok
        for k, f in self.fields.items():
            if f.required and k not in v:
                probs.add(join(path, k), self.missing_zh.format(k=k), self.missing_en.format(k=k))
                ok = False
        return ok

    def schema(self):
        s = {"type": "object", "additionalProperties": False,
             "properties": {k: _field_schema(f) for k, f in self.fields.items()}}
        req = [k for k, f in self.fields.items() if f.required]
        if req:
            s["required"] = req
        return self._with_doc(s)


def _field_schema(f: Field) -> dict:
    s = dict(f.type.schema())
    if f.doc and "description" not in s:
        s["description"] = f.doc
    return s


@dataclass
class AnyOf(T):
    """One of several shapes (e.g. ``true`` or a mapping); the value is checked against the first that fits."""
    options: tuple
    doc: str = ""

    def check(self, v, path, probs):
        for t in self.options:
            trial = Problems()
            if t.check(v, path, trial):
                return True
        # no shape fits: report against the option of the value's own YAML type, else a summary
        for t in self.options:
            if isinstance(t, (Record, MapOf)) and isinstance(v, dict) or isinstance(t, ListOf) and isinstance(v, list):
                return t.check(v, path, probs)
        fz, fe = _yaml_type(v)
        probs.add(path, f"应为{'或'.join(t.zh for t in self.options)}，实际为{fz}",
                  f"expected {' or '.join(t.en for t in self.options)}, found {fe}")
        return False

    @property
    def zh(self):
        return "或".join(t.zh for t in self.options)

    @property
    def en(self):
        return " or ".join(t.en for t in self.options)

    def schema(self):
        return self._with_doc({"anyOf": [t.schema() for t in self.options]})


@dataclass
class Ref(T):
    """A named type defined elsewhere (recursive: an indicator's children are indicators)."""
    name: str
    table: dict = field(repr=False, default_factory=dict)
    doc: str = ""

    @property
    def zh(self):
        return self.table[self.name].zh

    @property
    def en(self):
        return self.table[self.name].en

    def check(self, v, path, probs):
        return self.table[self.name].check(v, path, probs)

    def schema(self):
        return self._with_doc({"$ref": f"#/definitions/{self.name}"})


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

"""The strict spec contract: unknown keys and wrong types are errors at their YAML path, never internal errors."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rule_examples import example_spec_data

from workbook_tools.cli import main
from workbook_tools.errors import SpecError
from workbook_tools.model.spec import list_specs, parse_spec, spec_dir
from workbook_tools.model.specformat import check_shape, json_schema

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC_FILES = sorted(spec_dir().glob("*.yaml")) + [HERE / "specs" / "kitchen-sink.yaml"]


def _load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _small():
    return {"id": "t", "version": "1", "title": "t", "total_weight": 10,
            "funds": {"sources": ["一般公共预算"], "midyear": {"label": "1-6月", "target_progress": 0.5}},
            "targets": {"kinds": [{"key": "output", "label": "产出指标", "rows": 3}]},
            "tree": [{"id": "1", "name": "a", "weight": 10, "children": [
                {"id": "1.1", "name": "b", "weight": 6, "rule": {"type": "proportional", "target": 0.9}},
                {"id": "1.2", "name": "c", "weight": 4, "rule": {"type": "deduct_per_case", "per_case": 1}}]}]}


def _problems(doc) -> dict[str, str]:
    with pytest.raises(SpecError) as e:
        parse_spec(doc, source="x.yaml")
    return dict(e.value.problems)


def _set(doc, path, value):
    cur = doc
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = value
    return doc


def _rename(doc, path, new):
    cur = doc
    for k in path[:-1]:
        cur = cur[k]
    cur[new] = cur.pop(path[-1])
    return doc


LEAF = ("tree", 0, "children", 0)

# (how to break the small valid spec, YAML path of the problem, words the Chinese message must hold)
UNKNOWN_KEYS = [
    (lambda d: _set(d, ("inaplicable",), "full_marks"), "inaplicable", "您是否想写 `inapplicable`"),
    (lambda d: _set(d, LEAF + ("standrad",), "x"), "tree[0].children[0].standrad", "您是否想写 `standard`"),
    (lambda d: _rename(d, ("funds", "midyear"), "midyaer"), "funds.midyaer", "您是否想写 `midyear`"),
    (lambda d: _rename(d, ("funds", "midyear", "target_progress"), "target_progres"),
     "funds.midyear.target_progres", "您是否想写 `target_progress`"),
    (lambda d: _set(d, ("targets", "kinds", 0, "rowz"), 3), "targets.kinds[0].rowz", "您是否想写 `rows`"),
    (lambda d: _set(d, LEAF + ("rule", "targett"), 1), "tree[0].children[0].rule.targett", "您是否想写 `target`"),
    (lambda d: _set(d, LEAF + ("rule",), "manul"), "tree[0].children[0].rule", "您是否想写 `manual`"),
    (lambda d: _set(d, LEAF + ("rule", "type"), "proportinal"), "tree[0].children[0].rule.type", "您是否想写 `proportional`"),
    (lambda d: _set(d, ("inapplicable",), "full_mark"), "inapplicable", "您是否想写 `full_marks`"),
    (lambda d: _set(d, ("kind",), "projet"), "kind", "您是否想写 `project`"),
    (lambda d: _set(d, ("severities",), {"low-exec-rat": "error"}), "severities.low-exec-rat", "您是否想写 `low-exec-rate`"),
    (lambda d: _set(d, ("tree", 0, "children", 1, "rule"), {"type": "bands", "bands": [{"le": 1, "pionts": 1}]}),
     "tree[0].children[1].rule.bands[0].pionts", "您是否想写 `points`"),
]

WRONG_TYPES = [
    (lambda d: _set(d, ("funds",), ["一般公共预算"]), "funds", "应为映射 (mapping)，实际为列表"),
    (lambda d: _set(d, ("tree",), {"id": "1"}), "tree", "应为列表 (list)，实际为映射"),
    (lambda d: _set(d, ("targets",), "output"), "targets", "应为映射 (mapping)，实际为文字"),
    (lambda d: _set(d, ("cover",), {"key": "x", "label": "y"}), "cover", "应为列表"),
    (lambda d: _set(d, ("cover",), ["单位名称"]), "cover[0]", "应为映射"),
    (lambda d: _set(d, LEAF + ("weight",), "六"), "tree[0].children[0].weight", "应为数字"),
    (lambda d: _set(d, LEAF + ("rule", "target"), "90%"), "tree[0].children[0].rule.target", "应为数字"),
    (lambda d: _set(d, LEAF + ("rule",), 5), "tree[0].children[0].rule", "应为计分规则名或映射"),
    (lambda d: _set(d, ("targets", "kinds", 0, "rows"), "3"), "targets.kinds[0].rows", "应为整数"),
    (lambda d: _set(d, ("funds", "midyear", "target_progress"), [0.5]), "funds.midyear.target_progress", "应为数字"),
    (lambda d: _set(d, ("severities",), ["low-exec-rate"]), "severities", "应为映射"),
    (lambda d: _set(d, ("grades",), {"优": 90}), "grades", "应为列表"),
    (lambda d: _set(d, ("form_rules",), {"execution_cap": [{"below": 0.5, "max_total": 59}]}),
     "form_rules.execution_cap", "应为映射"),
    (lambda d: _set(d, ("tree", 0, "children"), None), "tree[0].children", "应为列表 (list)，实际为空值"),
    (lambda d: _set(d, ("instructions",), "请如实填写"), "instructions", "应为列表"),
    (lambda d: _set(d, ("funds", "project_counts"), "yes"), "funds.project_counts", "应为true 或 false或映射"),
    (lambda d: _set(d, LEAF + ("id",), 1.1), "tree[0].children[0].id", "应为文字"),
    (lambda d: _set(d, ("inapplicable",), ["rescale"]), "inapplicable", "应为 forbidden / full_marks / rescale 之一"),
]


@pytest.mark.parametrize("breaks,path,words", UNKNOWN_KEYS + WRONG_TYPES)
def test_each_shape_problem_is_named_at_its_yaml_path(breaks, path, words):
    probs = _problems(breaks(_small()))
    assert path in probs, probs
    assert words in probs[path], probs[path]


def test_a_missing_key_is_named_with_the_rule():
    doc = _small()
    del doc["tree"][0]["children"][0]["rule"]["target"]
    assert "规则 proportional 缺少参数 target" in _problems(doc)["tree[0].children[0].rule.target"]


def test_english_messages_say_the_same():
    doc = _set(_small(), ("inaplicable",), "full_marks")
    _set(doc, ("funds",), [])
    with pytest.raises(SpecError) as e:
        parse_spec(doc, source="x.yaml")
    en = e.value.message("en")
    assert "inaplicable: unknown key `inaplicable`; did you mean `inapplicable`?" in en
    assert "funds: expected a mapping, found a list" in en
    doc = _small()
    doc["tree"][0]["children"][0]["weight"] = 7        # a meaning problem: weights that do not add up
    with pytest.raises(SpecError) as e:
        parse_spec(doc, source="x.yaml")
    assert "the children's weights add up to 11 ≠ the weight 10" in e.value.message("en")
    assert "下级分值合计 11 ≠ 本级分值 10" in e.value.message("zh")


def test_shipped_specs_pass_the_contract():
    for path in SPEC_FILES:
        assert check_shape(_load(path)).items == [], path


@pytest.mark.parametrize("lang,words", [(None, "您是否想写 `inapplicable`"), ("en", "did you mean `inapplicable`")])
def test_specs_check_reports_and_exits_2(tmp_path, lang, words):
    doc = _small()
    doc["inaplicable"] = "rescale"
    doc["funds"] = ["一般公共预算"]                   # a block of the wrong YAML type: once an internal error
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    args = (["--lang", lang] if lang else []) + ["specs", "--check", str(p)]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2, r.output
    assert words in r.output and "funds" in r.output
    assert "Traceback" not in r.output and "内部错误" not in r.output and "internal error" not in r.output


def test_a_block_of_the_wrong_type_in_any_command_is_a_spec_error(tmp_path):
    doc = _small()
    doc["targets"] = [{"key": "output"}]
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    r = CliRunner().invoke(main, ["template", "--spec", str(p), "-o", str(tmp_path / "t.xlsx")])
    assert r.exit_code == 2 and "targets" in r.output and "应为映射" in r.output
    assert not (tmp_path / "t.xlsx").exists()


# ------------------------------------------------------------------ mutations (hypothesis)

def _paths(node, at=()):
    """Every (path, value) inside a YAML document."""
    yield at, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, at + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, at + (i,))


VALID = [_load(p) for p in SPEC_FILES] + [example_spec_data("full_marks"), example_spec_data("rescale"), _small()]
OTHER_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 200), st.floats(allow_nan=False, allow_infinity=False),
                         st.text(max_size=6), st.just([]), st.just({}), st.lists(st.integers(0, 3), max_size=2),
                         st.dictionaries(st.sampled_from(["type", "id", "x", "weight"]), st.integers(0, 3), max_size=2))


@st.composite
def mutated(draw):
    doc = copy.deepcopy(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p, _ in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        op = draw(st.sampled_from(["rename", "delete", "retype"]))
        if op == "rename" and isinstance(parent, dict):
            new = draw(st.one_of(st.text(min_size=1, max_size=8), st.sampled_from(
                [str(path[-1])[:-1] or "x", str(path[-1]) + "s", "type", "children", "rule", "weight", "items"])))
            if new not in parent:
                parent[new] = parent.pop(path[-1])
        elif op == "delete":
            parent.pop(path[-1]) if isinstance(parent, dict) else parent.pop(path[-1])
        else:
            parent[path[-1]] = draw(OTHER_VALUES)
    return doc


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_specs_give_only_spec_errors(doc):
    """Renamed and deleted keys, values of other types: a Spec or a SpecError, never another exception."""
    try:
        parse_spec(doc, source="mutated.yaml")
    except SpecError as e:
        assert e.problems and all(isinstance(p, str) and m for p, m in e.problems)
        assert len(e.problems_en) == len(e.problems)


# ------------------------------------------------------------------ the JSON Schema

jsonschema = pytest.importorskip("jsonschema")


def test_specs_schema_prints_the_published_schema(tmp_path):
    r = CliRunner().invoke(main, ["specs", "--schema"])
    assert r.exit_code == 0
    assert r.output == (ROOT / "docs" / "spec.schema.json").read_text(encoding="utf-8")
    assert json.loads(r.output)["properties"]["inapplicable"]["enum"] == ["forbidden", "full_marks", "rescale"]


def test_shipped_specs_validate_against_the_published_schema():
    schema = json.loads((ROOT / "docs" / "spec.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    v = jsonschema.Draft7Validator(schema)
    for path in SPEC_FILES:
        assert [e.message for e in v.iter_errors(_load(path))] == [], path
    assert {p.stem for p in SPEC_FILES} >= set(list_specs())


_VALIDATOR = []


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_the_schema_and_the_loader_agree_on_shape(doc):
    """The schema an editor uses and the loader's shape check are one definition: they accept the same files."""
    if not _VALIDATOR:
        _VALIDATOR.append(jsonschema.Draft7Validator(json_schema()))
    valid_by_schema = _VALIDATOR[0].is_valid(doc)
    assert valid_by_schema == (check_shape(doc).items == []), check_shape(doc).items

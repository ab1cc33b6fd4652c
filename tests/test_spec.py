import pytest
import yaml

from workbook_tools.errors import SpecError
from workbook_tools.model.spec import RULE_TYPES, list_specs, parse_spec
from workbook_tools.files.specsheet import load_spec


def test_shipped_specs_load():
    assert {"gd-dept-overall-2023", "national-project-2020"} <= set(list_specs())
    gd = load_spec()
    assert gd.id == "gd-dept-overall-2023"
    assert len(gd.leaves()) == 25 and gd.depth == 3
    assert sum(n.weight for n in gd.leaves()) == 100
    assert [n.name for n in gd.tree] == ["履职效能", "管理效率"]
    nat = load_spec("national-project-2020")
    assert [(n.name, int(n.weight)) for n in nat.tree] == [("产出指标", 50), ("效益指标", 30), ("满意度指标", 10),
                                                          ("预算执行率", 10)]
    assert nat.inapplicable == "rescale"


def _doc(**over):
    doc = {"id": "t", "version": "1", "title": "t", "total_weight": 10,
           "tree": [{"id": "1", "name": "a", "weight": 10,
                     "children": [{"id": "1.1", "name": "b", "weight": 6},
                                  {"id": "1.2", "name": "c", "weight": 4}]}]}
    doc.update(over)
    return doc


def test_minimal_spec_is_valid():
    s = parse_spec(_doc())
    assert [n.id for n in s.leaves()] == ["1.1", "1.2"]
    assert s.leaves()[0].rule.type == "manual"


def test_every_problem_is_reported_with_its_yaml_path():
    doc = _doc(tree=[{"id": "1", "name": "a", "weight": 10, "children": [
        {"id": "1.1", "name": "b", "weight": 5, "rule": {"type": "magic"}},
        {"id": "1.1", "name": "c", "weight": 4, "rule": {"type": "proportional"}},
        {"id": "1.3", "name": "d", "weight": "x"}]}])
    with pytest.raises(SpecError) as e:
        parse_spec(doc, source="bad.yaml")
    paths = dict(e.value.problems)
    assert "tree[0].children[0].rule.type" in paths and "magic" in paths["tree[0].children[0].rule.type"]
    assert "重复" in paths["tree[0].children[1].id"]
    assert "target" in paths["tree[0].children[1].rule.target"]
    assert "tree[0].children[2].weight" in paths
    assert "tree[0].children" in paths          # 5 + 4 + 0 ≠ 10
    assert e.value.exit_code == 2 and "bad.yaml" in e.value.zh


@pytest.mark.parametrize("rule,path,needle", [
    ({"type": "bands", "bands": []}, "rule.bands", "非空"),
    ({"type": "bands", "bands": [{"zz": 1, "points": 1}]}, "rule.bands[0]", "不认识"),
    ({"type": "checklist", "items": [{"name": "x", "points": 1}]}, "rule.items", "≠"),
    ({"type": "target_completion", "kind": "nope"}, "rule.kind", "nope"),
    ({"type": "execution_rate", "budget": "weird"}, "rule.budget", "adjusted"),
    ({"type": "manual", "extra": 1}, "rule.extra", "不认识"),
])
def test_rule_parameter_problems(rule, path, needle):
    doc = _doc(tree=[{"id": "1", "name": "a", "weight": 10, "rule": rule}])
    with pytest.raises(SpecError) as e:
        parse_spec(doc)
    msgs = [m for p, m in e.value.problems if p == f"tree[0].{path}"]
    assert any(needle in m for m in msgs), e.value.problems


def test_unknown_spec_id_lists_available():
    with pytest.raises(SpecError) as e:
        load_spec("no-such-spec")
    assert "gd-dept-overall-2023" in e.value.zh


def test_all_rule_types_have_chinese_labels():
    assert set(RULE_TYPES) >= {"execution_rate", "target_completion", "proportional", "reverse_proportional",
                               "bands", "deduct_per_point_over", "deduct_per_case", "qualitative", "manual",
                               "checklist"}


def test_spec_file_on_disk(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text(yaml.safe_dump(_doc(), allow_unicode=True), encoding="utf-8")
    assert load_spec(p).id == "t"
    p.write_text("id: [unclosed   ", encoding="utf-8")
    with pytest.raises(SpecError):
        load_spec(p)


def test_severities_are_spec_data_and_checked():
    """The spec decides each check's severity; the loader names every bad entry by its YAML path."""
    spec = parse_spec(_doc(severities={"low-exec-rate": "error", "overspend": "error"}))
    assert spec.severities == {"low-exec-rate": "error", "overspend": "error"}
    assert parse_spec(_doc()).fingerprint == spec.fingerprint      # a stricter check needs no new template
    with pytest.raises(SpecError) as e:
        parse_spec(_doc(severities={"no-such-check": "error", "overspend": "fatal", "legacy-xls": "warning"}))
    paths = {p for p, _ in e.value.problems}
    assert paths == {"severities.no-such-check", "severities.overspend", "severities.legacy-xls"}
    with pytest.raises(SpecError):
        parse_spec(_doc(severities=["low-exec-rate"]))


def test_shipped_spec_follows_its_form_words():
    gd = load_spec("gd-dept-overall-2023")
    assert "90%" in " ".join(gd.instructions) and gd.severities["low-exec-rate"] == "error"
    assert all(f.required for f in gd.narrative) and gd.severities["narrative-missing"] == "error"

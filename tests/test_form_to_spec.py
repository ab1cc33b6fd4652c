"""Issue 14 item 5: docs/form-to-spec.md — its examples are real: the every-option spec loads and uses every key of
the format and every parameter of every rule, the values example fills it, every rule type has a row in the
wording → rule table, the messages it quotes are the ones `specs --check` prints."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from workbook_tools.cli import main
from workbook_tools.model.answers import answers_to_values
from workbook_tools.model.engine import compute
from workbook_tools.model.rules import RULES
from workbook_tools.model.spec import parse_spec, spec_dir

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "form-to-spec.md").read_text(encoding="utf-8")


def _block(marker: str) -> str:
    return DOC.split(marker, 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]


def _keys(o, out: set) -> set:
    if isinstance(o, dict):
        out.update(map(str, o))
        for v in o.values():
            _keys(v, out)
    elif isinstance(o, list):
        for v in o:
            _keys(v, out)
    return out


def _schema_properties(o, out: set) -> set:
    if isinstance(o, dict):
        if isinstance(o.get("properties"), dict):
            out.update(o["properties"])
        for v in o.values():
            _schema_properties(v, out)
    elif isinstance(o, list):
        for v in o:
            _schema_properties(v, out)
    return out


def test_every_option_example_is_a_valid_spec_using_every_key_and_rule():
    data = yaml.safe_load(_block("<!-- every-option spec -->"))
    spec = parse_spec(data)
    schema = json.loads((ROOT / "docs" / "spec.schema.json").read_text(encoding="utf-8"))
    missing = _schema_properties(schema, set()) - _keys(data, set())
    assert not missing, f"docs/form-to-spec.md 附录一 has no example of: {sorted(missing)}"
    assert {leaf.rule.type for leaf in spec.leaves()} == set(RULES)


def test_values_example_fills_the_every_option_spec_completely():
    spec = parse_spec(yaml.safe_load(_block("<!-- every-option spec -->")))
    doc = yaml.safe_load(_block("<!-- values example -->"))
    assert doc["spec"] == spec.id
    res = compute(spec, answers_to_values(spec, doc))
    assert all(res.node_scores[leaf.id] is not None for leaf in spec.leaves())
    assert str(res.node_scores["2.7"]) == "2.0000"          # checklist: 是 (2) + 否 (0)
    assert str(res.node_scores["2.3"]) == "3"               # bands: 5% falls in (0, 10%] → 3
    assert res.grade in {g.name for g in spec.grades}


def test_the_wording_table_names_every_rule_type():
    table = DOC.split("## 第三步", 1)[1].split("### 分档", 1)[0]
    named = set(re.findall(r"\| `([a-z_]+)`", table))
    assert set(RULES) <= named, set(RULES) - named


@pytest.mark.parametrize("edit, quoted", [
    (("inapplicable: forbidden", "inaplicable: forbidden"), "您是否想写 `inapplicable`"),
    (("name: 家长满意度, weight: 10", "name: 家长满意度, weight: 5"), "tree[2].children: 下级分值合计 15 ≠ 本级分值 20（满意度指标）"),
    (("rule: {type: proportional, target: 735}", "rule: {type: proportional}"), "tree[0].children[0].rule.target: 规则 proportional 缺少参数 target"),
    (('id: "1.2", name: 营养', 'id: "1.1", name: 营养'), "tree[0].children[1].id: 编号 1.1 重复（已用于 tree[0].children[0]）"),
])
def test_the_quoted_check_messages_are_what_specs_check_prints(tmp_path, edit, quoted):
    text = (spec_dir() / "gallery" / "yn-yongde-project-2022.yaml").read_text(encoding="utf-8")
    assert edit[0] in text
    p = tmp_path / "e.yaml"
    p.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    r = CliRunner().invoke(main, ["specs", "--check", str(p)])
    assert r.exit_code == 2 and quoted in r.output and quoted in DOC


def test_readme_and_specs_md_link_the_walk_through():
    assert "docs/form-to-spec.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "form-to-spec.md" in (ROOT / "docs" / "specs.md").read_text(encoding="utf-8")


def test_values_example_scores_the_new_rule_shapes_as_the_comments_say():
    spec = parse_spec(yaml.safe_load(_block("<!-- every-option spec -->")))
    res = compute(spec, answers_to_values(spec, yaml.safe_load(_block("<!-- values example -->"))))
    got = {k: float(res.node_scores[k]) for k in ("2.8", "2.9", "2.10", "2.11", "1.2", "1.4")}
    assert got == {"2.8": 2.4, "2.9": 2.7, "2.10": 1.0, "2.11": 2.0, "1.2": 16.0,   # 1.2: 满意 = 0.8 × 20
                   "1.4": 9.0}                      # 1.4: 6 × 1 + 4 × 0.75 (得分系数 rows)
    # targets as forms write them: "≥500" against 520次; 调整后 95 (unit %) against 96
    assert [res.values[f"target.output.{n}.ratio"] for n in (1, 2)] == [1, 1]

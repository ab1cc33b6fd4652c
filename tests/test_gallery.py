"""Issue 14 item 4: the gallery of published forms — each sample reproduces the scores its form published."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import json
import jsonschema
import pytest
import yaml

from meaning import diff_meaning, workbook_meaning
from workbook_tools.errors import SpecError
from workbook_tools.files.reader import read_workbook
from workbook_tools.model.answers import answers_to_values, load_answers
from workbook_tools.model.engine import compute
from workbook_tools.model.spec import parse_spec, spec_dir
from workbook_tools.model.speclib import load_spec
from workbook_tools.model.template import build_template

ROOT = Path(__file__).resolve().parent.parent
GALLERY = spec_dir() / "gallery"
SAMPLES = ROOT / "samples" / "gallery"
PUBLISHED = yaml.safe_load((SAMPLES / "published.yaml").read_text(encoding="utf-8"))
IDS = sorted(PUBLISHED)


def test_the_gallery_has_four_published_forms_each_with_spec_sample_and_figures():
    assert len(IDS) >= 4
    assert sorted(p.stem for p in GALLERY.glob("*.yaml")) == IDS
    for sid in IDS:
        assert (SAMPLES / f"{sid}.yaml").is_file() and (SAMPLES / f"{sid}.xlsx").is_file(), sid


@pytest.mark.parametrize("sid", IDS)
def test_sample_reproduces_the_published_scores(sid):
    """Read the committed sample as any return is read, score it with the engine, compare with the form's figures."""
    spec = load_spec(GALLERY / f"{sid}.yaml")
    ret = read_workbook(SAMPLES / f"{sid}.xlsx")
    assert ret.spec.id == sid and ret.spec.fingerprint == spec.fingerprint
    res = compute(ret.spec, ret.inputs)
    pub = PUBLISHED[sid]
    got = {nid: res.node_scores[nid] for nid in pub["scores"]}
    want = {nid: Decimal(str(v)) for nid, v in pub["scores"].items()}
    assert got == want, f"{sid}: {pub['page']}"
    total = pub["total"] if pub["total"] is not None else pub["total_derived"]
    assert res.display == Decimal(str(total))
    if "grade" in pub:
        assert res.grade == pub["grade"]
    if "execution_rate" in pub and spec.tree[-1].rule and spec.tree[-1].rule.type == "execution_rate":
        assert round(res.get("funds.total.rate"), 2) == Decimal(str(pub["execution_rate"]))


@pytest.mark.parametrize("sid", IDS)
def test_sample_is_what_its_values_file_builds(sid, tmp_path):
    spec = load_spec(GALLERY / f"{sid}.yaml")
    doc = load_answers(SAMPLES / f"{sid}.yaml")
    assert doc["spec"] == sid
    out = tmp_path / "s.xlsx"
    build_template(spec, out, answers_to_values(spec, doc))
    diffs = diff_meaning(workbook_meaning(SAMPLES / f"{sid}.xlsx"), workbook_meaning(out))
    assert not diffs, (f"stale; run `WBTOOL_SPEC_PATH=workbook_tools/specs/gallery wbtool template --values "
                       f"samples/gallery/{sid}.yaml -o samples/gallery/{sid}.xlsx`:\n" + "\n".join(diffs))


@pytest.mark.parametrize("sid", IDS)
def test_every_gallery_spec_names_its_source_and_matches_the_schema(sid):
    data = yaml.safe_load((GALLERY / f"{sid}.yaml").read_text(encoding="utf-8"))
    src = data["source"]
    assert src["url"] == PUBLISHED[sid]["page"] and src["title"] and src["note"] and src["year"]
    schema = json.loads((ROOT / "docs" / "spec.schema.json").read_text(encoding="utf-8"))
    assert [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(data)] == []
    assert load_spec(GALLERY / f"{sid}.yaml").provenance["url"] == src["url"]


def test_source_block_does_not_change_the_fingerprint():
    """A bureau may add or correct where its form came from without re-issuing templates."""
    data = yaml.safe_load((GALLERY / "yn-yongde-project-2022.yaml").read_text(encoding="utf-8"))
    bare = {k: v for k, v in data.items() if k != "source"}
    edited = {**data, "source": {**data["source"], "note": "改过的说明"}}
    assert parse_spec(bare).fingerprint == parse_spec(data).fingerprint == parse_spec(edited).fingerprint
    assert parse_spec(bare).provenance == {}


@pytest.mark.parametrize("block, path", [
    ({"title": "某表", "ulr": "https://x.invalid"}, "source.ulr"),   # misspelt key: did you mean url
    ({"url": "https://x.invalid"}, "source.title"),                 # title is required
    ("某表", "source"),                                              # a block of the wrong YAML type
])
def test_source_block_is_strict(block, path):
    data = yaml.safe_load((GALLERY / "yn-yongde-project-2022.yaml").read_text(encoding="utf-8"))
    with pytest.raises(SpecError) as e:
        parse_spec({**data, "source": block})
    assert path in [p for p, _ in e.value.problems], e.value.problems


def test_specs_check_names_the_source():
    from click.testing import CliRunner
    from workbook_tools.cli import main
    r = CliRunner().invoke(main, ["specs", "--check", str(GALLERY / "cq-dept-overall-2021.yaml")])
    assert r.exit_code == 0, r.output
    assert "有效：21 项末级指标" in r.output and "出处：部门整体绩效自评表" in r.output
    assert PUBLISHED["cq-dept-overall-2021"]["page"] in r.output

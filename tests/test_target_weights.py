"""Per-project row weights (issue 14 item 3): target_completion over a list of kinds; with sum_scores the typed row
分值 of those kinds add up to the indicator's weight (Sichuan: 绩效指标 90 over 产出 · 效益 · 满意度 rows)."""
from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from faults import consistent
from workbook_tools.cli import main
from workbook_tools.checks.validate import validate_workbook
from workbook_tools.errors import SpecError
from workbook_tools.model.engine import compute
from workbook_tools.model.layout import layout_for
from workbook_tools.model.spec import parse_spec
from workbook_tools.files.specsheet import load_spec

SPEC = Path(__file__).parent / "specs" / "sichuan-rows.yaml"


def sichuan_values(weights=(20, 20, 10, 15, 25)) -> dict:
    """Five rows over three kinds, written as forms write them; the row 分值 as given."""
    rows = [("output", 1, "数量指标", "≥10个", 12, None), ("output", 2, "质量指标", "≥95%", 0.9, "部分验收未达标"),
            ("output", 3, "时效指标", "=100", 100, None), ("benefit", 1, "社会效益指标", "5次", "5次", None),
            ("satisfaction", 1, "服务对象满意度指标", "≥90%", "92%", None)]
    v = {"cover.unitName": "某县教育局", "funds.0.initial": 100, "funds.0.adjusted": 100, "funds.0.actual": 95,
         "funds.1.initial": 0, "funds.1.adjusted": 0, "funds.1.actual": 0}
    for (kind, n, cat, value, actual, why), w in zip(rows, weights):
        b = f"target.{kind}.{n}"
        v.update({f"{b}.category": cat, f"{b}.name": f"{cat}{n}", f"{b}.value": value, f"{b}.actual": actual,
                  f"{b}.weight": w, f"{b}.reason": why})
        if value == "=100":
            v[f"{b}.unit"] = "%"
    return v


def test_the_score_is_the_sum_of_the_rows_of_every_listed_kind():
    spec = load_spec(str(SPEC))
    res = compute(spec, sichuan_values())
    # 20 + 20 × 0.9/0.95 + 10 × 1 + 15 + 25
    assert res.values["node.2.basis"] == D(20) + round(D(20) * (D("0.9") / D("0.95")), 4) + 10 + 15 + 25
    assert res.leaf_scores["2"] == round(res.values["node.2.basis"], 4)


def test_row_weights_not_adding_up_to_90_name_the_cells(tmp_path):
    spec = load_spec(str(SPEC))
    p = tmp_path / "r.xlsx"
    p.write_bytes(consistent(spec, sichuan_values((20, 20, 10, 15, 20))))      # 85
    rep = validate_workbook(p)
    hits = [f for f in rep.findings if f.code == "target-weight-sum"]
    assert [f.cell for f in hits] == [layout_for(spec)["target.output.1.weight"].addr]
    msg = hits[0].message("zh")
    assert "85" in msg and "90" in msg and "产出指标、效益指标、满意度指标" in msg
    L = layout_for(spec)
    for k, rows in (("output", 5), ("benefit", 4), ("satisfaction", 2)):
        assert f"{L[f'target.{k}.1.weight'].coord}:{L[f'target.{k}.{rows}.weight'].coord}" in msg
    p.write_bytes(consistent(spec, sichuan_values()))                            # 90
    assert not [f for f in validate_workbook(p).findings if f.code == "target-weight-sum"]


def _spec_with(kind):
    data = yaml.safe_load(SPEC.read_text("utf-8"))
    data["tree"][1]["rule"]["kind"] = kind
    return data


@pytest.mark.parametrize("kind,words", [
    (["output", "benfit"], "`benefit`"), ([], "为空"), (["output", "output", "benefit", "satisfaction"], "重复"),
    ([1, "benefit"], "tree[1].rule.kind"),
])
def test_a_wrong_list_of_kinds_is_named_at_its_path(kind, words):
    with pytest.raises(SpecError) as e:
        parse_spec(_spec_with(kind))
    assert words in str(e.value) and "tree[1].rule.kind" in str(e.value)


def test_sum_scores_over_an_unscored_kind_is_refused():
    data = _spec_with(["output", "benefit", "satisfaction"])
    data["targets"]["kinds"][1]["scored"] = False
    with pytest.raises(SpecError) as e:
        parse_spec(data)
    assert "scored: true" in str(e.value)


def test_cli_validate_reports_the_sum(tmp_path):
    spec = load_spec(str(SPEC))
    p = tmp_path / "r.xlsx"
    p.write_bytes(consistent(spec, sichuan_values((20, 20, 10, 15, 20))))
    r = CliRunner().invoke(main, ["validate", str(p), "--format", "json"])
    assert r.exit_code == 1, r.output
    assert "target-weight-sum" in r.output

"""A 得分系数 or a 得分 the unit types per target row (issue 14 item 3): `row_score: coefficient | typed` per kind,
within the spec's bounds, a reason when below full; row score = 系数 × 分值 (ROUND 4) or the typed score."""
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

SPEC = Path(__file__).parent / "specs" / "judged-rows.yaml"


def judged_values(**over) -> dict:
    """产出 rows with a 得分系数, 效益 rows with a typed 得分; 分值 20 + 25 + 15 + 30 = 90."""
    v = {"cover.unitName": "某区文化馆", "funds.0.initial": 200, "funds.0.adjusted": 200, "funds.0.actual": 190,
         "funds.1.initial": 0, "funds.1.adjusted": 0, "funds.1.actual": 0}
    rows = [("output", 1, "数量指标", "≥12场", "12场", 20, {"coef": 1}),
            ("output", 2, "质量指标", "≥95%", "93%", 25, {"coef": 0.9, "reason": "部分场次观众评价偏低"}),
            ("benefit", 1, "社会效益指标", "≥5万人次", "6万人次", 15, {"score": 15}),
            ("benefit", 2, "社会效益指标", "明显提升", "部分达成", 30, {"score": 24.5, "reason": "宣传覆盖不足"})]
    for kind, n, cat, value, actual, w, typed in rows:
        b = f"target.{kind}.{n}"
        v.update({f"{b}.category": cat, f"{b}.name": f"{cat}{n}", f"{b}.value": value, f"{b}.actual": actual,
                  f"{b}.weight": w, **{f"{b}.{k}": x for k, x in typed.items()}})
        v[f"{b}.x_core"] = "是" if n == 1 else "否"
        if value == "明显提升":
            v[f"{b}.direction"] = "定性"
    v.update(over)
    return v


def test_row_scores_are_coefficient_times_weight_or_the_typed_score():
    spec = load_spec(str(SPEC))
    res = compute(spec, judged_values())
    assert res.values["target.output.2.score"] == D("22.5")       # 0.9 × 25, whatever the ratio says
    assert res.values["target.benefit.2.score"] == D("24.5")      # typed
    assert res.leaf_scores["2"] == D("20") + D("22.5") + D("15") + D("24.5")


def _findings(tmp_path, values):
    p = tmp_path / "j.xlsx"
    p.write_bytes(consistent(load_spec(str(SPEC)), values))
    return {(f.code, f.cell) for f in validate_workbook(p).findings}


def test_a_clean_judged_form_has_no_findings(tmp_path):
    got = _findings(tmp_path, judged_values())
    assert not {c for c, _ in got if c.startswith("target")}, got


def test_bounds_and_reasons_are_checked_at_their_cells(tmp_path):
    L = layout_for(load_spec(str(SPEC)))
    got = _findings(tmp_path, judged_values(**{"target.output.1.coef": 1.2, "target.benefit.1.score": 16,
                                               "target.output.2.reason": None, "target.benefit.2.reason": "无"}))
    assert {("target-row-score-out-of-range", L["target.output.1.coef"].addr),
            ("target-row-score-out-of-range", L["target.benefit.1.score"].addr),
            ("target-row-below-full-without-reason", L["target.output.2.reason"].addr),
            ("target-row-below-full-without-reason", L["target.benefit.2.reason"].addr)} <= got
    # a missing 系数 / 得分 makes the row incomplete; the ratio of a judged row asks for no reason of its own
    got = _findings(tmp_path, judged_values(**{"target.output.1.coef": None, "target.benefit.1.score": None}))
    assert ("target-incomplete", L["target.output.1.coef"].addr) in got
    assert ("target-incomplete", L["target.benefit.1.score"].addr) in got
    assert not {c for c, _ in got if c == "target-missed-without-reason"}


def _spec(**kind_over):
    data = yaml.safe_load(SPEC.read_text("utf-8"))
    data["targets"]["kinds"][0].update(kind_over)
    return data


@pytest.mark.parametrize("over,words", [
    ({"scored": False}, "scored: true"),
    ({"coefficient": {"min": 0.5, "max": 1.5}}, "0 ≤ min < max ≤ 1"),
    ({"row_score": "ratio"}, "coefficient 只用于 row_score: coefficient"),
    ({"row_score": "coeficient"}, "`coefficient`"),
    ({"coefficient": {"min": 0, "maximum": 1}}, "maximum"),
])
def test_a_wrong_row_score_is_named_at_its_path(over, words):
    with pytest.raises(SpecError) as e:
        parse_spec(_spec(**over))
    assert words in str(e.value) and "targets.kinds[0]" in str(e.value)


def test_cli_validate_exits_1_on_a_coefficient_out_of_bounds(tmp_path):
    p = tmp_path / "j.xlsx"
    p.write_bytes(consistent(load_spec(str(SPEC)), judged_values(**{"target.output.1.coef": 1.2})))
    r = CliRunner().invoke(main, ["validate", str(p)])
    assert r.exit_code == 1 and "得分系数" in r.output, r.output


def test_extra_columns_are_typed_per_row_and_carried_by_export(tmp_path):
    """targets.extra_columns: 是否核心指标 a dropdown beside the name, 数据来源 free text; export carries both."""
    import json
    spec = load_spec(str(SPEC))
    L = layout_for(spec)
    core, name = L["target.output.1.x_core"], L["target.output.1.name"]
    assert core.kind == "choice" and core.choices == ("是", "否") and core.col == name.col + 1
    assert L["target.benefit.2.x_source"].kind == "text"
    p = tmp_path / "j.xlsx"
    p.write_bytes(consistent(spec, judged_values(**{"target.output.1.x_source": "统计年报",
                                                   "target.benefit.1.x_core": "Y"})))
    got = {(f.code, f.cell) for f in validate_workbook(p).findings}
    assert ("invalid-choice", L["target.benefit.1.x_core"].addr) in got
    out = tmp_path / "e.json"
    r = CliRunner().invoke(main, ["export", str(p), "-o", str(out)])
    assert r.exit_code == 0, r.output
    rows = json.loads(out.read_text("utf-8"))["targets"]
    first = next(t for t in rows if t["kind"] == "output" and t["row"] == 1)
    assert first["extra"] == {"core": "是", "source": "统计年报"} and first["coef"] == 1
    assert first["value_read"] == 12 and first["direction_read"] == "≥"


@pytest.mark.parametrize("cols,words", [
    ([{"key": "core", "label": "a"}, {"key": "core", "label": "b"}], "重复"),
    ([{"key": "is core", "label": "a"}], "字母和数字"),
    ([{"key": "core", "lable": "a"}], "label"),
])
def test_a_wrong_extra_column_is_named_at_its_path(cols, words):
    data = yaml.safe_load(SPEC.read_text("utf-8"))
    data["targets"]["extra_columns"] = cols
    with pytest.raises(SpecError) as e:
        parse_spec(data)
    assert words in str(e.value) and "targets.extra_columns[" in str(e.value)

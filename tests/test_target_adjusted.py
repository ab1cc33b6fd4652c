"""年初指标值 and 调整后指标值 (issue 14 item 3): `targets.value_columns: [initial, adjusted]`; the ratio uses the
调整后 value when filled, else the 年初 one; a row needs its 年初指标值."""
from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
import yaml

from faults import consistent
from workbook_tools.checks.validate import validate_workbook
from workbook_tools.errors import SpecError
from workbook_tools.model.engine import compute
from workbook_tools.model.layout import layout_for
from workbook_tools.model.spec import parse_spec
from workbook_tools.files.specsheet import load_spec

SPEC = Path(__file__).parent / "specs" / "adjusted-values.yaml"


def adjusted_values(**over) -> dict:
    v = {"cover.unitName": "某街道办", "funds.0.initial": 100, "funds.0.adjusted": 100, "funds.0.actual": 100}
    rows = [("≥10次", "≥8次", "8次", 30, "年中调减：场地改造"),      # 调整后 used: 8/8
            ("≥95%", None, "93%", 30, "个别未达标"),               # 年初 used: 0.93/0.95
            ("=100", "=90", 90, 30, "年中调整"),
            (None, "≥5", 5, None, None)]                             # no 年初: incomplete
    for n, (ini, adj, act, w, why) in enumerate(rows, 1):
        b = f"target.output.{n}"
        v.update({f"{b}.category": "数量指标", f"{b}.name": f"指标{n}", f"{b}.initial": ini, f"{b}.value": adj,
                  f"{b}.actual": act, f"{b}.weight": w, f"{b}.reason": why})
    v["target.output.3.unit"] = "%"
    v.update(over)
    return v


def test_layout_has_both_columns_with_their_labels():
    L = layout_for(load_spec(str(SPEC)))
    ini, adj = L["target.output.1.initial"], L["target.output.1.value"]
    assert adj.col == ini.col + 1 and "年初指标值" in ini.label and "调整后指标值" in adj.label
    assert L["target.output.1.ve"].role == "formula"


def test_the_ratio_uses_the_adjusted_value_when_filled_else_the_initial():
    res = compute(load_spec(str(SPEC)), adjusted_values())
    assert res.values["target.output.1.ratio"] == 1                       # 8次 against ≥8次
    assert res.values["target.output.2.ratio"] == D("0.93") / D("0.95")   # 93% against ≥95%
    assert res.values["target.output.3.ratio"] == 1                       # 90 (单位 %) against =90
    assert res.values["target.output.1.ve"] == "≥8次" and res.values["target.output.2.ve"] == "≥95%"


def test_a_row_needs_its_initial_value_and_only_the_value_used_is_read(tmp_path):
    spec = load_spec(str(SPEC))
    L = layout_for(spec)
    p = tmp_path / "a.xlsx"
    p.write_bytes(consistent(spec, adjusted_values(**{"target.output.1.initial": "约10次",
                                                      "target.output.2.initial": "约95%",
                                                      "target.output.2.direction": "≥"})))
    got = {(f.code, f.cell) for f in validate_workbook(p).findings}
    assert ("target-incomplete", L["target.output.4.initial"].addr) in got
    assert ("target-value-unreadable", L["target.output.2.initial"].addr) in got          # used: read
    assert ("target-value-unreadable", L["target.output.1.initial"].addr) not in got      # superseded


@pytest.mark.parametrize("cols", [["adjusted"], ["value", "adjusted"], ["initial", "adjsted"]])
def test_value_columns_are_one_of_two_forms(cols):
    data = yaml.safe_load(SPEC.read_text("utf-8"))
    data["targets"]["value_columns"] = cols
    with pytest.raises(SpecError) as e:
        parse_spec(data)
    assert "targets.value_columns" in str(e.value)

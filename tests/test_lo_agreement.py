"""LibreOffice Calc, forced to recalculate, agrees with the engine in every formula cell."""
import os
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from lo_recalc import recalc_files, recalculated_values, soffice_path, same_as_lo
from randomfill import fill_bytes, random_values
from rule_examples import example_spec, new_rule_installed

from workbook_tools.model.engine import compute
from workbook_tools.files.fill import recalc_bytes
from workbook_tools.model.layout import layout_for
from workbook_tools.model.rules import RULES
from workbook_tools.files.specsheet import load_spec
from workbook_tools.model.template import build_template

pytestmark = [pytest.mark.lo, pytest.mark.skipif(soffice_path() is None and not os.environ.get("CI"), reason="LibreOffice not installed (CI installs it)")]
HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent / "samples" / "taiping_2023.xlsx"


_same = same_as_lo


def _mismatches(spec, values, path_in, path_out):
    lo = recalculated_values(path_in, path_out)
    got = compute(spec, values).values
    bad = []
    for c in layout_for(spec).by_role("formula"):
        if not _same(got.get(c.key), lo.get((c.sheet, c.coord))):
            bad.append(f"{path_in.name} {c.addr} {c.key}: engine {got.get(c.key)!r} LibreOffice {lo.get((c.sheet, c.coord))!r}")
    return bad


def test_seed_sample_agrees_with_libreoffice(tmp_path, gd_spec, seed_values):
    out = recalc_files([SAMPLE], tmp_path / "out")
    assert _mismatches(gd_spec, seed_values, SAMPLE, out[SAMPLE]) == []
    lo = recalculated_values(SAMPLE, out[SAMPLE])
    L = layout_for(gd_spec)
    assert lo[("汇总", L["summary.total"].coord)] == pytest.approx(95.8634)
    assert lo[("评分表", L["node.1.1.3.score"].coord)] == pytest.approx(9.974)


SPECS = [("gd-dept-overall-2023", 100), ("national-project-2020", 40), (str(HERE / "specs" / "kitchen-sink.yaml"), 70)]
# every registered rule type's documented examples in one form, with 不适用 as full marks and as rescaled:
# a rule added to workbook_tools/model/rules/ is in these forms without anyone listing it
EXAMPLE_SPECS = [(lambda: example_spec("full_marks"), 30), (lambda: example_spec("rescale"), 30)]


def _specs():
    return [(load_spec(ref), count) for ref, count in SPECS] + [(make(), count) for make, count in EXAMPLE_SPECS]


def _exercised(spec, values, rule_cover):
    """Record which rule types this fill scored: a formula rule computed a number, a typed score was a number."""
    res = compute(spec, values)
    for leaf in spec.leaves():
        if leaf.rule.manual_score:
            hit = res.leaf_scores.get(leaf.id) is not None
        else:
            hit = res.rule_scores.get(leaf.id) is not None
        if hit:
            rule_cover[leaf.rule.type] = rule_cover.get(leaf.rule.type, 0) + 1


def test_random_workbooks_agree_with_libreoffice(tmp_path):
    """270 seeded random fills (valid, odd and absurd values) of five specs, every registered rule type among them."""
    files, expected, rule_cover = [], {}, {}
    for spec, count in _specs():
        template = build_template(spec)
        rng = random.Random(f"{spec.id}-2024")
        for i in range(count):
            values = random_values(spec, rng, absurd=0.15 if i % 3 == 0 else 0.02)
            path = tmp_path / "in" / f"{spec.id}-{i:03d}.xlsx"
            path.parent.mkdir(exist_ok=True)
            data = fill_bytes(template, spec, values)
            path.write_bytes(recalc_bytes(data, spec=spec) if i % 2 else data)
            files.append(path)
            expected[path] = (spec, values)
            _exercised(spec, values, rule_cover)
    missing = {name: rule_cover.get(name, 0) for name in RULES if rule_cover.get(name, 0) < 5}
    assert not missing, f"registered rule types scored in fewer than 5 LibreOffice-checked workbooks: {missing}"
    halves = [files[::2], files[1::2]]
    with ThreadPoolExecutor(2) as pool:
        outs = list(pool.map(lambda fs: recalc_files(fs, tmp_path / "out"), halves))
    out = {**outs[0], **outs[1]}
    bad = []
    for path in files:
        spec, values = expected[path]
        bad += _mismatches(spec, values, path, out[path])
    assert not bad, f"{len(bad)} mismatches:\n" + "\n".join(bad[:30])


def test_a_new_rule_module_agrees_with_libreoffice(tmp_path):
    """A rule type added as one module (tests/rule_examples.py) is in the example form and agrees with Calc."""
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    with new_rule_installed(plugin) as rt:
        spec = example_spec("full_marks")
        template = build_template(spec)
        rng = random.Random("new-rule")
        files, expected, cover = [], {}, {}
        for i in range(16):
            values = random_values(spec, rng, absurd=0.1)
            path = tmp_path / "in" / f"new-{i:02d}.xlsx"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(fill_bytes(template, spec, values))
            files.append(path)
            expected[path] = values
            _exercised(spec, values, cover)
        assert cover.get(rt.name, 0) >= 5, cover
        out = recalc_files(files, tmp_path / "out")
        bad = [m for path in files for m in _mismatches(spec, expected[path], path, out[path])]
        assert not bad, "\n".join(bad[:20])

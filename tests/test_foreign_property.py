"""Property: moving blocks or inserting blank rows/columns never changes what is read from a foreign form."""
from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from foreignfiles import Form, write_xlsxwriter
from workbook_tools.foreign import rescore
from workbook_tools.foreign.anchors import find_forms, load_layout
from workbook_tools.foreign.grid import Grid, open_foreign

LAYOUT = load_layout("national-project-form")
_BASE: dict = {}


def base_grid() -> Grid:
    if "g" not in _BASE:
        import tempfile
        d = Path(tempfile.mkdtemp())
        _BASE["g"] = open_foreign(write_xlsxwriter(d / "base.xlsx", [Form()])).sheets[0]
    return _BASE["g"]


def insert(g: Grid, rows: list[int], cols: list[int]) -> Grid:
    """The sheet with blank rows inserted before each row index and blank columns before each column index,
    merged ranges stretched or moved as Excel does (inserting inside a merged range widens it)."""
    def shift(i, at):
        return i + sum(1 for a in at if a <= i)

    out = Grid(g.name)
    out.cells = {(shift(r, rows), shift(c, cols)): v for (r, c), v in g.cells.items()}
    out.merged = [(shift(r0, rows), shift(c0, cols), shift(r1, rows), shift(c1, cols)) for r0, c0, r1, c1 in g.merged]
    out.rows = g.rows + len(rows)
    out.cols = g.cols + len(cols)
    return out


def move_block(g: Grid, r0: int, down: int) -> Grid:
    """The block starting at row r0 (and everything below it) moved ``down`` rows lower, away from the blocks
    above it (blank rows left between them)."""
    return insert(g, [r0] * down, [])


def read(g: Grid):
    forms = find_forms(g, LAYOUT)
    out = []
    for f in forms:
        assert f.understood, f.missing
        fc = rescore(f, LAYOUT)
        out.append(({k: v.value for k, v in f.fields.items()},
                    {n: {k: v.value for k, v in c.items()} for n, c in f.funds.items()},
                    {k: v.value for k, v in f.goal.items()},
                    [(r.kind, r.row.name, r.row.get("value"), r.row.get("actual"), r.weight, r.self, r.recomputed,
                      r.row.get("reason")) for r in fc.rows],
                    (fc.self_total, fc.recomputed_total, fc.funds_self, fc.funds_recomputed)))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.integers(min_value=0, max_value=24), max_size=6),
       cols=st.lists(st.integers(min_value=0, max_value=9), max_size=4))
def test_blank_rows_and_columns_never_change_the_reading(rows, cols):
    g = base_grid()
    assert read(insert(g, rows, cols)) == read(g)


@settings(max_examples=30, deadline=None)
@given(block=st.sampled_from(["fields", "funds", "goal", "indicators"]), down=st.integers(min_value=1, max_value=5),
       top=st.integers(min_value=0, max_value=4), left=st.integers(min_value=0, max_value=4))
def test_moving_blocks_never_changes_the_reading(block, down, top, left):
    g = base_grid()
    starts = {"fields": 2, "funds": 4, "goal": 9, "indicators": 11}     # rows where the blocks begin (0-based)
    moved = insert(move_block(g, starts[block], down), [0] * top, [0] * left)
    assert read(moved) == read(g)

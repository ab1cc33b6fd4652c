"""Issue 14 item 4 in LibreOffice: each gallery sample, recalculated by LibreOffice from its own formulas, shows the
scores and the total its published form printed (samples/gallery/published.yaml)."""
from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import yaml

from lo_recalc import recalc_files, soffice_path
from workbook_tools.model.layout import layout_for
from workbook_tools.model.spec import spec_dir
from workbook_tools.model.speclib import load_spec

pytestmark = pytest.mark.skipif(soffice_path() is None and not os.environ.get("CI"),
                                reason="LibreOffice not installed (CI installs it)")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "gallery"
PUBLISHED = yaml.safe_load((SAMPLES / "published.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    out = tmp_path_factory.mktemp("lo")
    return recalc_files([SAMPLES / f"{sid}.xlsx" for sid in sorted(PUBLISHED)], out, timeout=600)


@pytest.mark.parametrize("sid", sorted(PUBLISHED))
def test_libreoffice_shows_the_published_scores(sid, recalculated):
    spec = load_spec(spec_dir() / "gallery" / f"{sid}.yaml")
    L = layout_for(spec)
    wb = openpyxl.load_workbook(recalculated[SAMPLES / f"{sid}.xlsx"], data_only=True)

    def shown(key):
        c = L.cells[key]
        return wb[c.sheet][c.coord].value

    pub = PUBLISHED[sid]
    got = {nid: round(Decimal(str(shown(f"node.{nid}.score"))), 4) for nid in pub["scores"]}
    assert got == {nid: Decimal(str(v)) for nid, v in pub["scores"].items()}, pub["page"]
    total = pub["total"] if pub["total"] is not None else pub["total_derived"]
    assert round(Decimal(str(shown("summary.display"))), 2) == Decimal(str(total))
    if "grade" in pub:
        assert shown("summary.grade") == pub["grade"]

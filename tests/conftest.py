"""Shared fixtures: the shipped sample, specs and small workbooks built in code."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "taiping_2023.xlsx"
SAMPLE_ANSWERS = ROOT / "samples" / "taiping_2023.yaml"


@pytest.fixture
def sample(tmp_path) -> Path:
    """A private copy of the seed sample."""
    dest = tmp_path / "taiping_2023.xlsx"
    shutil.copy(SAMPLE, dest)
    return dest


@pytest.fixture(scope="session")
def gd_spec():
    from workbook_tools.files.specsheet import load_spec
    return load_spec("gd-dept-overall-2023")


@pytest.fixture(scope="session")
def gd_forms_spec():
    """The gd form with targets.form_values (its 指标值 read as forms write them: ≥90%, 5次)."""
    from formvalues import with_form_values
    return with_form_values("gd-dept-overall-2023")


@pytest.fixture(scope="session")
def seed_values(gd_spec):
    from workbook_tools.model.answers import answers_to_values, load_answers
    return answers_to_values(gd_spec, load_answers(SAMPLE_ANSWERS))


# Test tiers (README): `-m "not lo and not slow"` is the developers' fast tier; CI runs everything.
_LO_MODULES = {"test_checksheet_lo", "test_gallery_lo", "test_lo_recalc", "test_projcheck_lo", "test_scales_lo",
               "test_selfdesc_lo", "test_targets_lo"}   # drive LibreOffice itself
_SLOW_MODULES = {"test_kill", "test_fuzz"}        # SIGKILL loops and fuzzing: minutes on a busy machine


def pytest_collection_modifyitems(config, items):
    for item in items:
        name = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        if name in _LO_MODULES:
            item.add_marker(pytest.mark.lo)
        if name in _SLOW_MODULES:
            item.add_marker(pytest.mark.slow)

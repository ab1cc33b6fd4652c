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
    from workbook_tools.spec import load_spec
    return load_spec("gd-dept-overall-2023")


@pytest.fixture(scope="session")
def seed_values(gd_spec):
    from workbook_tools.answers import answers_to_values, load_answers
    return answers_to_values(gd_spec, load_answers(SAMPLE_ANSWERS))

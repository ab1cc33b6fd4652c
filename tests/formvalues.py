"""A shipped form with ``targets.form_values: true`` (指标值 as forms write them), under its own id."""
from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

import yaml

from workbook_tools.files.specsheet import load_spec
from workbook_tools.model.spec import Spec, spec_dir


@lru_cache(maxsize=None)
def with_form_values(sid: str) -> Spec:
    """The shipped spec ``sid`` as ``sid-forms`` reading ≥90%, =100 (unit %), 5次 in its target rows. Loaded from a
    YAML file, as a bureau's would be, so its templates carry the spec like any other."""
    data = yaml.safe_load((spec_dir() / f"{sid}.yaml").read_text(encoding="utf-8"))
    data["id"] = f"{sid}-forms"
    data.setdefault("targets", {})["form_values"] = True
    path = Path(tempfile.mkdtemp(prefix="wbtool-forms-")) / f"{sid}-forms.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_spec(str(path))

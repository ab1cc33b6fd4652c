#!/usr/bin/env bash
# Rebuild the committed templates, the seed sample and the generated docs from specs and code.
set -euo pipefail
cd "$(dirname "$0")/.."
wbtool template --spec gd-dept-overall-2023 -o templates/self_eval_template.xlsx
wbtool template --spec national-project-2020 -o templates/national_project_template.xlsx
wbtool template --values samples/taiping_2023.yaml -o samples/taiping_2023.xlsx
python -m workbook_tools.docs
python scripts/bureau_samples.py
# The gallery of published forms (workbook_tools/specs/gallery): each sample from its values file.
for v in samples/gallery/*.yaml; do
  [ "$(basename "$v")" = published.yaml ] && continue
  WBTOOL_SPEC_PATH=workbook_tools/specs/gallery wbtool template --values "$v" -o "${v%.yaml}.xlsx"
done

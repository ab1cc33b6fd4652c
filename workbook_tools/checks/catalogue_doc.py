"""docs/checks.md from the catalogue, with the shipped specs' own severities (here, not in catalogue.py: the spec
parser reads the catalogue, so the catalogue must not read the specs)."""
from __future__ import annotations

from workbook_tools.checks.catalogue import CATALOGUE, CATEGORY_ZH, SEVERITY_ZH
from workbook_tools.model.spec import list_specs, load_spec


def catalogue_markdown() -> str:
    """docs/checks.md, generated from the catalogue."""
    lines = ["# 校验规则目录 (checks catalogue)", "",
             "本文件由 `python -m workbook_tools.docs` 从 `workbook_tools/checks/catalogue.py` 生成，请勿手工编辑。",
             "严重性：**error = 强制性**（必须修改，退出码 1），**warning = 提示性**（可在“情况说明”表说明）。",
             "文件类问题使 `wbtool validate` 以退出码 3 结束。",
             "规格可以用 `severities:` 改变某项检查的严重性（docs/specs.md），随附规格的改动列在严重性一栏。", ""]
    # the shipped specs' own severities, beside the default
    overrides: dict[str, list[str]] = {}
    for sid in list_specs():
        for code, level in load_spec(sid).severities.items():
            overrides.setdefault(code, []).append(f"{sid}: {level}")
    for cat, zh in CATEGORY_ZH.items():
        entries = [e for e in CATALOGUE.values() if e.category == cat]
        if not entries:
            continue
        lines += [f"## {zh}", "", "| 代码 | 标题 | 严重性 | 何时触发 | 如何修改 |", "|---|---|---|---|---|"]
        for e in entries:
            sev = f"{e.severity}（{SEVERITY_ZH[e.severity]}）" + "".join(f"<br>{o}" for o in overrides.get(e.code, []))
            lines.append(f"| `{e.code}` | {e.title_zh}<br>*{e.title_en}* | {sev} | {e.trigger} | {e.fix} |")
        lines.append("")
    return "\n".join(lines)

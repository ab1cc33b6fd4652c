"""Scales: a spec's named word lists (word → completion ratio, in dropdown order) for 定性 targets and rules."""
from __future__ import annotations

from decimal import Decimal

from workbook_tools.model.contract import Problems, suggest
from workbook_tools.model.rules.base import to_decimal

LIST_MAX_CHARS = 255        # Excel: an in-cell dropdown list ("a,b,c") holds at most 255 characters
_BAD_CHARS = (",", '"')     # they would split or end the list text of the dropdown


def parse_scales(raw, probs: Problems) -> dict[str, dict[str, Decimal]]:
    """``scales: {name: {word: ratio, …}}`` checked: words usable in a dropdown, ratios 0–1."""
    out: dict[str, dict[str, Decimal]] = {}
    if not isinstance(raw, dict):
        return out               # the shape check reports it
    for name, words in raw.items():
        path = f"scales.{name}"
        if not isinstance(words, dict) or not words:
            probs.add(path, "评价词表应为非空映射（评价词: 完成比例）", "a scale is a non-empty mapping word: ratio")
            continue
        out[str(name)] = _parse_words(words, path, probs)
    return out


def _parse_words(words: dict, path: str, probs: Problems) -> dict[str, Decimal]:
    got: dict[str, Decimal] = {}
    for w, ratio in words.items():
        at = f"{path}.{w}"
        word = str(w).strip()
        if not word or word != str(w) or any(ch in word for ch in _BAD_CHARS):
            probs.add(at, "评价词不能为空、不能以空格开头或结尾、不能含逗号或双引号（下拉列表用逗号分隔）",
                      "a word cannot be empty, start or end with a space, or contain a comma or a double quote")
            continue
        if word.casefold() in {g.casefold() for g in got}:
            probs.add(at, f"评价词“{word}”重复（Excel 比较文字不分大小写）", f"word {word!r} repeats (Excel ignores case)")
            continue
        d = to_decimal(ratio, at, probs)
        if d is not None and not (0 <= d <= 1):
            probs.add(at, "完成比例应在 0–1 之间", "a ratio must lie between 0 and 1")
        got[word] = d if d is not None else Decimal(0)
    if len(",".join(got)) > LIST_MAX_CHARS:
        probs.add(path, f"评价词合计 {len(','.join(got))} 个字符（含分隔逗号），超过 Excel 下拉列表的 {LIST_MAX_CHARS} 个字符上限",
                  f"the words take {len(','.join(got))} characters with their commas, over Excel's dropdown limit "
                  f"of {LIST_MAX_CHARS}")
    return got


def scale_ref(name, scales: dict, path: str, probs: Problems) -> dict[str, Decimal] | None:
    """The words of the scale called ``name`` (a problem at ``path`` with a did-you-mean when there is none)."""
    if name in scales:
        return scales[name]
    guess = suggest(name, scales)
    known = "、".join(scales) or "（本规格没有 scales）"
    probs.add(path, f"没有名为 {name} 的评价词表（scales）" + (f"；您是否想写 `{guess}`？" if guess else f"；可用：{known}"),
              f"no scale named {name} (scales)" + (f"; did you mean `{guess}`?" if guess else
                                                   f"; available: {', '.join(scales) or 'none'}"))
    return None


def check_unused(scales: dict, used: set, probs: Problems):
    """A scale that no target kind and no rule uses is a mistake (a misspelt reference, a forgotten rule)."""
    for name in scales:
        if name not in used:
            probs.add(f"scales.{name}", "没有目标类别（targets.kinds[].scale）或计分规则（scale:）使用此评价词表",
                      "no target kind (targets.kinds[].scale) and no rule (scale:) uses this scale")


def word_of(raw, words) -> str | None:
    """The scale word a cell value is, compared as Excel's ``cell="word"`` does (case-insensitive), or None."""
    if not isinstance(raw, str):
        return None
    return next((w for w in words if w.casefold() == raw.casefold()), None)


def excel_lookup(cell: str, words: dict, n, empty: str = '""') -> str:
    """Excel: the ratio of the word in ``cell`` (nested IFs in dropdown order), else ``empty``."""
    body = empty
    for w, ratio in reversed(list(words.items())):
        body = f'IF({cell}="{w}",{n(ratio)},{body})'
    return body


def excel_is_word(cell: str, words) -> str:
    """Excel: TRUE when ``cell`` holds one of the words."""
    return "OR(" + ",".join(f'{cell}="{w}"' for w in words) + ")"

"""Exceptions for "the tool cannot run"; findings are data, never exceptions."""
from __future__ import annotations


class WbtoolError(Exception):
    """Base error carrying a bilingual user message and the CLI exit code."""

    exit_code = 3

    def __init__(self, zh: str, en: str | None = None, *, code: str = "error"):
        super().__init__(zh)
        self.zh = zh
        self.en = en or zh
        self.code = code

    def message(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


class UnreadableInput(WbtoolError):
    """A file cannot be opened as a workbook of ours (exit 3)."""

    exit_code = 3


class SpecError(WbtoolError):
    """A spec file is invalid; ``problems`` lists (yaml_path, message) pairs."""

    exit_code = 2

    def __init__(self, problems: list[tuple[str, str]], source: str = "spec"):
        self.problems = problems
        lines = "\n".join(f"  {p}: {m}" for p, m in problems)
        super().__init__(f"规格文件 {source} 有 {len(problems)} 处问题：\n{lines}",
                         f"spec {source} has {len(problems)} problem(s):\n{lines}",
                         code="spec-invalid")


class UsageError(WbtoolError):
    exit_code = 2


class OutputError(WbtoolError):
    """An output cannot be written (permissions, file locked, disk full)."""

    exit_code = 3

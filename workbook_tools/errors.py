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

    def __init__(self, problems: list[tuple[str, str]], source: str = "spec",
                 problems_en: list[tuple[str, str]] | None = None):
        self.problems = problems
        self.problems_en = problems_en or problems
        lines = "\n".join(f"  {p or '（顶层）'}: {m}" for p, m in problems)
        lines_en = "\n".join(f"  {p or '(top level)'}: {m}" for p, m in self.problems_en)
        super().__init__(f"规格文件 {source} 有 {len(problems)} 处问题：\n{lines}",
                         f"spec {source} has {len(problems)} problem(s):\n{lines_en}",
                         code="spec-invalid")


class UsageError(WbtoolError):
    exit_code = 2


class OutputError(WbtoolError):
    """An output cannot be written (permissions, file locked, disk full)."""

    exit_code = 3


INTERNAL_EXIT = 4      # a bug in wbtool, not a problem with the input (3)


def save_traceback(exc: BaseException, context: str = "") -> str | None:
    """Write ``exc``'s traceback to a log file (``WBTOOL_LOG_DIR`` or the temp folder); its path, or None."""
    import datetime as _dt
    import os
    import tempfile
    import traceback
    from workbook_tools import __version__
    folder = os.environ.get("WBTOOL_LOG_DIR") or os.path.join(tempfile.gettempdir(), "wbtool-logs")
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        os.makedirs(folder, exist_ok=True)
        fd, path = tempfile.mkstemp(prefix=f"wbtool-error-{stamp}-", suffix=".log", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"wbtool {__version__} internal error {_dt.datetime.now().isoformat()}\n")
            if context:
                fh.write(f"while: {context}\n")
            fh.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        return path
    except OSError:          # no writable temp folder: the message still says what happened
        return None


def internal_message(exc: BaseException, log: str | None, lang: str = "zh") -> str:
    """The user's message for a bug: what happened, that it is ours, and where the details are."""
    what = f"{type(exc).__name__}: {exc}"
    if lang == "en":
        where = f"details saved to {log}" if log else "set WBTOOL_DEBUG=1 to see the details"
        return f"internal error ({what}) — a wbtool bug, not a problem with the input; {where}. " \
               f"Please send that log and the input file to the maintainers."
    where = f"详细信息已保存到 {log}" if log else "设置 WBTOOL_DEBUG=1 可查看详细信息"
    return f"内部错误（{what}）：这是 wbtool 的缺陷，不是输入文件的问题；{where}。请将该日志和输入文件反馈给维护者。"

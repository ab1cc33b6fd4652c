"""Writing a report Document: the renderer its file name asks for (.docx / .md / .html), written atomically."""
from __future__ import annotations

import importlib
from pathlib import Path

from workbook_tools.errors import UsageError
from workbook_tools.files.atomic import atomic_output
from workbook_tools.report.document import Document


# suffix → (renderer module, function); imported when writing: the .docx renderer loads python-docx, which a
# command that writes no report never needs
RENDERERS = {".docx": ("docx", "render_docx"), ".md": ("md", "render_markdown"), ".markdown": ("md", "render_markdown"),
             ".html": ("html", "render_html"), ".htm": ("html", "render_html")}


def renderer(suffix: str):
    """The render function of an output suffix (``output_format`` has checked it)."""
    module, name = RENDERERS[suffix]
    return getattr(importlib.import_module(f"workbook_tools.report.{module}"), name)


def output_format(path: str | Path) -> str:
    """The output suffix (.docx / .md / .html); anything else is a usage error."""
    suffix = Path(path).suffix.lower()
    if suffix not in RENDERERS:
        raise UsageError(f"不支持的报告格式“{suffix or '（无扩展名）'}”：输出文件请以 .docx、.md 或 .html 结尾。",
                         f"unsupported report format '{suffix}': use .docx, .md or .html")
    return suffix


def write_document(doc: Document, output: str | Path) -> Path:
    """Render ``doc`` in the format its file name says and write it atomically."""
    data = renderer(output_format(output))(doc)
    with atomic_output(output, "wb") as fh:
        fh.write(data if isinstance(data, bytes) else data.encode("utf-8"))
    return Path(output)

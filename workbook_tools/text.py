"""Text written into workbooks: characters XML cannot hold are escaped the way Excel does (_x0008_)."""
from __future__ import annotations

import re

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def excel_text(s: str) -> str:
    """``s`` with XML-illegal characters replaced by Excel's _xHHHH_ escapes."""
    return _ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", s) if _ILLEGAL.search(s) else s

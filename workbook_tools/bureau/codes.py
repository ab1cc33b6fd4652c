"""Access codes and secrets: the units' access codes in distribute's manifest, password hashing (scrypt), session tokens.

The bureau issues the codes (distribute) and the portal (serve/) checks them: they live with the bureau."""
from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import secrets
from pathlib import Path

from workbook_tools.errors import UsageError
from workbook_tools.files.tables import code_text

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1
ACCESS_COLUMN = "访问码"           # last manifest column: each unit's access code for `wbtool serve`


def normalize_code(code: str) -> str:
    """Access codes are typed from paper: case, spaces and dashes do not matter."""
    return "".join(ch for ch in str(code).upper() if ch.isalnum())


def hash_secret(secret: str) -> str:
    """scrypt with a random salt; the text keeps its parameters so they can be raised later."""
    salt = secrets.token_bytes(16)
    h = hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(h)}"


def verify_secret(secret: str, stored: str | None) -> bool:
    if not stored:
        hash_secret(secret)             # same time whether or not the unit has a code
        return False
    try:
        kind, n, r, p, salt, h = stored.split("$")
        got = hashlib.scrypt(secret.encode("utf-8"), salt=_unb64(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(_unb64(h)))
    except (ValueError, TypeError):
        return False
    return kind == "scrypt" and hmac.compare_digest(got, _unb64(h))


def token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(tok: str) -> str:
    """Session tokens are random (256 bits): a plain SHA-256 is enough to keep them out of the database."""
    return hashlib.sha256(tok.encode("ascii", "replace")).hexdigest()


def _b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).decode("ascii").rstrip("=")


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def read_manifest_codes(path) -> dict[str, str]:
    """unit code → access code from distribute's manifest.csv (UTF-8 with BOM, or GBK after a save in Excel)."""
    raw = Path(path).read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UsageError(f"{path} 不是 UTF-8 或 GBK 编码的 CSV。", f"{path} is not a UTF-8 or GBK CSV")
    rows = list(csv.DictReader(io.StringIO(text)))
    if rows and (ACCESS_COLUMN not in rows[0] or "单位编码" not in rows[0]):
        raise UsageError(f"{path} 没有“单位编码”和“{ACCESS_COLUMN}”列：请用新版 wbtool distribute 重新生成清单。",
                         f"{path} lacks the 单位编码 and {ACCESS_COLUMN} columns")
    out = {}
    for r in rows:
        code, access = (r.get("单位编码") or "").strip(), (r.get(ACCESS_COLUMN) or "").strip()
        if code and access:
            out[code_text(code)] = access
    return out

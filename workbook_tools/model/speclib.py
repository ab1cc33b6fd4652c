"""Where a spec comes from: the search path (--spec, WBTOOL_SPEC_PATH, installed, embedded); ``load_spec`` lives here.

Precedence, highest first (docs/specs.md, "规格的查找顺序"):

1. ``--spec FILE|ID`` given to this command (``use``);
2. the folders of ``WBTOOL_SPEC_PATH`` (os.pathsep-separated), in order: every ``*.yaml``/``*.yml`` in them,
   whatever its file name, by the ``id`` it declares;
3. the specs installed with wbtool (``workbook_tools/specs``);
4. the copy a workbook carries in its hidden sheet ``_wbtool_spec`` (templates made since this round).

The bureau's copies (1–3) come before the copy inside a unit's file: a unit cannot change its own rules by editing
the hidden sheet. A workbook's copy that differs from the spec found at 1–3 (same id and version) is a finding
(spec-embedded-mismatch), and the file is scored by the bureau's spec.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from workbook_tools.errors import SpecError
from workbook_tools.model import spec as spec_module
from workbook_tools.model.spec import DEFAULT_SPEC, Spec, parse_spec

ENV = "WBTOOL_SPEC_PATH"
SPEC_SHEET = "_wbtool_spec"          # veryHidden: the spec's YAML text, one line a row
MARK = "wbtool-spec"                 # A1: what the sheet is; B1: the format version
FORMAT = "1"
FIRST_ROW = 6                        # rows 1–5 say what follows; the text starts here
CHUNK = 30000                        # an Excel cell holds 32,767 characters: longer lines continue on the next row

ORIGIN_EXPLICIT, ORIGIN_PATH, ORIGIN_PACKAGE, ORIGIN_EMBEDDED = "explicit", "path", "package", "embedded"
ORIGIN_ZH = {ORIGIN_EXPLICIT: "--spec 指定", ORIGIN_PATH: "WBTOOL_SPEC_PATH", ORIGIN_PACKAGE: "随 wbtool 安装",
             ORIGIN_EMBEDDED: "工作簿内嵌"}


def normalize(text: str) -> str:
    """The text that is hashed and embedded: line ends as \\n, no byte-order mark."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def text_hash(text: str) -> str:
    """sha256 of a spec's normalized YAML text (what a workbook records beside its copy)."""
    return hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()


def spec_hash(spec) -> str:
    """The text hash of a loaded spec ('' when it was not loaded from YAML text)."""
    text = getattr(spec, "text", "") or ""
    return text_hash(text) if text else ""


@dataclass(frozen=True)
class Found:
    """A spec file on the search path: where it is, what it declares."""
    id: str
    version: str
    origin: str
    path: str
    sha256: str
    shadowed_by: str = ""           # the path of a higher-precedence spec with the same id, if any


# ---------------------------------------------------------------- this command's --spec, and specs learnt in this run

_explicit: dict[str, tuple[str, object]] = {}   # id → (path, Spec) given with --spec FILE|ID|TEMPLATE.xlsx
_learnt: dict[tuple[str, str], object] = {}   # (id, version) → Spec read from a workbook's copy (collect, status)


def register(ref: str | Path, spec):
    """``spec``, loaded from ``ref``, first for its id for the rest of this command."""
    path = Path(str(ref)) if Path(str(ref)).is_file() else Path(spec.source)
    if path.is_file():
        _explicit[spec.id] = (os.path.abspath(path), spec)
    return spec


def learn(spec) -> None:
    """A spec read from a workbook's copy, kept for later lookups by id in this run (summaries, status)."""
    _learnt.setdefault((spec.id, spec.version), spec)


def reset() -> None:
    """Forget --spec and learnt copies (the CLI calls this after every command)."""
    _explicit.clear()
    _learnt.clear()


def explicit_refs() -> tuple[str, ...]:
    """The --spec files of this command, for worker processes (``use`` each there)."""
    return tuple(p for p, _ in _explicit.values())


# ---------------------------------------------------------------- the search path

def path_dirs() -> list[Path]:
    """The folders of WBTOOL_SPEC_PATH, in order (empty entries skipped)."""
    return [Path(p).expanduser() for p in os.environ.get(ENV, "").split(os.pathsep) if p.strip()]


_HEAD_CACHE: dict[str, tuple[str, str, str] | None] = {}


def _head(path: Path) -> tuple[str, str, str] | None:
    """(id, version, text sha256) a YAML file declares, or None when it is not a spec (cached by mtime and size:
    the search path is consulted for every workbook read)."""
    try:
        st = path.stat()
    except OSError:
        return None
    key = f"{os.path.abspath(path)}:{st.st_mtime_ns}:{st.st_size}"
    if key not in _HEAD_CACHE:
        try:
            text = path.read_text(encoding="utf-8")
            data = yaml.safe_load(text)
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            data = text = None
        ok = isinstance(data, dict) and isinstance(data.get("id"), str) and data.get("id")
        _HEAD_CACHE[key] = (data["id"], str(data.get("version", "")), text_hash(text)) if ok else None
    return _HEAD_CACHE[key]


_FOLDERS: dict[str, tuple[int, list[Path]]] = {}


def _folder_specs(folder: Path) -> list[Path]:
    """The YAML files of a folder (listed again only when the folder changed: files added, removed, renamed)."""
    try:
        mtime = folder.stat().st_mtime_ns
        key = os.path.abspath(folder)
        if key not in _FOLDERS or _FOLDERS[key][0] != mtime:
            _FOLDERS[key] = (mtime, sorted(p for p in folder.iterdir()
                                           if p.suffix.lower() in (".yaml", ".yml") and p.is_file()))
        return _FOLDERS[key][1]
    except OSError:
        return []


_MEMO: dict[tuple, list[Found]] = {}


def candidates() -> list[Found]:
    """Every spec on the search path (--spec, WBTOOL_SPEC_PATH, installed), highest precedence first.

    Asked for every workbook read: remembered while --spec, WBTOOL_SPEC_PATH, each folder (files added, removed,
    renamed) and each spec file (size, mtime) stay the same."""
    folders = [*path_dirs(), _package_dir()]
    files = tuple(_stamp(p) for d in folders for p in _folder_specs(d))
    key = (tuple(p for p, _ in _explicit.values()), os.environ.get(ENV, ""), tuple(_mtime(d) for d in folders), files)
    if key not in _MEMO:
        if len(_MEMO) > 64:
            _MEMO.clear()
        _MEMO[key] = _candidates(folders)
    return _MEMO[key]


_PACKAGE: dict = {}


def _package_dir() -> Path:
    """The installed specs' folder (asked once per ``spec_dir`` function: importlib.resources is slow to ask for
    every workbook; a test that replaces spec_dir is still obeyed)."""
    fn = spec_module.spec_dir
    if _PACKAGE.get("fn") is not fn:
        _PACKAGE.update(fn=fn, dir=Path(fn()))
    return _PACKAGE["dir"]


def _stamp(path: Path) -> tuple:
    try:
        st = path.stat()
        return (st.st_mtime_ns, st.st_size)
    except OSError:
        return (-1, -1)


def _mtime(folder: Path) -> int:
    try:
        return folder.stat().st_mtime_ns
    except OSError:
        return -1


def _candidates(folders: list[Path]) -> list[Found]:
    out: list[Found] = []
    seen_paths: set[str] = set()

    def add(path: Path, origin: str):
        rp = os.path.abspath(path)
        if rp in seen_paths:
            return
        head = _head(path)
        if head is None:
            return
        seen_paths.add(rp)
        out.append(Found(head[0], head[1], origin, rp, head[2]))

    for p, spec in _explicit.values():
        seen_paths.add(p)
        out.append(Found(spec.id, spec.version, ORIGIN_EXPLICIT, p, spec_hash(spec)))
    for d in folders[:-1]:
        for p in _folder_specs(d):
            add(p, ORIGIN_PATH)
    for p in _folder_specs(folders[-1]):
        add(p, ORIGIN_PACKAGE)
    first: dict[str, str] = {}
    marked = []
    for f in out:
        if f.id in first:
            f = Found(f.id, f.version, f.origin, f.path, f.sha256, shadowed_by=first[f.id])
        else:
            first[f.id] = f.path
        marked.append(f)
    return marked


def find(spec_id: str, version: str | None = None) -> Found | None:
    """The spec file for ``spec_id`` by precedence (with ``version``: the first of that version, if any)."""
    found = [f for f in candidates() if f.id == spec_id]
    if version is not None:
        same = [f for f in found if f.version == version]
        if same:
            return same[0]
    return found[0] if found else None


def resolve(spec_id: str, version: str | None = None):
    """The Spec for an id by the search path, then a copy learnt from a workbook in this run; None if unknown."""
    f = find(spec_id, version)
    if f is not None:
        return load(f)
    if version is not None and (spec_id, version) in _learnt:
        return _learnt[(spec_id, version)]
    same = [s for (i, _), s in _learnt.items() if i == spec_id]
    return same[0] if same else None


def load(found: Found):
    """The Spec of a search-path entry."""
    if found.origin == ORIGIN_EXPLICIT and found.id in _explicit and _explicit[found.id][0] == found.path:
        return _explicit[found.id][1]
    return load_spec(found.path)


def known_ids() -> list[str]:
    return sorted({f.id for f in candidates()})


# ---------------------------------------------------------------- the workbook's copy

def embed_rows(spec) -> list[list[str]] | None:
    """The rows of the hidden spec sheet for ``spec`` (None when the spec has no YAML text)."""
    text = normalize(getattr(spec, "text", "") or "")
    if not text:
        return None
    lines = text.split("\n")
    body = []
    for line in lines:
        pieces = [line[i:i + CHUNK] for i in range(0, len(line), CHUNK)] or [""]
        # a leading mark keeps indentation and empty lines intact in every program ("|" a line, "+" its continuation)
        body += [["|" + pieces[0]]] + [["+" + p] for p in pieces[1:]]
    head = [[MARK, FORMAT], ["spec_id", spec.id], ["spec_version", spec.version], ["sha256", text_hash(text)],
            ["rows", str(len(body))]]
    return head + body


@dataclass(frozen=True)
class Embedded:
    """A workbook's copy of its spec, as read back."""
    spec_id: str
    version: str
    sha256: str                 # as recorded in the workbook
    text: str
    intact: bool                # the text hashes to the recorded sha256

    def spec(self, source: str):
        """The copy parsed (raises SpecError when it does not parse)."""
        return spec_from_text(self.text, f"{source}!{SPEC_SHEET}")


def read_embedded(book) -> Embedded | None:
    """The copy in ``book``'s hidden spec sheet, or None when the workbook has none (made before this round)."""
    if SPEC_SHEET not in book.sheet_names():
        return None
    cells = book.read_sheet(SPEC_SHEET)

    def val(coord):
        c = cells.get(coord)
        return "" if c is None or c.value is None else str(c.value)

    if val("A1") != MARK:
        return None
    try:
        n = int(float(val("B5")))
    except ValueError:
        n = 0
    lines: list[str] = []
    for r in range(FIRST_ROW, FIRST_ROW + n):
        v = val(f"A{r}")
        if v.startswith("+") and lines:
            lines[-1] += v[1:]
        else:
            lines.append(v[1:] if v.startswith("|") else v)
    text = "\n".join(lines)
    recorded = val("B4")
    return Embedded(val("B2"), val("B3"), recorded, text, bool(text) and text_hash(text) == recorded)


def spec_from_text(text: str, source: str):
    """A Spec from YAML text (the embedded copy), carrying that text."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise SpecError([("", f"YAML 无法解析：{e}")], source) from None
    spec = parse_spec(data, source=source)
    spec.text = normalize(text)
    return spec


def embedded_origin(spec) -> bool:
    return str(getattr(spec, "source", "")).endswith("!" + SPEC_SHEET)


def learn_texts(texts: dict[str, str]) -> None:
    """Spec texts kept elsewhere (collect keeps the returns' copies in its database, ``spec:<id>@<version>``),
    learnt for lookups by id in this run (status, summaries of a database)."""
    for key, text in texts.items():
        try:
            learn(spec_from_text(text, key))
        except SpecError:
            continue


# ---------------------------------------------------------------- what `wbtool specs` shows

def listing() -> list[dict]:
    """Every spec on the search path, highest precedence first: id, version, title, where it came from, and which
    spec shadows it (a later entry with the same id is not used); a file that does not load says why."""
    rows = []
    for f in candidates():
        row = {"id": f.id, "version": f.version, "origin": f.origin, "origin_zh": ORIGIN_ZH[f.origin],
               "path": f.path, "sha256": f.sha256, "shadowed_by": f.shadowed_by or None, "title": "", "leaves": None,
               "error": None}
        try:
            spec = load(f) if f.origin == ORIGIN_EXPLICIT else load_spec(f.path)
            row.update(title=spec.title, leaves=len(spec.leaves()), total=str(spec.total_weight))
        except SpecError as e:
            row["error"] = e.zh
        rows.append(row)
    return rows


def skipped_files() -> list[str]:
    """YAML files in the WBTOOL_SPEC_PATH folders that are not specs (no ``id``), and folders that do not exist."""
    out = []
    for d in path_dirs():
        if not d.is_dir():
            out.append(f"{d}（文件夹不存在）")
            continue
        out += [f"{p}（不是规格：没有 id）" for p in _folder_specs(d) if _head(p) is None]
    return out


# ---------------------------------------------------------------- loading a spec

_CACHE: dict[str, Spec] = {}


def load_spec(ref: str | Path | None = None) -> Spec:
    """A spec by id (the search path: --spec, WBTOOL_SPEC_PATH, installed, learnt), or a YAML file by path; raises
    SpecError listing every problem. (A template's own copy, ``--spec template.xlsx``: files.specsheet.load_spec.)"""
    ref = str(ref or DEFAULT_SPEC)
    path = Path(ref)
    if path.suffix.lower() in (".xlsx", ".xlsm") and path.is_file():
        raise SpecError([("", "这是一个工作簿：其内嵌规格由 files.specsheet.load_spec 读取")], ref)
    if not (path.suffix in (".yaml", ".yml") and path.exists()):
        found = find(ref)
        if found is None:
            learnt = resolve(ref)
            if learnt is not None:
                return learnt
            raise SpecError([("", f"未知的规格 {ref}；可用：{', '.join(known_ids())}"
                                  f"（查找顺序见 wbtool specs）")], ref)
        if found.origin == ORIGIN_EXPLICIT:
            return load(found)
        path = Path(found.path)
    st = path.stat()
    key = f"{path.resolve()}:{st.st_mtime_ns}:{st.st_size}"
    if key not in _CACHE:
        try:
            text = path.read_text(encoding="utf-8")
            data = yaml.safe_load(text)
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            raise SpecError([("", f"YAML 无法解析：{e}")], str(path)) from None
        spec = parse_spec(data, source=str(path))
        spec.text = normalize(text)
        _CACHE[key] = spec
    return _CACHE[key]

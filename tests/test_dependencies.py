"""The package's dependency graph, read from the source (AST): no import cycles, imports point down the rooms,
and a function-level import of a package module has a reason.

Rooms, lowest first (docs/architecture.md draws them):

    base      errors, numbers, text, cells; the findings vocabulary (catalogue.py, checks/findings.py)
    model     model/  the form: spec, layout, engine, template, project books
    files     files/  Excel I/O: safety, xlsxfile, reader, live, atomic, fill, marks, export
    checks    checks/ (the catalogue's checks, validate, render) and foreign/ (forms we did not make)
    bureau    bureau/ and report/
    entry     serve/, commands/, cli.py, docs.py

A module may import its own room and any room below it. An import that points up is listed in UPWARD with
its reason. Imports are counted at every level (module and function): a cycle through a function-level import
is still a cycle — it only waits for the first call to show up (a half-initialised module, an import-order
bug), and it hides which module is the lower one.

Function-level imports of package modules are for start-up time only:
  * the entry layer (cli.py, commands/) imports each command's library lazily, so `wbtool --help` and one
    command do not load every other command's libraries;
  * anywhere else, only when the imported module (with what it imports at module level) loads a heavy or
    optional third-party library (HEAVY) that the importing module does not load already, or on a rare path
    listed in RARE_PATH (validate of a foreign form: every other validate skips the foreign reader).
Other function-level imports are hoisted to the top of the module; the modules other helpers are reworking
right now are listed in LAZY_PENDING until their work lands.
"""
from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

PKG = "workbook_tools"
ROOT = Path(__file__).resolve().parent.parent / PKG

# third-party libraries slow to import (openpyxl ~0.3 s, pandas ~0.5 s, python-docx, XlsxWriter) or optional
# (xlwings: the `excel` extra; starlette/uvicorn/jinja2/multipart: the `serve` extra)
HEAVY = {"openpyxl", "pandas", "docx", "xlsxwriter", "xlwings", "python_calamine", "starlette", "uvicorn", "jinja2",
         "multipart", "python_multipart"}

RANK = {"base": 0, "model": 1, "files": 2, "checks": 3, "foreign": 3, "bureau": 4, "report": 4,
        "serve": 5, "commands": 5, "entry": 5}
BASE = {f"{PKG}.errors", f"{PKG}.numbers", f"{PKG}.text", f"{PKG}.cells", f"{PKG}.catalogue",
        f"{PKG}.checks.findings", PKG}
ENTRY = {f"{PKG}.cli", f"{PKG}.docs"}

# (importer, imported): an import that points up a room, and why it is there
UPWARD = {
    (f"{PKG}.model.template", f"{PKG}.files.atomic"): "the template builder writes the .xlsx it designs",
    (f"{PKG}.model.template", f"{PKG}.files.fill"): "a new template carries computed values (fill's recalc)",
    (f"{PKG}.model.template", f"{PKG}.files.reader"): "the template builder reads back the form it built",
    (f"{PKG}.model.template", f"{PKG}.files.xlsxfile"): "project sheets are copied at the package level",
    (f"{PKG}.model.projectlink", f"{PKG}.files.reader"): "the overall form's link reads the unit's project books",
    (f"{PKG}.model.projectlink", f"{PKG}.files.tables"): "〃 (code columns read as Excel shows them)",
    (f"{PKG}.files.live", f"{PKG}.checks.validate"): "validate --live: the open workbook in Excel, validated",
    (f"{PKG}.files.export", f"{PKG}.foreign"): "export of a foreign form goes to its own schema",
    (f"{PKG}.files.export", f"{PKG}.foreign.describe"): "〃",
    (f"{PKG}.foreign.review", f"{PKG}.bureau.records"): "a foreign return becomes collect's record (Submission)",
}

# Known cycles, each with the reason it is still there. Remove the entry when the cycle is gone (the test then
# fails if it comes back). None left: the search path (model.speclib) owns load_spec and imports the parser
# (model.spec); a workbook's own copy is read by files.specsheet.
ALLOWED_CYCLES: list[set[str]] = []

# Function-level imports on a rare path, kept lazy for the start-up time of the common one (importer, imported)
RARE_PATH = {
    (f"{PKG}.checks.validate", f"{PKG}.foreign"): "a foreign form or .xls: every other validate skips its reader",
    (f"{PKG}.files.export", f"{PKG}.foreign"): "〃 for export",
    (f"{PKG}.files.export", f"{PKG}.foreign.describe"): "〃",
}

# Modules whose function-level package imports are not hoisted yet, and who is on them. Keep it true: a module
# listed here that no longer has one fails the test (take it off the list).
LAZY_PENDING = {
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def room(mod: str) -> str:
    if mod in BASE:
        return "base"
    if mod in ENTRY:
        return "entry"
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANK else "base"


def _function_level(tree: ast.AST) -> set[int]:
    """ids of the import nodes inside a function (or a method)."""
    inner = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            inner |= {id(n) for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))}
    return inner


def imports(mod: str) -> list[tuple[str, int, bool]]:
    """(imported name, line, in a function?) for every import of ``mod``; ``from a import b`` names a.b when
    a.b is a module of the package, else a."""
    return list(_imports(mod))


@lru_cache(maxsize=None)
def _imports(mod: str) -> tuple:
    return tuple(_scan(mod))


def _scan(mod: str):
    tree = ast.parse(MODULES[mod].read_text(encoding="utf-8"))
    inner = _function_level(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, node.lineno, id(node) in inner
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            subs = [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES]
            for name in subs or [node.module]:
                yield name, node.lineno, id(node) in inner
            if subs and len(subs) < len(node.names):      # names of the package module itself as well
                yield node.module, node.lineno, id(node) in inner


def graph(level: str = "all") -> dict[str, set[str]]:
    """importer → imported package modules (``level``: "all", "module" or "function")."""
    g = {m: set() for m in MODULES}
    for m in MODULES:
        for name, _, fn in imports(m):
            if name in MODULES and name != m and name != PKG and (level == "all" or fn == (level == "function")):
                g[m].add(name)
    return g


def cycles(g: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def heavy_loaded(mod: str, g_module: dict[str, set[str]]) -> set[str]:
    """The HEAVY libraries importing ``mod`` loads (its module-level imports, followed through the package)."""
    seen, todo, out = set(), [mod], set()
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        out |= {name.split(".")[0] for name, _, fn in imports(m) if not fn and name.split(".")[0] in HEAVY}
        todo += g_module[m]
    return out


# ---------------------------------------------------------------------------------------------- the tests

def test_the_scan_sees_the_package():
    """The scanner must be able to fail: it finds the modules and the known edges."""
    g = graph()
    assert len(MODULES) > 80
    assert f"{PKG}.report.document" in g[f"{PKG}.report.docx"]
    assert f"{PKG}.checks.validate" in g[f"{PKG}.cli"]                       # a function-level import
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def test_no_import_cycles():
    found = cycles(graph())
    unexpected = [sorted(c) for c in found if c not in ALLOWED_CYCLES]
    assert not unexpected, f"import cycles (module- or function-level): {unexpected}"
    stale = [sorted(c) for c in ALLOWED_CYCLES if c not in found]
    assert not stale, f"ALLOWED_CYCLES lists a cycle that is gone — take it off: {stale}"


def test_imports_point_down_the_rooms():
    g = graph()
    up = {(a, b) for a, deps in g.items() for b in deps if RANK[room(b)] > RANK[room(a)]}
    unexplained = sorted(up - set(UPWARD))
    assert not unexplained, f"imports pointing up a room (see docs/architecture.md): {unexplained}"
    stale = sorted(set(UPWARD) - up)
    assert not stale, f"UPWARD lists imports that are gone — take them off: {stale}"


def test_function_level_imports_have_a_reason():
    g_module = graph("module")
    heavy = {m: heavy_loaded(m, g_module) for m in MODULES}
    bad, pending_seen = [], set()
    for mod in MODULES:
        if mod in ENTRY or mod.startswith(f"{PKG}.commands"):
            continue                          # the CLI imports each command's library when it runs
        own = heavy[mod]
        for name, line, fn in imports(mod):
            if not fn or name not in MODULES or name in (mod, PKG):
                continue
            if heavy[name] - own or (mod, name) in RARE_PATH:
                continue                      # loads a heavy/optional library the caller does not, or a rare path
            if mod in LAZY_PENDING:
                pending_seen.add(mod)
                continue
            bad.append(f"{MODULES[mod].relative_to(ROOT.parent)}:{line} imports {name} inside a function")
    assert not bad, "function-level imports without a reason (hoist them):\n" + "\n".join(bad)
    stale = sorted(set(LAZY_PENDING) - pending_seen)
    assert not stale, f"LAZY_PENDING lists modules without such imports any more — take them off: {stale}"


def test_click_only_in_the_cli():
    users = sorted(m for m in MODULES for name, _, _ in imports(m)
                   if name.split(".")[0] == "click" and not (m in ENTRY or m.startswith(f"{PKG}.commands")))
    assert not users, f"click imported by library modules: {users}"


def test_renderers_know_only_the_document_model():
    for r in ("docx", "html", "md"):
        deps = {d for d in graph()[f"{PKG}.report.{r}"] if d.startswith(f"{PKG}.report")}
        assert deps <= {f"{PKG}.report.document"}, (r, deps)

"""List the functions of workbook_tools/ longer than a limit (default 50 lines), longest first.

    python scripts/long_functions.py            # every room
    python scripts/long_functions.py --limit 40 files checks
"""
from __future__ import annotations

import argparse
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "workbook_tools"


def long_functions(limit: int = 50, rooms: tuple[str, ...] = ()) -> list[tuple[int, str, str]]:
    """(lines, file, qualified name) of every function over ``limit`` lines (decorators and docstring included)."""
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).as_posix()
        if rooms and not any(rel.startswith(f"workbook_tools/{r}") for r in rooms):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        stack = [(tree, "")]
        while stack:
            node, prefix = stack.pop()
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    start = min([child.lineno] + [d.lineno for d in child.decorator_list])
                    n = child.end_lineno - start + 1
                    if n > limit:
                        out.append((n, rel, prefix + child.name))
                    stack.append((child, f"{prefix}{child.name}."))
                elif isinstance(child, ast.ClassDef):
                    stack.append((child, f"{prefix}{child.name}."))
    return sorted(out, reverse=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rooms", nargs="*", help="folders or modules under workbook_tools/ (default: all)")
    ap.add_argument("--limit", type=int, default=50)
    args = ap.parse_args()
    for n, rel, name in long_functions(args.limit, tuple(args.rooms)):
        print(f"{n:4d}  {rel}  {name}")


if __name__ == "__main__":
    main()

"""The registry of scoring rule types: every ``RuleType`` subclass in a module of this package, by its YAML name.

Adding a rule type = adding one module here (plus its tests); the spec contract, JSON Schema, docs and the
LibreOffice agreement test pick it up from this registry.
"""
from __future__ import annotations

import importlib
import pkgutil

from workbook_tools.model.rules.base import QUAL_GRADES, BasisInput, RuleType

__all__ = ["RULES", "QUAL_GRADES", "BasisInput", "RuleType", "refresh", "rule_type"]


def _discover() -> dict[str, RuleType]:
    found: list[RuleType] = []
    for mod in pkgutil.iter_modules(__path__):
        if mod.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, RuleType) and obj is not RuleType and obj.name \
                    and obj.__module__ == module.__name__:
                found.append(obj())
    found.sort(key=lambda r: (r.order, r.name))
    out = {r.name: r for r in found}
    assert len(out) == len(found), "two rule types share a name"
    return out


RULES: dict[str, RuleType] = _discover()


def rule_type(name: str) -> RuleType:
    return RULES[name]


def refresh() -> dict[str, RuleType]:
    """Discover the rule modules again, in place (a test that adds a module to this package's path uses it)."""
    found = _discover()
    RULES.clear()
    RULES.update(found)
    return RULES

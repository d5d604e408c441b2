"""Finding what features contribute by convention: `<feature>.jobs` and `<feature>.demo`."""

import importlib
import pkgutil
from types import ModuleType

import jichikai


def feature_modules(name: str) -> list[ModuleType]:
    """Every `jichikai.<feature>.<name>` module that exists, in feature-name order."""
    found = []
    for info in sorted(pkgutil.iter_modules(jichikai.__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        module_name = f"jichikai.{info.name}.{name}"
        if importlib.util.find_spec(module_name) is None:
            continue
        found.append(importlib.import_module(module_name))
    return found

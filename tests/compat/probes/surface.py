"""Print the public surface of whichever ``opentracing`` is importable, as JSON.

For every module of the package: each top-level name that the package itself defines or
re-exports (names of other packages' objects, such as ``threading.Lock``, and of modules
are left out), with its kind, its value for plain constants, its call signature, and for
classes the signature of every method and the list of properties and class attributes.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import sys
from typing import Any, Dict, List, Optional

SKIP_NAMES = {"absolute_import", "annotations"}


def _parameters(obj: Any) -> Optional[List[List[str]]]:
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    return [
        [p.name, p.kind.name, "" if p.default is p.empty else repr(p.default)]
        for p in signature.parameters.values()
    ]


def _ours(obj: Any) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module == "opentracing" or module.startswith("opentracing.")


def _describe_class(cls: type) -> Dict[str, Any]:
    members: Dict[str, Any] = {}
    for klass in reversed(cls.__mro__[:-1]):  # object's own members are not of interest
        if not _ours(klass):
            continue
        for name, value in vars(klass).items():
            if name.startswith("__") and name not in ("__init__", "__enter__", "__exit__"):
                continue
            if isinstance(value, (staticmethod, classmethod)):
                kind = type(value).__name__
                params = _parameters(value.__func__)
            elif isinstance(value, property):
                kind, params = "property", None
            elif inspect.isfunction(value):
                kind, params = "method", _parameters(value)
            elif isinstance(value, (str, int, float, bool, type(None))):
                kind, params = "constant:" + repr(value), None
            else:
                kind, params = "attribute", None
            members[name] = {"kind": kind, "params": params}
    return {
        "kind": "class",
        "bases": [b.__module__ + "." + b.__qualname__ for b in cls.__mro__[1:-1]],
        "members": members,
        "params": _parameters(cls),
    }


def _describe(obj: Any) -> Optional[Dict[str, Any]]:
    if inspect.ismodule(obj):
        return None
    if isinstance(obj, (str, int, float, bool, type(None))):
        return {"kind": "constant", "value": repr(obj)}
    if isinstance(obj, (dict, list, tuple)) and not callable(obj):
        return {"kind": "constant", "value": repr(obj)}
    if not _ours(obj) and not _ours(type(obj)):
        return None  # an import from the standard library or a framework
    if inspect.isclass(obj):
        return _describe_class(obj)
    if callable(obj):
        return {"kind": "function", "params": _parameters(obj)}
    return {"kind": "instance:" + type(obj).__qualname__}


def main() -> None:
    import opentracing

    modules: Dict[str, Any] = {}
    names = ["opentracing"] + [
        info.name
        for info in pkgutil.walk_packages(opentracing.__path__, "opentracing.")
        if not info.name.split(".")[-1].startswith("_") or info.name.endswith("__init__")
    ]
    for name in sorted(set(names)):
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # a framework this interpreter lacks
            modules[name] = {"error": "%s: %s" % (type(exc).__name__, exc)}
            continue
        entries = {}
        for attr, value in sorted(vars(module).items()):
            if attr.startswith("__") or attr in SKIP_NAMES:
                continue
            described = _describe(value)
            if described is not None:
                entries[attr] = described
        modules[name] = {"names": entries}
    json.dump({"file": opentracing.__file__, "modules": modules}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()

"""Replacing one attribute of a module, class or object, and putting the original back.

An :class:`Applied` remembers where the replacement went, the exact object it replaced and
whether the attribute was the owner's own, so :func:`restore` can put back the very same
object (or delete the shadowing attribute it created on a subclass or an instance).
"""

from __future__ import annotations

import threading
from types import ModuleType
from typing import Any, Callable, Dict, List, Optional, Tuple

__all__ = ["Applied", "apply", "lookup", "restore"]

_lock = threading.RLock()
# Replacements that could not be taken out because something else wrapped them since;
# they pass calls straight through, and are skipped when the layer above is restored.
_orphans: Dict[int, "Applied"] = {}


class Applied:
    """One installed replacement: ``owner.attribute`` was ``original`` (``created``: it was
    not the owner's own attribute, but inherited or served dynamically)."""

    __slots__ = ("owner", "attribute", "original", "replacement", "created", "switch")

    def __init__(self, owner: Any, attribute: str, original: Any, replacement: Any, created: bool,
                 switch: Optional[List[bool]]) -> None:
        self.owner = owner
        self.attribute = attribute
        self.original = original
        self.replacement = replacement
        self.created = created
        # A non-empty list while the replacement is on: wrapt reads a non-callable
        # ``enabled`` by its truth, so clearing it turns the wrapper off at no per-call cost.
        self.switch = switch

    def __repr__(self) -> str:
        return f"<Applied {_describe(self.owner)}.{self.attribute}>"


def lookup(owner: Any, attribute: str) -> Tuple[Any, bool]:
    """The object stored for ``owner.attribute`` without binding it (a class's raw
    ``__dict__`` entry: the function, ``classmethod`` or ``staticmethod`` object, found
    along the MRO), and whether it is the owner's own. Raises AttributeError naming it."""
    if isinstance(owner, type):
        for klass in owner.__mro__:
            if attribute in klass.__dict__:
                return klass.__dict__[attribute], klass is owner
    else:
        namespace = _own_dict(owner)
        if namespace is not None and attribute in namespace:
            return namespace[attribute], True
    try:
        return getattr(owner, attribute), False
    except AttributeError:
        raise AttributeError(f"{_describe(owner)} has no attribute {attribute!r}") from None


def apply(owner: Any, attribute: str, replacement: Callable[[Any], Any],
          switch: Optional[List[bool]] = None) -> Applied:
    """Set ``owner.attribute`` to ``replacement(original)``; the result undoes it."""
    with _lock:
        original, own = lookup(owner, attribute)
        if not own and not isinstance(owner, (type, ModuleType)):
            original = getattr(owner, attribute)  # an instance: wrap the bound method
        new = replacement(original)
        setattr(owner, attribute, new)
        return Applied(owner, attribute, original, new, not own, switch)


def restore(applied: Applied) -> bool:
    """Put the original back; False when something has wrapped the replacement since, so
    that taking it out would drop that layer too: then it is turned off (when it has a
    switch) and taken out later, when the layer above it is restored through this module."""
    with _lock:
        current = _own_dict(applied.owner)
        value = current.get(applied.attribute, _MISSING) if current is not None else _MISSING
        if value is not applied.replacement:
            if applied.switch is not None:
                applied.switch.clear()
            _orphans[id(applied.replacement)] = applied
            return False
        original, created = applied.original, applied.created
        while True:
            orphan = _orphans.get(id(original))
            if orphan is None or orphan.replacement is not original or orphan.owner is not applied.owner \
                    or orphan.attribute != applied.attribute:
                break
            del _orphans[id(original)]
            original, created = orphan.original, orphan.created
        if applied.switch is not None:
            applied.switch.clear()
        if created:
            delattr(applied.owner, applied.attribute)
        else:
            setattr(applied.owner, applied.attribute, original)
        return True


_MISSING = object()


def _own_dict(owner: Any) -> Optional[Dict[str, Any]]:
    try:
        namespace = object.__getattribute__(owner, "__dict__")
    except Exception:
        return None
    return namespace if isinstance(namespace, dict) or hasattr(namespace, "get") else None


def _describe(owner: Any) -> str:
    name = getattr(owner, "__qualname__", None) if isinstance(owner, type) else getattr(owner, "__name__", None)
    if isinstance(owner, type):
        return f"class {owner.__module__}.{name}"
    if isinstance(owner, ModuleType):
        return f"module {name}"
    return f"{type(owner).__name__} object"

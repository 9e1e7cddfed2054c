"""A scope manager that keeps the active scope on the current greenlet.

Each greenlet has its own stack of scopes and a spawned greenlet starts with none: pass
the span to it and activate it there. Requires gevent.
"""

from __future__ import annotations

from typing import Any, Optional

try:
    import gevent
except ImportError as exc:  # pragma: no cover - exercised without gevent installed
    raise ImportError(
        "opentracing.scope_managers.gevent needs gevent: pip install 'opentracing[gevent]'"
    ) from exc

from ..scope import Scope
from ..scope_manager import ScopeManager  # noqa: F401  (OpenTracing 2.4 exposes it here)
from ._stack import StackScope, StackScopeManager
from .constants import ACTIVE_ATTR

__all__ = ["GeventScopeManager"]


class _GeventScope(StackScope):
    """A scope of :class:`GeventScopeManager`."""


class GeventScopeManager(StackScopeManager):
    """Keeps the active scope as an attribute of ``gevent.getcurrent()``.

    Works in the main greenlet too (the hub-less main thread), so code outside any spawned
    greenlet can activate spans as with a thread-local manager.
    """

    _scope_class = _GeventScope

    @property
    def active(self) -> Optional[Scope]:
        return getattr(gevent.getcurrent(), ACTIVE_ATTR, None)

    def set_active(self, scope: Optional[Scope]) -> None:
        setattr(gevent.getcurrent(), ACTIVE_ATTR, scope)

    def _get_greenlet_scope(self, greenlet: Any = None) -> Optional[Scope]:
        """The active scope of ``greenlet`` (by default the current one)."""
        return getattr(gevent.getcurrent() if greenlet is None else greenlet, ACTIVE_ATTR, None)

    def _set_greenlet_scope(self, scope: Optional[Scope], greenlet: Any = None) -> None:
        """Make ``scope`` the active scope of ``greenlet`` (by default the current one)."""
        setattr(gevent.getcurrent() if greenlet is None else greenlet, ACTIVE_ATTR, scope)

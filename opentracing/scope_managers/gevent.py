"""A scope manager that keeps the active scope on the current greenlet.

Each greenlet has its own stack of scopes and a spawned greenlet starts with none: pass
the span to it and activate it there. Requires gevent.
"""

from __future__ import annotations

from typing import Optional

try:
    import gevent
except ImportError as exc:  # pragma: no cover - exercised without gevent installed
    raise ImportError(
        "opentracing.scope_managers.gevent needs gevent: pip install 'opentracing[gevent]'"
    ) from exc

from ..scope import Scope
from ._stack import _StackScopeManager
from .constants import ACTIVE_ATTR

__all__ = ["GeventScopeManager"]


class GeventScopeManager(_StackScopeManager):
    """Keeps the active scope as an attribute of ``gevent.getcurrent()``.

    Works in the main greenlet too (the hub-less main thread), so code outside any spawned
    greenlet can activate spans as with a thread-local manager.
    """

    @property
    def active(self) -> Optional[Scope]:
        return getattr(gevent.getcurrent(), ACTIVE_ATTR, None)

    def _set_active(self, scope: Optional[Scope]) -> None:
        setattr(gevent.getcurrent(), ACTIVE_ATTR, scope)

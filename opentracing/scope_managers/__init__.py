"""Scope managers. This package holds :class:`ThreadLocalScopeManager`; the managers for
asyncio, contextvars, gevent and Tornado live in submodules of their own, imported on
demand because each needs its framework."""

from __future__ import annotations

import threading
from typing import Optional, Type

from ..scope import Scope
from ..scope_manager import ScopeManager  # noqa: F401  (OpenTracing 2.x exposes it here)
from ._stack import StackScope, StackScopeManager

__all__ = ["StackScope", "StackScopeManager", "ThreadLocalScopeManager"]


class _ThreadLocalScope(StackScope):
    """A scope of :class:`ThreadLocalScopeManager`."""


class ThreadLocalScopeManager(StackScopeManager):
    """Keeps the active scope in thread-local storage: each thread has its own stack.

    Right for code where one request runs on one thread. A span started in one thread
    and carried into another must be activated there again.
    """

    _scope_class: Type[StackScope] = _ThreadLocalScope

    def __init__(self) -> None:
        super().__init__()
        self._tls_scope = threading.local()

    @property
    def active(self) -> Optional[Scope]:
        return getattr(self._tls_scope, "active", None)

    def set_active(self, scope: Optional[Scope]) -> None:
        self._tls_scope.active = scope

"""A scope manager that keeps the active scope on the current :class:`asyncio.Task`.

Each task has its own stack of scopes, and a new task starts with none: to parent work in
another task, pass the span and activate it there (or use
:class:`~opentracing.scope_managers.contextvars.ContextVarsScopeManager`, which hands the
active scope to new tasks by itself). Outside a running task, it behaves like
:class:`~opentracing.scope_managers.ThreadLocalScopeManager`.
"""

from __future__ import annotations

import asyncio
from typing import Optional

from ..scope import Scope
from . import ThreadLocalScopeManager
from ._stack import StackScope
from .constants import ACTIVE_ATTR

__all__ = ["AsyncioScopeManager"]


def _current_task() -> Optional["asyncio.Task[object]"]:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running event loop in this thread
        return None


class _AsyncioScope(StackScope):
    """A scope of :class:`AsyncioScopeManager`."""


class AsyncioScopeManager(ThreadLocalScopeManager):
    """Keeps the active scope as an attribute of the running asyncio task."""

    _scope_class = _AsyncioScope

    @property
    def active(self) -> Optional[Scope]:
        task = _current_task()
        if task is None:
            return getattr(self._tls_scope, "active", None)
        return getattr(task, ACTIVE_ATTR, None)

    def set_active(self, scope: Optional[Scope]) -> None:
        task = _current_task()
        if task is None:
            self._tls_scope.active = scope
        else:
            setattr(task, ACTIVE_ATTR, scope)

    def _get_task(self) -> Optional["asyncio.Task[object]"]:
        """The running task, or None outside one."""
        return _current_task()

    def _set_task_scope(
        self, scope: Optional[Scope], task: Optional["asyncio.Task[object]"] = None
    ) -> None:
        """Make ``scope`` the active scope of ``task`` (by default the running one)."""
        setattr(_current_task() if task is None else task, ACTIVE_ATTR, scope)

    def _get_task_scope(self, task: Optional["asyncio.Task[object]"] = None) -> Optional[Scope]:
        """The active scope of ``task`` (by default the running one)."""
        return getattr(_current_task() if task is None else task, ACTIVE_ATTR, None)

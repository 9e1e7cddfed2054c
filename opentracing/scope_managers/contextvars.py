"""A scope manager on :mod:`contextvars`: the active scope follows the execution context.

asyncio copies the context into every task and callback it schedules, so a task created
while a span is active sees that span as its parent without any extra code; each thread
starts with an empty context.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from types import TracebackType
from typing import Callable, Iterator, Optional, Type

from ..scope import Scope
from ..scope_manager import ScopeManager  # noqa: F401  (OpenTracing 2.4 exposes it here)
from ..span import Span
from ._stack import StackScope, StackScopeManager

__all__ = ["ContextVarsScopeManager", "no_parent_scope"]

_SCOPE: ContextVar[Optional[Scope]] = ContextVar("opentracing_active_scope", default=None)
_new_scope = object.__new__


class _ContextVarsScope(StackScope):
    """A scope of :class:`ContextVarsScopeManager`; creating one activates it.

    Activation and closing are every span's path, so they use the context variable
    directly rather than through the manager's ``active`` and ``set_active``.
    """

    def __init__(self, manager: StackScopeManager, span: Span, finish_on_close: bool) -> None:
        self._manager = manager
        self._span = span
        self._finish_on_close = finish_on_close
        self._to_restore = _SCOPE.get()
        self._closed = False
        _SCOPE.set(self)

    def close(self) -> None:
        if _SCOPE.get() is not self:
            return
        self._closed = True
        _SCOPE.set(self._to_restore)
        if self._finish_on_close:
            self._span.finish()

    def end(self) -> None:
        if self._closed:
            return
        self._closed = True
        scope = _SCOPE.get()
        while scope is not self and isinstance(scope, StackScope):
            scope = scope._to_restore
        if scope is self:
            _SCOPE.set(self._to_restore)
        if self._finish_on_close:
            self._span.finish()

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_val: Optional[BaseException],
        exc_tb: Optional[TracebackType],
    ) -> None:
        if exc_val is not None:
            Span._on_error(self._span, exc_type, exc_val, exc_tb)
        # close(), written out: one call less on the exit of every ``with``
        if _SCOPE.get() is not self:
            return
        self._closed = True
        _SCOPE.set(self._to_restore)
        if self._finish_on_close:
            self._span.finish()


class ContextVarsScopeManager(StackScopeManager):
    """Keeps the active scope in a context variable shared by all instances.

    Works for threads, asyncio and anything else that respects :mod:`contextvars`.
    Tasks and callbacks inherit the scope active when they were created; use
    :func:`no_parent_scope` to start one without a parent. A scope activated inside a task
    is not seen outside it.
    """

    _scope_class = _ContextVarsScope

    @property
    def active(self) -> Optional[Scope]:
        return _SCOPE.get()

    def set_active(self, scope: Optional[Scope]) -> None:
        _SCOPE.set(scope)

    def activate(self, span: Span, finish_on_close: bool) -> Scope:
        # _ContextVarsScope(self, span, finish_on_close), written out: no __init__ call
        scope = _new_scope(_ContextVarsScope)
        scope._manager = self
        scope._span = span
        scope._finish_on_close = finish_on_close
        scope._to_restore = _SCOPE.get()
        scope._closed = False
        _SCOPE.set(scope)
        return scope

    def active_getter(self) -> Callable[[], Optional[Scope]]:
        return _SCOPE.get

    def _set_scope(self, span: Span, finish_on_close: bool) -> Scope:
        """Activate ``span``; the same as :meth:`activate`."""
        return _ContextVarsScope(self, span, finish_on_close)

    def _get_scope(self) -> Optional[Scope]:
        """The active scope; the same as :attr:`active`."""
        return _SCOPE.get()


@contextmanager
def no_parent_scope() -> Iterator[None]:
    """Within the block no scope is active, so tasks created in it start with no parent.

    For example::

        with no_parent_scope():
            asyncio.ensure_future(background_job())
    """
    token = _SCOPE.set(None)
    try:
        yield
    finally:
        _SCOPE.reset(token)

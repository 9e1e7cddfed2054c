"""The scope shared by every manager in this package: a linked stack of activations."""

from __future__ import annotations

from typing import Optional, Type

from ..scope import Scope
from ..scope_manager import ScopeManager
from ..span import Span

__all__: "list[str]" = []


class _StackScope(Scope):
    """A scope that remembers the one it replaced and restores it on close.

    Only the active scope can be closed: closing any other scope (one already closed, or
    an outer one while an inner one is active) does nothing, so the stack can never be left
    pointing at a closed scope. The previous scope is restored before the span is finished,
    so a span whose ``finish`` raises still leaves the right scope active.
    """

    def __init__(self, manager: "_StackScopeManager", span: Span, finish_on_close: bool) -> None:
        self._manager = manager
        self._span = span
        self._finish_on_close = finish_on_close
        self._to_restore = manager.active

    def close(self) -> None:
        manager: _StackScopeManager = self._manager  # type: ignore[assignment]
        if manager.active is not self:
            return
        manager._set_active(self._to_restore)
        if self._finish_on_close:
            self._span.finish()


class _StackScopeManager(ScopeManager):
    """A manager whose scopes form a stack of :attr:`_scope_class` instances.

    Subclasses say where the top of the stack lives (a thread-local, a context variable,
    a task or greenlet attribute) by implementing :attr:`active` and :meth:`_set_active`,
    and name their scope class as OpenTracing 2.4.0 did (``_ThreadLocalScope``, ...).
    """

    _scope_class: Type[_StackScope] = _StackScope

    def activate(self, span: Span, finish_on_close: bool) -> Scope:
        scope = self._scope_class(self, span, finish_on_close)
        self._set_active(scope)
        return scope

    def _set_active(self, scope: Optional[Scope]) -> None:
        raise NotImplementedError

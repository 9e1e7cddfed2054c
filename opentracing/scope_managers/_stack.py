"""The stack of scopes shared by every manager in this package (public as
:class:`~opentracing.scope_managers.StackScopeManager` and
:class:`~opentracing.scope_managers.StackScope`)."""

from __future__ import annotations

from typing import Callable, Optional, Type

from ..scope import Scope
from ..scope_manager import ScopeManager
from ..span import Span

__all__ = ["StackScope", "StackScopeManager"]


class StackScope(Scope):
    """A scope that remembers the scope it replaced and restores it when closed.

    Only the active scope can be closed with :meth:`close`: closing any other scope (one
    already closed, or an outer one while an inner one is active) does nothing, as in
    OpenTracing 2.4. :meth:`end` closes a scope wherever it is in the stack. The previous
    scope is restored before the span is finished, so a span whose ``finish`` raises still
    leaves the right scope active.
    """

    def __init__(self, manager: "StackScopeManager", span: Span, finish_on_close: bool) -> None:
        self._manager = manager
        self._span = span
        self._finish_on_close = finish_on_close
        self._to_restore = manager.active
        self._closed = False

    @property
    def previous(self) -> Optional[Scope]:
        """The scope that was active when this one was activated."""
        return self._to_restore

    def close(self) -> None:
        manager: StackScopeManager = self._manager  # type: ignore[assignment]
        if manager.active is not self:
            return
        self._closed = True
        manager.set_active(self._to_restore)
        if self._finish_on_close:
            self._span.finish()

    def end(self) -> None:
        """Close this scope even when scopes activated after it are still open above it.

        When this scope is active, or below the active one in the stack, the scope that was
        active when this one was activated becomes active again; the scopes above it are
        left open but are no longer active. When it is not in the active stack at all
        (another task sharing the manager unwound past it), the active scope is left alone.
        Either way the span is finished if ``finish_on_close`` was given, exactly once:
        a second ``end`` or ``close`` does nothing. When this scope is the active one,
        ``end`` does what :meth:`close` does (a subclass that overrides one overrides both).
        """
        if self._closed:
            return
        manager: StackScopeManager = self._manager  # type: ignore[assignment]
        scope = manager.active
        self._closed = True
        while scope is not self and isinstance(scope, StackScope):
            scope = scope._to_restore
        if scope is self:
            manager.set_active(self._to_restore)
        if self._finish_on_close:
            self._span.finish()


class StackScopeManager(ScopeManager):
    """Base class of scope managers whose scopes form a stack of :class:`StackScope`.

    A subclass says where the top of the stack lives (a thread-local, a context variable,
    a task or greenlet attribute) by implementing :attr:`active` and :meth:`set_active`;
    it may name its own :class:`StackScope` subclass in ``_scope_class``. In return it
    gets :meth:`activate` and :meth:`swap`, which lets code that suspends and resumes (a
    generator, say) keep a stack of scopes of its own, and ``traced`` gives its traced
    generators and leaked-scope clean-up the same guarantees as on this package's managers.
    """

    _scope_class: Type[StackScope] = StackScope

    def activate(self, span: Span, finish_on_close: bool) -> Scope:
        scope = self._scope_class(self, span, finish_on_close)
        self.set_active(scope)
        return scope

    def set_active(self, scope: Optional[Scope]) -> None:
        """Make ``scope`` the top of the stack, closing and finishing nothing."""
        raise NotImplementedError

    def active_getter(self) -> Callable[[], Optional[Scope]]:
        """A function of no arguments returning :attr:`active`, for callers that read the
        active scope on every span (a tracer looking for the parent): a subclass can give
        a faster one than the property, as ``ContextVarsScopeManager`` does."""
        return lambda: self.active

    def swap(self, scope: Optional[Scope]) -> Optional[Scope]:
        """Make ``scope`` the top of the stack and return the scope that was there."""
        previous = self.active
        self.set_active(scope)
        return previous


# The names these classes had before they were public.
_StackScope = StackScope
_StackScopeManager = StackScopeManager

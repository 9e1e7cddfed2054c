"""``ScopeManager``: where the active span of the current thread or task is kept."""

from __future__ import annotations

from typing import Optional

from .scope import Scope
from .span import Span, SpanContext

__all__ = ["ScopeManager"]


class ScopeManager:
    """Activates spans and tells which scope is active.

    The base class is the no-op manager of the no-op tracer: ``activate`` returns one
    preallocated scope and ``active`` always returns it.
    """

    def __init__(self) -> None:
        self._noop_span = Span(tracer=None, context=SpanContext())  # type: ignore[arg-type]
        self._noop_scope = Scope(self, self._noop_span)

    def activate(self, span: Span, finish_on_close: bool) -> Scope:
        """Make ``span`` the active span and return its :class:`Scope`.

        With ``finish_on_close`` true, closing the scope finishes the span.
        """
        return self._noop_scope

    @property
    def active(self) -> Optional[Scope]:
        """The scope activated last and not yet closed in this context, or None."""
        return self._noop_scope

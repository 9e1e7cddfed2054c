"""``Scope``: a span's activation in a :class:`~opentracing.ScopeManager`."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Optional, Type

from .span import Span

if TYPE_CHECKING:
    from .scope_manager import ScopeManager

__all__ = ["Scope"]


class Scope:
    """Holds an active span for as long as the scope is open.

    A scope belongs to the thread or task that activated it; a span may move between
    threads and tasks, a scope may not. As a context manager, leaving the ``with`` block
    records an exception raised in it on the span and closes the scope.
    """

    def __init__(self, manager: "ScopeManager", span: Span) -> None:
        self._manager = manager
        self._span = span

    @property
    def span(self) -> Span:
        """The span this scope activates."""
        return self._span

    @property
    def manager(self) -> "ScopeManager":
        """The scope manager that created this scope."""
        return self._manager

    def close(self) -> None:
        """Deactivate the scope, restoring the one that was active before it.

        Scope managers in this package ignore a call on a scope that is not the active one
        (already closed, or closed out of order): it raises nothing and changes nothing.
        """

    def __enter__(self) -> "Scope":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_val: Optional[BaseException],
        exc_tb: Optional[TracebackType],
    ) -> None:
        if exc_val is not None:
            Span._on_error(self.span, exc_type, exc_val, exc_tb)
        self.close()

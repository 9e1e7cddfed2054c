"""The one path every traced call takes after its span exists: error tagging, scope
closing and finishing, each guarded so that a failing tracer never reaches the caller."""

from __future__ import annotations

from typing import Any, Optional

import opentracing
from opentracing import Scope, ScopeManager, Span
from opentracing.scope_managers._stack import _StackScopeManager

from ._report import report_tracer_error

__all__ = [
    "CANCELLED_TAG",
    "NOOP_TRACER",
    "GeneratorScope",
    "close_scope",
    "finish_span",
    "record_exit",
]

#: The exact class of the no-op tracer: a traced call on it skips all span work.
NOOP_TRACER = opentracing.Tracer

#: Tag set on a span whose work was cancelled (asyncio.CancelledError): not an error.
CANCELLED_TAG = "cancelled"

# Exceptions that end an iteration or a generator normally: never recorded as errors.
_CONTROL_FLOW = (StopIteration, StopAsyncIteration)


def record_exit(span: Span, exc: BaseException, cancelled_type: Any = None) -> None:
    """Record on ``span`` how the traced code ended with ``exc``.

    An ``Exception`` (other than ``StopIteration``/``StopAsyncIteration``) is an error and is
    recorded by the OpenTracing convention (``Span._on_error``). ``cancelled_type`` (asyncio's
    ``CancelledError`` for coroutines) is recorded as a cancellation. Anything else derived
    from ``BaseException`` only (``GeneratorExit``, ``KeyboardInterrupt``, ``SystemExit``,
    ``GreenletExit``) ends the span without marking it.
    """
    try:
        if cancelled_type is not None and isinstance(exc, cancelled_type):
            span.set_tag(CANCELLED_TAG, True)
            span.log_kv({"event": CANCELLED_TAG, "message": "cancelled"})
        elif isinstance(exc, Exception) and not isinstance(exc, _CONTROL_FLOW):
            Span._on_error(span, type(exc), exc, exc.__traceback__)
    except Exception as tracer_exc:
        report_tracer_error("recording an exception on the span", tracer_exc)


def close_scope(scope: Scope) -> None:
    """Close ``scope`` (finishing its span when it owns it), reporting a tracer failure."""
    try:
        scope.close()
    except Exception as exc:
        report_tracer_error("Scope.close", exc)


def finish_span(span: Span) -> None:
    """Finish ``span``, reporting a tracer failure."""
    try:
        span.finish()
    except Exception as exc:
        report_tracer_error("Span.finish", exc)


class GeneratorScope:
    """Activates a generator's span only while the generator's own code runs.

    With the scope managers of this package the generator keeps a stack of scopes of its
    own: :meth:`enter` swaps it in before each step and :meth:`leave` swaps the consumer's
    back, so a scope the generator's body leaves open across a ``yield`` is never seen by
    the consumer, and scopes the consumer opens between steps never parent the
    generator's spans. With another ``ScopeManager`` the span is activated around each step
    with ``activate``/``close``.
    """

    __slots__ = ("_manager", "_span", "_own_top", "_saved", "_scope", "_stacked")

    def __init__(self, manager: ScopeManager, span: Span) -> None:
        self._manager = manager
        self._span = span
        self._own_top: Optional[Scope] = None
        self._saved: Optional[Scope] = None
        self._scope: Optional[Scope] = None
        self._stacked = isinstance(manager, _StackScopeManager)

    def enter(self) -> None:
        manager = self._manager
        try:
            if not self._stacked:
                self._scope = manager.activate(self._span, False)
                return
            self._saved = manager.active
            if self._own_top is None:
                self._own_top = manager.activate(self._span, False)
            else:
                manager._set_active(self._own_top)  # type: ignore[attr-defined]
        except Exception as exc:
            report_tracer_error("ScopeManager.activate", exc)

    def leave(self) -> None:
        manager = self._manager
        try:
            if not self._stacked:
                if self._scope is not None:
                    self._scope.close()
                    self._scope = None
                return
            self._own_top = manager.active
            manager._set_active(self._saved)  # type: ignore[attr-defined]
            self._saved = None
        except Exception as exc:
            report_tracer_error("Scope.close", exc)

"""The one path every traced call takes after its span exists: error tagging, scope
closing and finishing, each guarded so that a failing tracer never reaches the caller."""

from __future__ import annotations

from typing import Any, Optional

import opentracing
from opentracing import Scope, ScopeManager, Span, logs, tags
from opentracing.scope_managers import StackScope, StackScopeManager

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
    recorded by the OpenTracing convention: ``error=True`` and an ``error`` log with the
    message, the exception, its type and its traceback (an exception whose ``str()`` raises
    gets a placeholder message). ``cancelled_type`` (asyncio's ``CancelledError`` for
    coroutines) is recorded as a cancellation. Anything else derived from
    ``BaseException`` only (``GeneratorExit``, ``KeyboardInterrupt``, ``SystemExit``,
    ``GreenletExit``) ends the span without marking it.
    """
    try:
        if cancelled_type is not None and isinstance(exc, cancelled_type):
            span.set_tag(CANCELLED_TAG, True)
            span.log_kv({"event": CANCELLED_TAG, "message": "cancelled"})
        elif isinstance(exc, Exception) and not isinstance(exc, _CONTROL_FLOW):
            span.set_tag(tags.ERROR, True)
            span.log_kv(
                {
                    logs.EVENT: tags.ERROR,
                    logs.MESSAGE: _message(exc),
                    logs.ERROR_OBJECT: exc,
                    logs.ERROR_KIND: type(exc),
                    logs.STACK: exc.__traceback__,
                }
            )
    except Exception as tracer_exc:
        report_tracer_error("recording an exception on the span", tracer_exc)


def _message(exc: BaseException) -> str:
    """``str(exc)``, or a placeholder naming the type when the exception cannot say it."""
    try:
        return str(exc)
    except Exception:
        return "<%s: str() failed>" % type(exc).__name__


def close_scope(scope: Scope) -> None:
    """End ``scope`` (finishing its span when it owns it), reporting a tracer failure.

    Scopes the traced code opened and left open above ``scope`` stop being active: with
    this package's managers (any :class:`~opentracing.scope_managers.StackScopeManager`)
    through :meth:`StackScope.end <opentracing.scope_managers.StackScope.end>`, with other
    managers by closing the active scopes until ``scope`` is the active one.
    """
    try:
        if isinstance(scope, StackScope):
            scope.end()
        else:
            _close_through(scope)
    except Exception as exc:
        report_tracer_error("Scope.close", exc)


#: How many leaked scopes above its own a traced call closes on a foreign manager.
_MAX_LEAKED = 64


def _close_through(scope: Scope) -> None:
    manager = scope.manager
    for _ in range(_MAX_LEAKED):
        active = manager.active
        if active is scope or active is None:
            break
        active.close()  # opened inside the traced call and left open
        if manager.active is active:
            break  # it will not close: stop rather than loop
    scope.close()


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
        self._stacked = isinstance(manager, StackScopeManager)

    def enter(self) -> None:
        manager = self._manager
        try:
            if not self._stacked:
                self._scope = manager.activate(self._span, False)
                return
            if self._own_top is None:
                self._saved = manager.active
                self._own_top = manager.activate(self._span, False)
            else:
                self._saved = manager.swap(self._own_top)  # type: ignore[attr-defined]
        except Exception as exc:
            report_tracer_error("ScopeManager.activate", exc)

    def leave(self) -> None:
        manager = self._manager
        try:
            if not self._stacked:
                if self._scope is not None:
                    close_scope(self._scope)
                    self._scope = None
                return
            self._own_top = manager.swap(self._saved)  # type: ignore[attr-defined]
            self._saved = None
        except Exception as exc:
            report_tracer_error("Scope.close", exc)

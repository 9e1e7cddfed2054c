"""Spans for blocks of code (``with span(...)``/``async with span(...)``) and spans started
by hand (``start_child_span``), on the global tracer unless one is given."""

from __future__ import annotations

import inspect
import sys
from types import TracebackType
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Type, Union

import opentracing as _ot
from opentracing import Reference, Scope, Span, SpanContext, Tracer

from ._core import close_scope, record_exit
from ._report import report_tracer_error

__all__ = ["active_span", "span", "start_child_span"]

# Handed to the block when the tracer fails to start a span, so the block still runs.
_NOOP_SPAN = _ot.Tracer().start_span("")

# The keyword arguments span() takes: "tracer" and those of Tracer.start_active_span.
_START_OPTIONS = frozenset({"tags", "child_of", "references", "ignore_active_span", "start_time"})


def _cancelled_type() -> Any:
    """asyncio's CancelledError when asyncio is loaded (it is, if one was raised)."""
    asyncio = sys.modules.get("asyncio")
    return None if asyncio is None else asyncio.CancelledError


def _init_signature(
    self: Any,
    operation_name: str,
    *,
    tags: Optional[Dict[str, Any]] = None,
    tracer: Optional[Tracer] = None,
    child_of: Union[Span, SpanContext, None] = None,
    references: Optional[List[Reference]] = None,
    ignore_active_span: bool = False,
    start_time: Optional[float] = None,
) -> None:
    """The documented signature of ``span()``, shown by ``inspect.signature`` and Sphinx
    (``span.__init__`` itself takes ``**options``; see there)."""


class span:
    """Trace a block: starts a span, makes it active, and gives it to the ``as`` target::

        with span("parse", tags={"size": n}) as s:
            s.set_tag("rows", count)

    Works with ``async with`` too. On exit an exception raised in the block is recorded
    (``error=True`` and an error log; an ``asyncio.CancelledError`` is tagged
    ``cancelled``), the scope is closed and the span finished; the exception propagates.
    If the tracer fails to start the span, the block still runs, with a no-op span.

    :param operation_name: the span's name.
    :param tags: tags for the span.
    :param tracer: the tracer; by default ``opentracing.global_tracer()`` at entry.
    :param child_of: the parent (Span or SpanContext); by default the active span.
    :param references: OpenTracing references, instead of ``child_of``.
    :param ignore_active_span: start a root span when no parent is given.
    :param start_time: the span's start, in seconds since the epoch.
    """

    __slots__ = ("_name", "_tracer", "_options", "_scope")
    _name: str
    _tracer: Optional[Tracer]
    _options: Dict[str, Any]
    _scope: Optional[Scope]

    if TYPE_CHECKING:  # the signature callers see; _init_signature repeats it for inspect

        def __init__(
            self,
            operation_name: str,
            *,
            tags: Optional[Dict[str, Any]] = None,
            tracer: Optional[Tracer] = None,
            child_of: Union[Span, SpanContext, None] = None,
            references: Optional[List[Reference]] = None,
            ignore_active_span: bool = False,
            start_time: Optional[float] = None,
        ) -> None: ...

    else:

        def __init__(self, operation_name, **options):
            # Six keyword-only parameters with defaults cost CPython about 90 ns a call to
            # fill in, a large part of what a block may add to a span; taking them as
            # **options and checking their names only when some are given avoids that.
            self._name = operation_name
            self._options = options
            self._tracer = options.pop("tracer", None) if options else None
            if options and not _START_OPTIONS.issuperset(options):
                unknown = ", ".join(sorted(set(options) - _START_OPTIONS))
                raise TypeError(f"span() got unexpected keyword arguments: {unknown}")

    def __enter__(self) -> Span:
        tracer = self._tracer or _ot.tracer
        try:
            if self._options:
                scope = tracer.start_active_span(self._name, **self._options)
            else:
                scope = tracer.start_active_span(self._name)
        except Exception as exc:
            report_tracer_error("Tracer.start_active_span", exc)
            self._scope = None
            return _NOOP_SPAN
        self._scope = scope
        return scope.span

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_val: Optional[BaseException],
        exc_tb: Optional[TracebackType],
    ) -> None:
        scope = self._scope
        if scope is None:
            return
        self._scope = None
        if exc_val is not None:
            record_exit(scope.span, exc_val, _cancelled_type())
        close_scope(scope)

    async def __aenter__(self) -> Span:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_val: Optional[BaseException],
        exc_tb: Optional[TracebackType],
    ) -> None:
        self.__exit__(exc_type, exc_val, exc_tb)


span.__init__.__signature__ = inspect.signature(_init_signature)  # type: ignore[attr-defined]


def start_child_span(
    operation_name: str,
    parent: Union[Span, SpanContext, None] = None,
    *,
    tags: Optional[Dict[str, Any]] = None,
    tracer: Optional[Tracer] = None,
    start_time: Optional[float] = None,
) -> Span:
    """Start, without activating, a child of ``parent`` (a Span or SpanContext), or of the
    active span when ``parent`` is None (a root span when none is active).

    The caller finishes it (``span.finish()`` or ``with start_child_span(...)``).
    """
    tracer = tracer or _ot.tracer
    return tracer.start_span(operation_name, child_of=parent, tags=tags, start_time=start_time)


def active_span(tracer: Optional[Tracer] = None) -> Optional[Span]:
    """The active span of ``tracer`` (the global tracer by default), or None."""
    return (tracer or _ot.tracer).active_span

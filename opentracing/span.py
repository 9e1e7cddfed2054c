"""``SpanContext`` and ``Span``: the no-op base classes that tracers extend."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Type

from . import logs, tags

if TYPE_CHECKING:
    from .tracer import Tracer

__all__ = ["Span", "SpanContext"]


class SpanContext:
    """The part of a span that crosses process boundaries: trace identity and baggage.

    A SpanContext is immutable; adding baggage through :meth:`Span.set_baggage_item` gives
    the span a new context.
    """

    EMPTY_BAGGAGE: Dict[str, str] = {}

    @property
    def baggage(self) -> Dict[str, str]:
        """The baggage items carried with the trace (empty for the no-op context)."""
        return SpanContext.EMPTY_BAGGAGE


class Span:
    """One timed operation of a trace.

    The base class does nothing and is what the no-op :class:`~opentracing.Tracer` returns.
    A span is a context manager: leaving the ``with`` block records an exception raised in it
    (see :meth:`_on_error`) and finishes the span.
    """

    def __init__(self, tracer: "Tracer", context: SpanContext) -> None:
        self._tracer = tracer
        self._context = context

    @property
    def context(self) -> SpanContext:
        """The span's :class:`~opentracing.SpanContext`, also valid after :meth:`finish`."""
        return self._context

    @property
    def tracer(self) -> "Tracer":
        """The tracer that created this span."""
        return self._tracer

    def set_operation_name(self, operation_name: str) -> "Span":
        """Change the operation name; returns the span for chaining."""
        return self

    def finish(self, finish_time: Optional[float] = None) -> None:
        """End the span. ``finish_time`` is seconds since the epoch (``time.time()``).

        Only the first call counts; later calls are ignored by every tracer in this package.
        """

    def set_tag(self, key: str, value: Any) -> "Span":
        """Attach a tag (a string, bool or number value); returns the span for chaining."""
        return self

    def log_kv(self, key_values: Mapping[str, Any], timestamp: Optional[float] = None) -> "Span":
        """Record a timestamped structured log; see :mod:`opentracing.logs` for the keys."""
        return self

    def set_baggage_item(self, key: str, value: str) -> "Span":
        """Store a baggage item that travels with this span's context to its descendants."""
        return self

    def get_baggage_item(self, key: str) -> Optional[str]:
        """Return a baggage item's value, or None when it is not set."""
        return None

    def __enter__(self) -> "Span":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_val: Optional[BaseException],
        exc_tb: Optional[TracebackType],
    ) -> None:
        if exc_val is not None:
            Span._on_error(self, exc_type, exc_val, exc_tb)
        self.finish()

    @staticmethod
    def _on_error(
        span: Optional["Span"],
        exc_type: Optional[Type[BaseException]],
        exc_val: Optional[BaseException],
        exc_tb: Optional[TracebackType],
    ) -> None:
        """Mark ``span`` as failed by ``exc_val``: tag ``error=True`` and log the error.

        The one error-recording routine of the package, shared by ``Span.__exit__``,
        ``Scope.__exit__`` and the ``traced`` decorators. Does nothing when ``span`` or
        ``exc_val`` is missing.
        """
        if not span or exc_val is None:
            return
        span.set_tag(tags.ERROR, True)
        span.log_kv(
            {
                logs.EVENT: tags.ERROR,
                logs.MESSAGE: str(exc_val),
                logs.ERROR_OBJECT: exc_val,
                logs.ERROR_KIND: exc_type,
                logs.STACK: exc_tb,
            }
        )

    def log_event(self, event: str, payload: Any = None) -> "Span":
        """Deprecated: use :meth:`log_kv`. Logs ``event`` and, when given, ``payload``."""
        key_values: Dict[str, Any] = {logs.EVENT: event}
        if payload is not None:
            key_values["payload"] = payload
        return self.log_kv(key_values)

    def log(self, **kwargs: Any) -> "Span":
        """Deprecated: use :meth:`log_kv`. Accepts ``event``, ``payload`` and ``timestamp``."""
        key_values = {k: kwargs[k] for k in (logs.EVENT, "payload") if k in kwargs}
        return self.log_kv(key_values, kwargs.get("timestamp"))

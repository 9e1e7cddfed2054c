"""What the context hand-off integrations share: the callable handed to a thread, an
executor or a greenlet, made to run with the caller's active span (see
:func:`traced.propagate`)."""

from __future__ import annotations

from typing import Any, Callable

from .._report import report_tracer_error
from .._suppress import is_suppressed
from ..context import propagate
from ..patching import Integration

__all__ = ["carry"]


def carry(fn: Callable[..., Any], integration: Integration) -> Callable[..., Any]:
    """``fn`` running with the span active now, or ``fn`` itself when none is active, when
    the caller is suppressed (the exporter's own work) or when the tracer fails."""
    if is_suppressed():
        return fn
    try:
        return propagate(fn, tracer=integration.tracer)
    except Exception as exc:
        report_tracer_error(f"{integration.name} hand-off", exc)
        return fn

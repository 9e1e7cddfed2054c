"""The OpenTracing 2.x API for Python: abstract tracer interfaces with a working no-op
implementation, the global tracer, and the standard tags, log fields and formats.

Instrumentation writes against these classes; a tracer implementation (Jaeger, MockTracer,
the ``traced`` recording tracer, ...) is installed with :func:`set_global_tracer`.
"""

from __future__ import annotations

from .propagation import (
    Format,
    InvalidCarrierException,
    SpanContextCorruptedException,
    UnsupportedFormatException,
)
from .scope import Scope
from .scope_manager import ScopeManager
from .span import Span, SpanContext
from .tracer import (
    Reference,
    ReferenceType,
    Tracer,
    child_of,
    follows_from,
    start_child_span,
)

__all__ = [
    "Format",
    "InvalidCarrierException",
    "Reference",
    "ReferenceType",
    "Scope",
    "ScopeManager",
    "Span",
    "SpanContext",
    "SpanContextCorruptedException",
    "Tracer",
    "UnsupportedFormatException",
    "child_of",
    "follows_from",
    "global_tracer",
    "is_global_tracer_registered",
    "set_global_tracer",
    "start_child_span",
    "tracer",
]

#: The global tracer. Read it through :func:`global_tracer`: ``from opentracing import
#: tracer`` copies the binding and misses a later :func:`set_global_tracer`. Assigning
#: ``opentracing.tracer = t`` directly still works, as it did in OpenTracing 1.x.
tracer: Tracer = Tracer()
is_tracer_registered: bool = False


def global_tracer() -> Tracer:
    """The tracer installed by :func:`set_global_tracer`, by default a no-op ``Tracer``."""
    return tracer


def set_global_tracer(value: Tracer) -> None:
    """Install ``value`` as the global tracer.

    :raises ValueError: ``value`` is None.
    """
    if value is None:
        raise ValueError("set_global_tracer() needs a Tracer, not None")
    global tracer, is_tracer_registered
    tracer = value
    is_tracer_registered = True


def is_global_tracer_registered() -> bool:
    """True once :func:`set_global_tracer` has been called (and not reset since)."""
    return is_tracer_registered


def _reset_global_tracer() -> None:
    """Put back a fresh no-op global tracer and forget any registration; for tests."""
    global tracer, is_tracer_registered
    tracer = Tracer()
    is_tracer_registered = False

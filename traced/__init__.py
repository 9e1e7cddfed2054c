"""``traced``: one line gives any piece of Python code a correct span.

``@trace`` for functions, methods, coroutines and generators; ``span(...)`` for ``with``
and ``async with`` blocks; ``start_child_span`` and ``active_span`` for manual work;
``propagate`` to carry the active span into threads, executors and greenlets. Everything
reports to ``opentracing.global_tracer()`` unless a tracer is given, and costs next to
nothing while that is the no-op tracer.

``init()`` installs the recording :class:`Tracer` (real ids, sampling, W3C/B3/Jaeger/OT
propagation), configured by its arguments and the ``OTEL_*`` environment; ``shutdown()``
flushes and removes it.
"""

from ._setup import init, shutdown
from .config import ConfigError
from .context import propagate
from .decorator import trace
from .spans import active_span, span, start_child_span
from .tracer import Tracer

__all__ = [
    "ConfigError",
    "Tracer",
    "active_span",
    "init",
    "propagate",
    "shutdown",
    "span",
    "start_child_span",
    "trace",
]

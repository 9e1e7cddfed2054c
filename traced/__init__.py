"""``traced``: one line gives any piece of Python code a correct span.

``@trace`` for functions, methods, coroutines and generators; ``span(...)`` for ``with``
and ``async with`` blocks; ``start_child_span`` and ``active_span`` for manual work;
``propagate`` to carry the active span into threads, executors and greenlets. Everything
reports to ``opentracing.global_tracer()`` unless a tracer is given, and costs next to
nothing while that is the no-op tracer.
"""

from .context import propagate
from .decorator import trace
from .spans import active_span, span, start_child_span

__all__ = ["active_span", "propagate", "span", "start_child_span", "trace"]

"""``traced``: one line gives any piece of Python code a correct span.

``@trace`` for functions, methods, coroutines and generators; ``span(...)`` for ``with``
and ``async with`` blocks; ``start_child_span`` and ``active_span`` for manual work;
``propagate`` to carry the active span into threads, executors and greenlets. Everything
reports to ``opentracing.global_tracer()`` unless a tracer is given, and costs next to
nothing while that is the no-op tracer.

``patch()``/``unpatch()`` trace other people's functions in place, and ``instrument()``
turns on the integrations for the libraries a service calls (HTTP clients, databases,
caches, threads, logging); both need ``wrapt``.

``init()`` installs the recording :class:`~traced.tracer.Tracer` (real ids, sampling, W3C/B3/Jaeger/OT
propagation), configured by its arguments and the ``OTEL_*`` environment; ``shutdown()``
flushes and removes it.
"""

from typing import TYPE_CHECKING, Any

from .context import propagate
from .decorator import trace
from .spans import active_span, span, start_child_span

if TYPE_CHECKING:
    from ._setup import init, shutdown
    from .config import ConfigError
    from .integrations import instrument, instrumented, uninstrument
    from .patching import is_patched, patch, patch_all, unpatch
    from .tracer import Tracer

# The recording tracer is imported when first named, not with ``import traced``: code that
# only decorates pays for none of it (its modules, and their weight on every GC pass).
_LAZY = {
    "ConfigError": ".config",
    "Tracer": ".tracer",
    "init": "._setup",
    "shutdown": "._setup",
    # monkeypatching (needs wrapt: pip install 'opentracing[instrument]')
    "instrument": ".integrations",
    "instrumented": ".integrations",
    "uninstrument": ".integrations",
    "is_patched": ".patching",
    "patch": ".patching",
    "patch_all": ".patching",
    "unpatch": ".patching",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError("module 'traced' has no attribute %r" % name)
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value

__all__ = [
    "ConfigError",
    "Tracer",
    "active_span",
    "init",
    "instrument",
    "instrumented",
    "is_patched",
    "patch",
    "patch_all",
    "propagate",
    "shutdown",
    "span",
    "start_child_span",
    "trace",
    "uninstrument",
    "unpatch",
]


def __dir__() -> "list[str]":
    return sorted(set(globals()) | set(_LAZY))

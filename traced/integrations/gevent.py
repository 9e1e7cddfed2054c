"""``gevent``: a greenlet spawned while a span is active runs with that span active.

``gevent.spawn``, ``spawn_later``, ``spawn_raw`` and ``Group.spawn`` (so ``Pool`` too) are
patched. gevent's ``Greenlet`` is a compiled class that cannot be patched: a greenlet made
with ``Greenlet(fn)`` directly, or a ``spawn`` imported by name (``from gevent import
spawn``) before instrumenting, is not covered; wrap its function in
:func:`traced.propagate` instead.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Tuple

from ..patching import Integration
from ._handoff import carry

__all__ = ["instrument", "is_instrumented", "uninstrument"]


def _spawn(wrapped: Callable[..., Any], instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    if args:
        args = (carry(args[0], _integration),) + args[1:]
    elif "run" in kwargs:
        kwargs["run"] = carry(kwargs["run"], _integration)
    return wrapped(*args, **kwargs)


def _spawn_later(wrapped: Callable[..., Any], instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    if len(args) > 1:
        args = (args[0], carry(args[1], _integration)) + args[2:]
    return wrapped(*args, **kwargs)


_integration = Integration(
    "gevent",
    module="gevent",
    distribution="gevent",
    min_version="20.9",
    patches=[
        ("gevent:spawn", _spawn),
        ("gevent:spawn_later", _spawn_later),
        ("gevent:spawn_raw", _spawn),
        ("gevent.pool:Group.spawn", _spawn),
    ],
)
instrument = _integration.instrument
uninstrument = _integration.uninstrument
is_instrumented = _integration.is_instrumented

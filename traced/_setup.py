"""``traced.init`` and ``traced.shutdown``: build the recording tracer from arguments and
the ``OTEL_*`` environment, install it as the global tracer, and take it down again.

The state they share (the tracer installed by ``init`` and what was global before it) is
kept here only; ``shutdown`` puts everything back, so tests can call both freely.
"""

from __future__ import annotations

import atexit
import threading
from typing import Any, Mapping, Optional, Sequence, Tuple, Union

import opentracing
from opentracing import ScopeManager

from .config import load_config
from .counters import Counters
from .export._build import build_recorder
from .propagation import composite
from .tracer import NoneRecorder, Tracer
from .tracer.sampling import ALWAYS_OFF, Sampler

__all__ = ["init", "shutdown"]

_lock = threading.Lock()
_installed: Optional[Tracer] = None
_previous: Optional[Tuple[opentracing.Tracer, bool]] = None
_atexit_registered = False


def init(
    service_name: Optional[str] = None,
    *,
    exporter: Optional[str] = None,
    sampler: Union[str, Sampler, None] = None,
    sampler_arg: Optional[float] = None,
    propagators: Union[str, Sequence[str], None] = None,
    scope_manager: Optional[ScopeManager] = None,
    tags: Optional[Mapping[str, Any]] = None,
    **exporter_options: Any,
) -> Tracer:
    """Build a :class:`~traced.tracer.Tracer`, install it as the global tracer and return it.

    Every argument left as None comes from its ``OTEL_*`` environment variable, then from
    the default (see README.rst, *Configuration*); a value that cannot be used raises
    :class:`~traced.config.ConfigError` naming it. Calling ``init`` again replaces the
    tracer it installed before, after flushing and closing that one. With
    ``OTEL_SDK_DISABLED=true`` the returned tracer samples, records and propagates nothing,
    and the global tracer is left as it is. The global tracer is flushed and closed at
    interpreter exit (:func:`shutdown`).
    """
    global _installed, _previous, _atexit_registered
    config = load_config(
        service_name,
        exporter=exporter,
        sampler=sampler,
        sampler_arg=sampler_arg,
        propagators=propagators,
        tags=tags,
        **exporter_options,
    )
    if config.disabled:
        return Tracer(
            config.service_name,
            recorder=NoneRecorder(),
            sampler=ALWAYS_OFF,
            propagator=composite(()),
            scope_manager=scope_manager,
        )
    counters = Counters()
    tracer = Tracer(
        config.service_name,
        recorder=build_recorder(config.exporters, config.export, counters),
        counters=counters,
        sampler=config.sampler,
        propagator=composite(config.propagators),
        scope_manager=scope_manager,
        tags={**config.resource_attributes, **config.tags},
    )
    with _lock:
        replaced = _installed
        if _previous is None:
            _previous = (opentracing.global_tracer(), opentracing.is_global_tracer_registered())
        _installed = tracer
        opentracing.set_global_tracer(tracer)
        if not _atexit_registered:
            atexit.register(shutdown)
            _atexit_registered = True
    if replaced is not None:
        replaced.close()
    return tracer


def shutdown(timeout: float = 5.0) -> bool:
    """Flush and close the tracer installed by :func:`init`, waiting at most ``timeout``
    seconds, and put back the global tracer that was there before ``init``.

    Returns True when every span was handed on in time (and when there was nothing to do).
    """
    global _installed, _previous
    with _lock:
        tracer, previous = _installed, _previous
        _installed = _previous = None
        if previous is not None and opentracing.global_tracer() is tracer:
            opentracing.tracer, opentracing.is_tracer_registered = previous
    if tracer is None:
        return True
    return tracer.close(timeout)

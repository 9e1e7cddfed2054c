"""``threading``: a thread started while a span is active runs with that span active, so
the spans it starts are the span's children.

``Thread.start`` notes the caller's active span on the thread and ``Thread._bootstrap_inner``
(which runs ``run()`` in the new thread) activates it: subclasses overriding ``run``, and
threads created before instrumenting but started after, are covered. The span is only
activated there, never finished. The worker threads of ``concurrent.futures`` and
``multiprocessing`` thread pools get no span: they outlive it and serve later callers.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Tuple

from .._report import report_tracer_error
from .._suppress import is_suppressed
from ..patching import Integration

__all__ = ["instrument", "is_instrumented", "uninstrument"]

# Where Thread.start leaves the hand-off for the new thread, in the thread's __dict__.
_HANDOFF = "_traced_handoff"

# Pool workers outlive the span active when the pool happened to start them, and run work
# for other callers later: they get no span (the futures integration hands one to each
# work item instead).
_POOL_MODULES = frozenset({"concurrent.futures.thread", "multiprocessing.pool"})


def _start(wrapped: Callable[..., Any], instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    if not is_suppressed():
        try:
            tracer = _integration.tracer
            span = tracer.active_span
            if span is not None and getattr(instance.__dict__.get("_target"), "__module__", None) not in _POOL_MODULES:
                instance.__dict__[_HANDOFF] = (tracer.scope_manager, span)
        except Exception as exc:
            report_tracer_error("threading: Thread.start", exc)
    try:
        return wrapped(*args, **kwargs)
    except BaseException:
        instance.__dict__.pop(_HANDOFF, None)  # not started: the thread must not keep the span
        raise


def _bootstrap_inner(wrapped: Callable[..., Any], instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    try:
        # popped: a finished thread object kept by the application does not keep the span
        handoff = instance.__dict__.pop(_HANDOFF, None)
        scope = handoff[0].activate(handoff[1], False) if handoff is not None else None
    except Exception as exc:
        report_tracer_error("threading: activating the starter's span", exc)
        scope = None
    if scope is None:
        return wrapped(*args, **kwargs)
    try:
        return wrapped(*args, **kwargs)
    finally:
        try:
            scope.close()
        except Exception as exc:
            report_tracer_error("threading: closing the starter's span scope", exc)


_integration = Integration(
    "threading",
    module="threading",
    patches=[("threading:Thread.start", _start), ("threading:Thread._bootstrap_inner", _bootstrap_inner)],
)
instrument = _integration.instrument
uninstrument = _integration.uninstrument
is_instrumented = _integration.is_instrumented

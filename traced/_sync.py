"""Wrappers for plain functions and generator functions, built once per decorated callable.

Each wrapper's body is written out in full, so a traced call adds exactly one Python frame
(the wrapper's own) between the caller and the traced code, and a re-raised exception
carries its original traceback.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Generator, Optional, Tuple, Type

import opentracing as _ot
from opentracing import Tracer

from ._core import NOOP_TRACER, GeneratorScope, close_scope, finish_span, record_exit
from ._report import report_tracer_error

__all__ = ["wrap_function", "wrap_generator"]

TagsFactory = Callable[[Tuple[Any, ...], Dict[str, Any]], Optional[Dict[str, Any]]]


def wrap_function(
    fn: Callable[..., Any],
    name: str,
    make_tags: TagsFactory,
    fixed_tracer: Optional[Tracer],
    ignore_active_span: bool,
) -> Callable[..., Any]:
    """A wrapper running ``fn`` inside an active span named ``name``."""

    def traced_function(*args: Any, **kwargs: Any) -> Any:
        tracer = fixed_tracer or _ot.tracer
        if tracer.__class__ is NOOP_TRACER:
            return fn(*args, **kwargs)
        try:
            scope = tracer.start_active_span(
                name, tags=make_tags(args, kwargs), ignore_active_span=ignore_active_span
            )
        except Exception as exc:
            report_tracer_error("Tracer.start_active_span", exc)
            scope = None
        if scope is None:  # run outside the handler: fn's errors are not chained to the tracer's
            return fn(*args, **kwargs)
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            record_exit(scope.span, exc)
            close_scope(scope)
            # The exception's traceback keeps this frame, and the span's error log keeps
            # the exception: holding the scope here would make a cycle that keeps ``fn``'s
            # locals alive until the cyclic GC runs. Without it they go with the exception.
            del scope
            raise
        close_scope(scope)
        return result

    return traced_function


def wrap_generator(
    fn: Callable[..., Generator[Any, Any, Any]],
    name: str,
    make_tags: TagsFactory,
    fixed_tracer: Optional[Tracer],
    ignore_active_span: bool,
    cancelled_type: Optional[Type[BaseException]] = None,
) -> Callable[..., Generator[Any, Any, Any]]:
    """A generator function whose span opens at the first ``next()`` and covers the whole
    iteration, active only while ``fn``'s own code runs. An exception of ``cancelled_type``
    (asyncio's ``CancelledError``, given for a generator-based coroutine) ending it is
    recorded as a cancellation (see ``_core.record_exit``)."""

    def traced_generator(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        tracer = fixed_tracer or _ot.tracer
        gen = fn(*args, **kwargs)
        if tracer.__class__ is NOOP_TRACER:
            return (yield from gen)
        try:
            span = tracer.start_span(
                name, tags=make_tags(args, kwargs), ignore_active_span=ignore_active_span
            )
            steps = GeneratorScope(tracer.scope_manager, span)
        except Exception as exc:
            report_tracer_error("Tracer.start_span", exc)
            steps = None
        if steps is None:  # run outside the handler: gen's errors are not chained to the tracer's
            return (yield from gen)
        sent: Any = None
        thrown: Optional[BaseException] = None
        while True:
            steps.enter()
            try:
                value = gen.send(sent) if thrown is None else gen.throw(thrown)
            except StopIteration as stop:
                finish_span(span)
                steps.leave()
                return stop.value
            except BaseException as exc:
                record_exit(span, exc, cancelled_type)
                finish_span(span)
                steps.leave()
                # The traceback keeps this frame: drop what ties it to the span's error log
                # or to the exception itself (see wrap_function), and the values sent.
                del span, steps, thrown
                sent = value = None
                raise
            steps.leave()
            thrown = None
            try:
                sent = yield value
            except GeneratorExit:
                steps.enter()
                try:
                    gen.close()
                except BaseException as exc:
                    record_exit(span, exc, cancelled_type)
                    steps.leave()
                    finish_span(span)
                    del span, steps, sent, value
                    raise
                steps.leave()
                finish_span(span)
                raise
            except BaseException as exc:
                thrown = exc

    return traced_generator

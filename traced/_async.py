"""Wrappers for ``async def`` functions and async generator functions.

Imported only when such a callable is decorated, so ``import traced`` does not import
asyncio. As with the sync wrappers, each adds one frame and re-raises the original exception.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any, AsyncGenerator, Awaitable, Callable, Optional

import opentracing as _ot
from opentracing import Tracer

from ._core import NOOP_TRACER, GeneratorScope, close_scope, finish_span, record_exit
from ._report import report_tracer_error
from ._sync import TagsFactory

__all__ = ["leave_to_wrapper", "wrap_async_generator", "wrap_coroutine"]

_CANCELLED = asyncio.CancelledError
_get_hooks = sys.get_asyncgen_hooks
_set_hooks = sys.set_asyncgen_hooks


def wrap_coroutine(
    fn: Callable[..., Awaitable[Any]],
    name: str,
    make_tags: TagsFactory,
    fixed_tracer: Optional[Tracer],
    ignore_active_span: bool,
) -> Callable[..., Awaitable[Any]]:
    """An ``async def`` wrapper whose span covers the awaited execution of ``fn``."""

    async def traced_coroutine(*args: Any, **kwargs: Any) -> Any:
        tracer = fixed_tracer or _ot.tracer
        if tracer.__class__ is NOOP_TRACER:
            return await fn(*args, **kwargs)
        try:
            scope = tracer.start_active_span(
                name, tags=make_tags(args, kwargs), ignore_active_span=ignore_active_span
            )
        except Exception as exc:
            report_tracer_error("Tracer.start_active_span", exc)
            scope = None
        if scope is None:  # run outside the handler: fn's errors are not chained to the tracer's
            return await fn(*args, **kwargs)
        try:
            result = await fn(*args, **kwargs)
        except BaseException as exc:
            record_exit(scope.span, exc, _CANCELLED)
            close_scope(scope)
            del scope  # the traceback keeps this frame: see _sync.wrap_function
            raise
        close_scope(scope)
        return result

    return traced_coroutine


def wrap_async_generator(
    fn: Callable[..., AsyncGenerator[Any, Any]],
    name: str,
    make_tags: TagsFactory,
    fixed_tracer: Optional[Tracer],
    ignore_active_span: bool,
) -> Callable[..., AsyncGenerator[Any, Any]]:
    """An async generator function whose span opens at the first ``anext()`` and covers the
    whole iteration, active only while ``fn``'s own code runs."""

    async def traced_async_generator(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        tracer = fixed_tracer or _ot.tracer
        agen = fn(*args, **kwargs)
        leave_to_wrapper(agen)
        steps: Optional[GeneratorScope] = None
        span = None
        if tracer.__class__ is not NOOP_TRACER:
            try:
                span = tracer.start_span(
                    name, tags=make_tags(args, kwargs), ignore_active_span=ignore_active_span
                )
                steps = GeneratorScope(tracer.scope_manager, span)
            except Exception as exc:
                report_tracer_error("Tracer.start_span", exc)
        sent: Any = None
        thrown: Optional[BaseException] = None
        while True:
            if steps is not None:
                steps.enter()
            try:
                if thrown is None:
                    value = await agen.asend(sent)
                else:
                    value = await agen.athrow(thrown)
            except StopAsyncIteration:
                if span is not None:
                    finish_span(span)
                if steps is not None:
                    steps.leave()
                return
            except BaseException as exc:
                if span is not None:
                    record_exit(span, exc, _CANCELLED)
                    finish_span(span)
                if steps is not None:
                    steps.leave()
                # The traceback keeps this frame; drop what would tie it to the span's
                # error log, or the exception (see _sync.wrap_generator).
                span = steps = thrown = sent = value = None
                raise
            if steps is not None:
                steps.leave()
            thrown = None
            try:
                sent = yield value
            except GeneratorExit:
                if steps is not None:
                    steps.enter()
                try:
                    await agen.aclose()
                except BaseException as exc:
                    if span is not None:
                        record_exit(span, exc, _CANCELLED)
                    if steps is not None:
                        steps.leave()
                    if span is not None:
                        finish_span(span)
                    span = steps = sent = value = None
                    raise
                if steps is not None:
                    steps.leave()
                if span is not None:
                    finish_span(span)
                raise
            except BaseException as exc:
                thrown = exc

    return traced_async_generator


def leave_to_wrapper(agen: AsyncGenerator[Any, Any]) -> None:
    """Keep the event loop's async generator hooks off ``agen``, the user's generator that
    a wrapper (``@trace``'s or ``propagate``'s) drives: the loop then knows only the
    wrapper, and finalizes and shuts down only the wrapper, which closes ``agen`` itself.

    Otherwise, at ``asyncio.run``'s shutdown (or when both are collected at once), the loop
    closes the two concurrently: while the wrapper awaits ``agen.aclose()`` through a
    ``finally`` that awaits, the loop's own ``agen.aclose()`` fails with "aclose():
    asynchronous generator is already running". The hooks are read once, at ``agen``'s
    first ``asend()``/``athrow()``/``aclose()`` call: here an ``asend()`` made while they
    are unset, and closed without being awaited (which leaves ``agen`` untouched).
    """
    firstiter, finalizer = _get_hooks()
    if firstiter is None and finalizer is None:
        return
    _set_hooks(None, None)  # positional: keywords cost 150 ns a call more
    try:
        agen.asend(None).close()
    finally:
        _set_hooks(firstiter, finalizer)

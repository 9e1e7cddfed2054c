"""Carrying the active span into work that runs elsewhere: threads, executors, greenlets
and callbacks. (asyncio tasks need nothing with a contextvars-based scope manager: they
inherit the active span when they are created.)"""

from __future__ import annotations

import functools
import inspect
import types
from typing import Any, AsyncGenerator, Callable, Dict, Generator, Optional, TypeVar

import opentracing as _ot
from opentracing import ScopeManager, Span, Tracer

from ._core import GeneratorScope, close_scope
from ._report import report_tracer_error
from .decorator import Kind, callable_kind

__all__ = ["propagate"]

F = TypeVar("F", bound=Callable[..., Any])


def propagate(fn: F, *, tracer: Optional[Tracer] = None) -> F:
    """Return a callable that runs ``fn`` with the caller's active span active again.

    The span active *now* (when ``propagate`` is called) is captured; wherever the result
    runs, in another thread, an executor, a greenlet or a callback, the span is activated
    while ``fn`` runs (it is never finished there) and spans started by ``fn`` become its
    children::

        executor.submit(propagate(load), key)
        threading.Thread(target=propagate(worker)).start()
        gevent.spawn(propagate(handler), request)

    The result is of ``fn``'s kind, chosen here once: an ``async def`` function gives an
    ``async def`` function, active for the awaited run; a generator function (plain,
    ``@types.coroutine`` or async) gives one of the same kind, active only while ``fn``'s
    own code runs at each step, not in the consumer between steps. When no span is active
    (or the tracer fails to say), ``fn`` itself is returned.
    """
    try:
        tracer = tracer or _ot.tracer
        parent = tracer.active_span
        manager = tracer.scope_manager
    except Exception as exc:
        report_tracer_error("Tracer.active_span", exc)
        return fn
    if parent is None:
        return fn
    runner = _RUNNERS[callable_kind(_call_target(fn))](fn, manager, parent)
    return functools.wraps(fn)(runner)  # type: ignore[return-value]


def _call_target(fn: Any) -> Any:
    """What runs when ``fn`` is called: ``fn`` itself, or a callable object's ``__call__``
    (calling a class builds an instance: a plain call)."""
    if inspect.isroutine(fn) or isinstance(fn, functools.partial) or inspect.isclass(fn):
        return fn
    return getattr(fn, "__call__", fn)


Runner = Callable[[Callable[..., Any], ScopeManager, Span], Callable[..., Any]]


# On failure each wrapper drops what it holds before the exception leaves: the traceback
# keeps the wrapper's frame, and a span that logs the exception (the caller's, when it is
# traced) keeps the traceback. The scope activated here leads to that span (through the
# scope it replaced), so holding it would make a cycle keeping the failed call's locals
# alive until the cyclic GC runs (see _sync.wrap_function). The frame still reaches
# ``parent`` through the wrapper's closure, which must keep it: when ``parent`` itself logs
# the exception (propagate called inside the traced code that then fails), that cycle
# remains for the cyclic GC.


def _run_function(fn: Callable[..., Any], manager: ScopeManager, parent: Span) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        scope = _activate(manager, parent)
        try:
            result = fn(*args, **kwargs)
        except BaseException:
            _close(scope)
            del scope
            raise
        _close(scope)
        return result

    return run


def _run_coroutine(fn: Callable[..., Any], manager: ScopeManager, parent: Span) -> Callable[..., Any]:
    async def run_async(*args: Any, **kwargs: Any) -> Any:
        scope = _activate(manager, parent)
        try:
            result = await fn(*args, **kwargs)
        except BaseException:
            _close(scope)
            del scope
            raise
        _close(scope)
        return result

    return run_async


def _run_generator(fn: Callable[..., Any], manager: ScopeManager, parent: Span) -> Callable[..., Any]:
    def run_generator(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        gen = fn(*args, **kwargs)
        steps = GeneratorScope(manager, parent)
        sent: Any = None
        thrown: Optional[BaseException] = None
        while True:
            steps.enter()
            try:
                value = gen.send(sent) if thrown is None else gen.throw(thrown)
            except StopIteration as stop:
                steps.leave()
                thrown = None  # its traceback holds this frame, which the return keeps
                return stop.value
            except BaseException:
                steps.leave()
                del steps, thrown  # and the values sent, which may hold anything
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
                except BaseException:
                    steps.leave()
                    del steps, sent, value
                    raise
                steps.leave()
                raise
            except BaseException as exc:
                thrown = exc

    return run_generator


def _run_iterable_coroutine(fn: Callable[..., Any], manager: ScopeManager, parent: Span) -> Callable[..., Any]:
    # marked as ``fn`` is, so the result can be awaited as well as used with ``yield from``
    return types.coroutine(_run_generator(fn, manager, parent))


def _run_async_generator(fn: Callable[..., Any], manager: ScopeManager, parent: Span) -> Callable[..., Any]:
    from ._async import leave_to_wrapper  # imports asyncio: only when an async generator function is handed off

    async def run_async_generator(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        agen = fn(*args, **kwargs)
        leave_to_wrapper(agen)  # the loop closes this wrapper only, which closes ``agen``
        steps = GeneratorScope(manager, parent)
        sent: Any = None
        thrown: Optional[BaseException] = None
        while True:
            steps.enter()
            try:
                if thrown is None:
                    value = await agen.asend(sent)
                else:
                    value = await agen.athrow(thrown)
            except StopAsyncIteration:
                steps.leave()
                thrown = None  # its traceback holds this frame, which the return keeps
                return
            except BaseException:
                steps.leave()
                del steps, thrown
                sent = value = None
                raise
            steps.leave()
            thrown = None
            try:
                sent = yield value
            except GeneratorExit:
                steps.enter()
                try:
                    await agen.aclose()
                except BaseException:
                    steps.leave()
                    del steps, sent, value
                    raise
                steps.leave()
                raise
            except BaseException as exc:
                thrown = exc

    return run_async_generator


_RUNNERS: Dict[Kind, Runner] = {
    "function": _run_function,
    "coroutine": _run_coroutine,
    "generator": _run_generator,
    "iterable_coroutine": _run_iterable_coroutine,
    "async_generator": _run_async_generator,
}


def _activate(manager: ScopeManager, span: Span) -> Any:
    try:
        return manager.activate(span, False)
    except Exception as exc:
        report_tracer_error("ScopeManager.activate", exc)
        return None


def _close(scope: Any) -> None:
    if scope is not None:
        close_scope(scope)

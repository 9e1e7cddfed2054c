"""Lifecycle robustness of traced code: abandoned async generators shut down as cleanly as
untraced ones, and a failed call frees its locals as soon as the caller drops the exception.

Abandoned async generators: asyncio's shutdown (``asyncio.run`` ending) and its
finalizer close every async generator they know with ``aclose()``. A ``@trace``\\ d async
generator is two of them, the wrapper and the user's generator it drives; the loop must
close the wrapper only (which closes the user's generator inside its span), or the two
closes overlap when the generator's ``finally`` awaits, and the loop reports "aclose():
asynchronous generator is already running". Each case runs on real event loops, with the
loop's exception handler, ``sys.unraisablehook`` and warnings captured, and checks that the
span is finished exactly once and every scope activated for it is closed. A ``propagate``\\ d
async generator is the same pair (the wrapper and the generator it drives) and is checked
the same way.

Freed locals: with the cyclic GC off, a traced callable (function, coroutine, generator,
async generator, on each way it can fail) or a ``span()`` block raises while holding a
local object; once the caller has dropped the exception the object must be gone, as it is
untraced (asserted first, in the same test), although the span's error log still holds
the exception until the tracer drops the span. The traceback the caller sees keeps the same
user frames and lines, and the span keeps its ``stack`` log. The same holds for a
``propagate``\\ d callable of each kind called by ``@trace``\\ d code: the scopes it activates
lead, through the scope they replaced, to the caller's span, whose error log holds the
exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import traceback
import warnings
import weakref
from types import TracebackType
from typing import Any, Awaitable, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers import ThreadLocalScopeManager
from opentracing.scope_managers.asyncio import AsyncioScopeManager
from opentracing.scope_managers.contextvars import ContextVarsScopeManager
from traced import active_span, propagate, span, trace

from ._tools import CountingTracer, PlainScopeManager, exhaust

# --- abandoned async generators -----------------------------------------------------

LOOP_MANAGERS = {
    "contextvars": ContextVarsScopeManager,
    "asyncio": AsyncioScopeManager,
    "plain": PlainScopeManager,  # not a stack manager: every activation must be closed
}


class Reports:
    """What a run reported besides its result: the loop's exception handler calls,
    unraisable exceptions (finalizers) and warnings."""

    def __init__(self) -> None:
        self.loop: List[Dict[str, Any]] = []
        self.unraisable: List[str] = []
        self.warnings: List[str] = []

    def all(self) -> List[Any]:
        return self.loop + self.unraisable + self.warnings


@contextlib.contextmanager
def reported() -> Iterator[Reports]:
    """Capture unraisable exceptions and warnings; ``run(main, reports)`` adds the loop's."""
    reports = Reports()
    previous_hook = sys.unraisablehook

    def hook(info: Any) -> None:
        reports.unraisable.append(f"{info.err_msg}: {info.exc_value!r}")

    sys.unraisablehook = hook
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield reports
        reports.warnings.extend(str(w.message) for w in caught)
    finally:
        sys.unraisablehook = previous_hook


def run(main: Callable[[], Any], reports: Reports) -> Any:
    """``asyncio.run(main())`` on a fresh loop whose exception handler records into
    ``reports`` (installed first thing, so it also sees the shutdown)."""

    async def with_handler() -> Any:
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: reports.loop.append(context))
        return await main()

    return asyncio.run(with_handler())


def finally_awaits(log: List[str], seen: Optional[List[Any]] = None):
    """An async generator function whose ``finally`` awaits (what makes closes overlap);
    the span active at its end is appended to ``seen``, if given."""

    async def numbers():
        try:
            yield 1
            yield 2
        finally:
            await asyncio.sleep(0)
            log.append("finally done")
            if seen is not None:
                seen.append(active_span())

    return numbers


def catches_generator_exit(log: List[str], seen: Optional[List[Any]] = None):
    """An async generator function that catches GeneratorExit (re-raising it) and awaits
    in ``finally``; the span active at its end is appended to ``seen``, if given."""

    async def numbers():
        try:
            yield 1
            yield 2
        except GeneratorExit:
            log.append("GeneratorExit")
            raise
        finally:
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            log.append("finally done")
            if seen is not None:
                seen.append(active_span())

    return numbers


BODIES = {"finally_awaits": finally_awaits, "catches_GeneratorExit": catches_generator_exit}


def expected_log(body: str) -> List[str]:
    return (["GeneratorExit"] if body == "catches_GeneratorExit" else []) + ["finally done"]


def abandon(agen_function: Callable[[], Any], kept: List[Any]) -> Callable[[], Any]:
    """A main() that takes one item of a new generator and returns without closing it; the
    generator stays referenced (from ``kept``), so the loop's shutdown has to close it."""

    async def main() -> Any:
        agen = agen_function()
        kept.append(agen)
        return await agen.__anext__()

    return main


def assert_span_closed_once(tracer: CountingTracer) -> None:
    """One span, finished exactly once without error; every scope activated for it closed
    exactly once (with the plain manager), and none left active."""
    tracer.assert_each_span_finished_once()
    (finished,) = tracer.finished_spans()
    assert "error" not in finished.tags
    manager = tracer.scope_manager
    if isinstance(manager, PlainScopeManager):
        assert manager.scopes, "the span was never activated"
        assert all(manager.closes[id(scope)] == 1 for scope in manager.scopes)
        assert manager.active is None


@pytest.mark.parametrize("body", BODIES)
def test_untraced_abandoned_async_generator_shuts_down_cleanly(body):
    """The baseline: untraced, asyncio.run's shutdown closes the abandoned generator (its
    finally runs to the end) and reports nothing."""
    log: List[str] = []
    kept: List[Any] = []
    with reported() as reports:
        assert run(abandon(BODIES[body](log), kept), reports) == 1
    assert reports.all() == []
    assert log == expected_log(body)


@pytest.mark.parametrize("manager", LOOP_MANAGERS)
@pytest.mark.parametrize("body", BODIES)
def test_traced_abandoned_async_generator_shuts_down_cleanly(install_tracer, manager, body):
    """Traced, the same: shutdown closes the wrapper, which closes the user's generator
    (its finally awaits, runs to the end); nothing is reported ("aclose(): asynchronous
    generator is already running" was), the span is finished once, its scopes closed."""
    tracer = install_tracer(CountingTracer(LOOP_MANAGERS[manager]()))
    log: List[str] = []
    kept: List[Any] = []
    with reported() as reports:
        assert run(abandon(trace(BODIES[body](log)), kept), reports) == 1
    assert reports.all() == []
    assert log == expected_log(body)
    assert_span_closed_once(tracer)


@pytest.mark.parametrize("manager", LOOP_MANAGERS)
def test_several_abandoned_traced_async_generators_shut_down_cleanly(install_tracer, manager):
    """Five abandoned generators (the loop closes them concurrently, in no set order): all
    closed, nothing reported, five spans finished once each."""
    tracer = install_tracer(CountingTracer(LOOP_MANAGERS[manager]()))
    log: List[str] = []
    kept: List[Any] = []
    numbers = trace(finally_awaits(log))

    async def main() -> List[Any]:
        return [await abandon(numbers, kept)() for _ in range(5)]

    with reported() as reports:
        assert run(main, reports) == [1] * 5
    assert reports.all() == []
    assert log == ["finally done"] * 5
    tracer.assert_each_span_finished_once()
    assert len(tracer.finished_spans()) == 5


@pytest.mark.parametrize("manager", LOOP_MANAGERS)
@pytest.mark.parametrize("body", BODIES)
def test_propagated_abandoned_async_generator_shuts_down_cleanly(install_tracer, manager, body):
    """``propagate`` over an async generator function drives the user's generator too:
    abandoned after one item, shutdown closes the wrapper, which closes the user's
    generator with the carried span active (its finally awaits, runs to the end); nothing
    is reported ("aclose(): asynchronous generator is already running" was); the carried
    span is finished once, by its own ``with`` block, and every scope is closed."""
    tracer = install_tracer(CountingTracer(LOOP_MANAGERS[manager]()))
    log: List[str] = []
    kept: List[Any] = []
    seen: List[Any] = []
    numbers = BODIES[body](log, seen)

    async def main() -> Any:
        with span("parent") as parent:
            carried = propagate(numbers)
        assert carried is not numbers
        seen.append(parent)
        return await abandon(carried, kept)()

    with reported() as reports:
        assert run(main, reports) == 1
    assert reports.all() == []
    assert log == expected_log(body)
    parent, in_finally = seen
    assert in_finally is parent
    assert_span_closed_once(tracer)


@pytest.mark.parametrize("traced", [False, True], ids=["untraced", "traced"])
@pytest.mark.parametrize("manager", ["threadlocal", "plain"])
def test_abandoned_async_generator_collected_outside_a_loop(install_tracer, manager, traced):
    """Driven by hand with no event loop (no async generator hooks), suspended after one
    item, then dropped (the cyclic GC off, so refcounting alone ends it): the generator is
    closed (its finally runs), nothing is reported, and traced, the span is finished once
    with its scopes closed."""
    assert sys.get_asyncgen_hooks() == (None, None), "an event loop's hooks are installed"
    tracer = install_tracer(CountingTracer({"threadlocal": ThreadLocalScopeManager, "plain": PlainScopeManager}[manager]()))
    log: List[str] = []

    async def numbers():
        try:
            yield 1
            yield 2
        finally:
            log.append("finally done")

    agen = (trace(numbers) if traced else numbers)()
    with reported() as reports:
        gc.disable()
        try:
            with pytest.raises(StopIteration) as first:
                agen.asend(None).send(None)
            assert first.value.value == 1
            del agen, first
            assert log == ["finally done"]
        finally:
            gc.enable()
    assert reports.all() == []
    if traced:
        assert_span_closed_once(tracer)
    else:
        assert tracer.finished_spans() == []


@pytest.mark.parametrize("manager", LOOP_MANAGERS)
@pytest.mark.parametrize("body", BODIES)
def test_explicit_aclose(install_tracer, manager, body):
    """``aclose()`` by the consumer, the generator's finally awaiting: it runs to the end,
    the generator is then exhausted, the span finished once without error, nothing reported
    (at shutdown either)."""
    tracer = install_tracer(CountingTracer(LOOP_MANAGERS[manager]()))
    log: List[str] = []
    numbers = trace(BODIES[body](log))

    async def main() -> List[Any]:
        agen = numbers()
        first = await agen.__anext__()
        await agen.aclose()
        assert log == expected_log(body)
        with pytest.raises(StopAsyncIteration):
            await agen.__anext__()
        return [first]

    with reported() as reports:
        assert run(main, reports) == [1]
    assert reports.all() == []
    assert_span_closed_once(tracer)


@pytest.mark.parametrize("manager", LOOP_MANAGERS)
def test_athrow_caught_then_uncaught_then_shutdown(install_tracer, manager):
    """``athrow()``: an exception the generator catches gives its next item, the span stays
    open; one it does not catch reaches the consumer (the same object), is recorded once and
    finishes the span; nothing is reported at shutdown."""
    tracer = install_tracer(CountingTracer(LOOP_MANAGERS[manager]()))
    log: List[str] = []

    @trace
    async def numbers():
        try:
            yield 1
        except KeyError:
            log.append("caught")
            yield "recovered"
        finally:
            await asyncio.sleep(0)
            log.append("finally done")
        yield "unreached"

    boom = ValueError("boom")

    async def main() -> List[Any]:
        agen = numbers()
        items = [await agen.__anext__(), await agen.athrow(KeyError("k"))]
        assert tracer.finished_spans() == []
        with pytest.raises(ValueError) as info:
            await agen.athrow(boom)
        assert info.value is boom
        return items

    with reported() as reports:
        assert run(main, reports) == [1, "recovered"]
    assert reports.all() == []
    assert log == ["caught", "finally done"]
    tracer.assert_each_span_finished_once()
    (finished,) = tracer.finished_spans()
    assert finished.tags["error"] is True
    assert [entry.key_values["error.object"] for entry in finished.logs] == [boom]


# --- a failed call frees its locals ------------------------------------------------------


class Boom(Exception):
    """The failure of the bodies below."""


class Payload:
    """A local of the failing code; a weak reference tells whether it is still alive."""


def hold(refs: List["weakref.ref[Payload]"]) -> Payload:
    payload = Payload()
    refs.append(weakref.ref(payload))
    return payload


class AsyncNothing:
    """``async with AsyncNothing():`` does nothing (the untraced ``async with span()``)."""

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc_info: Any) -> None:
        return None


def make_body(kind: str, refs: List[Any], traced: bool) -> Callable[..., Any]:
    """The failing callable of ``kind``, holding a Payload in a local when it raises."""
    decorate = trace if traced else (lambda fn: fn)
    if kind == "function":

        def body():
            payload = hold(refs)  # noqa: F841
            raise Boom("failed")

    elif kind == "coroutine":

        async def body():
            payload = hold(refs)  # noqa: F841
            raise Boom("failed")

    elif kind in ("generator", "generator.throw"):

        def body():
            payload = hold(refs)  # noqa: F841
            yield 1
            raise Boom("failed")

    elif kind == "generator.close":

        def body():
            payload = hold(refs)  # noqa: F841
            try:
                yield 1
            finally:
                raise Boom("failed")

    elif kind in ("async generator", "async generator.athrow"):

        async def body():
            payload = hold(refs)  # noqa: F841
            yield 1
            raise Boom("failed")

    elif kind == "async generator.aclose":

        async def body():
            payload = hold(refs)  # noqa: F841
            try:
                yield 1
            finally:
                raise Boom("failed")

    elif kind == "block":

        def body():
            with span("block") if traced else contextlib.ExitStack():
                payload = hold(refs)  # noqa: F841
                raise Boom("failed")

        return body

    elif kind == "async block":

        async def body():
            async with span("block") if traced else AsyncNothing():
                payload = hold(refs)  # noqa: F841
                raise Boom("failed")

        return body

    return decorate(body)


def throw_after_one(gen: Any) -> None:
    next(gen)
    gen.throw(Boom("thrown"))


def close_after_one(gen: Any) -> None:
    next(gen)
    gen.close()


async def athrow_after_one(agen: Any) -> None:
    await agen.__anext__()
    await agen.athrow(Boom("thrown"))


async def aclose_after_one(agen: Any) -> None:
    await agen.__anext__()
    await agen.aclose()


# How each kind is run so that it fails: the exception propagates out of these. The async
# ones are awaited (and their failure caught) inside the event loop: asyncio.run's own
# frames make a cycle with an exception that escapes it, traced or not.
DRIVERS: Dict[str, Callable[[Callable[..., Any]], Any]] = {
    "function": lambda fn: fn(),
    "generator": lambda fn: list(fn()) and None,
    "generator.throw": lambda fn: throw_after_one(fn()),
    "generator.close": lambda fn: close_after_one(fn()),
    "block": lambda fn: fn(),
}
ASYNC_DRIVERS: Dict[str, Callable[[Callable[..., Any]], Awaitable[Any]]] = {
    "coroutine": lambda fn: fn(),
    "async generator": lambda fn: exhaust(fn()),
    "async generator.athrow": lambda fn: athrow_after_one(fn()),
    "async generator.aclose": lambda fn: aclose_after_one(fn()),
    "async block": lambda fn: fn(),
}
KINDS = [*DRIVERS, *ASYNC_DRIVERS]

WRAPPERS = {"traced_function", "traced_coroutine", "traced_generator", "traced_async_generator"}

Frames = List[Tuple[str, int, str]]


def plain_frames(exc: BaseException) -> Frames:
    """The traceback of ``exc`` as (name, line number, line), holding no frame."""
    return [(frame.name, frame.lineno or 0, frame.line or "") for frame in traceback.extract_tb(exc.__traceback__)]


def fail_and_catch(kind: str, body: Callable[..., Any]) -> Frames:
    """Run ``body`` to its failure, catch the exception and drop it (leaving the except
    block); return the traceback the caller saw."""
    if kind in ASYNC_DRIVERS:
        return asyncio.run(afail_and_catch(kind, body))
    try:
        DRIVERS[kind](body)
    except Boom as exc:
        return plain_frames(exc)
    raise AssertionError("Boom was not raised")


async def afail_and_catch(kind: str, body: Callable[..., Any]) -> Frames:
    try:
        await ASYNC_DRIVERS[kind](body)
    except Boom as exc:
        return plain_frames(exc)
    raise AssertionError("Boom was not raised")


def recorded_stack(tracer: MockTracer) -> List[str]:
    """The frame names of the ``stack`` log of the one failed span (which must also log the
    Boom as ``error.object``); then the tracer drops its finished spans."""
    failed = [s for s in tracer.finished_spans() if s.tags.get("error")]
    assert len(failed) == 1
    (error_log,) = [entry.key_values for entry in failed[0].logs if entry.key_values.get("event") == "error"]
    assert isinstance(error_log["error.object"], Boom)
    assert isinstance(error_log["stack"], TracebackType)
    names = [frame.name for frame in traceback.extract_tb(error_log["stack"])]
    tracer.reset()
    return names


@pytest.mark.parametrize("kind", KINDS)
def test_failed_call_frees_its_locals_without_the_cyclic_gc(tracer, kind):
    """With the cyclic GC off: untraced, the failing code's local is freed once the caller
    drops the exception; traced, the same once the tracer has also dropped the span (whose
    error log holds the exception): no cycle through the wrapper's frame keeps it. The
    caller's traceback has the same user frames and lines, plus the one wrapper frame, and
    the span logged a ``stack`` ending in the failing code."""
    refs: List[Any] = []
    gc.collect()
    gc.disable()
    try:
        untraced = fail_and_catch(kind, make_body(kind, refs, traced=False))
        assert refs.pop()() is None  # the baseline

        traced = fail_and_catch(kind, make_body(kind, refs, traced=True))
        stack = recorded_stack(tracer)
        assert refs.pop()() is None
    finally:
        gc.enable()
    assert [frame for frame in traced if frame[0] not in WRAPPERS] == untraced
    wrapper_frames = [frame for frame in traced if frame[0] in WRAPPERS]
    if "block" in kind:
        assert wrapper_frames == []
    else:
        assert wrapper_frames
    assert "body" in stack


@pytest.mark.parametrize("kind", ["function", "coroutine", "generator", "async generator"])
def test_tracer_keeping_the_span_keeps_only_what_the_exception_reaches(tracer, kind):
    """The other side of the test above: while the tracer keeps the failed span (MockTracer
    does, by design) the exception in its error log keeps the failing frames and so the
    local; dropping the span is what frees it, nothing else is needed."""
    refs: List[Any] = []
    gc.collect()
    gc.disable()
    try:
        fail_and_catch(kind, make_body(kind, refs, traced=True))
        assert refs[0]() is not None
        tracer.reset()
        assert refs[0]() is None
    finally:
        gc.enable()


PROPAGATED_KINDS = [kind for kind in KINDS if "block" not in kind]

PROPAGATE_WRAPPERS = {"run", "run_async", "run_generator", "run_async_generator"}


def caller_of(kind: str, fn: Callable[..., Any], traced: bool) -> Callable[..., Any]:
    """A function running ``fn`` to its failure the way ``kind`` is run, traced or not: the
    code around a propagated callable, whose span logs the exception passing through."""
    decorate = trace("caller") if traced else (lambda f: f)
    if kind in DRIVERS:

        def caller() -> Any:
            return DRIVERS[kind](fn)

    else:

        async def caller() -> Any:  # type: ignore[misc]
            return await ASYNC_DRIVERS[kind](fn)

    return decorate(caller)


def call_and_catch(kind: str, caller: Callable[..., Any]) -> Frames:
    """Call ``caller`` (await it for an async kind, inside the loop) to its failure, catch
    the exception and drop it; return the traceback the caller's caller saw."""

    async def acall() -> Frames:
        try:
            await caller()
        except Boom as exc:
            return plain_frames(exc)
        raise AssertionError("Boom was not raised")

    if kind in ASYNC_DRIVERS:
        return asyncio.run(acall())
    try:
        caller()
    except Boom as exc:
        return plain_frames(exc)
    raise AssertionError("Boom was not raised")


@pytest.mark.parametrize("kind", PROPAGATED_KINDS)
def test_failed_propagated_call_frees_its_locals_without_the_cyclic_gc(tracer, kind):
    """With the cyclic GC off, a propagated callable of each kind (carrying a span that
    ended without error) fails inside a ``@trace``\\ d caller, whose span logs the exception:
    once the exception is dropped and the tracer has dropped its spans, the failing code's
    local is freed, as it is untraced (the baseline, asserted first). The scope propagate
    activated would otherwise keep it: it leads, through the caller's scope it replaced, to
    the caller's span and its error log, which holds the traceback of propagate's frame. The
    traceback keeps the same user frames and lines, plus propagate's and trace's frames."""
    refs: List[Any] = []
    gc.collect()
    gc.disable()
    try:
        untraced = call_and_catch(kind, caller_of(kind, make_body(kind, refs, traced=False), traced=False))
        assert refs.pop()() is None  # the baseline

        with span("parent") as parent:
            carried = propagate(make_body(kind, refs, traced=False))
        assert carried.__wrapped__ is not None
        traced = call_and_catch(kind, caller_of(kind, carried, traced=True))
        stack = recorded_stack(tracer)  # the caller's span failed; then the tracer drops both
        assert refs.pop()() is None
    finally:
        gc.enable()
    assert not parent.tags.get("error")
    assert [frame for frame in traced if frame[0] not in WRAPPERS | PROPAGATE_WRAPPERS] == untraced
    assert {frame[0] for frame in traced} & PROPAGATE_WRAPPERS
    assert "body" in stack


def catching_body(kind: str) -> Callable[..., Any]:
    """A generator (or async generator) function that returns when an exception is thrown
    into it at its first item."""
    if kind == "generator":

        def body():
            try:
                yield 1
            except Boom:
                return

    else:

        async def body():  # type: ignore[misc]
            try:
                yield 1
            except Boom:
                return

    return body


def throw_in_and_return(kind: str, fn: Callable[..., Any], refs: List[Any]) -> None:
    """Take one item of ``fn()``, throw in a Boom holding a Payload, which ends it."""
    if kind == "generator":
        gen = fn()
        next(gen)
        try:
            gen.throw(Boom(hold(refs)))
        except StopIteration:
            return
        raise AssertionError("the generator did not return")

    async def athrow() -> None:
        agen = fn()
        await agen.__anext__()
        try:
            await agen.athrow(Boom(hold(refs)))
        except StopAsyncIteration:
            return
        raise AssertionError("the generator did not return")

    asyncio.run(athrow())


@pytest.mark.parametrize("kind", ["generator", "async generator"])
def test_exception_thrown_into_a_propagated_generator_that_returns_is_freed(tracer, kind):
    """With the cyclic GC off: an exception thrown into a propagated generator that
    catches it and returns is freed (with what it holds) as soon as the generator is done,
    as it is untraced (the baseline, asserted first): the wrapper, whose frame the
    exception's traceback holds, does not keep it."""
    refs: List[Any] = []
    gc.collect()
    gc.disable()
    try:
        throw_in_and_return(kind, catching_body(kind), refs)
        assert refs.pop()() is None  # the baseline

        with span("parent"):
            carried = propagate(catching_body(kind))
        throw_in_and_return(kind, carried, refs)
        assert refs.pop()() is None
    finally:
        gc.enable()

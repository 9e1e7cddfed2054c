"""Kinds of callable that ``@trace`` and ``propagate`` must recognise, and values the
decorator must survive:

* ``@trace`` over a generator-based coroutine (``@types.coroutine``): still awaitable,
  still usable with ``yield from``, introspected as the original, traced over its awaited
  run with the span active during its steps, a cancellation recorded as for ``async def``;
* ``tag_args`` values (and decorated objects) that misbehave when looked at: ``repr()``
  raising, a fake or raising ``__class__``, subclasses of the tag types with hostile
  methods, a ``__qualname__`` or ``__doc__`` that raises: the span is kept, what can be
  recorded is recorded, nothing is blamed on the tracer, the traced code is untouched;
* ``propagate`` over generator, async generator and callable-object kinds: the carried
  span is active while the generator's own code runs, not in the consumer between steps,
  never finished by ``propagate``, and no scope is left behind when the generator is
  exhausted, closed half-way or garbage collected, in threads, executors and tasks.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import gc
import inspect
import logging
import threading
import traceback
import types
from concurrent.futures import ThreadPoolExecutor
from contextlib import aclosing
from unittest import mock

import pytest

import opentracing
from opentracing.scope_managers import ThreadLocalScopeManager
from opentracing.scope_managers.asyncio import AsyncioScopeManager
from opentracing.scope_managers.contextvars import ContextVarsScopeManager
from traced import active_span, propagate, span, trace

from ._tools import ASYNCIO_MANAGERS, CountingTracer, PlainScopeManager, by_name

WAIT = 30  # seconds: bound on every join/result/wait, so nothing hangs

# Sync consumers: this package's stack managers and one written against the public API only.
THREAD_MANAGERS = {
    "threadlocal": ThreadLocalScopeManager,
    "contextvars": ContextVarsScopeManager,
    "plain": PlainScopeManager,
}


def traced_warnings(caplog):
    return [r for r in caplog.records if r.name == "traced" and r.levelno >= logging.WARNING]


# --- (4) @trace over @types.coroutine -----------------------------------------------


@pytest.fixture(params=list(ASYNCIO_MANAGERS))
def atracer(request, install_tracer):
    """A CountingTracer on each asyncio-ready manager, global for the test."""
    return install_tracer(CountingTracer(ASYNCIO_MANAGERS[request.param]()))


def make_generator_coroutines(seen):
    """(untraced, traced) generator-based coroutines recording the active span at each
    step and returning 1."""

    def body():
        seen.append(active_span())
        yield from asyncio.sleep(0)
        seen.append(active_span())
        return 1

    untraced = types.coroutine(body)
    traced = trace("gencoro")(types.coroutine(body))
    return untraced, traced


async def test_types_coroutine_is_awaitable_and_traced_over_its_run(atracer):
    """``await f()`` gives f's result; f's span is a child of the awaiting span, active in
    both of f's steps (before and after its suspension), finished exactly once, after the
    run; the awaiting code's span is active again afterwards."""
    seen = []
    _, traced = make_generator_coroutines(seen)
    with span("caller") as caller:
        assert await traced() == 1
        assert active_span() is caller
    [gencoro] = [s for s in atracer.finished_spans() if s.operation_name == "gencoro"]
    assert gencoro.parent_id == caller.context.span_id
    assert seen == [gencoro, gencoro]
    atracer.assert_each_span_finished_once()
    assert active_span() is None


async def test_types_coroutine_runs_as_a_task_with_other_tasks_interleaved(atracer):
    """As tasks interleaved on one loop, each traced generator-based coroutine sees its own
    span at each step, and the consumer task does not see it between steps."""
    seen = {}

    @trace("gc_task", tag_args=("i",))
    @types.coroutine
    def job(i):
        seen.setdefault(i, []).append(active_span())
        yield from asyncio.sleep(0)
        seen[i].append(active_span())
        return i

    async def consumer(i):
        with span("consumer") as own:
            result = await job(i)
            assert active_span() is own
            return result

    results = await asyncio.wait_for(asyncio.gather(*(consumer(i) for i in range(5))), WAIT)
    assert results == list(range(5))
    spans = {s.tags["i"]: s for s in atracer.finished_spans() if s.operation_name == "gc_task"}
    assert sorted(spans) == list(range(5))
    for i, steps in seen.items():
        assert steps == [spans[i], spans[i]]
    atracer.assert_each_span_finished_once()


async def test_types_coroutine_exception_and_cancellation(atracer):
    """An error reaches the awaiting code as the same object with f's frame in its
    traceback, recorded on the span; a cancelled run still finishes its span exactly once."""
    error = ValueError("boom")

    @trace("fails")
    @types.coroutine
    def fails():
        yield from asyncio.sleep(0)
        raise error

    started = asyncio.Event()

    @trace("hangs")
    @types.coroutine
    def hangs():
        started.set()
        yield from asyncio.sleep(3600)

    with pytest.raises(ValueError) as info:
        await fails()
    assert info.value is error
    assert "fails" in [f.name for f in traceback.extract_tb(info.value.__traceback__)]

    task = asyncio.ensure_future(hangs())
    await asyncio.wait_for(started.wait(), WAIT)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, WAIT)

    spans = by_name(atracer)
    assert spans["fails"].tags["error"] is True
    assert "error" not in spans["hangs"].tags
    atracer.assert_each_span_finished_once()


async def test_types_coroutine_cancellation_is_recorded_as_for_async_def(atracer):
    """A task awaiting a traced generator-based coroutine is cancelled while the
    coroutine is suspended in its own code: the CancelledError reaches whoever awaits the
    task, and the span is finished once with ``cancelled=True`` and no error tag; its tags
    and logs are those of a cancelled ``async def`` traced the same way."""
    started = asyncio.Event()

    @trace("cancelled")
    @types.coroutine
    def generator_based():
        started.set()
        yield from asyncio.sleep(3600)

    @trace("cancelled")
    async def native():
        started.set()
        await asyncio.sleep(3600)

    async def awaiter(fn):
        return await fn()

    recorded = []
    for fn in (generator_based, native):
        started.clear()
        task = asyncio.ensure_future(awaiter(fn))
        await asyncio.wait_for(started.wait(), WAIT)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, WAIT)
        assert task.cancelled()
        [finished] = atracer.finished_spans()
        atracer.assert_each_span_finished_once()
        recorded.append((finished.tags, [entry.key_values for entry in finished.logs]))
        atracer.reset()
        atracer.started.clear()
    gencoro_recorded, native_recorded = recorded
    assert gencoro_recorded[0] == {"cancelled": True}
    assert gencoro_recorded == native_recorded


@pytest.mark.parametrize("tracer_kind", ["noop", "mock"])
def test_types_coroutine_introspection_is_unchanged(tracer_kind, install_tracer):
    """The traced function and what it returns answer every kind question as the untraced
    ones do (awaitable, generator, not a native coroutine), with or without a tracer."""
    install_tracer(opentracing.Tracer() if tracer_kind == "noop" else CountingTracer())
    untraced, traced = make_generator_coroutines([])
    for check in (
        inspect.isgeneratorfunction,
        inspect.iscoroutinefunction,
        inspect.isasyncgenfunction,
        asyncio.iscoroutinefunction,
    ):
        assert check(traced) == check(untraced), check
    assert traced.__code__.co_flags & inspect.CO_ITERABLE_COROUTINE
    assert inspect.signature(traced) == inspect.signature(untraced)
    plain, wrapped = untraced(), traced()
    try:
        for check in (inspect.isawaitable, inspect.isgenerator, inspect.iscoroutine, asyncio.iscoroutine):
            assert check(wrapped) == check(plain), check
        assert inspect.isawaitable(wrapped)
    finally:
        plain.close()
        wrapped.close()


@pytest.mark.parametrize("tracer_kind", ["noop", "mock"])
def test_types_coroutine_still_works_with_yield_from_in_a_plain_generator(tracer_kind, install_tracer):
    """Untraced, a plain generator can ``yield from`` a generator-based coroutine (values
    sent in, result returned); traced, the same driver gives the same results."""
    tracer = install_tracer(opentracing.Tracer() if tracer_kind == "noop" else CountingTracer())

    def body(x):
        got = yield "ready"
        return got * x

    def driver(coro_fn):
        result = yield from coro_fn(2)
        return ("done", result)

    def drive(coro_fn):
        gen = driver(coro_fn)
        first = next(gen)
        with pytest.raises(StopIteration) as stop:
            gen.send(21)
        return first, stop.value.value

    untraced = types.coroutine(body)
    traced = trace("yf")(types.coroutine(body))
    assert drive(traced) == drive(untraced) == ("ready", ("done", 42))
    if tracer_kind == "mock":
        assert [s.operation_name for s in tracer.finished_spans()] == ["yf"]
        tracer.assert_each_span_finished_once()


# --- (5) tag_args and decorated objects that misbehave ------------------------------


class Unprintable:
    def __repr__(self):
        raise RuntimeError("no repr")


def kinds_taking(value_name):
    """A traced function of each kind tagging ``value_name``, each returning or raising
    what it is told: (kind, traced callable, how to run it to its result)."""

    @trace("k", tag_args=(value_name,))
    def function(value, outcome):
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    @trace("k", tag_args=(value_name,))
    def generator(value, outcome):
        yield 1
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    @trace("k", tag_args=(value_name,))
    async def coroutine(value, outcome):
        await asyncio.sleep(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    @trace("k", tag_args=(value_name,))
    async def async_generator(value, outcome):
        yield 1
        if isinstance(outcome, BaseException):
            raise outcome
        out.append(outcome)

    out: list = []

    def run_function(*args):
        return function(*args)

    def run_generator(*args):
        gen = generator(*args)
        next(gen)
        with pytest.raises(StopIteration) as stop:
            next(gen)
        return stop.value.value

    def run_coroutine(*args):
        return asyncio.run(coroutine(*args))

    def run_async_generator(*args):
        async def consume():
            return [x async for x in async_generator(*args)]

        asyncio.run(consume())
        return out.pop()

    return [run_function, run_generator, run_coroutine, run_async_generator]


@pytest.mark.parametrize("kind", range(4), ids=["function", "generator", "coroutine", "async_generator"])
def test_tag_arg_whose_repr_raises_keeps_the_span(kind, tracer, caplog):
    """The span is recorded with a placeholder naming the value's type; the result and an
    exception (the same object) pass through; no warning blames the tracer."""
    run = kinds_taking("value")[kind]
    result = object()
    assert run(Unprintable(), result) is result
    error = KeyError("k")
    with pytest.raises(KeyError) as info:
        run(Unprintable(), error)
    assert info.value is error
    ok, failed = tracer.finished_spans()
    assert ok.tags == {"value": "<unrepresentable Unprintable>"}
    assert failed.tags == {"value": "<unrepresentable Unprintable>", "error": True}
    assert traced_warnings(caplog) == []


def test_tag_values_are_plain_and_read_without_running_their_code(tracer, caplog):
    """A fake ``__class__`` (a mock specced as ``str``) is not believed and one that raises
    is never read: both are tagged by ``repr()``; instances of subclasses of the tag types
    whose methods all raise are tagged as their plain value, of the plain type."""

    class Hostile(str):
        def __eq__(self, other):
            raise RuntimeError("eq")

        def __hash__(self):
            raise RuntimeError("hash")

        def __str__(self):
            raise RuntimeError("str")

        def __repr__(self):
            raise RuntimeError("repr")

    class HostileInt(int):
        def __eq__(self, other):
            raise RuntimeError("eq")

        __hash__ = None  # type: ignore[assignment]

        def __index__(self):
            raise RuntimeError("index")

        def __int__(self):
            raise RuntimeError("int")

    class HostileFloat(float):
        def __float__(self):
            raise RuntimeError("float")

    class Status(enum.IntEnum):
        OK = 200

    class RaisingClass:
        @property  # type: ignore[misc]
        def __class__(self):
            raise RuntimeError("__class__")

    @trace("t", tag_args=("a", "b", "c", "d", "e", "f", "g"))
    def f(a, b, c, d, e, f, g):
        return "ran"

    faked = mock.Mock(spec=str)
    assert isinstance(faked, str)  # what isinstance() would have believed
    assert f(faked, RaisingClass(), Hostile("h"), HostileInt(7), HostileFloat(1.5), Status.OK, True) == "ran"
    [s] = tracer.finished_spans()
    tags = s.tags
    assert type(tags["a"]) is str and tags["a"].startswith("<Mock spec='str'")
    assert type(tags["b"]) is str and "RaisingClass object at" in tags["b"]
    assert (type(tags["c"]), tags["c"]) == (str, "h")
    assert (type(tags["d"]), tags["d"]) == (int, 7)
    assert (type(tags["e"]), tags["e"]) == (float, 1.5)
    assert (type(tags["f"]), tags["f"]) == (int, 200)
    assert tags["g"] is True
    assert traced_warnings(caplog) == []


def test_objects_whose_names_and_doc_raise_can_still_be_decorated(tracer, caplog):
    """A callable descriptor (taken as a routine by ``inspect``, so named after itself)
    whose ``__qualname__``, ``__name__`` and ``__doc__`` raise is decorated and traced,
    alone and inside a partial: the span is named from what can be read (its module and
    ``repr()``), the metadata that can be copied is, nothing is blamed on the tracer."""

    class Handler:
        @property
        def __doc__(self):  # type: ignore[override]
            raise RuntimeError("doc")

        def __getattr__(self, name):
            if name in ("__qualname__", "__name__"):
                raise RuntimeError(name)
            raise AttributeError(name)

        def __get__(self, instance, owner=None):
            return self

        def __call__(self, x):
            return x + 1

        def __repr__(self):
            return "<handler>"

    handler = Handler()
    assert inspect.isroutine(handler)
    with pytest.raises(RuntimeError):
        handler.__qualname__
    traced = trace(handler)
    partial_traced = trace(functools.partial(handler, 1))
    assert traced(1) == 2
    assert partial_traced() == 2
    assert [s.operation_name for s in tracer.finished_spans()] == [f"{__name__}.<handler>"] * 2
    assert traced.__wrapped__ is handler
    assert traced.__module__ == __name__
    assert traced_warnings(caplog) == []


# --- (7) propagate by kind ------------------------------------------------------------


@pytest.fixture(params=list(THREAD_MANAGERS))
def ptracer(request, install_tracer):
    """A CountingTracer on each manager usable from plain threads, global for the test."""
    return install_tracer(CountingTracer(THREAD_MANAGERS[request.param]()))


@trace("item", tag_args=("n",))
def item(n):
    return active_span().parent_id


def numbers(count, log):
    """A generator function logging the active span at each of its steps (and in its
    ``finally``) and starting a traced span per item; returns ``"end"``."""
    try:
        for n in range(count):
            log.append(("step", active_span()))
            yield item(n)
        log.append(("last", active_span()))
        return "end"
    finally:
        log.append(("finally", active_span()))


def consume_all(gen, consumer_log):
    """Iterate ``gen`` to its end, logging what is active between steps; its return value."""
    while True:
        try:
            value = next(gen)
        except StopIteration as stop:
            return stop.value
        consumer_log.append((value, active_span()))


def run_in_thread(fn):
    out = {}

    def target():
        try:
            out["result"] = fn()
        except BaseException as exc:  # handed to the test thread
            out["error"] = exc
        out["after"] = active_span()

    t = threading.Thread(target=target)
    t.start()
    t.join(WAIT)
    assert not t.is_alive()
    if "error" in out:
        raise out["error"]
    return out["result"], out["after"]


def test_propagate_keeps_the_kind(ptracer):
    """Each kind gives the same kind back (and keeps its signature)."""

    def gen(a, b=1):
        yield a

    async def agen(a):
        yield a

    async def coro(a):
        return a

    @types.coroutine
    def gencoro(a):
        yield a

    with span("parent"):
        for fn in (gen, agen, coro, gencoro, item):
            carried = propagate(fn)
            assert carried is not fn
            for check in (inspect.isgeneratorfunction, inspect.isasyncgenfunction, inspect.iscoroutinefunction):
                assert check(carried) == check(fn), (fn, check)
            assert inspect.signature(carried) == inspect.signature(fn)
        assert propagate(gencoro).__code__.co_flags & inspect.CO_ITERABLE_COROUTINE


def test_propagated_generator_in_a_thread(ptracer):
    """In another thread, the generator's own code runs with the parent active at every
    step (its spans are children of the parent), the consumer sees nothing between steps,
    the return value passes through, the parent is never finished by it, and the thread is
    left with no span active."""
    log, consumer_log = [], []
    with span("parent") as parent:
        carried = propagate(numbers)
        result, after = run_in_thread(lambda: consume_all(carried(3, log), consumer_log))
        assert not parent.finished
    pid = parent.context.span_id
    assert result == "end"
    assert after is None
    assert log == [("step", parent)] * 3 + [("last", parent), ("finally", parent)]
    assert consumer_log == [(pid, None)] * 3
    ptracer.assert_each_span_finished_once()


def test_propagated_generator_consumer_spans_stay_the_consumers(ptracer):
    """A span the consumer opens between steps is not active inside the generator, and a
    span the generator leaves open across a yield is not active in the consumer (with this
    package's stack managers; the plain manager keeps only activate/close)."""
    seen = []

    def leaky():
        seen.append(active_span())
        yield 1
        seen.append(active_span())
        yield 2

    with span("parent") as parent:
        carried = propagate(leaky)

        def consumer():
            gen = carried()
            next(gen)
            with span("consumer") as own:
                next(gen)
                assert active_span() is own
            gen.close()

        run_in_thread(consumer)
    assert seen == [parent, parent]


def test_propagated_generator_in_an_executor(ptracer):
    """Consumed in an executor's worker thread: the same, and the worker has no span
    active afterwards (checked by a later task on the same worker)."""
    log = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        with span("parent") as parent:
            carried = propagate(numbers)
            values = pool.submit(lambda: list(carried(2, log))).result(WAIT)
            assert not parent.finished
        assert pool.submit(active_span).result(WAIT) is None
    assert values == [parent.context.span_id] * 2
    assert [entry[1] for entry in log] == [parent] * 4


@pytest.mark.parametrize("how", ["close", "gc", "throw"])
def test_propagated_generator_abandoned_half_way(ptracer, how):
    """Closed, garbage collected or thrown into after one item: the generator's clean-up
    runs with the parent active, a thrown exception comes back as the same object, and the
    consuming thread is left with no span active; the parent is not finished."""
    log = []
    error = ValueError("stop")
    with span("parent") as parent:
        carried = propagate(numbers)

        def consumer():
            gen = carried(5, log)
            next(gen)
            if how == "close":
                gen.close()
            elif how == "gc":
                del gen
                gc.collect()
            else:
                with pytest.raises(ValueError) as info:
                    gen.throw(error)
                assert info.value is error
            return active_span()

        during, after = run_in_thread(consumer)
        assert not parent.finished
    assert during is None and after is None
    assert log == [("step", parent), ("finally", parent)]
    assert active_span() is None


@pytest.mark.parametrize("manager", [AsyncioScopeManager, ContextVarsScopeManager], ids=["asyncio", "contextvars"])
async def test_propagated_async_generator_in_tasks(manager, install_tracer):
    """In new tasks (which under AsyncioScopeManager start with no span), the async
    generator's own code runs with the parent active at each step, across its awaits; the
    consumer's own span is active between steps; each task ends with its own span active
    again; the parent is never finished by it."""
    tracer = install_tracer(CountingTracer(manager()))
    seen = []

    async def agen(i):
        for n in range(3):
            seen.append((i, active_span()))
            await asyncio.sleep(0)
            seen.append((i, active_span()))
            yield item(n)

    async def consumer(fn, i):
        with span("consumer") as own:
            values = []
            async for value in fn(i):
                assert active_span() is own
                values.append(value)
            assert active_span() is own
            return values

    with span("parent") as parent:
        carried = propagate(agen)
        tasks = [asyncio.ensure_future(consumer(carried, i)) for i in range(4)]
        results = await asyncio.wait_for(asyncio.gather(*tasks), WAIT)
        assert not parent.finished
    assert results == [[parent.context.span_id] * 3] * 4
    assert [s for _, s in seen] == [parent] * len(seen) and len(seen) == 4 * 6
    tracer.assert_each_span_finished_once()
    assert active_span() is None


@pytest.mark.parametrize("manager", [AsyncioScopeManager, ContextVarsScopeManager], ids=["asyncio", "contextvars"])
@pytest.mark.parametrize("how", ["aclose", "gc"])
async def test_propagated_async_generator_abandoned_half_way(manager, how, install_tracer):
    """Closed or dropped after one item: its clean-up runs with the parent active (for a
    dropped one, when the loop finalizes it), and the consuming task is left with exactly
    what it had active."""
    tracer = install_tracer(CountingTracer(manager()))
    log = []
    finalized = asyncio.Event()

    async def agen():
        try:
            log.append(active_span())
            yield 1
            yield 2
        finally:
            log.append(active_span())
            finalized.set()

    async def consumer(fn):
        with span("consumer") as own:
            if how == "aclose":
                async with aclosing(fn()) as it:
                    async for _ in it:
                        break
            else:
                it = fn()
                await it.__anext__()
                del it
                gc.collect()
                await asyncio.wait_for(finalized.wait(), WAIT)
            return active_span() is own

    with span("parent") as parent:
        carried = propagate(agen)
        assert await asyncio.wait_for(asyncio.ensure_future(consumer(carried)), WAIT)
        assert not parent.finished
    assert log == [parent, parent]
    assert active_span() is None
    tracer.assert_each_span_finished_once()


async def test_propagated_callable_object_with_async_call(install_tracer):
    """A callable object whose ``__call__`` is ``async def``: the span is active while
    the coroutine runs in a new task, not only while it is created."""
    install_tracer(CountingTracer(AsyncioScopeManager()))

    class Job:
        async def __call__(self):
            await asyncio.sleep(0)
            return active_span()

    with span("parent") as parent:
        carried = propagate(Job())
        assert await asyncio.wait_for(asyncio.ensure_future(carried()), WAIT) is parent
    assert active_span() is None


def test_propagate_with_a_tracer_that_fails_to_say_its_active_span(install_tracer, caplog):
    """A tracer raising from ``active_span`` does not break the hand-off: ``fn`` itself is
    returned and the failure is logged once."""

    class Broken(opentracing.Tracer):
        @property
        def active_span(self):
            raise RuntimeError("broken")

    install_tracer(Broken())

    def fn():
        return 1

    assert propagate(fn) is fn
    assert len(traced_warnings(caplog)) == 1

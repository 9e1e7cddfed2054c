"""A tracer that fails never changes what traced code does: whichever tracer call raises
(starting a span, setting a tag, finishing, activating, closing a scope), functions,
generators, coroutines and async generators run and return or raise exactly as they
would untraced, and the failure is logged once per kind through the "traced" logger."""

from __future__ import annotations

import asyncio
import logging

import pytest

from opentracing.mocktracer import MockTracer
from opentracing.mocktracer.span import MockSpan
from traced import trace

from ._tools import PlainScope, PlainScopeManager, cancel_once_started


class TracerBroke(RuntimeError):
    """Raised by the broken tracers below."""


class Boom(Exception):
    """Raised by the traced user code."""


class StartFails(MockTracer):
    def start_span(self, *args, **kwargs):
        raise TracerBroke("start_span")


class BrokenTagSpan(MockSpan):
    def set_tag(self, key, value):
        raise TracerBroke("set_tag")

    def log_kv(self, key_values, timestamp=None):
        raise TracerBroke("log_kv")


class SetTagFails(MockTracer):
    def start_span(self, *args, **kwargs):
        span = super().start_span(*args, **kwargs)
        span.__class__ = BrokenTagSpan
        return span


class FinishFails(MockTracer):
    def _append_finished_span(self, span):
        raise TracerBroke("finish")


class ActivateFailsManager(PlainScopeManager):
    def activate(self, span, finish_on_close):
        raise TracerBroke("activate")


class BrokenCloseScope(PlainScope):
    def close(self):
        raise TracerBroke("close")


class CloseFailsManager(PlainScopeManager):
    def activate(self, span, finish_on_close):
        scope = super().activate(span, finish_on_close)
        scope.__class__ = BrokenCloseScope
        return scope


BROKEN = {
    "start": lambda: StartFails(),
    "set_tag": lambda: SetTagFails(),
    "finish": lambda: FinishFails(),
    "activate": lambda: MockTracer(ActivateFailsManager()),
    "close": lambda: MockTracer(CloseFailsManager()),
}


@pytest.fixture(params=sorted(BROKEN))
def broken(request, install_tracer):
    """A broken tracer installed globally, one per way of failing."""
    return install_tracer(BROKEN[request.param]())


def traced_warnings(caplog):
    return [r for r in caplog.records if r.name == "traced" and r.levelno == logging.WARNING]


# --- the user code, each kind in a version that returns and one that raises -------------

RAISED = []


def fail_now():
    """Raise a fresh user exception, remembering it so the caller can check identity."""
    exc = Boom("user error")
    RAISED.append(exc)
    raise exc


def func(x, fail=False):
    if fail:
        fail_now()
    return x * 2


def gen(x, fail=False):
    received = yield x
    yield received
    if fail:
        fail_now()
    return "gen-return"


async def coro(x, fail=False):
    await asyncio.sleep(0)
    if fail:
        fail_now()
    return x * 3


async def agen(x, fail=False):
    received = yield x
    await asyncio.sleep(0)
    yield received
    if fail:
        fail_now()


def run_gen(factory):
    g = factory(5)
    out = [next(g), g.send("sent")]
    with pytest.raises(StopIteration) as info:
        next(g)
    return out, info.value.value


async def run_agen(factory):
    it = factory(5)
    out = [await it.__anext__(), await it.asend("sent")]
    with pytest.raises(StopAsyncIteration):
        await it.__anext__()
    return out


def test_function_returns_as_untraced(broken, caplog):
    """A traced function returns the same value as the original, three calls in a row,
    and at most one WARNING is logged by "traced"."""
    traced_func = trace("f", tag_args=("x",))(func)
    assert [traced_func(i) for i in range(3)] == [func(i) for i in range(3)]
    assert len(traced_warnings(caplog)) <= 1


def test_function_raises_as_untraced(broken):
    """A traced function that fails raises the very same exception object, unchained, with
    the user function's frame last in its traceback."""
    traced_func = trace("f")(func)
    with pytest.raises(Boom) as info:
        traced_func(1, fail=True)
    assert info.value is RAISED[-1]
    assert info.value.__context__ is None
    assert [entry.name for entry in info.traceback][-2:] == ["func", "fail_now"]


def test_user_code_sees_no_exception_being_handled(broken):
    """Inside the traced code sys.exc_info() is empty, as when untraced: a tracer failure
    is not left "being handled" around the user's code."""
    import sys

    @trace("f")
    def f():
        return sys.exc_info()

    @trace("g")
    def g():
        yield sys.exc_info()

    assert f() == (None, None, None)
    assert list(g()) == [(None, None, None)]


async def test_user_coroutine_sees_no_exception_being_handled(broken):
    """The same for coroutines and async generators."""
    import sys

    @trace("c")
    async def c():
        return sys.exc_info()

    @trace("ag")
    async def ag():
        yield sys.exc_info()

    assert await c() == (None, None, None)
    assert [x async for x in ag()] == [(None, None, None)]


def test_generator_runs_as_untraced(broken):
    """A traced generator yields, receives sent values, and returns as the original."""
    assert run_gen(trace("g")(gen)) == run_gen(gen)


def test_generator_raises_as_untraced(broken):
    """A traced generator that fails raises the same exception object."""
    g = trace("g")(gen)(1, fail=True)
    next(g)
    next(g)
    with pytest.raises(Boom) as info:
        next(g)
    assert info.value is RAISED[-1] and info.value.__context__ is None


def test_generator_close_and_throw_as_untraced(broken):
    """close() and a caught throw() behave as on the original generator."""

    def catcher():
        try:
            yield 1
        except Boom:
            yield "caught"

    traced_catcher = trace("c")(catcher)
    for factory in (catcher, traced_catcher):
        g = factory()
        next(g)
        assert g.throw(Boom()) == "caught"
        g.close()
        with pytest.raises(StopIteration):
            next(g)


async def test_coroutine_runs_as_untraced(broken):
    """A traced coroutine returns and raises as the original."""
    traced_coro = trace("c")(coro)
    assert await traced_coro(2) == await coro(2) == 6
    with pytest.raises(Boom) as info:
        await traced_coro(2, fail=True)
    assert info.value is RAISED[-1] and info.value.__context__ is None


async def test_cancelled_coroutine_as_untraced(broken):
    """Cancelling a traced coroutine still cancels the task with CancelledError."""
    started = asyncio.Event()

    @trace("slow")
    async def slow():
        started.set()
        await asyncio.sleep(3600)

    task = await cancel_once_started(slow(), started)
    assert task.cancelled()


async def test_async_generator_runs_as_untraced(broken):
    """A traced async generator yields, receives and raises as the original."""
    traced_agen = trace("ag")(agen)
    assert await run_agen(traced_agen) == await run_agen(agen) == [5, "sent"]
    it = traced_agen(1, fail=True)
    await it.__anext__()
    await it.__anext__()
    with pytest.raises(Boom) as info:
        await it.__anext__()
    assert info.value is RAISED[-1]
    it2 = traced_agen(1)
    await it2.__anext__()
    await it2.aclose()


@pytest.mark.parametrize("kind", ["start", "set_tag", "finish", "activate", "close"])
def test_failure_logged_once_then_at_debug(install_tracer, caplog, kind):
    """Repeated failures of the same kind give one WARNING from the "traced" logger (with
    the tracer's exception attached) and then DEBUG records only."""
    install_tracer(BROKEN[kind]())
    caplog.set_level(logging.DEBUG, logger="traced")
    traced_func = trace("f")(func)
    for _ in range(4):
        with pytest.raises(Boom):
            traced_func(1, fail=True)
    warnings = traced_warnings(caplog)
    debugs = [r for r in caplog.records if r.name == "traced" and r.levelno == logging.DEBUG]
    assert len(warnings) >= 1
    assert len({r.getMessage() for r in warnings}) == len(warnings)  # each kind once
    assert all(isinstance(r.exc_info[1], TracerBroke) for r in warnings)
    assert len(debugs) == 3 * len(warnings)


def test_different_failure_kinds_each_warn_once(install_tracer, caplog):
    """A failure in a new place is warned about even after another kind was reported."""
    caplog.set_level(logging.DEBUG, logger="traced")
    traced_func = trace("f")(func)
    install_tracer(StartFails())
    traced_func(1)
    traced_func(1)
    install_tracer(FinishFails())
    traced_func(1)
    traced_func(1)
    warnings = traced_warnings(caplog)
    assert len(warnings) == 2
    assert "start_active_span" in warnings[0].getMessage()
    assert "Scope.close" in warnings[1].getMessage()  # finish() runs inside Scope.close()
    assert str(warnings[1].exc_info[1]) == "finish"


def test_broken_tag_value_repr_does_not_break_the_call(tracer, caplog):
    """An argument named in tag_args whose repr() raises does not stop the call, nor drop
    the span (tagged with a placeholder), and is not blamed on the tracer (more in
    test_robustness_kinds.py)."""

    class Unprintable:
        def __repr__(self):
            raise TracerBroke("repr")

    @trace("f", tag_args=("value",))
    def f(value):
        return "ran"

    assert f(Unprintable()) == "ran"
    assert traced_warnings(caplog) == []
    assert tracer.finished_spans()[0].tags == {"value": "<unrepresentable Unprintable>"}

"""With the default no-op global tracer, traced callables of every kind behave exactly like
the originals; the global tracer is looked up at call time, so one installed after
decoration is used; an explicit ``tracer=`` always wins."""

from __future__ import annotations

import asyncio
import functools
import logging

import pytest

import opentracing
from opentracing.mocktracer import MockTracer
from traced import trace


@pytest.fixture
def noop(install_tracer):
    """The plain no-op ``opentracing.Tracer`` as the global tracer."""
    return install_tracer(opentracing.Tracer())


class Boom(Exception):
    pass


def func(a, b=2, *, c=3):
    return (a, b, c)


def failing():
    raise Boom("f")


def gen(n):
    total = 0
    for i in range(n):
        sent = yield i
        if sent:
            total += sent
    return total


def catching_gen():
    while True:
        try:
            yield "ready"
        except Boom:
            yield "caught"


async def coro(x):
    await asyncio.sleep(0)
    return x + 1


async def agen(n):
    for i in range(n):
        got = yield i
        if got:
            yield ("echo", got)


class Obj:
    def __init__(self, k):
        self.k = k

    def method(self, x):
        return self.k * x

    @classmethod
    def cm(cls, x):
        return (cls.__name__, x)

    @staticmethod
    def sm(x):
        return -x

    def __call__(self, x):
        return self.k + x


class TracedObj(Obj):
    method = trace(Obj.method)
    cm = trace(Obj.__dict__["cm"])
    sm = trace(Obj.__dict__["sm"])


def drive_gen(factory):
    g = factory(4)
    out = [next(g), g.send(10), g.send(5)]
    try:
        g.send(None)
        g.send(None)
    except StopIteration as stop:
        out.append(("return", stop.value))
    return out


def test_functions_and_methods_behave_as_originals(noop):
    """Plain functions, methods, classmethods, staticmethods, callable objects and partials
    return what the originals return."""
    assert trace(func)(1, c=9) == func(1, c=9)
    assert trace("named", tag_args=("a",))(func)(1, 5) == func(1, 5)
    assert TracedObj(3).method(2) == Obj(3).method(2) == 6
    assert TracedObj.cm(1) == ("TracedObj", 1)
    assert TracedObj(0).sm(4) == Obj.sm(4)
    assert trace(Obj(5))(1) == Obj(5)(1)
    assert trace(functools.partial(func, 7))(c=0) == func(7, c=0)


def test_exceptions_are_the_same(noop):
    """A failing traced function raises the same exception type and message, with the
    user function's frame in the traceback."""
    with pytest.raises(Boom, match="f") as info:
        trace(failing)()
    assert info.traceback[-1].name == "failing"


def test_generators_behave_as_originals(noop):
    """send(), return values, throw() handled inside and close() behave identically."""
    assert drive_gen(trace(gen)) == drive_gen(gen)
    for factory in (catching_gen, trace(catching_gen)):
        g = factory()
        assert next(g) == "ready"
        assert g.throw(Boom()) == "caught"
        g.close()
        assert list(g) == []


async def test_async_kinds_behave_as_originals(noop):
    """Coroutines and async generators (asend, athrow, aclose) behave identically."""
    assert await trace(coro)(1) == await coro(1) == 2

    async def drive(factory):
        it = factory(3)
        out = [await it.__anext__(), await it.asend("x"), await it.__anext__()]
        with pytest.raises(Boom):
            await it.athrow(Boom())
        await it.aclose()
        return out

    assert await drive(trace(agen)) == await drive(agen) == [0, ("echo", "x"), 1]


def test_noop_does_not_compute_tags(noop, caplog):
    """With the no-op tracer, tag_args values are not even looked at: an argument whose
    repr() raises causes no tracer failure report."""

    class Unprintable:
        def __repr__(self):
            raise RuntimeError("repr")

    f = trace(tag_args=("a",))(func)
    assert f(Unprintable())[1:] == (2, 3)
    assert not [r for r in caplog.records if r.name == "traced"]


def test_tracer_installed_after_decoration_is_used(noop, install_tracer):
    """Decorated while the no-op tracer is global, every kind reports to a MockTracer
    installed later, at call time."""
    traced_func = trace("func")(func)
    traced_gen = trace("gen")(gen)
    traced_obj = trace("obj")(Obj(1))
    traced_func(1)
    assert list(traced_gen(1)) == [0]
    tracer = install_tracer(MockTracer())
    traced_func(1)
    assert list(traced_gen(2)) == [0, 1]
    traced_obj(1)
    assert [s.operation_name for s in tracer.finished_spans()] == ["func", "gen", "obj"]


async def test_async_tracer_installed_after_decoration_is_used(noop, install_tracer):
    """The same for coroutines and async generators."""
    traced_coro = trace("coro")(coro)
    traced_agen = trace("agen")(agen)
    await traced_coro(1)
    tracer = install_tracer(MockTracer())
    await traced_coro(1)
    assert [x async for x in traced_agen(2)] == [0, 1]
    assert [s.operation_name for s in tracer.finished_spans()] == ["coro", "agen"]


def test_generator_uses_global_tracer_at_first_next(noop, install_tracer):
    """A traced generator created while the no-op tracer is global but first advanced after
    a MockTracer is installed reports to the MockTracer (the tracer is looked up when the
    span would start)."""
    g = trace("gen")(gen)(1)
    tracer = install_tracer(MockTracer())
    assert list(g) == [0]
    assert [s.operation_name for s in tracer.finished_spans()] == ["gen"]


@pytest.mark.parametrize("global_kind", ["noop", "mock"])
def test_explicit_tracer_wins_over_global(install_tracer, global_kind):
    """tracer= is used whatever the global tracer is, no-op or another MockTracer."""
    global_tracer = install_tracer(opentracing.Tracer() if global_kind == "noop" else MockTracer())
    own = MockTracer()
    traced_func = trace("f", tracer=own)(func)
    traced_gen = trace("g", tracer=own)(gen)
    traced_func(1)
    list(traced_gen(1))
    assert [s.operation_name for s in own.finished_spans()] == ["f", "g"]
    if isinstance(global_tracer, MockTracer):
        assert global_tracer.finished_spans() == []


async def test_explicit_tracer_wins_for_async(noop):
    """tracer= is used for coroutines and async generators under the no-op global tracer."""
    own = MockTracer()
    await trace("c", tracer=own)(coro)(1)
    assert [x async for x in trace("ag", tracer=own)(agen)(1)] == [0]
    assert [s.operation_name for s in own.finished_spans()] == ["c", "ag"]


def test_noop_logs_nothing(noop, caplog):
    """Calls on the no-op tracer never log anything through "traced"."""
    caplog.set_level(logging.DEBUG, logger="traced")
    trace(func)(1)
    list(trace(gen)(2))
    with pytest.raises(Boom):
        trace(failing)()
    assert not [r for r in caplog.records if r.name == "traced"]

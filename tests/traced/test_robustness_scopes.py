"""Whatever the traced body does with scopes, the traced call's span is finished exactly
once and, when the call ends, the scope active before it is active again: a scope the body
leaves open, an untraced generator suspended inside ``with start_active_span``, coroutines
interleaving on a manager that cannot tell them apart; on every manager of this package
and on one written by a third party (public API only). Ends with a stress test."""

from __future__ import annotations

import asyncio
import random
import threading
from typing import Any, Callable, Iterator, List, Optional

import gevent
import pytest

from opentracing import Scope, ScopeManager, Span
from opentracing.mocktracer import MockTracer
from opentracing.scope_managers import StackScopeManager, ThreadLocalScopeManager
from opentracing.scope_managers.asyncio import AsyncioScopeManager
from opentracing.scope_managers.contextvars import ContextVarsScopeManager
from opentracing.scope_managers.gevent import GeventScopeManager
from opentracing.scope_managers.tornado import TornadoScopeManager
from traced import span, trace

from ..opentracing._tools import run_in_asyncio_task, run_in_greenlet, run_in_thread


class _ListScope(Scope):
    def __init__(self, manager: "ForeignManager", span: Span, finish_on_close: bool) -> None:
        super().__init__(manager, span)
        self.finish_on_close = finish_on_close

    def close(self) -> None:
        manager: ForeignManager = self.manager  # type: ignore[assignment]
        if manager.stack and manager.stack[-1] is self:
            manager.stack.pop()
            if self.finish_on_close:
                self.span.finish()


class ForeignManager(ScopeManager):
    """A third party's manager: a per-thread list of scopes, nothing from this package."""

    def __init__(self) -> None:
        self._local = threading.local()

    @property
    def stack(self) -> List[_ListScope]:
        if not hasattr(self._local, "stack"):
            self._local.stack = []
        return self._local.stack  # type: ignore[no-any-return]

    def activate(self, span: Span, finish_on_close: bool) -> Scope:
        scope = _ListScope(self, span, finish_on_close)
        self.stack.append(scope)
        return scope

    @property
    def active(self) -> Optional[Scope]:
        return self.stack[-1] if self.stack else None


MANAGERS = {
    "threadlocal": ThreadLocalScopeManager,
    "contextvars": ContextVarsScopeManager,
    "asyncio": AsyncioScopeManager,
    "gevent": GeventScopeManager,
    "tornado": TornadoScopeManager,
    "foreign": ForeignManager,
}


@pytest.fixture(params=sorted(MANAGERS))
def any_tracer(request: Any, install_tracer: Callable[[Any], Any]) -> MockTracer:
    return install_tracer(MockTracer(MANAGERS[request.param]()))  # type: ignore[no-any-return]


def _finished(tracer: MockTracer, name: str) -> int:
    return sum(1 for s in tracer.finished_spans() if s.operation_name == name)


def _leak(tracer: MockTracer, name: str = "leaked") -> None:
    tracer.scope_manager.activate(tracer.start_span(name), True)


@pytest.mark.parametrize("raises", [False, True], ids=["returns", "raises"])
def test_scope_left_open_by_the_body(any_tracer: MockTracer, raises: bool) -> None:
    @trace("f")
    def f() -> int:
        _leak(any_tracer)
        _leak(any_tracer, "leaked twice")
        if raises:
            raise KeyError("k")
        return 7

    with any_tracer.start_active_span("outer") as outer:
        if raises:
            with pytest.raises(KeyError):
                f()
        else:
            assert f() == 7
        assert any_tracer.active_span is outer.span
    assert any_tracer.active_span is None
    assert _finished(any_tracer, "f") == 1 and _finished(any_tracer, "outer") == 1
    f_span = next(s for s in any_tracer.finished_spans() if s.operation_name == "f")
    assert f_span.parent_id == outer.span.context.span_id
    assert f_span.tags.get("error") is (True if raises else None)


def test_untraced_generator_suspended_inside_a_scope(any_tracer: MockTracer) -> None:
    def untraced() -> Iterator[int]:
        with any_tracer.start_active_span("inside generator"):
            yield 1
            yield 2

    kept: List[Iterator[int]] = []

    @trace("f")
    def f() -> None:
        gen = untraced()
        next(gen)  # suspended with its scope active
        kept.append(gen)

    f()
    assert any_tracer.active_span is None
    assert _finished(any_tracer, "f") == 1
    list(kept.pop())  # resumed and exhausted later: nothing breaks, nothing is re-finished
    assert any_tracer.active_span is None
    assert _finished(any_tracer, "f") == 1


@pytest.mark.parametrize("raises", [False, True], ids=["returns", "raises"])
def test_scope_left_open_in_a_span_block(any_tracer: MockTracer, raises: bool) -> None:
    try:
        with span("block"):
            _leak(any_tracer)
            if raises:
                raise ValueError("v")
    except ValueError:
        assert raises
    assert any_tracer.active_span is None
    assert _finished(any_tracer, "block") == 1


def test_scope_left_open_by_a_coroutine(any_tracer: MockTracer) -> None:
    @trace("c")
    async def c() -> str:
        _leak(any_tracer)
        await asyncio.sleep(0)
        return "done"

    async def main() -> None:
        assert await c() == "done"
        assert any_tracer.active_span is None

    asyncio.run(main())
    assert _finished(any_tracer, "c") == 1


def test_scope_left_open_by_a_generator(any_tracer: MockTracer) -> None:
    """A traced generator that leaks a scope in one step: the consumer never sees it, the
    generator's span is finished once when it ends."""

    @trace("gen")
    def gen() -> Iterator[int]:
        _leak(any_tracer)
        yield 1
        _leak(any_tracer, "leaked later")
        yield 2

    with any_tracer.start_active_span("consumer") as consumer:
        for value in gen():
            assert any_tracer.active_span is consumer.span, value
    assert any_tracer.active_span is None
    assert _finished(any_tracer, "gen") == 1


def test_scope_left_open_by_an_async_generator_and_block(any_tracer: MockTracer) -> None:
    @trace("agen")
    async def agen() -> Any:
        _leak(any_tracer)
        yield 1
        yield 2

    async def main() -> None:
        assert [v async for v in agen()] == [1, 2]
        assert any_tracer.active_span is None
        async with span("async block"):
            _leak(any_tracer)
            await asyncio.sleep(0)
        assert any_tracer.active_span is None

    asyncio.run(main())
    assert _finished(any_tracer, "agen") == 1 and _finished(any_tracer, "async block") == 1


def test_scope_left_open_by_a_method(any_tracer: MockTracer) -> None:
    class Service:
        @trace
        def handle(self) -> str:
            _leak(any_tracer)
            return "ok"

        @trace
        @classmethod
        def build(cls) -> "Service":
            _leak(any_tracer)
            return cls()

    assert Service.build().handle() == "ok"
    assert any_tracer.active_span is None
    names = [s.operation_name.rsplit(".", 2)[-2:] for s in any_tracer.finished_spans()]
    assert names.count(["Service", "build"]) == 1 and names.count(["Service", "handle"]) == 1


@pytest.mark.parametrize("runner", [run_in_thread, run_in_asyncio_task, run_in_greenlet],
                         ids=["thread", "task", "greenlet"])
@pytest.mark.parametrize("manager", [ThreadLocalScopeManager, ContextVarsScopeManager,
                                     AsyncioScopeManager, GeventScopeManager])
def test_leaks_in_each_runtime(
    install_tracer: Callable[[Any], Any], manager: Callable[[], ScopeManager],
    runner: Callable[[Callable[[], None]], None],
) -> None:
    tracer: MockTracer = install_tracer(MockTracer(manager()))

    @trace("f")
    def f() -> None:
        _leak(tracer)
        with tracer.start_active_span("inner"):
            _leak(tracer, "leaked in inner")

    def scenario() -> None:
        with tracer.start_active_span("outer") as outer:
            f()
            assert tracer.active_span is outer.span
        assert tracer.active_span is None

    runner(scenario)
    assert _finished(tracer, "f") == 1 and _finished(tracer, "outer") == 1


@pytest.mark.parametrize("manager", [ThreadLocalScopeManager, ContextVarsScopeManager,
                                     AsyncioScopeManager])
def test_interleaved_coroutines_lose_no_span(
    install_tracer: Callable[[Any], Any], manager: Callable[[], StackScopeManager]
) -> None:
    """asyncio.gather of traced coroutines: on a thread-local manager (which cannot tell
    them apart) parents may be wrong, but every span is finished once and nothing stays
    active."""
    tracer: MockTracer = install_tracer(MockTracer(manager()))

    @trace("work")
    async def work(delay: float) -> float:
        await asyncio.sleep(delay)
        return delay

    async def main() -> None:
        assert await asyncio.gather(work(0.002), work(0.0), work(0.001)) == [0.002, 0.0, 0.001]
        assert tracer.active_span is None

    asyncio.run(main())
    assert _finished(tracer, "work") == 3
    assert tracer.active_span is None


def test_exception_whose_str_raises_is_recorded(any_tracer: MockTracer) -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    @trace("f")
    def f() -> None:
        raise Unprintable()

    with pytest.raises(Unprintable):
        f()
    recorded = any_tracer.finished_spans()[-1]
    assert recorded.tags["error"] is True
    log = recorded.logs[-1].key_values
    assert log["event"] == "error" and log["error.kind"] is Unprintable
    assert "Unprintable" in log["message"]
    assert isinstance(log["error.object"], Unprintable)


def test_leaks_inside_greenlets(install_tracer: Callable[[Any], Any]) -> None:
    tracer: MockTracer = install_tracer(MockTracer(GeventScopeManager()))

    @trace("g")
    def g(i: int) -> int:
        _leak(tracer)
        gevent.sleep(0)
        return i

    assert [x.get() for x in [gevent.spawn(g, i) for i in range(20)]] == list(range(20))
    assert _finished(tracer, "g") == 20


# --- stress ------------------------------------------------------------------------------


class _Boom(Exception):
    pass


def _body(tracer: MockTracer, rng: random.Random) -> None:
    roll = rng.random()
    if roll < 0.2:
        _leak(tracer)
    if roll > 0.85:
        raise _Boom()


@pytest.mark.parametrize("manager", [ThreadLocalScopeManager, ContextVarsScopeManager],
                         ids=["threadlocal", "contextvars"])
def test_stress_threads_and_coroutines(
    install_tracer: Callable[[Any], Any], manager: Callable[[], StackScopeManager]
) -> None:
    """10,000 traced calls with random leaks and exceptions, in 8 threads and 50
    coroutines at once: every traced span finished exactly once, nothing left active."""
    tracer: MockTracer = install_tracer(MockTracer(manager()))
    calls_per_thread, coroutines, calls_per_coroutine = 750, 50, 80  # 6,000 + 4,000

    @trace("sync")
    def sync_call(rng: random.Random, depth: int) -> None:
        if depth and rng.random() < 0.5:
            try:
                sync_call(rng, depth - 1)
            except _Boom:
                pass
        _body(tracer, rng)

    @trace("async")
    async def async_call(rng: random.Random) -> None:
        _body(tracer, rng)
        await asyncio.sleep(0)
        if rng.random() < 0.1:
            raise _Boom()

    errors: List[BaseException] = []
    leftovers: List[Any] = []

    def thread_main(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(calls_per_thread):
                try:
                    sync_call(rng, 0)
                except _Boom:
                    pass
            leftovers.append(tracer.active_span)
        except BaseException as exc:  # handed to the test thread
            errors.append(exc)

    async def coroutine_main(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(calls_per_coroutine):
            try:
                await async_call(rng)
            except _Boom:
                pass

    threads = [threading.Thread(target=thread_main, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()

    async def main() -> None:
        await asyncio.gather(*(coroutine_main(100 + i) for i in range(coroutines)))
        leftovers.append(tracer.active_span)

    asyncio.run(main())
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert leftovers == [None] * 9 and tracer.active_span is None
    finished = tracer.finished_spans()
    ours = [s for s in finished if s.operation_name in ("sync", "async")]
    assert _finished(tracer, "async") == coroutines * calls_per_coroutine
    assert _finished(tracer, "sync") >= 8 * calls_per_thread
    assert len({id(s) for s in ours}) == len(ours)  # none recorded twice
    assert sum(1 for s in ours if s.tags.get("error")) > 500  # the exceptions did happen

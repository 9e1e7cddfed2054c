"""How @trace records exceptions: error=True with exactly one OpenTracing error log; the
same exception object re-raised with its original traceback (caller, wrapper, user code
only); iteration-ending and BaseException-only exceptions are not errors."""

from __future__ import annotations

import asyncio
import traceback
import types

import pytest

from traced import trace


class Boom(Exception):
    pass


def frame_names(exc):
    return [frame.name for frame in traceback.extract_tb(exc.__traceback__)]


def error_logs(span):
    return [log.key_values for log in span.logs if log.key_values.get("event") == "error"]


def test_error_tag_and_exactly_one_error_log(tracer):
    """A failing call gives error=True and one log with event, error.kind, error.object,
    message and stack, matching the exception."""
    boom = Boom("it broke")

    @trace("f")
    def f():
        raise boom

    with pytest.raises(Boom):
        f()
    [span] = tracer.finished_spans()
    assert span.tags == {"error": True}
    assert len(span.logs) == 1
    [log] = error_logs(span)
    assert log["error.kind"] is Boom
    assert log["error.object"] is boom
    assert log["message"] == "it broke"
    assert isinstance(log["stack"], types.TracebackType)


def test_same_exception_with_original_traceback(tracer):
    """The caller gets the very exception object raised, unchained, whose traceback holds
    exactly the caller's frame, the wrapper's and the user function's."""
    raised = []

    @trace
    def fail():
        exc = Boom("x")
        raised.append(exc)
        raise exc

    with pytest.raises(Boom) as info:
        fail()
    assert info.value is raised[0]
    assert info.value.__context__ is None and info.value.__cause__ is None
    assert frame_names(info.value) == ["test_same_exception_with_original_traceback", "traced_function", "fail"]
    assert traceback.extract_tb(info.value.__traceback__)[-1].line == "raise exc"


def test_traceback_unchanged_with_noop_tracer():
    """With the no-op global tracer the traceback has the same shape: caller, wrapper,
    user function."""

    @trace
    def fail():
        raise Boom()

    with pytest.raises(Boom) as info:
        fail()
    assert frame_names(info.value) == ["test_traceback_unchanged_with_noop_tracer", "traced_function", "fail"]


def test_generator_traceback_and_error(tracer):
    """For a traced generator the traceback is caller, generator wrapper, user generator,
    and the error is recorded once."""

    @trace("g")
    def gen():
        yield 1
        raise Boom("late")

    g = gen()
    next(g)
    with pytest.raises(Boom) as info:
        next(g)
    assert frame_names(info.value) == ["test_generator_traceback_and_error", "traced_generator", "gen"]
    [span] = tracer.finished_spans()
    assert len(error_logs(span)) == 1 and span.tags["error"] is True


async def test_coroutine_traceback_and_error(tracer):
    """For a traced coroutine the traceback is awaiting coroutine, coroutine wrapper, user
    coroutine, and the error is recorded once."""

    @trace("c")
    async def coro():
        await asyncio.sleep(0)
        raise Boom("async")

    with pytest.raises(Boom) as info:
        await coro()
    assert frame_names(info.value) == ["test_coroutine_traceback_and_error", "traced_coroutine", "coro"]
    [span] = tracer.finished_spans()
    assert len(error_logs(span)) == 1


def test_nested_failure_marks_each_span_once(tracer):
    """An exception passing through two traced functions marks both spans, each with one
    error log holding the same exception."""
    boom = Boom()

    @trace("inner")
    def inner():
        raise boom

    @trace("outer")
    def outer():
        inner()

    with pytest.raises(Boom):
        outer()
    spans = tracer.finished_spans()
    assert [s.operation_name for s in spans] == ["inner", "outer"]
    for span in spans:
        [log] = error_logs(span)
        assert log["error.object"] is boom


def test_exception_handled_inside_is_not_an_error(tracer):
    """An exception caught within the traced function does not mark its span."""

    @trace("f")
    def f():
        try:
            raise Boom()
        except Boom:
            return "recovered"

    assert f() == "recovered"
    [span] = tracer.finished_spans()
    assert "error" not in span.tags and span.logs == []


def test_stop_iteration_from_traced_next_is_not_an_error(tracer):
    """A traced __next__ ending the iteration with StopIteration is normal: the iteration
    ends and no span is marked as an error."""

    class Countdown:
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return self

        @trace("next")
        def __next__(self):
            if self.n == 0:
                raise StopIteration
            self.n -= 1
            return self.n

    assert list(Countdown(2)) == [1, 0]
    spans = tracer.finished_spans()
    assert len(spans) == 3
    assert all("error" not in s.tags and s.logs == [] for s in spans)


async def test_stop_async_iteration_from_traced_anext_is_not_an_error(tracer):
    """A traced async __anext__ ending with StopAsyncIteration is not an error."""

    class Ticker:
        def __init__(self, n):
            self.n = n

        def __aiter__(self):
            return self

        @trace("anext")
        async def __anext__(self):
            await asyncio.sleep(0)
            if self.n == 0:
                raise StopAsyncIteration
            self.n -= 1
            return self.n

    assert [x async for x in Ticker(2)] == [1, 0]
    spans = tracer.finished_spans()
    assert len(spans) == 3
    assert all("error" not in s.tags and s.logs == [] for s in spans)


class Interrupt(BaseException):
    """A BaseException that is not an Exception, like KeyboardInterrupt."""


@pytest.mark.parametrize("exc_type", [KeyboardInterrupt, SystemExit, Interrupt])
def test_base_exceptions_finish_span_without_error(tracer, exc_type):
    """KeyboardInterrupt, SystemExit and other BaseException-only exceptions propagate
    and finish the span, which is not marked as an error."""
    exc = exc_type()

    @trace("f")
    def f():
        raise exc

    with pytest.raises(exc_type) as info:
        f()
    assert info.value is exc
    [span] = tracer.finished_spans()
    assert "error" not in span.tags and span.logs == []
    assert tracer.active_span is None


@pytest.mark.parametrize("exc_type", [KeyboardInterrupt, Interrupt])
def test_base_exception_in_generator_is_not_an_error(tracer, exc_type):
    """The same holds for a BaseException-only exception leaving a traced generator."""

    @trace("g")
    def gen():
        yield 1
        raise exc_type()

    with pytest.raises(exc_type):
        list(gen())
    [span] = tracer.finished_spans()
    assert "error" not in span.tags and span.logs == []


async def test_base_exception_in_coroutine_is_not_an_error(tracer):
    """A BaseException-only exception (not CancelledError) leaving a traced coroutine is
    neither an error nor a cancellation."""

    @trace("c")
    async def coro():
        raise Interrupt()

    with pytest.raises(Interrupt):
        await coro()
    [span] = tracer.finished_spans()
    assert span.tags == {} and span.logs == []

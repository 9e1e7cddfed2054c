"""Deep recursion through a traced function works under the default recursion limit with
every scope manager, because a traced call costs exactly one extra Python frame."""

from __future__ import annotations

import asyncio
import sys

import pytest

from opentracing.scope_managers.contextvars import ContextVarsScopeManager
from traced import trace

from ._tools import ALL_MANAGERS

DEPTH = 300


@pytest.fixture(params=list(ALL_MANAGERS))
def tracer(request, install_mock_tracer):
    """A MockTracer on each manager, global for the test; nothing left active."""
    return install_mock_tracer(ALL_MANAGERS[request.param]())


def stack_depth():
    """The number of frames below the caller's."""
    frame, depth = sys._getframe(1), 0
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


@trace("descend", tag_args=["n"])
def descend(n):
    return n if n == 0 else descend(n - 1)


def test_recursion_300_deep_under_the_default_limit(tracer):
    """300 nested traced calls succeed without touching the recursion limit, and give a
    chain of 300 spans, each the child of the call one level up."""
    limit = sys.getrecursionlimit()
    assert descend(DEPTH - 1) == 0
    assert sys.getrecursionlimit() == limit
    spans = {s.tags["n"]: s for s in tracer.finished_spans()}
    assert len(spans) == DEPTH
    assert spans[DEPTH - 1].parent_id is None
    for n in range(DEPTH - 1):
        assert spans[n].parent_id == spans[n + 1].context.span_id


def test_a_traced_call_adds_exactly_one_frame(tracer):
    """Inside a traced function the stack is one frame deeper than inside the same function
    called untraced from the same place."""

    def probe():
        return stack_depth()

    traced_probe = trace(probe)
    plain, traced_ = probe(), traced_probe()
    assert traced_ == plain + 1
    assert len(tracer.finished_spans()) == 1


def test_generators_and_coroutines_add_exactly_one_frame(install_mock_tracer):
    """The same for generators, coroutines and async generators (ContextVars manager)."""
    tracer = install_mock_tracer(ContextVarsScopeManager())

    def gen():
        yield stack_depth()

    async def coro():
        return stack_depth()

    async def agen():
        yield stack_depth()

    async def main():
        return (
            (await coro(), await trace(coro)()),
            (await agen().__anext__(), await trace(agen)().__anext__()),
        )

    depths = [(next(gen()), next(trace(gen)()))] + list(asyncio.run(main()))
    assert [traced_ - plain for plain, traced_ in depths] == [1, 1, 1]
    assert tracer.active_span is None

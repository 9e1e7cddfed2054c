"""pytest plugin (registered through the ``pytest11`` entry point): the ``mock_tracer``
fixture installs a fresh MockTracer as the global tracer for one test."""

from __future__ import annotations

from typing import Iterator

import pytest

import opentracing
from opentracing.mocktracer import MockTracer

__all__ = ["mock_tracer"]


@pytest.fixture
def mock_tracer() -> Iterator[MockTracer]:
    """A new :class:`~opentracing.mocktracer.MockTracer`, global for the test's duration.

    The tracer that was global before (and whether one was registered) is restored after
    the test, whatever it did::

        def test_checkout(mock_tracer):
            checkout(cart)
            assert [s.operation_name for s in mock_tracer.finished_spans()] == ["checkout"]
    """
    previous, registered = opentracing.tracer, opentracing.is_tracer_registered
    tracer = MockTracer()
    opentracing.set_global_tracer(tracer)
    try:
        yield tracer
    finally:
        opentracing.tracer, opentracing.is_tracer_registered = previous, registered

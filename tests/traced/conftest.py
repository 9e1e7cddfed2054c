"""Fixtures for the ``traced`` tests: a fresh MockTracer installed as the global tracer
(and the previous global tracer put back afterwards), MockTracers on a chosen scope manager
that must leave no span active, and a clean slate for the "log a tracer failure once"
bookkeeping of ``traced._report``."""

from __future__ import annotations

from typing import Callable, Iterator

import pytest

import opentracing
from opentracing import ScopeManager, Tracer
from opentracing.mocktracer import MockTracer
from traced import _report


@pytest.fixture
def install_tracer() -> Iterator[Callable[[Tracer], Tracer]]:
    """A function installing any tracer as the global one for the rest of the test; the
    global tracer (and whether one was registered) is restored after the test."""
    previous, registered = opentracing.tracer, opentracing.is_tracer_registered

    def install(tracer: Tracer) -> Tracer:
        opentracing.set_global_tracer(tracer)
        return tracer

    try:
        yield install
    finally:
        opentracing.tracer, opentracing.is_tracer_registered = previous, registered


@pytest.fixture
def tracer(install_tracer: Callable[[Tracer], Tracer]) -> MockTracer:
    """A fresh MockTracer (thread-local scope manager), global for the test's duration."""
    return install_tracer(MockTracer())  # type: ignore[return-value]


@pytest.fixture
def install_mock_tracer(install_tracer: Callable[[Tracer], Tracer]) -> Iterator[Callable[[ScopeManager], MockTracer]]:
    """A function installing a fresh MockTracer on the given scope manager as the global
    tracer for the rest of the test; after the test, no span may be left active on any
    tracer it installed (then the previous global tracer is restored by ``install_tracer``)."""
    installed: list = []

    def install(manager: ScopeManager) -> MockTracer:
        tracer = MockTracer(manager)
        installed.append(tracer)
        return install_tracer(tracer)  # type: ignore[return-value]

    yield install
    for tracer in installed:
        assert tracer.active_span is None


@pytest.fixture(autouse=True)
def reset_reported() -> Iterator[None]:
    """Each test starts with no tracer failure "already reported", and leaves none behind."""
    _report._reset_reported()
    yield
    _report._reset_reported()

"""pytest plugin (registered through the ``pytest11`` entry point): the ``mock_tracer``
fixture installs a fresh MockTracer as the global tracer for one test."""

from __future__ import annotations

from typing import Iterator

import pytest

import opentracing
from opentracing import ScopeManager
from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.contextvars import ContextVarsScopeManager

__all__ = ["mock_tracer", "pytest_configure"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mock_tracer(scope_manager): the scope manager (a ScopeManager, or a class to call) "
        "of the mock_tracer fixture's tracer; ContextVarsScopeManager when not given",
    )


def _scope_manager(request: pytest.FixtureRequest) -> ScopeManager:
    marker = request.node.get_closest_marker("mock_tracer")
    chosen = marker.kwargs.get("scope_manager") if marker is not None else None
    if chosen is None:
        return ContextVarsScopeManager()
    if isinstance(chosen, ScopeManager):
        return chosen
    manager = chosen()
    if not isinstance(manager, ScopeManager):
        raise TypeError("mock_tracer(scope_manager=...) needs a ScopeManager or its class, not %r"
                        % (chosen,))
    return manager


@pytest.fixture
def mock_tracer(request: pytest.FixtureRequest) -> Iterator[MockTracer]:
    """A new :class:`~opentracing.mocktracer.MockTracer`, global for the test's duration.

    Its scope manager is a ``ContextVarsScopeManager``, right for threads and asyncio
    alike; ``@pytest.mark.mock_tracer(scope_manager=ThreadLocalScopeManager)`` (a class or
    an instance) chooses another. The tracer that was global before (and whether one was
    registered) is restored after the test, whatever it did::

        def test_checkout(mock_tracer):
            checkout(cart)
            assert [s.operation_name for s in mock_tracer.finished_spans()] == ["checkout"]
    """
    previous, registered = opentracing.tracer, opentracing.is_tracer_registered
    tracer = MockTracer(_scope_manager(request))
    opentracing.set_global_tracer(tracer)
    try:
        yield tracer
    finally:
        opentracing.tracer, opentracing.is_tracer_registered = previous, registered

"""The ``mock_tracer`` pytest fixture, run the way users get it: pytest loads
``traced.pytest_plugin`` through the ``pytest11`` entry point of the installed package, and
the fixture puts back the previous global tracer after each test, even a failing one."""

from __future__ import annotations

from importlib.metadata import entry_points

import opentracing

pytest_plugins = ["pytester"]

INNER_TESTS = '''
import opentracing
from opentracing.mocktracer import MockTracer
from traced import span, trace

ORIGINAL = opentracing.global_tracer()
SENTINEL = MockTracer()


@trace("checkout", tags={"cart": 3})
def checkout():
    with span("charge"):
        pass


def test_1_nothing_registered_at_first():
    assert not opentracing.is_global_tracer_registered()


def test_2_fixture_records_spans(mock_tracer, request):
    assert request.config.pluginmanager.get_plugin("traced") is not None
    assert isinstance(mock_tracer, MockTracer)
    assert opentracing.global_tracer() is mock_tracer
    assert opentracing.is_global_tracer_registered()
    checkout()
    spans = mock_tracer.finished_spans()
    assert [s.operation_name for s in spans] == ["charge", "checkout"]
    assert spans[0].parent_id == spans[1].context.span_id
    assert spans[1].tags == {"cart": 3}


def test_3_restored_to_unregistered():
    assert opentracing.global_tracer() is ORIGINAL
    assert not opentracing.is_global_tracer_registered()


def test_4_register_a_tracer_of_our_own():
    opentracing.set_global_tracer(SENTINEL)


def test_5_failing_test_with_the_fixture(mock_tracer):
    checkout()
    assert opentracing.global_tracer() is mock_tracer
    opentracing.set_global_tracer(MockTracer())  # even replaced again inside the test
    assert False, "deliberate failure"


def test_6_restored_after_the_failure():
    assert opentracing.global_tracer() is SENTINEL
    assert opentracing.is_global_tracer_registered()
    assert SENTINEL.finished_spans() == []


def test_7_each_test_gets_a_fresh_tracer(mock_tracer):
    assert mock_tracer.finished_spans() == []
    assert mock_tracer is not SENTINEL
'''


def test_entry_point_names_the_plugin_module():
    """The installed distribution declares the plugin under the pytest11 group."""
    eps = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert eps.get("traced") == "traced.pytest_plugin"


def test_fixture_in_a_separate_pytest_run(pytester):
    """In a fresh pytest process (no -p option, no conftest) the fixture is available,
    records spans, and restores the previous global tracer and its registration state
    after each test, including one that fails."""
    pytester.makepyfile(test_inner=INNER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v", timeout=120)
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(["*test_5_failing_test_with_the_fixture FAILED*", "*deliberate failure*"])


def test_fixture_comes_from_the_entry_point(pytester, monkeypatch):
    """With entry-point plugins disabled the fixture is gone: it really is auto-loaded
    through the entry point, not through some conftest."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(test_inner="def test_x(mock_tracer):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'mock_tracer' not found*"])


def test_in_process_run_leaves_the_outer_global_tracer_alone(pytester):
    """Run inside this process, the inner session's fixture puts back exactly the global
    tracer (and registration flag) that this outer test had."""
    before = opentracing.global_tracer(), opentracing.is_global_tracer_registered()
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        test_inner="""
import opentracing

def test_uses(mock_tracer):
    assert opentracing.global_tracer() is mock_tracer

def test_fails(mock_tracer):
    raise RuntimeError("deliberate")
"""
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    assert (opentracing.global_tracer(), opentracing.is_global_tracer_registered()) == before


SCOPE_MANAGER_TESTS = '''
import asyncio

import pytest

from opentracing.scope_managers import ThreadLocalScopeManager
from opentracing.scope_managers.contextvars import ContextVarsScopeManager
from traced import trace


@trace("work")
async def work():
    await asyncio.sleep(0)


def test_default_is_contextvars(mock_tracer):
    assert isinstance(mock_tracer.scope_manager, ContextVarsScopeManager)

    async def main():
        with mock_tracer.start_active_span("parent") as scope:
            await asyncio.gather(work(), work())
            return scope.span

    parent = asyncio.run(main())
    children = [s for s in mock_tracer.finished_spans() if s.operation_name == "work"]
    assert [s.parent_id for s in children] == [parent.context.span_id] * 2


@pytest.mark.mock_tracer(scope_manager=ThreadLocalScopeManager)
def test_class_chosen(mock_tracer):
    assert type(mock_tracer.scope_manager) is ThreadLocalScopeManager


MANAGER = ThreadLocalScopeManager()


@pytest.mark.mock_tracer(scope_manager=MANAGER)
def test_instance_chosen(mock_tracer):
    assert mock_tracer.scope_manager is MANAGER


@pytest.mark.mock_tracer(scope_manager=dict)
def test_not_a_manager(mock_tracer):
    pass
'''


def test_fixture_scope_manager_default_and_choice(pytester) -> None:
    """ContextVars by default (children of gathered coroutines get their parent); a marker
    chooses another manager, as a class or an instance; anything else is a clear error."""
    pytester.makepyfile(test_managers=SCOPE_MANAGER_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*needs a ScopeManager or its class*"])

import pytest

import opentracing
from opentracing.mocktracer import MockTracer


@pytest.fixture(autouse=True)
def _reset():
    opentracing._reset_global_tracer()
    yield
    opentracing._reset_global_tracer()


def test_default_is_noop_and_unregistered():
    assert type(opentracing.global_tracer()) is opentracing.Tracer
    assert opentracing.is_global_tracer_registered() is False


def test_set_global_tracer_updates_module_attribute():
    tracer = MockTracer()
    opentracing.set_global_tracer(tracer)
    assert opentracing.global_tracer() is tracer
    assert opentracing.tracer is tracer
    assert opentracing.is_global_tracer_registered() is True


def test_set_global_tracer_none_raises_and_keeps_previous():
    tracer = MockTracer()
    opentracing.set_global_tracer(tracer)
    with pytest.raises(ValueError):
        opentracing.set_global_tracer(None)
    assert opentracing.global_tracer() is tracer


def test_assigning_module_attribute_is_seen_by_global_tracer():
    tracer = MockTracer()
    opentracing.tracer = tracer
    assert opentracing.global_tracer() is tracer


def test_reset_restores_fresh_noop():
    opentracing.set_global_tracer(MockTracer())
    opentracing._reset_global_tracer()
    assert type(opentracing.global_tracer()) is opentracing.Tracer
    assert not opentracing.is_global_tracer_registered()

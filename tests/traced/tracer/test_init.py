"""traced.init and traced.shutdown: the recording tracer built from arguments and the
OTEL_* environment, installed as the global tracer, replaced, and removed."""

from __future__ import annotations

from typing import Iterator

import pytest

import opentracing
import traced
from opentracing import Format
from traced import ConfigError, Tracer, config, trace
from traced.tracer import MemoryRecorder, NoneRecorder

_VARIABLES = config._VARIABLES  # every OTEL_* variable traced reads


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in _VARIABLES:
        monkeypatch.delenv(name, raising=False)
    before = opentracing.global_tracer()
    yield
    traced.shutdown()
    assert opentracing.global_tracer() is before


def test_init_installs_a_recording_tracer_that_trace_reports_to() -> None:
    tracer = traced.init("checkout", exporter="memory")
    assert isinstance(tracer, Tracer) and opentracing.global_tracer() is tracer
    assert opentracing.is_global_tracer_registered()

    @trace("pay")
    def pay() -> str:
        return "paid"

    assert pay() == "paid"
    [span] = tracer.recorder.spans  # type: ignore[attr-defined]
    assert span.operation_name == "pay" and span.process["service.name"] == "checkout"


def test_shutdown_puts_back_the_previous_global_tracer() -> None:
    registered = opentracing.is_global_tracer_registered()
    previous = opentracing.global_tracer()
    tracer = traced.init("svc", exporter="memory")
    assert traced.shutdown(timeout=1.0) is True
    assert opentracing.global_tracer() is previous
    assert opentracing.is_global_tracer_registered() is registered
    tracer.start_span("after").finish()
    assert tracer.recorder.spans == []  # type: ignore[attr-defined]  # closed
    assert traced.shutdown() is True  # nothing left to do


def test_init_again_replaces_and_closes_the_previous_tracer() -> None:
    first = traced.init("one", exporter="memory")
    second = traced.init("two", exporter="memory")
    assert opentracing.global_tracer() is second
    first.start_span("late").finish()
    assert first.recorder.spans == []  # type: ignore[attr-defined]
    traced.shutdown()
    assert opentracing.global_tracer() is not second


def test_the_environment_configures_what_arguments_leave_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "from-env")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod,team=pay")
    monkeypatch.setenv("OTEL_PROPAGATORS", "b3multi,jaeger")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_off")
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "memory")
    tracer = traced.init()
    assert tracer.service_name == "from-env"
    assert tracer.process_tags["deployment.environment"] == "prod"
    assert isinstance(tracer.recorder, MemoryRecorder)
    span = tracer.start_span("s")
    assert not span.context.sampled
    headers: dict = {}
    tracer.inject(span.context, Format.HTTP_HEADERS, headers)
    assert "x-b3-traceid" in {k.lower() for k in headers} and "uber-trace-id" in {k.lower() for k in headers}
    # arguments win over the environment
    tracer = traced.init("from-arg", sampler="always_on", propagators=["tracecontext"])
    assert tracer.service_name == "from-arg" and tracer.start_span("s").context.sampled
    headers = {}
    tracer.inject(tracer.start_span("s").context, Format.HTTP_HEADERS, headers)
    assert set(headers) == {"traceparent"}


@pytest.mark.parametrize(
    "variable, value",
    [
        ("OTEL_TRACES_SAMPLER", "sometimes"),
        ("OTEL_PROPAGATORS", "tracecontext,xray"),
        ("OTEL_TRACES_EXPORTER", "carrier-pigeon"),
        ("OTEL_SDK_DISABLED", "maybe"),
    ],
)
def test_a_bad_value_is_an_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    before = opentracing.global_tracer()
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable):
        traced.init("svc")
    assert opentracing.global_tracer() is before


def test_unknown_exporter_options_are_an_error() -> None:
    with pytest.raises(ConfigError, match="no_such_option"):
        traced.init("svc", exporter="memory", no_such_option=1)


def test_sdk_disabled_gives_a_tracer_that_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "TRUE")
    before = opentracing.global_tracer()
    tracer = traced.init("svc", exporter="memory")
    assert opentracing.global_tracer() is before
    assert isinstance(tracer.recorder, NoneRecorder)
    span = tracer.start_span("s")
    assert not span.context.sampled
    headers: dict = {}
    tracer.inject(span.context, Format.HTTP_HEADERS, headers)
    assert headers == {}


def test_default_exporter_records_nothing() -> None:
    tracer = traced.init("svc")
    assert isinstance(tracer.recorder, NoneRecorder)


def test_import_traced_leaves_the_recording_tracer_unimported() -> None:
    """``import traced`` (for @trace alone) imports none of the recording tracer's modules;
    naming traced.Tracer or traced.init imports them then."""
    import subprocess
    import sys

    code = (
        "import sys, traced\n"
        "heavy = [m for m in sys.modules if m.startswith(('traced.tracer', 'traced.config',"
        " 'traced.propagation', 'traced._setup'))]\n"
        "assert heavy == [], heavy\n"
        "assert traced.Tracer.__name__ == 'Tracer' and callable(traced.init)\n"
        "assert 'traced.tracer' in sys.modules and 'init' in dir(traced)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)

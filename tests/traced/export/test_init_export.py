"""``traced.init`` builds the export pipeline from arguments and ``OTEL_*`` variables: spans
reach real local collectors, the counters add up, bad settings fail at start-up."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Iterator, List

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

import traced
from traced._export_settings import default_exporters
from traced.config import ConfigError, load_config
from traced.export.processor import BatchProcessor, SimpleProcessor
from traced.tracer import FanOutRecorder, MemoryRecorder, NoneRecorder

from ._sink import Sink

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import os

    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)
    yield
    traced.shutdown(timeout=2.0)


def otlp_span_names(sink: Sink) -> List[str]:
    names = []
    for body in sink.bodies():
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            for scope_spans in resource_spans.scope_spans:
                names.extend(span.name for span in scope_spans.spans)
    return names


def test_otlp_from_arguments_delivers_every_span_and_counts(sink: Sink) -> None:
    tracer = traced.init("shop", exporter="otlp", endpoint=sink.url, schedule_delay=0.05)
    assert isinstance(tracer.recorder, BatchProcessor)
    for i in range(20):
        with tracer.start_active_span("op-%d" % i):
            pass
    assert traced.shutdown(timeout=5.0) is True
    assert sorted(otlp_span_names(sink)) == sorted("op-%d" % i for i in range(20))
    assert tracer.counters.snapshot() == {
        "started": 20, "sampled": 20, "exported": 20, "dropped": 0, "failed": 0, "retried": 0,
    }


def test_otlp_base_endpoint_variable_gets_the_traces_path(
    sink: Sink, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = sink.url.rsplit("/v1/traces", 1)[0]
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", base + "/")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=s%20ecret,tenant=a")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
    tracer = traced.init("shop")
    tracer.start_span("from-env").finish()
    assert traced.shutdown(timeout=5.0)
    path, headers, _ = sink.requests[0]
    assert path == "/v1/traces"
    assert headers["x-api-key"] == "s ecret" and headers["tenant"] == "a"
    assert headers["content-encoding"] == "gzip"
    assert otlp_span_names(sink) == ["from-env"]


def test_the_specific_traces_endpoint_wins_over_the_base_one(sink: Sink) -> None:
    config = load_config(
        exporter="otlp",
        environ={
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://base:4318",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": sink.url,
            "OTEL_EXPORTER_OTLP_TIMEOUT": "2500",
            "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "1500",
        },
    )
    assert config.export.otlp_endpoint == sink.url
    assert config.export.otlp_timeout == 1.5
    defaults = load_config(exporter="otlp", environ={}).export
    assert defaults.otlp_endpoint == "http://localhost:4318/v1/traces"
    assert defaults.otlp_timeout == 10.0 and defaults.schedule_delay == 5.0


def test_zipkin_from_the_environment(sink: Sink, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    monkeypatch.setenv("OTEL_EXPORTER_ZIPKIN_ENDPOINT", sink.url.replace("/v1/traces", "/api/v2/spans"))
    tracer = traced.init("shop", schedule_delay=0.05)
    with tracer.start_active_span("zipkin-op", tags={"span.kind": "server"}):
        pass
    assert traced.shutdown(timeout=5.0)
    path, headers, body = sink.requests[0]
    assert path == "/api/v2/spans" and headers["content-type"] == "application/json"
    (span,) = json.loads(body)
    assert span["name"] == "zipkin-op" and span["kind"] == "SERVER"
    assert span["localEndpoint"]["serviceName"] == "shop"


def test_several_exporters_each_get_every_span(sink: Sink, tmp_path: Path) -> None:
    stream = io.StringIO()
    path = tmp_path / "spans.jsonl"
    tracer = traced.init(
        "shop", exporter="otlp,jsonl,console,memory", endpoint=sink.url, path=str(path),
        stream=stream, color=False, width=80, schedule_delay=0.05,
    )
    assert isinstance(tracer.recorder, FanOutRecorder)
    kinds = [type(r) for r in tracer.recorder.recorders]
    assert kinds == [BatchProcessor, BatchProcessor, SimpleProcessor, MemoryRecorder]
    with tracer.start_active_span("root"):
        with tracer.start_active_span("child"):
            pass
    memory = tracer.recorder.recorders[3]
    assert traced.shutdown(timeout=5.0)
    assert sorted(otlp_span_names(sink)) == ["child", "root"]
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert sorted(line["operation_name"] for line in lines) == ["child", "root"]
    assert "root" in stream.getvalue() and "child" in stream.getvalue()
    assert [s.operation_name for s in memory.spans] == ["child", "root"]


def test_default_is_console_on_a_terminal_and_none_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdout", Terminal())
    assert default_exporters() == ("console",)
    assert load_config(environ={}).exporters == ("console",)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert load_config(environ={}).exporters == ("none",)
    assert isinstance(traced.init("svc").recorder, NoneRecorder)
    monkeypatch.setattr(sys, "stdout", None)
    assert default_exporters() == ("none",)


@pytest.mark.parametrize(
    "variable, value, words",
    [
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", "protocol not supported"),
        ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json", "protocol not supported"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4318", "not an http(s) URL"),
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://host:port/v1/traces", "not a URL"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "novalue", "bad pair"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "a=b%0D%0AInjected: 1", "control character"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "brotli", "unknown compression"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "ten", "not a number"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "-5", "out of range"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "0", "above 0"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "1.5", "not a whole number"),
        ("OTEL_BSP_SCHEDULE_DELAY", "inf", "out of range"),
        ("OTEL_TRACES_EXPORTER", "otlp,jaeger", "unknown exporter 'jaeger'"),
        ("OTEL_TRACES_EXPORTER", "none,otlp", "cannot be combined"),
    ],
)
def test_bad_export_variables_fail_init_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, words: str
) -> None:
    if variable != "OTEL_TRACES_EXPORTER":
        monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as info:
        traced.init("svc")
    assert info.value.name == variable and words in str(info.value)
    assert variable in str(info.value) and "accepted:" in str(info.value)


@pytest.mark.parametrize(
    "exporter, options, name, words",
    [
        ("memory", {"endpoint": "http://x"}, "endpoint", "not an option of the exporter(s) memory"),
        ("otlp,zipkin", {"endpoint": "http://x"}, "endpoint", "ambiguous"),
        ("jsonl", {"width": 80}, "width", "not an option"),
        ("otlp", {"headers": {"a": 1}}, "headers", "not a mapping of strings"),
        ("otlp", {"timeout": "5"}, "timeout", "not a number"),
        ("otlp", {"max_queue_size": True}, "max_queue_size", "above 0"),
    ],
)
def test_bad_export_arguments_fail_init_naming_the_argument(
    exporter: str, options: Any, name: str, words: str
) -> None:
    with pytest.raises(ConfigError) as info:
        traced.init("svc", exporter=exporter, **options)
    assert info.value.name == name and words in str(info.value)


def test_spans_finished_right_before_exit_arrive(sink: Sink) -> None:
    """No ``shutdown()`` call: ``init`` registered it with atexit."""
    program = textwrap.dedent(
        """
        import traced
        tracer = traced.init("exiting", exporter="otlp", endpoint=%r)
        for i in range(300):
            with tracer.start_active_span("last-%%d" %% i):
                pass
        """ % sink.url
    )
    subprocess.run([sys.executable, "-c", program], check=True, timeout=60, cwd=REPO)
    assert sorted(otlp_span_names(sink)) == sorted("last-%d" % i for i in range(300))


def test_flush_prints_a_console_trace_still_waiting_for_its_root() -> None:
    stream = io.StringIO()
    tracer = traced.init("shop", exporter="console", stream=stream, color=False, width=80)
    from opentracing import Format

    remote = tracer.extract(
        Format.HTTP_HEADERS,
        {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
    )
    with tracer.start_active_span("handler", child_of=remote):
        pass
    assert "handler" not in stream.getvalue()  # its root is in another process
    assert tracer.flush(timeout=5.0) is True
    assert "handler" in stream.getvalue() and "0af7651916cd43dd8448eb211c80319c" in stream.getvalue()


def test_importing_the_export_package_loads_no_exporter() -> None:
    program = (
        "import sys, traced.export as e\n"
        "loaded = [m for m in sys.modules if m.startswith('traced.export.')]\n"
        "assert loaded == ['traced.export.base'], loaded\n"
        "assert e.OTLPExporter.__module__ == 'traced.export.otlp'\n"
    )
    subprocess.run([sys.executable, "-c", program], check=True, timeout=60, cwd=REPO)


def test_the_exporter_timeout_bounds_each_export_inside_the_processor_deadline(sink: Sink) -> None:
    import time

    sink.default = "hang"  # accepts, reads the request, never answers
    tracer = traced.init("shop", exporter="otlp", endpoint=sink.url, timeout=0.3,
                         export_timeout=30.0)
    tracer.start_span("lost").finish()
    started = time.monotonic()
    assert tracer.flush(timeout=20.0) is False
    assert time.monotonic() - started < 10.0  # 0.3 s of export, not the processor's 30 s
    assert tracer.counters.failed == 1 and tracer.counters.exported == 0


def test_zipkin_takes_its_own_variables_and_not_the_otlp_ones() -> None:
    env = {
        "OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=otlp-only",
        "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
        "OTEL_EXPORTER_OTLP_TIMEOUT": "1000",
        "OTEL_EXPORTER_ZIPKIN_TIMEOUT": "2500",
    }
    export = load_config(exporter="zipkin", environ=env).export
    assert dict(export.zipkin_headers) == {} and export.zipkin_compression == "none"
    assert export.zipkin_timeout == 2.5
    by_argument = load_config(
        exporter="zipkin", environ=env, headers={"a": "b"}, compression="gzip"
    ).export
    assert dict(by_argument.zipkin_headers) == {"a": "b"}
    assert by_argument.zipkin_compression == "gzip"


def test_the_exporters_own_requests_are_never_traced(sink: Sink) -> None:
    """With http.client instrumented, the OTLP exporter's POSTs make no span (its worker
    runs suppressed): otherwise every export would make spans to export, without end."""
    pytest.importorskip("wrapt")
    tracer = traced.init("shop", exporter="otlp,memory", endpoint=sink.url, schedule_delay=0.05)
    traced.instrument("http.client")
    try:
        for round_ in range(3):
            with tracer.start_active_span("work-%d" % round_):
                pass
            assert tracer.flush(timeout=5.0)
    finally:
        traced.uninstrument("http.client")
    memory = tracer.recorder.recorders[1]
    assert [s.operation_name for s in memory.spans] == ["work-0", "work-1", "work-2"]
    assert sorted(otlp_span_names(sink)) == ["work-0", "work-1", "work-2"]

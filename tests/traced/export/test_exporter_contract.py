"""The contract every exporter runs: ``export`` returns a bool and never raises, whatever
the tag values; it returns False after ``shutdown``; ``size_hint`` is a positive int.

Parametrized over every exporter module that exists: a missing one is skipped with the
reason, so a new exporter joins by adding a factory here.
"""

from __future__ import annotations

import importlib
import io
import math
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

from traced.export.base import Exporter
from traced.tracer.span import FinishedSpan, LogRecord

from ._sink import Sink, make_spans

Factory = Callable[[Sink, Path], Exporter]


def _load(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module("traced.export." + module), name)
    except (ImportError, AttributeError) as exc:
        pytest.skip("traced.export.%s.%s is not there yet (%s)" % (module, name, exc))


FACTORIES: Dict[str, Factory] = {
    "otlp": lambda sink, tmp: _load("otlp", "OTLPExporter")(sink.url),
    "otlp-gzip": lambda sink, tmp: _load("otlp", "OTLPExporter")(sink.url, compression="gzip"),
    "zipkin": lambda sink, tmp: _load("zipkin", "ZipkinExporter")(sink.url.replace("/v1/traces", "/api/v2/spans")),
    "jsonl": lambda sink, tmp: _load("jsonl", "JsonLinesExporter")(str(tmp / "spans.jsonl")),
    "console": lambda sink, tmp: _load("console", "ConsoleExporter")(io.StringIO(), grace=0.0),
}


class Weird:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")

    def __str__(self) -> str:
        raise RuntimeError("no str either")


HOSTILE: Dict[Any, Any] = {
    "object": object(),
    "weird": Weird(),
    "nan": math.nan,
    "inf": math.inf,
    "-inf": -math.inf,
    "bytes": b"\xff\x00\xfe",
    "huge": "x" * 2_000_000,
    "big int": 2**200,
    "nested": [1, [2, [3, {"a": [object(), {"b": math.nan}]}]], {"k": {1: b"z"}}],
    "dict": {"x": {"y": {"z": None}}},
    "none": None,
    "surrogate": "\ud800 lone",
    1: "int key",
    None: "None key",
    (1, 2): "tuple key",
}


@pytest.fixture(params=sorted(FACTORIES))
def exporter(request: pytest.FixtureRequest, sink: Sink, tmp_path: Path) -> Exporter:
    return FACTORIES[request.param](sink, tmp_path)


def spans() -> List[FinishedSpan]:
    made = make_spans(3, tags=2)
    hostile = made[1]._replace(
        tags=HOSTILE,
        logs=(LogRecord(made[1].start_time, HOSTILE), LogRecord(math.nan, {"event": object()})),
        baggage={"k": "v", "bad": "\ud800"},
    )
    return [made[0], hostile, made[2]]


def test_export_returns_true_for_plain_spans(exporter: Exporter) -> None:
    plain = make_spans(5, tags=3)
    assert exporter.export(plain, 5.0) is True
    exporter.shutdown(1.0)


def test_export_never_raises_on_hostile_values(exporter: Exporter) -> None:
    result = exporter.export(spans(), 5.0)
    assert isinstance(result, bool)
    assert exporter.export(make_spans(2), 5.0) is True  # still works afterwards
    exporter.shutdown(1.0)


def test_size_hint_is_a_positive_int(exporter: Exporter) -> None:
    for span in spans() + make_spans(2, tags=8):
        hint = exporter.size_hint(span)
        assert isinstance(hint, int) and hint > 0


def test_export_after_shutdown_returns_false(exporter: Exporter) -> None:
    exporter.shutdown(1.0)
    assert exporter.export(make_spans(2), 1.0) is False
    exporter.shutdown(1.0)  # twice is harmless


def test_export_of_nothing_is_harmless(exporter: Exporter) -> None:
    assert isinstance(exporter.export([], 1.0), bool)
    exporter.shutdown(1.0)

"""The export pipeline: processors that take finished spans off the application's path and
exporters that deliver them (OTLP, Zipkin, JSON lines, the console waterfall).

``traced.init(exporter=...)`` assembles all of it from configuration; build the pieces
yourself to hand a :class:`~traced.tracer.Tracer` a custom pipeline::

    from traced.export import BatchProcessor, OTLPExporter
    tracer = traced.Tracer("shop", recorder=BatchProcessor(OTLPExporter()))

The names are imported when first used, so ``import traced.export`` loads no exporter.
"""

from typing import TYPE_CHECKING, Any

from .base import Exporter

if TYPE_CHECKING:
    from .console import ConsoleExporter, render_trace
    from .jsonl import JsonLinesExporter
    from .otlp import OTLPExporter, encode_otlp
    from .processor import BatchProcessor, SimpleProcessor
    from .zipkin import ZipkinExporter, encode_zipkin

_LAZY = {
    "BatchProcessor": ".processor",
    "SimpleProcessor": ".processor",
    "OTLPExporter": ".otlp",
    "encode_otlp": ".otlp",
    "ZipkinExporter": ".zipkin",
    "encode_zipkin": ".zipkin",
    "JsonLinesExporter": ".jsonl",
    "ConsoleExporter": ".console",
    "render_trace": ".console",
}

__all__ = [
    "BatchProcessor",
    "ConsoleExporter",
    "Exporter",
    "JsonLinesExporter",
    "OTLPExporter",
    "SimpleProcessor",
    "ZipkinExporter",
    "encode_otlp",
    "encode_zipkin",
    "render_trace",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError("module 'traced.export' has no attribute %r" % name)
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> "list[str]":
    return sorted(set(globals()) | set(_LAZY))

"""From configuration to the tracer's recorder: an exporter behind the processor that suits
it, one per configured name, fanned out when there are several."""

from __future__ import annotations

from typing import List

from .._export_settings import ExportSettings
from ..counters import Counters
from ..tracer.recorder import FanOutRecorder, MemoryRecorder, NoneRecorder, Recorder

__all__ = ["build_recorder"]


def build_recorder(
    exporters: "tuple[str, ...]", settings: ExportSettings, counters: Counters
) -> Recorder:
    """The recorder for ``exporters`` (names of :data:`traced.config.EXPORTERS`).

    Network and file exporters sit behind a :class:`~traced.export.processor.BatchProcessor`
    (the application never waits on them); ``console`` behind a
    :class:`~traced.export.processor.SimpleProcessor` (it only files spans away and prints
    on its own thread); ``memory`` and ``none`` are recorders themselves.
    """
    recorders: List[Recorder] = [_one(name, settings, counters) for name in exporters]
    return recorders[0] if len(recorders) == 1 else FanOutRecorder(recorders)


def _one(name: str, settings: ExportSettings, counters: Counters) -> Recorder:
    if name == "memory":
        return MemoryRecorder()
    if name == "none":
        return NoneRecorder()
    from .processor import BatchProcessor, SimpleProcessor

    if name == "console":
        from .console import ConsoleExporter

        return SimpleProcessor(ConsoleExporter(**settings.console_options), counters=counters)
    if name == "otlp":
        from .otlp import OTLPExporter

        exporter: object = OTLPExporter(
            settings.otlp_endpoint,
            headers=dict(settings.otlp_headers),
            compression=settings.otlp_compression,
            timeout=settings.otlp_timeout,
            counters=counters,
        )
    elif name == "zipkin":
        from .zipkin import ZipkinExporter

        exporter = ZipkinExporter(
            settings.zipkin_endpoint,
            headers=dict(settings.zipkin_headers),
            compression=settings.zipkin_compression,
            timeout=settings.zipkin_timeout,
            counters=counters,
        )
    elif name == "jsonl":
        from .jsonl import JsonLinesExporter

        exporter = JsonLinesExporter(settings.jsonl_path)
    else:
        raise ValueError("no exporter is called %r" % name)
    return BatchProcessor(
        exporter,  # type: ignore[arg-type]
        max_queue_size=settings.max_queue_size,
        max_batch_size=settings.max_batch_size,
        schedule_delay=settings.schedule_delay,
        export_timeout=settings.export_timeout,
        counters=counters,
    )

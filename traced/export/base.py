"""The one interface of the export pipeline's back end: :class:`Exporter`.

A processor (:mod:`traced.export.processor`) sits between the tracer and an exporter: it
receives each finished span as the tracer's :class:`~traced.tracer.Recorder` and hands
batches of them to :meth:`Exporter.export`, on its own worker thread for the batch
processor. Every exporter (OTLP, Zipkin, JSON lines, console, ...) implements this class and
runs the contract tests in ``tests/traced/export/test_exporter_contract.py``.
"""

from __future__ import annotations

from typing import Sequence

from ..tracer.span import FinishedSpan

__all__ = ["Exporter"]


class Exporter:
    """Delivers batches of finished spans somewhere.

    :meth:`export` is called by one thread at a time (the processor's), never on the
    application's span path by the batch processor. It must not raise: an exporter reports
    failure by returning False, after its own retries, within ``timeout`` seconds. The
    processor guards against one that raises anyway, counting the batch as failed.
    """

    def export(self, spans: Sequence[FinishedSpan], timeout: float) -> bool:
        """Deliver ``spans`` within ``timeout`` seconds; True when they were delivered."""
        raise NotImplementedError

    def size_hint(self, span: FinishedSpan) -> int:
        """About how many bytes ``span`` adds to an encoded batch, so the batch processor
        can bound a request's size; exporters that know their encoding may do better."""
        return 160 + 48 * (len(span.tags) + len(span.logs))

    def flush(self, timeout: float = 5.0) -> bool:
        """Deliver what the exporter holds back itself (the console exporter's traces waiting
        for their root); True when done within ``timeout`` seconds."""
        return True

    def shutdown(self, timeout: float = 5.0) -> None:
        """Release what the exporter holds (connections, files); later exports return
        False. Waits at most ``timeout`` seconds."""

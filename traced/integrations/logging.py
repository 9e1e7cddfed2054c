"""``logging``: every log record carries the active span's ids, as ``record.trace_id``
(32 lowercase hex digits, 16 for a trace that arrived with a 64-bit id) and
``record.span_id`` (16 lowercase hex digits); both are ``"0"`` when no span is active, so
a format using them never fails and the field is never empty. For example::

    logging.basicConfig(format=traced.integrations.logging.LOG_FORMAT)

The record factory (:func:`logging.setLogRecordFactory`) is replaced by one calling the
factory set before it, so records of any factory get the ids; uninstrumenting puts that
factory back (when another was set since, ours stays in place but adds nothing).
"""

from __future__ import annotations

import logging
from typing import Any, Callable, List

import opentracing

from .._report import report_tracer_error
from ..patching import Integration, Undo

__all__ = ["LOG_FORMAT", "NO_ID", "instrument", "is_instrumented", "uninstrument"]

#: A format showing the ids: ``%(trace_id)s`` and ``%(span_id)s`` are the fields.
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [trace_id=%(trace_id)s span_id=%(span_id)s] %(message)s"

#: The value of both fields when no span is active.
NO_ID = "0"


def _ids(span: opentracing.Span) -> "tuple[str, str]":
    context = span.context
    trace_hex = getattr(context, "trace_id_hex", None)
    span_hex = getattr(context, "span_id_hex", None)
    if isinstance(trace_hex, str) and isinstance(span_hex, str):
        return trace_hex, span_hex
    trace_id, span_id = getattr(context, "trace_id", None), getattr(context, "span_id", None)
    if not isinstance(trace_id, int) or not isinstance(span_id, int):
        return NO_ID, NO_ID
    return format(trace_id, "032x" if trace_id >> 64 else "016x"), format(span_id, "016x")


def _install() -> Undo:
    previous = logging.getLogRecordFactory()
    on: List[bool] = [True]

    def record_with_ids(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if on:
            trace_id = span_id = NO_ID
            try:
                span = _integration.tracer.active_span
                if span is not None:
                    trace_id, span_id = _ids(span)
            except Exception as exc:
                report_tracer_error("logging: reading the active span", exc)
            record.trace_id = trace_id
            record.span_id = span_id
        return record

    logging.setLogRecordFactory(record_with_ids)

    def undo() -> None:
        on.clear()
        if logging.getLogRecordFactory() is record_with_ids:
            logging.setLogRecordFactory(previous)

    return undo


_integration = Integration("logging", module="logging", patches=[], install=_install)
instrument = _integration.instrument
uninstrument = _integration.uninstrument
is_instrumented = _integration.is_instrumented

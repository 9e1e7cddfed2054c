"""JSON lines: :class:`JsonLinesExporter` writes one JSON object per finished span per line,
to a file it appends to or to a stream the application gives.

The fields, documented in ``docs/export_formats.rst``, are those of
:class:`~traced.tracer.FinishedSpan`: ids as lower-case hex, times as integer epoch
microseconds, tags, log fields, baggage and process tags with their JSON types (values
JSON cannot hold are rendered as text by :mod:`traced.export._json`). Lines are ASCII.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from typing import IO, Any, Dict, List, Mapping, Optional, Sequence, Union

from .._report import report_tracer_error
from ..tracer.span import FinishedSpan
from ._json import dumps_ascii, json_key, json_value, make_dumps
from ._ratelog import RateLimitedLog
from .base import Exporter

__all__ = ["JsonLinesExporter", "encode_json_lines", "span_to_json"]

_BIG = 1 << 64
_MASK64 = _BIG - 1
_MASK128 = (1 << 128) - 1

_logger = logging.getLogger("traced.export")

# The fast path: the C encoder takes tags and fields as they are; anything it cannot write
# (NaN, cycles, objects its default() rejects, odd keys) sends the span to the careful path.
_fast_dumps = make_dumps(default=json_value, allow_nan=False)


def _hex_trace(trace_id: int) -> str:
    return "%016x" % trace_id if 0 <= trace_id < _BIG else "%032x" % (trace_id & _MASK128)


def _micros(seconds: float) -> Optional[int]:
    try:
        return round(seconds * 1e6)
    except (TypeError, ValueError, OverflowError):
        return None


def _fields(span: FinishedSpan, careful: bool) -> Dict[str, Any]:
    """The line of ``span`` but its process, as a dict, times that are not numbers as None;
    ``careful`` converts every value with :func:`json_value` first, so that the result
    always encodes."""
    convert = json_value if careful else _same
    start, finish = _micros(span.start_time), _micros(span.finish_time)
    parent = span.parent_id
    return {
        "trace_id": _hex_trace(span.trace_id),
        "span_id": "%016x" % (span.span_id & _MASK64),
        "parent_id": None if parent is None else "%016x" % (parent & _MASK64),
        "operation_name": convert(span.operation_name) if careful else span.operation_name,
        "start_time_us": start,
        "finish_time_us": finish,
        "duration_us": None if start is None or finish is None else finish - start,
        "tags": _mapping(span.tags, careful),
        "logs": [
            {"timestamp_us": _micros(record.timestamp), "fields": _mapping(record.fields, careful)}
            for record in span.logs
        ],
        "references": [
            {
                "type": convert(reference.type),
                "trace_id": _hex_trace(reference.trace_id),
                "span_id": "%016x" % (reference.span_id & _MASK64),
            }
            for reference in span.references
        ],
        "baggage": _mapping(span.baggage, careful),
        "debug": bool(span.debug),
        "dropped_tags": span.dropped_tags,
        "dropped_logs": span.dropped_logs,
        "truncated_values": span.truncated_values,
    }


def _same(value: Any) -> Any:
    return value


def _mapping(values: Mapping[Any, Any], careful: bool) -> Any:
    if not careful:
        return values if type(values) is dict else dict(values)
    return {json_key(key): json_value(value) for key, value in values.items()}


def _plain_fields(span: FinishedSpan, trace_hex: str) -> Dict[str, Any]:
    """:func:`_fields` of a span with numeric times, values left as they are: the common
    case, written out."""
    start = round(span.start_time * 1e6)
    finish = round(span.finish_time * 1e6)
    parent = span.parent_id
    references = span.references
    return {
        "trace_id": trace_hex,
        "span_id": "%016x" % (span.span_id & _MASK64),
        "parent_id": None if parent is None else "%016x" % (parent & _MASK64),
        "operation_name": span.operation_name,
        "start_time_us": start,
        "finish_time_us": finish,
        "duration_us": finish - start,
        "tags": dict(span.tags),
        "logs": [
            {"timestamp_us": round(record.timestamp * 1e6), "fields": dict(record.fields)}
            for record in span.logs
        ] if span.logs else [],
        "references": [
            {
                "type": reference.type,
                "trace_id": trace_hex if reference.trace_id == span.trace_id else _hex_trace(reference.trace_id),
                "span_id": "%016x" % (reference.span_id & _MASK64),
            }
            for reference in references
        ] if references else [],
        "baggage": dict(span.baggage),
        "debug": span.debug is True,
        "dropped_tags": span.dropped_tags,
        "dropped_logs": span.dropped_logs,
        "truncated_values": span.truncated_values,
    }


def span_to_json(
    span: FinishedSpan, process_json: Optional[str] = None, trace_hex: Optional[str] = None
) -> str:
    """One JSON line (without its newline) for ``span``; never raises on a tag, log or
    process value. ``process_json`` is its process already encoded and ``trace_hex`` its
    trace id in hex, if the caller has them."""
    if process_json is None:
        process_json = _process_json(span.process)
    try:
        body = _fast_dumps(_plain_fields(span, trace_hex or _hex_trace(span.trace_id)))
    except Exception:  # NaN, a cycle, a key JSON cannot have, an object that resists
        body = dumps_ascii(_fields(span, careful=True))
    return '%s,"process":%s}' % (body[:-1], process_json)


def _process_json(process: Mapping[str, Any]) -> str:
    return dumps_ascii(_mapping(process, careful=True))


def encode_json_lines(spans: Sequence[FinishedSpan]) -> str:
    """The lines of ``spans``, each ended by a newline (ASCII text). A span that cannot be
    encoded at all, which a tracer never produces, is left out and reported."""
    lines: List[str] = []
    last_process: Optional[Mapping[str, Any]] = None
    process_json = ""
    trace_hex: Dict[int, str] = {}  # the spans of a batch often share a trace
    for span in spans:
        try:
            if span.process is not last_process:
                last_process = span.process
                process_json = _process_json(last_process)
            trace_id = span.trace_id
            hex_id = trace_hex.get(trace_id)
            if hex_id is None:
                hex_id = trace_hex[trace_id] = _hex_trace(trace_id)
            lines.append(span_to_json(span, process_json, hex_id))
        except Exception as exc:
            report_tracer_error("encoding a span as JSON", exc)
    lines.append("")
    return "\n".join(lines)


class JsonLinesExporter(Exporter):
    """Writes spans as JSON lines to a file (appended to) or to a stream.

    :param path_or_stream: a path (``str`` or ``os.PathLike``): the file is opened on the
        first export, created if missing, in append mode; each batch is written with one
        ``write`` of whole lines, so several processes (a forked child shares the file) can
        append to the same file without mixing lines. Or an open stream: a text stream gets
        ``str``, a binary one ``bytes``; it is flushed after each batch and never closed
        by the exporter.

    A file or stream that fails (disk full, permission denied, closed) makes
    :meth:`export` return False and logs it (at most once a minute); the next export
    tries again.
    """

    def __init__(self, path_or_stream: Union[str, "os.PathLike[str]", IO[Any]]) -> None:
        self._path: Optional[str] = None
        self._stream: Optional[IO[Any]] = None
        if isinstance(path_or_stream, (str, os.PathLike)):
            self._path = os.fspath(path_or_stream)
        else:
            self._stream = path_or_stream
        self._binary = isinstance(path_or_stream, (io.RawIOBase, io.BufferedIOBase))
        self._fd: Optional[int] = None
        self._lock = threading.Lock()
        self._closed = False
        self._broken_line = False  # a failed write may have left half a line
        self._log = RateLimitedLog(_logger)

    def export(self, spans: Sequence[FinishedSpan], timeout: float) -> bool:
        """Write ``spans`` as lines in one write; True when all were written. ``timeout``
        is not enforced: a local write does not wait on a peer."""
        if self._closed:
            return False
        if not spans:
            return True
        try:
            data = encode_json_lines(spans)
        except Exception as exc:
            report_tracer_error("JsonLinesExporter.export", exc)
            return False
        if not data:
            return False
        with self._lock:
            if self._closed:
                return False
            if self._broken_line:
                data = "\n" + data
            try:
                if self._stream is not None:
                    self._broken_line = True  # unknown how much a failing write wrote
                    self._write_stream(self._stream, data)
                else:
                    self._write_file(data.encode("ascii"))
            except Exception as exc:  # OSError, a closed stream's ValueError, anything else
                self._log.warning(
                    "write", "traced: writing spans to %s failed: %r", self._target(), exc
                )
                return False
            self._broken_line = False
            return True

    def _target(self) -> str:
        return self._path if self._path is not None else repr(self._stream)

    def _write_stream(self, stream: IO[Any], data: str) -> None:
        stream.write(data.encode("ascii") if self._binary else data)
        flush = getattr(stream, "flush", None)
        if flush is not None:
            flush()

    def _write_file(self, data: bytes) -> None:
        fd = self._fd
        if fd is None:
            assert self._path is not None
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
            fd = self._fd = os.open(self._path, flags, 0o666)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)  # all of it in one call, but for a full disk
            view = view[written:]
            self._broken_line = bool(view)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Close the file (a stream is flushed, not closed); later exports return False."""
        with self._lock:
            self._closed = True
            fd, self._fd = self._fd, None
            try:
                if fd is not None:
                    os.close(fd)
                elif self._stream is not None and getattr(self._stream, "flush", None):
                    self._stream.flush()
            except Exception as exc:
                self._log.warning("close", "traced: closing %s failed: %r", self._target(), exc)

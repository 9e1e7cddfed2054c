"""Zipkin v2 JSON: :func:`encode_zipkin` and :class:`ZipkinExporter`, which POSTs it.

The body is what Zipkin's ``POST /api/v2/spans`` takes (``ListOfSpans`` of its API), which
Jaeger's and the OpenTelemetry collector's Zipkin receivers take too. How a
:class:`~traced.tracer.FinishedSpan` maps onto a Zipkin span is documented field by field
in ``docs/export_formats.rst``; in short: ``span.kind`` becomes ``kind``, ``peer.*`` the
``remoteEndpoint``, the process's ``service.name`` the ``localEndpoint``, logs become
annotations, and every other tag, process tag and baggage item a string tag.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .._report import report_tracer_error
from ..tracer.span import FinishedSpan, LogRecord
from ._http import HttpExporter
from ._json import FAST_TEXT as _FAST_TEXT, compact_json, dumps_ascii, json_key, quote, text

__all__ = ["DEFAULT_ENDPOINT", "ZipkinExporter", "encode_zipkin"]

#: Where a Zipkin server on this host takes spans.
DEFAULT_ENDPOINT = "http://localhost:9411/api/v2/spans"

_KINDS = {"client": "CLIENT", "server": "SERVER", "producer": "PRODUCER", "consumer": "CONSUMER"}
# span tags mapped onto Zipkin fields: the slow path runs only for spans that have one
_MAPPED = frozenset(
    {"span.kind", "peer.service", "peer.hostname", "peer.ipv4", "peer.ipv6", "peer.port", "error"}
)
_BIG = 1 << 64
_MASK64 = _BIG - 1
_MASK128 = (1 << 128) - 1
_CHILD_OF = "child_of"

_Json = Dict[str, Any]


def _ipv4(value: Any) -> Optional[str]:
    """A valid IPv4 address, given as text or as a 32-bit integer (OpenTracing's
    ``peer.ipv4`` allows both), in dotted form; else None."""
    try:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(ipaddress.IPv4Address(value))
        if isinstance(value, str):
            return str(ipaddress.IPv4Address(value.strip()))
    except ValueError:
        pass
    return None


def _ipv6(value: Any) -> Optional[str]:
    try:
        if isinstance(value, str):
            return str(ipaddress.IPv6Address(value.strip()))
    except ValueError:
        pass
    return None


def _port(value: Any) -> Optional[int]:
    """A port in 1..65535, given as a number or decimal text; else None (Zipkin: never 0)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536:
        return int(value)
    return None


def _address(endpoint: _Json, value: Any) -> bool:
    """Put ``value`` (one address, or a list whose first valid one counts) in ``endpoint``
    as ``ipv4`` or ``ipv6``; True if it was one."""
    for item in value if isinstance(value, (list, tuple)) else (value,):
        address = _ipv4(item)
        if address is not None:
            endpoint.setdefault("ipv4", address)
            return True
        address = _ipv6(item)
        if address is not None:
            endpoint.setdefault("ipv6", address)
            return True
    return False


def _micros(seconds: float) -> Optional[int]:
    try:
        return round(seconds * 1e6)
    except (TypeError, ValueError, OverflowError):  # None, NaN, infinity
        return None


def _error_message(logs: Sequence[LogRecord]) -> Optional[str]:
    """The message of the last ``error`` log: its ``message``, else its ``error.object``,
    else its ``error.kind``; None when no log says."""
    for record in reversed(logs):
        fields = record.fields
        if fields.get("event") != "error":
            continue
        for key in ("message", "error.object", "error.kind"):
            value = fields.get(key)
            if value is not None:
                message = text(value)
                if message:
                    return message
    return None


def _annotations(logs: Sequence[LogRecord]) -> List[_Json]:
    """One annotation per log: ``value`` is the ``event`` alone when it is the only field,
    else the fields as a compact JSON object; exact duplicates are left out (Zipkin wants
    annotations unique)."""
    result: List[_Json] = []
    seen = set()
    for record in logs:
        timestamp = _micros(record.timestamp)
        if timestamp is None:
            continue
        fields = record.fields
        if len(fields) == 1 and "event" in fields:
            value = text(fields["event"])
        else:
            value = compact_json(fields)
        if (timestamp, value) in seen:
            continue
        seen.add((timestamp, value))
        result.append({"timestamp": timestamp, "value": value})
    return result


def _references(span: FinishedSpan, out: _Json, tags: Dict[str, str]) -> None:
    """References a Zipkin parent cannot hold become tags ``follows_from`` and ``child_of``
    (comma-separated ``<traceId>-<spanId>``); a span with no ``child_of`` parent takes its
    first ``follows_from`` reference of the same trace as ``parentId``, so that Zipkin
    still shows it in its trace's tree."""
    lists: Dict[str, List[str]] = {}
    for reference in span.references:
        if reference.type == _CHILD_OF and reference.span_id == span.parent_id:
            continue
        trace_id = reference.trace_id
        kind = reference.type if type(reference.type) is str else text(reference.type)
        lists.setdefault(kind, []).append("%s-%016x" % (_trace_hex(trace_id), reference.span_id & _MASK64))
        if (
            span.parent_id is None
            and "parentId" not in out
            and trace_id == span.trace_id
            and reference.type != _CHILD_OF
        ):
            out["parentId"] = "%016x" % (reference.span_id & _MASK64)
    for name, items in lists.items():
        tags[name] = ",".join(items)


def _drop_counts(span: FinishedSpan, tags: Dict[Any, str]) -> None:
    """What the tracer's limits cut from the span, as tags (only the counts above 0)."""
    for key, count in (
        ("traced.dropped_tags", span.dropped_tags),
        ("traced.dropped_logs", span.dropped_logs),
        ("traced.truncated_values", span.truncated_values),
    ):
        if count:
            tags[key] = str(count)


def _trace_hex(trace_id: int) -> str:
    """16 hex digits for a 64-bit trace id (kept as it was received), else 32."""
    return "%016x" % trace_id if 0 <= trace_id < _BIG else "%032x" % (trace_id & _MASK128)


class _Encoder:
    """Writes Zipkin spans as JSON text. The rendering of the last process mapping seen (all
    the spans of one tracer share one) is kept as ready JSON: a batch renders it once."""

    __slots__ = ("_process", "_local_json", "_process_tags", "_process_keys", "_process_json", "_trace_hex")

    def __init__(self) -> None:
        self._process: Optional[Mapping[str, Any]] = None
        self._local_json = ""
        self._process_tags: Dict[str, str] = {}
        self._process_keys: Any = self._process_tags.keys()
        self._process_json = ""
        self._trace_hex: Dict[int, str] = {}

    def _set_process(self, process: Mapping[str, Any]) -> None:
        local: _Json = {}
        tags: Dict[str, str] = {}
        for key, value in process.items():
            if key == "service.name":
                service = text(value)
                if service:
                    local["serviceName"] = service
                continue
            if key in ("host.ip", "ip"):
                _address(local, value)
            elif key == "host.port":
                port = _port(value)
                if port is not None:
                    local["port"] = port
            tags[json_key(key)] = text(value)
        self._local_json = ',"localEndpoint":' + dumps_ascii(local) if local else ""
        self._process_json = dumps_ascii(tags)[1:-1]
        self._process_tags = tags
        self._process_keys = tags.keys()
        self._process = process

    def span(self, span: FinishedSpan) -> str:
        """The Zipkin v2 span of ``span``, as JSON text (ASCII)."""
        if span.process is not self._process:
            self._set_process(span.process)
        span_tags = span.tags
        references = span.references
        if (
            span.logs
            or span.baggage
            or span.debug
            or (references and (len(references) > 1 or references[0].type != _CHILD_OF))
            or span.dropped_tags
            or span.dropped_logs
            or span.truncated_values
        ):
            return self._span_with_extras(span)
        mapped_json = ""
        if not _MAPPED.isdisjoint(span_tags):  # span.kind, peer.*, error: most spans
            mapped: _Json = {}
            span_tags = dict(span_tags)
            self._mapped_tags(span, mapped, span_tags)
            if mapped:
                mapped_json = "," + dumps_ascii(mapped)[1:-1]
        try:  # the common span: its tags written straight out
            tags_json = ",".join(
                [quote(k) + ":" + quote(v if type(v) is str else _FAST_TEXT.get(type(v), text)(v))
                 for k, v in span_tags.items()]
            )
        except (TypeError, ValueError):  # a key that is not a str; an int too long for str()
            return self._span_with_extras(span)
        if not self._process_keys.isdisjoint(span_tags):
            return self._span_with_extras(span)
        process_json = self._process_json
        if tags_json and process_json:
            tags_json = ',"tags":{%s,%s}}' % (process_json, tags_json)
        elif tags_json or process_json:
            tags_json = ',"tags":{%s}}' % (tags_json or process_json)
        else:
            tags_json = "}"
        return self._head(span) + self._local_json + mapped_json + tags_json

    def _head(self, span: FinishedSpan) -> str:
        """The span's JSON up to its name and times (an open object)."""
        trace_id = span.trace_id
        trace_hex = self._trace_hex.get(trace_id)
        if trace_hex is None:  # the spans of a batch often share a trace: format it once
            trace_hex = self._trace_hex[trace_id] = _trace_hex(trace_id)
        name = span.operation_name
        parent = span.parent_id
        try:
            start = round(span.start_time * 1e6)
            duration = round(span.finish_time * 1e6) - start
        except (TypeError, ValueError, OverflowError):  # None, NaN, infinity: left out
            head = '{"traceId":"%s","id":"%016x"' % (trace_hex, span.span_id & _MASK64)
            if parent is not None:
                head += ',"parentId":"%016x"' % (parent & _MASK64)
            return head + ',"name":' + quote(name if type(name) is str else text(name))
        if parent is None:
            return '{"traceId":"%s","id":"%016x","name":%s,"timestamp":%d,"duration":%d' % (
                trace_hex, span.span_id & _MASK64, quote(name if type(name) is str else text(name)),
                start, duration if duration > 0 else 1,
            )
        return '{"traceId":"%s","id":"%016x","parentId":"%016x","name":%s,"timestamp":%d,"duration":%d' % (
            trace_hex, span.span_id & _MASK64, parent & _MASK64,
            quote(name if type(name) is str else text(name)), start, duration if duration > 0 else 1,
        )

    def _span_with_extras(self, span: FinishedSpan) -> str:
        """:meth:`span` for a span with logs, baggage, references beyond its parent, tags
        mapped onto Zipkin fields, debug, drop counts, odd keys or a process tag's key."""
        try:
            tags = {k: v if type(v) is str else _FAST_TEXT.get(type(v), text)(v) for k, v in span.tags.items()}
        except ValueError:  # an int too long for str(): text() has the fallback
            tags = {k: text(v) for k, v in span.tags.items()}
        extra = self._extra(span, tags)
        extra_json = "," + dumps_ascii(extra)[1:-1] if extra else ""
        tags = {k if type(k) is str else json_key(k): v for k, v in tags.items()}
        process_json = self._process_json
        if process_json and not self._process_keys.isdisjoint(tags):
            merged = dict(self._process_tags)  # a span tag overrides a process tag
            merged.update(tags)
            tags, process_json = merged, ""
        own_json = dumps_ascii(tags)[1:-1] if tags else ""
        if own_json and process_json:
            tags_json = ',"tags":{%s,%s}}' % (process_json, own_json)
        elif own_json or process_json:
            tags_json = ',"tags":{%s}}' % (own_json or process_json)
        else:
            tags_json = "}"
        return self._head(span) + self._local_json + extra_json + tags_json

    def _extra(self, span: FinishedSpan, tags: Dict[Any, str]) -> _Json:
        """What a span with logs, baggage, references, mapped tags, debug or drop counts
        adds: fields into the result, tags into ``tags``."""
        extra: _Json = {}
        if span.baggage:
            for key, value in span.baggage.items():
                tags.setdefault("baggage." + json_key(key), text(value))
        references = span.references
        if references and (len(references) > 1 or references[0].type != _CHILD_OF):
            _references(span, extra, tags)
        if not _MAPPED.isdisjoint(span.tags):
            self._mapped_tags(span, extra, tags)
        if span.logs:
            extra["annotations"] = _annotations(span.logs)
        if span.debug:
            extra["debug"] = True
        if span.dropped_tags or span.dropped_logs or span.truncated_values:
            _drop_counts(span, tags)
        return extra

    @staticmethod
    def _mapped_tags(span: FinishedSpan, out: _Json, tags: Dict[str, str]) -> None:
        """``span.kind``, ``peer.*`` and ``error``: moved from ``tags`` to their Zipkin fields
        (a tag whose value does not fit its field stays a tag)."""
        span_tags = span.tags
        kind = _KINDS.get(text(span_tags.get("span.kind")).lower())
        if kind is not None:
            out["kind"] = kind
            del tags["span.kind"]
        remote: _Json = {}
        for key in ("peer.service", "peer.hostname"):
            value = span_tags.get(key)
            if value is not None and "serviceName" not in remote:
                name = text(value)
                if name:
                    remote["serviceName"] = name
                    del tags[key]
        if "peer.ipv4" in span_tags and _address(remote, span_tags["peer.ipv4"]):
            del tags["peer.ipv4"]
        if "peer.ipv6" in span_tags and _address(remote, span_tags["peer.ipv6"]):
            del tags["peer.ipv6"]
        port = _port(span_tags.get("peer.port"))
        if port is not None:
            remote["port"] = port
            del tags["peer.port"]
        if remote:
            out["remoteEndpoint"] = remote
        if "error" in span_tags:
            error = span_tags["error"]
            if error is False or (type(error) is str and error.lower() in ("false", "")):
                del tags["error"]  # Zipkin takes any "error" tag for a failed span
            elif error is True or (type(error) is str and error.lower() == "true"):
                tags["error"] = _error_message(span.logs) or "true"


def _encode(spans: Sequence[FinishedSpan]) -> Tuple[bytes, int]:
    """The JSON array of ``spans`` and how many of them were in it (a span that cannot
    be encoded at all, which a tracer never produces, is left out and reported)."""
    encoder = _Encoder()
    encode = encoder.span
    items: List[str] = []
    for span in spans:
        try:
            items.append(encode(span))
        except Exception as exc:
            report_tracer_error("encoding a span for Zipkin", exc)
    return ("[%s]" % ",".join(items)).encode("ascii"), len(items)


def encode_zipkin(spans: Sequence[FinishedSpan]) -> bytes:
    """``spans`` as a Zipkin v2 JSON array (``ListOfSpans``), ASCII-only UTF-8 bytes;
    never raises on any tag, log or process value."""
    return _encode(spans)[0]


class ZipkinExporter(HttpExporter):
    """Sends batches of spans to a Zipkin v2 endpoint as JSON (``application/json``).

    :param endpoint: the full URL of the span endpoint (``/api/v2/spans``; default
        ``http://localhost:9411/api/v2/spans``).
    :param headers: extra HTTP headers sent with every batch.
    :param compression: ``"none"`` or ``"gzip"``.
    :param timeout: the deadline of an export given none, in seconds.
    :param counters: where retries are counted.
    """

    content_type = "application/json"
    default_endpoint = DEFAULT_ENDPOINT
    # size_hint's cache: the process mapping last seen, and what it adds to a span
    _size_process: Optional[Mapping[str, Any]] = None
    _size_base = 0

    def encode(self, spans: Sequence[FinishedSpan]) -> Optional[bytes]:
        """One JSON array of Zipkin spans; None when no span could be encoded."""
        body, count = _encode(spans)
        return body if count else None

    def size_hint(self, span: FinishedSpan) -> int:
        """The bytes ``span`` adds to a batch, estimated from the lengths of its strings
        (about the encoded size for ASCII text; non-ASCII text counts 6 bytes a character,
        its ``\\uXXXX`` escape)."""
        try:
            process = span.process
            if process is not self._size_process:
                base = 200
                for key, value in process.items():
                    base += _text_size(key) + _text_size(value) + 6
                self._size_process, self._size_base = process, base
            size = self._size_base + _text_size(span.operation_name)
            for key, value in span.tags.items():
                size += _text_size(key) + _text_size(value) + 6
            for key, value in span.baggage.items():
                size += _text_size(key) + _text_size(value) + 14
            for record in span.logs:
                size += 40
                for key, value in record.fields.items():
                    size += _text_size(key) + _text_size(value) + 8
            if span.parent_id is not None:
                size += 30
            return size
        except Exception:  # a span no tracer makes (odd mappings): a typical size
            return 512



def _text_size(value: Any) -> int:
    if type(value) is str:
        return len(value) if value.isascii() else 6 * len(value)
    return 8

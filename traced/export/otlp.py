"""OTLP/HTTP export: finished spans as an OpenTelemetry ``ExportTraceServiceRequest`` in
protobuf, POSTed to a collector (``http://localhost:4318/v1/traces`` by default).

The message is written by :mod:`._protobuf`, without the generated classes or the
``protobuf`` package; each message's fields go in field-number order, so the bytes are the
ones the official implementation writes for the same message. How a
:class:`~traced.tracer.span.FinishedSpan` maps onto OTLP:

* Spans are grouped by their ``process`` mapping (one per tracer): each group is one
  ``ResourceSpans`` whose ``Resource`` attributes are the mapping (``service.name``,
  ``host.name``, ``process.pid``, ``telemetry.sdk.*`` and the user's resource tags), with one
  ``ScopeSpans`` of scope ``traced`` at the version in ``telemetry.sdk.version``.
* ``trace_id``: 16 bytes big-endian (a 64-bit id gets eight zero bytes in front);
  ``span_id`` and ``parent_span_id``: 8 bytes. ``parent_span_id`` is the ``child_of``
  parent only; every other reference becomes a link carrying ``opentracing.ref_type``
  (``follows_from``, or ``child_of`` for a second ``child_of``), as the OpenTelemetry
  semantic conventions ask of OpenTracing shims. A span whose only reference is
  ``follows_from`` stays a root: the link says how it relates.
* Times: seconds since the epoch rounded to the microsecond, in nanoseconds. A float of
  today's epoch seconds resolves about a quarter of a microsecond, so the digits below the
  microsecond are noise; rounding keeps durations exact and matches the Zipkin exporter.
* ``span.kind`` ``client``/``server``/``producer``/``consumer`` sets the kind and is not
  repeated as an attribute; any other value stays a tag and the kind is ``INTERNAL``.
* ``error`` set to ``True`` (or the string ``"true"``) sets status ``ERROR`` (and is not
  repeated as an attribute), with the ``message`` (else the ``error.object``) of the first
  log whose ``event`` is ``"error"`` as the status message.
* Tags become typed attributes: bool, int within int64 (larger ones as their decimal
  string), float (NaN and infinities included), str, bytes, list/tuple as ``array_value``,
  mapping as ``kvlist_value`` (nested eight deep; deeper, as text), None as an empty value,
  a class as its qualified name, a traceback as its formatted text, and anything else as its
  ``str()`` (a ``str()`` that raises gives ``<Type: str() failed>``).
* Logs become events at the log's time, named by the ``event`` field when it is a string
  (which is then not repeated as an attribute), else ``"log"``; the fields are attributes.
* Baggage items become attributes ``baggage.<key>`` (unless a tag of that name exists):
  OTLP has no place for them, and they describe the request the span served.
* ``debug`` spans get the attribute ``traced.debug = true``; ``flags`` has the W3C sampled
  bit (every recorded span is sampled); whether the parent was remote is not known, so the
  ``CONTEXT_HAS_IS_REMOTE`` bit is left clear.
* ``dropped_tags`` and ``dropped_logs`` become ``dropped_attributes_count`` and
  ``dropped_events_count``. ``truncated_values`` has no OTLP field.
"""

from __future__ import annotations

import struct
import traceback
from types import TracebackType
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from .._report import report_tracer_error
from ..counters import Counters
from ..tracer.span import FinishedSpan
from ._http import HttpExporter
from ._protobuf import double, int64, utf8, varint

__all__ = ["DEFAULT_ENDPOINT", "OTLPExporter", "encode_otlp"]

#: Where an OpenTelemetry collector listens for OTLP/HTTP traces by default.
DEFAULT_ENDPOINT = "http://localhost:4318/v1/traces"

SCOPE_NAME = "traced"

# Field keys (number << 3 | wire type) of the messages written here.
_REQUEST_RESOURCE_SPANS = b"\x0a"  # ExportTraceServiceRequest.resource_spans = 1
_RS_RESOURCE = b"\x0a"  # ResourceSpans.resource = 1
_RS_SCOPE_SPANS = b"\x12"  # ResourceSpans.scope_spans = 2
_RESOURCE_ATTRIBUTES = b"\x0a"  # Resource.attributes = 1
_SS_SCOPE = b"\x0a"  # ScopeSpans.scope = 1
_SS_SPANS = b"\x12"  # ScopeSpans.spans = 2
_SCOPE_NAME = b"\x0a"  # InstrumentationScope.name = 1
_SCOPE_VERSION = b"\x12"  # InstrumentationScope.version = 2
_SPAN_NAME = b"\x2a"  # Span.name = 5
_SPAN_PARENT = b"\x22\x08"  # Span.parent_span_id = 4, 8 bytes
_SPAN_ATTRIBUTES = b"\x4a"  # Span.attributes = 9
_SPAN_DROPPED_ATTRIBUTES = b"\x50"  # Span.dropped_attributes_count = 10
_SPAN_EVENTS = b"\x5a"  # Span.events = 11
_SPAN_DROPPED_EVENTS = b"\x60"  # Span.dropped_events_count = 12
_SPAN_LINKS = b"\x6a"  # Span.links = 13
_SPAN_STATUS = b"\x7a"  # Span.status = 15
_SPAN_FLAGS_SAMPLED = b"\x85\x01\x01\x00\x00\x00"  # Span.flags = 16 (fixed32) = 0x01
_EVENT_NAME = b"\x12"  # Span.Event.name = 2
_EVENT_ATTRIBUTES = b"\x1a"  # Span.Event.attributes = 3
_LINK_ATTRIBUTES = b"\x22"  # Span.Link.attributes = 4
_STATUS_MESSAGE = b"\x12"  # Status.message = 2
_STATUS_ERROR = b"\x18\x02"  # Status.code = 3: STATUS_CODE_ERROR
_KV_KEY = b"\x0a"  # KeyValue.key = 1
_KV_VALUE = b"\x12"  # KeyValue.value = 2
_ANY_STRING = b"\x0a"  # AnyValue.string_value = 1
_ANY_TRUE = b"\x10\x01"  # AnyValue.bool_value = 2
_ANY_FALSE = b"\x10\x00"
_ANY_INT = b"\x18"  # AnyValue.int_value = 3
_ANY_DOUBLE = b"\x21"  # AnyValue.double_value = 4
_ANY_ARRAY = b"\x2a"  # AnyValue.array_value = 5
_ANY_KVLIST = b"\x32"  # AnyValue.kvlist_value = 6
_ANY_BYTES = b"\x3a"  # AnyValue.bytes_value = 7
_LIST_VALUES = b"\x0a"  # ArrayValue.values = 1, KeyValueList.values = 1

# Span.trace_id = 1 (16 bytes) and Span.span_id = 2 (8 bytes), in one call.
_pack_ids: Callable[..., bytes] = struct.Struct(">BBQQBBQ").pack
# Span.kind = 6 (varint < 128), start_time_unix_nano = 7, end_time_unix_nano = 8 (fixed64).
_pack_kind_times: Callable[..., bytes] = struct.Struct("<BBBQBQ").pack
# Span.Event.time_unix_nano = 1 (fixed64).
_pack_event_time: Callable[..., bytes] = struct.Struct("<BQ").pack
# Span.Link.trace_id = 1, span_id = 2.
_pack_link_ids = _pack_ids
_pack_parent: Callable[[int], bytes] = struct.Struct(">Q").pack
_pack_double: Callable[[float], bytes] = struct.Struct("<d").pack
_FLOAT_VALUE = b"\x12\x09\x21"  # KeyValue.value: an AnyValue of 9 bytes, its double_value

_LOW64 = (1 << 64) - 1
_INT64_MIN = -(1 << 63)
_INT64_END = 1 << 63
_MAX_NANOS = (1 << 64) - 1

#: OpenTracing ``span.kind`` values and the OTLP ``SpanKind`` each stands for.
SPAN_KINDS = {"server": 2, "client": 3, "producer": 4, "consumer": 5}
_INTERNAL = 1

_MAX_DEPTH = 8  # nesting of list/dict values written as arrays/kvlists; deeper: text
_CACHE_SIZE = 4096  # entries of each encoded-field cache before it starts over
_CACHED_TEXT = 256  # longest string tag value kept in the cache
_SIZED_SPANS = 8192  # spans encoded by size_hint kept for the next export


def _text(value: Any) -> str:
    """``str(value)``, or a placeholder naming the type when ``str()`` raises."""
    try:
        text = str(value)
    except Exception:
        return "<%s: str() failed>" % type(value).__name__
    return text if type(text) is str else str.__str__(text)


def _field(field_key: bytes, payload: bytes) -> bytes:
    return field_key + varint(len(payload)) + payload


def _any_value(value: Any, depth: int = 0) -> bytes:
    """The fields of the ``AnyValue`` holding ``value`` (see the module's mapping)."""
    kind = type(value)
    if kind is str:
        return _field(_ANY_STRING, utf8(value))
    if kind is bool:
        return _ANY_TRUE if value else _ANY_FALSE
    if kind is int or (isinstance(value, int) and not isinstance(value, bool)):
        if _INT64_MIN <= value < _INT64_END:
            return _ANY_INT + int64(int(value))
        return _field(_ANY_STRING, int.__repr__(value).encode())
    if kind is float or isinstance(value, float):
        return _ANY_DOUBLE + double(value)
    if value is None:
        return b""
    if isinstance(value, str):
        return _field(_ANY_STRING, utf8(str.__str__(value)))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _field(_ANY_BYTES, bytes(value))
    if isinstance(value, (list, tuple)) and depth < _MAX_DEPTH:
        items = b"".join([_field(_LIST_VALUES, _any_value(item, depth + 1)) for item in value])
        return _field(_ANY_ARRAY, items)
    if isinstance(value, Mapping) and depth < _MAX_DEPTH:
        try:
            pairs = list(value.items())
        except Exception:
            return _field(_ANY_STRING, utf8(_text(value)))
        items = b"".join([_field(_LIST_VALUES, _key_value(k, v, depth + 1)) for k, v in pairs])
        return _field(_ANY_KVLIST, items)
    if isinstance(value, type):
        module = getattr(value, "__module__", None)
        name = getattr(value, "__qualname__", value.__name__)
        text = name if module in (None, "builtins") else "%s.%s" % (module, name)
        return _field(_ANY_STRING, utf8(_text(text)))
    if isinstance(value, TracebackType):
        return _field(_ANY_STRING, utf8("".join(traceback.format_tb(value))))
    return _field(_ANY_STRING, utf8(_text(value)))


def _key_value(key: Any, value: Any, depth: int = 0) -> bytes:
    """The fields of a ``KeyValue``."""
    name = utf8(key if type(key) is str else _text(key))
    head = _field(_KV_KEY, name) if name else b""  # proto3 leaves an empty string out
    return head + _field(_KV_VALUE, _any_value(value, depth))


def _id(value: Any) -> int:
    """The low 64 bits of an id (an int), for a span whose id is out of range."""
    return int(value) & _LOW64


def _count(value: Any) -> int:
    """A count as a ``uint32`` field holds it."""
    return min(max(int(value), 0), 0xFFFFFFFF)


def _nanos(seconds: Any) -> int:
    """Seconds since the epoch as nanoseconds, rounded to the microsecond, within the
    range of a ``fixed64`` (0 for what is not a number)."""
    try:
        value = float(seconds)
    except (TypeError, ValueError, OverflowError):
        return 0
    if not value > 0:  # NaN too
        return 0
    if value >= _MAX_NANOS / 1e9:
        return _MAX_NANOS
    return min(round(value * 1e6) * 1000, _MAX_NANOS)


class _Encoder:
    """Writes batches of spans as an ``ExportTraceServiceRequest``.

    Keeps the encoded attribute of each (key, value) pair seen with a str, int or bool value
    (string values up to 256 characters), the encoded key of each tag key and the encoded
    name field of each operation name: spans of one service repeat them. Each cache holds at most 4096 entries and
    starts over when full. One encoder serves one thread at a time.
    """

    __slots__ = ("_strings", "_ints", "_bools", "_names", "_keys")

    def __init__(self) -> None:
        self._keys: Dict[Any, bytes] = {}
        self._strings: Dict[Tuple[Any, Any], bytes] = {}
        self._ints: Dict[Tuple[Any, Any], bytes] = {}
        self._bools: Dict[Tuple[Any, Any], bytes] = {}
        self._names: Dict[Any, bytes] = {}

    def encode(
        self, spans: Sequence[FinishedSpan], encoded: Optional[Dict[int, Tuple[FinishedSpan, bytes]]] = None
    ) -> bytes:
        """The request for ``spans``. ``encoded`` maps ``id(span)`` to spans already encoded
        (by :meth:`span`), whose bytes are used as they are."""
        groups: Dict[int, Tuple[Mapping[str, Any], List[bytes]]] = {}
        span_field = self.span
        for span in spans:
            done = encoded.pop(id(span), None) if encoded else None
            if done is not None and done[0] is span:
                field = done[1]
            else:
                try:
                    field = span_field(span)
                except Exception as exc:
                    report_tracer_error("encoding a span for OTLP (span left out)", exc)
                    continue
            process = span.process
            group = groups.get(id(process))
            if group is None:
                group = groups[id(process)] = (process, [])
            group[1].append(field)
        # mappings equal in content (two tracers of one service) share one ResourceSpans
        merged: Dict[Tuple[bytes, bytes], List[bytes]] = {}
        for process, fields in groups.values():
            merged.setdefault(_resource_and_scope(process), []).extend(fields)
        out = []
        for (resource, scope), fields in merged.items():
            scope_spans = _field(_RS_SCOPE_SPANS, scope + b"".join(fields))
            out.append(_field(_REQUEST_RESOURCE_SPANS, resource + scope_spans))
        return b"".join(out)

    def span(self, span: FinishedSpan) -> bytes:
        """``span`` as a ``ScopeSpans.spans`` field: key, length, ``Span`` message."""
        tags = span.tags
        kind = _INTERNAL
        error = False
        items: Any = ()
        if tags:
            items = tags.items()
            skip: Optional[Tuple[str, ...]] = None
            kind_tag = tags.get("span.kind")
            if kind_tag is not None:
                kind = SPAN_KINDS.get(kind_tag, _INTERNAL) if type(kind_tag) is str else _INTERNAL
                if kind != _INTERNAL:
                    skip = ("span.kind",)
            error_tag = tags.get("error")
            if error_tag is True or (type(error_tag) is str and error_tag.lower() == "true"):
                error = True
                skip = ("error",) if skip is None else ("span.kind", "error")
            if skip is not None:
                items = [item for item in items if item[0] not in skip]
        trace_id = span.trace_id
        name = self._names.get(span.operation_name)
        if name is None:
            name = self._name_field(span.operation_name)
        try:
            ids = _pack_ids(0x0A, 16, trace_id >> 64, trace_id & _LOW64, 0x12, 8, span.span_id)
        except (TypeError, struct.error):
            ids = _pack_ids(0x0A, 16, _id(trace_id >> 64), _id(trace_id), 0x12, 8, _id(span.span_id))
        parts = [ids]
        if span.parent_id is not None:
            try:
                parts.append(_SPAN_PARENT + _pack_parent(span.parent_id))
            except (TypeError, struct.error):
                parts.append(_SPAN_PARENT + _pack_parent(_id(span.parent_id)))
        parts.append(name)
        try:
            times = _pack_kind_times(
                0x30, kind, 0x39, round(span.start_time * 1e6) * 1000,
                0x41, round(span.finish_time * 1e6) * 1000,
            )
        except (TypeError, ValueError, OverflowError, struct.error):
            times = _pack_kind_times(
                0x30, kind, 0x39, _nanos(span.start_time), 0x41, _nanos(span.finish_time)
            )
        parts.append(times)
        if items:
            # string-valued pairs seen before come from the cache in one C loop
            try:
                found: List[Any] = list(map(self._strings.get, items))
            except Exception:  # an unhashable value (a list) or key
                found = [None] * len(items)
            parts += self._fill(found, items) if None in found else found
        if span.baggage:
            for key, value in span.baggage.items():
                attribute = "baggage.%s" % (key,)
                if attribute not in tags:
                    parts.append(_field(_SPAN_ATTRIBUTES, _key_value(attribute, value)))
        if span.debug:
            parts.append(_field(_SPAN_ATTRIBUTES, _key_value("traced.debug", True)))
        if span.dropped_tags:
            parts.append(_SPAN_DROPPED_ATTRIBUTES + varint(_count(span.dropped_tags)))
        if span.logs:
            for record in span.logs:
                parts.append(_field(_SPAN_EVENTS, _event(record.timestamp, record.fields)))
        if span.dropped_logs:
            parts.append(_SPAN_DROPPED_EVENTS + varint(_count(span.dropped_logs)))
        references = span.references
        if references and (len(references) > 1 or references[0].span_id != span.parent_id):
            parts.extend(_links(span))
        if error:
            parts.append(_field(_SPAN_STATUS, _error_status(span)))
        parts.append(_SPAN_FLAGS_SAMPLED)
        body = b"".join(parts)
        return _SS_SPANS + varint(len(body)) + body

    def _fill(self, fields: List[Optional[bytes]], items: Any) -> List[bytes]:
        """``fields`` with each None replaced by the attribute field of its tag."""
        filled = []
        for field, item in zip(fields, items):
            filled.append(self._attribute(item) if field is None else field)
        return filled

    def _attribute(self, item: Tuple[Any, Any]) -> bytes:
        """The ``Span.attributes`` field of one tag, kept in the cache of its value's type
        (the string cache holds str values only, so that ``1``, ``True`` and ``1.0``, equal
        as keys, never share an entry)."""
        key, value = item
        vtype = type(value)
        cache: Optional[Dict[Tuple[Any, Any], bytes]]
        if vtype is float:
            prefix = self._keys.get(key)
            if prefix is None:
                prefix = self._key(key)
            pair = prefix + _FLOAT_VALUE + _pack_double(value)
            return _SPAN_ATTRIBUTES + varint(len(pair)) + pair
        if vtype is str:
            cache = self._strings
            if len(value) > _CACHED_TEXT:
                cache = None
        elif vtype is int:
            cache = self._ints
        elif vtype is bool:
            cache = self._bools
        else:
            return _field(_SPAN_ATTRIBUTES, _key_value(key, value))
        if type(key) is not str:
            cache = None
        if cache is not None:
            field = cache.get(item)
            if field is not None:
                return field
        if vtype is str:
            prefix = self._keys.get(key)
            if prefix is None:
                prefix = self._key(key)
            text = utf8(value)
            any_value = _ANY_STRING + varint(len(text)) + text
            pair = prefix + _KV_VALUE + varint(len(any_value)) + any_value
            field = _SPAN_ATTRIBUTES + varint(len(pair)) + pair
        else:
            field = _field(_SPAN_ATTRIBUTES, _key_value(key, value))
        if cache is not None:
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            cache[(key, value)] = field
        return field

    def _key(self, key: Any) -> bytes:
        """The ``KeyValue.key`` field of ``key``, kept for next time when it is a str."""
        name = utf8(key if type(key) is str else _text(key))
        field = _field(_KV_KEY, name) if name else b""
        if type(key) is str:
            if len(self._keys) >= _CACHE_SIZE:
                self._keys.clear()
            self._keys[key] = field
        return field

    def _name_field(self, name: Any) -> bytes:
        text = name if type(name) is str else _text(name)
        field = _field(_SPAN_NAME, utf8(text)) if text else b""
        if type(name) is str:
            if len(self._names) >= _CACHE_SIZE:
                self._names.clear()
            self._names[name] = field
        return field


def _attributes(field_key: bytes, pairs: Any) -> bytes:
    return b"".join([_field(field_key, _key_value(key, value)) for key, value in pairs])


def _resource_and_scope(process: Mapping[str, Any]) -> Tuple[bytes, bytes]:
    """The ``ResourceSpans.resource`` field for ``process`` and the ``ScopeSpans.scope``
    field (scope ``traced`` at the process's ``telemetry.sdk.version``)."""
    resource = _field(_RS_RESOURCE, _attributes(_RESOURCE_ATTRIBUTES, process.items()))
    scope = _field(_SCOPE_NAME, SCOPE_NAME.encode())
    version = process.get("telemetry.sdk.version")
    if version is not None:
        text = utf8(version if type(version) is str else _text(version))
        if text:
            scope += _field(_SCOPE_VERSION, text)
    return resource, _field(_SS_SCOPE, scope)


def _event(timestamp: float, fields: Mapping[str, Any]) -> bytes:
    """A log record as the fields of a ``Span.Event``."""
    name = fields.get("event")
    if type(name) is str or isinstance(name, str):
        pairs: Any = [item for item in fields.items() if item[0] != "event"]
        text = utf8(str.__str__(name))
    else:
        pairs, text = fields.items(), b"log"
    head = _pack_event_time(0x09, _nanos(timestamp))
    if text:
        head += _field(_EVENT_NAME, text)
    return head + _attributes(_EVENT_ATTRIBUTES, pairs)


def _links(span: FinishedSpan) -> List[bytes]:
    """Every reference but the parent as a ``Span.links`` field, typed by
    ``opentracing.ref_type``."""
    links = []
    parent_seen = span.parent_id is None
    for ref in span.references:
        if not parent_seen and ref.type == "child_of" and ref.span_id == span.parent_id:
            parent_seen = True
            continue
        trace_id = _id(ref.trace_id >> 64) << 64 | _id(ref.trace_id)
        ids = _pack_link_ids(0x0A, 16, trace_id >> 64, trace_id & _LOW64, 0x12, 8, _id(ref.span_id))
        attribute = _field(_LINK_ATTRIBUTES, _key_value("opentracing.ref_type", _text(ref.type)))
        links.append(_field(_SPAN_LINKS, ids + attribute))
    return links


def _error_status(span: FinishedSpan) -> bytes:
    """The fields of an ``ERROR`` ``Status``, its message from the first error log."""
    message = ""
    for record in span.logs:
        fields = record.fields
        if fields.get("event") == "error":
            if "message" in fields:
                value = fields["message"]
                message = value if type(value) is str else _text(value)
            elif "error.object" in fields:
                message = _text(fields["error.object"])
            break
    text = utf8(message)
    return (_field(_STATUS_MESSAGE, text) if text else b"") + _STATUS_ERROR


def encode_otlp(spans: Sequence[FinishedSpan]) -> bytes:
    """``spans`` as the protobuf bytes of an OTLP ``ExportTraceServiceRequest`` (the
    mapping is in this module's documentation). Never raises for what a span holds: a value
    that cannot be written is written as text, a span that cannot be written at all is left
    out and reported."""
    return _Encoder().encode(spans)


class OTLPExporter(HttpExporter):
    """Sends batches of spans to an OpenTelemetry collector over OTLP/HTTP in protobuf
    (``Content-Type: application/x-protobuf``); the arguments are
    :class:`~traced.export._http.HttpExporter`'s, with ``endpoint`` the full URL of the
    traces path. The bytes :meth:`size_hint` computes for a span are kept (a bounded
    number) and sent as they are by the :meth:`export` that follows, so a span is encoded
    once.
    """

    content_type = "application/x-protobuf"
    default_endpoint = DEFAULT_ENDPOINT

    def __init__(
        self,
        endpoint: Optional[str] = None,
        *,
        headers: Optional[Mapping[str, str]] = None,
        compression: str = "none",
        timeout: float = 10.0,
        counters: Optional[Counters] = None,
    ) -> None:
        super().__init__(
            endpoint, headers=headers, compression=compression, timeout=timeout,
            counters=counters,
        )
        self._encoder = _Encoder()
        self._encoded: Dict[int, Tuple[FinishedSpan, bytes]] = {}

    def encode(self, spans: Sequence[FinishedSpan]) -> Optional[bytes]:
        """One ``ExportTraceServiceRequest``, reusing the bytes :meth:`size_hint` made."""
        try:
            return self._encoder.encode(spans, self._encoded)
        finally:
            if len(self._encoded) > _SIZED_SPANS:
                self._encoded.clear()

    def size_hint(self, span: FinishedSpan) -> int:
        """The exact number of bytes ``span`` adds to a request (its ``Span`` message with
        key and length), not counting the resource and scope written once per request."""
        encoded = self._encoded
        try:
            field = self._encoder.span(span)
        except Exception:
            return super().size_hint(span)
        if len(encoded) >= _SIZED_SPANS:
            encoded.clear()
        encoded[id(span)] = (span, field)
        return len(field)


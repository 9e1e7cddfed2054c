"""W3C Trace Context: the ``traceparent`` and ``tracestate`` headers (``tracecontext``).

``traceparent: 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>``. Read by the
version-00 rules of the W3C Recommendation:

* hex is lowercase; an uppercase digit makes the header invalid;
* a trace id or parent id of all zeros is invalid; version ``ff`` is invalid;
* a version-00 header is exactly 55 characters; a later version (``01`` to ``fe``) is read
  by the version-00 rules from its first 55 characters, which may be followed only by
  ``-`` and more (what a future version adds);
* only the ``sampled`` bit (``01``) of the flags is used; other bits are ignored;
* optional whitespace around the value is ignored; two ``traceparent`` headers are
  invalid (the carrier joins them with a comma).

An invalid ``traceparent`` makes the whole context invalid, ``tracestate`` included.

``tracestate`` is kept member by member in ``SpanContext.trace_state`` and sent on as
received. A malformed member (bad key or value, no ``=``) is dropped, not the whole header;
so is a repeated key after its first occurrence. At most 32 members are kept, and when the
members would make a header longer than 512 characters, members longer than 128 characters
are dropped first, then members from the end, as the Recommendation suggests.

Written: version ``00``, the trace id as 32 digits (a 64-bit trace id left-padded with
zeros), flags ``01`` when sampled (a debug context is sampled) and ``00`` otherwise;
``tracestate`` only when there are members. Trace Context carries no baggage: configure the
``baggage`` codec beside it.
"""

from __future__ import annotations

import re
from typing import List, MutableMapping, Optional, Sequence, Tuple

from ..tracer.context import SpanContext
from ._base import Codec
from ._carrier import Carrier

__all__ = ["TraceContextCodec", "MAX_MEMBERS", "MAX_TRACESTATE_LENGTH"]

MAX_MEMBERS = 32
MAX_TRACESTATE_LENGTH = 512
_LONG_MEMBER = 128

_TRACEPARENT = re.compile(
    r"(?P<version>[0-9a-f]{2})-(?P<trace>[0-9a-f]{32})-(?P<span>[0-9a-f]{16})"
    r"-(?P<flags>[0-9a-f]{2})"
).match
_KEY_CHARS = r"[a-z0-9_\-*/]"
_MEMBER = re.compile(
    r"(?P<key>[a-z]%s{0,255}|[a-z0-9]%s{0,240}@[a-z]%s{0,13})"
    r"=(?P<value>[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e])"
    % (_KEY_CHARS, _KEY_CHARS, _KEY_CHARS)
).fullmatch
_OWS = " \t"


def parse_traceparent(value: str) -> Optional[Tuple[int, int, bool]]:
    """``(trace id, parent id, sampled)`` from a ``traceparent`` value, or None."""
    value = value.strip(_OWS)
    match = _TRACEPARENT(value)
    if match is None:
        return None
    version = match.group("version")
    if version == "ff" or (len(value) > 55 and (version == "00" or value[55] != "-")):
        return None
    trace_id = int(match.group("trace"), 16)
    span_id = int(match.group("span"), 16)
    if not trace_id or not span_id:
        return None
    return trace_id, span_id, bool(int(match.group("flags"), 16) & 1)


def parse_tracestate(value: str) -> Tuple[Tuple[str, str], ...]:
    """The well-formed members of a ``tracestate`` value, first occurrence of each key,
    within the limits."""
    members: List[Tuple[str, str]] = []
    seen = set()
    for raw in value.split(","):
        match = _MEMBER(raw.strip(_OWS))
        if match is None:
            continue
        key = match.group("key")
        if key in seen:
            continue
        seen.add(key)
        members.append((key, match.group("value")))
        if len(members) == MAX_MEMBERS:
            break
    return _within_length(members)


def _within_length(members: Sequence[Tuple[str, str]]) -> Tuple[Tuple[str, str], ...]:
    def length(ms: Sequence[Tuple[str, str]]) -> int:
        return sum(len(k) + len(v) + 1 for k, v in ms) + max(len(ms) - 1, 0)

    if length(members) <= MAX_TRACESTATE_LENGTH:
        return tuple(members)
    kept = [m for m in members if len(m[0]) + len(m[1]) + 1 <= _LONG_MEMBER]
    while length(kept) > MAX_TRACESTATE_LENGTH:
        kept.pop()
    return tuple(kept)


def format_tracestate(members: Sequence[Tuple[str, str]]) -> str:
    """The ``tracestate`` value for ``members``; any member that is not well-formed (one
    the tracer was given, say) is left out, so nothing illegal reaches the header."""
    valid = [(k, v) for k, v in members if _MEMBER("%s=%s" % (k, v)) is not None]
    return ",".join("%s=%s" % m for m in _within_length(valid[:MAX_MEMBERS]))


class TraceContextCodec(Codec):
    """W3C ``traceparent`` + ``tracestate``."""

    name = "tracecontext"
    fields = ("traceparent", "tracestate")
    trace_fields = ("traceparent",)

    def inject(self, context: SpanContext, carrier: MutableMapping[str, str]) -> None:
        carrier["traceparent"] = "00-%032x-%016x-%s" % (
            context.trace_id,
            context.span_id,
            "01" if context.sampled or context.debug else "00",
        )
        if context.trace_state:
            state = format_tracestate(context.trace_state)
            if state:
                carrier["tracestate"] = state

    def extract(self, carrier: Carrier) -> Optional[SpanContext]:
        value = carrier.get("traceparent")
        if value is None:
            return None
        parsed = parse_traceparent(value)
        if parsed is None:
            return None
        trace_id, span_id, sampled = parsed
        state = carrier.get("tracestate")
        return SpanContext(
            trace_id,
            span_id,
            sampled,
            trace_state=parse_tracestate(state) if state else (),
            remote=True,
        )

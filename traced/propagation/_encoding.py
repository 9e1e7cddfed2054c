"""What the codecs share: strict hex parsing, percent-encoding, and the baggage limits.

Baggage is percent-encoded per RFC 3986 (``%XX`` for each byte of the UTF-8 form) and
decoded with ``+`` staying ``+`` (never a space, which is form-encoding, not RFC 3986);
bytes that are not UTF-8 decode to U+FFFD, as W3C Baggage asks. What is encoded depends on
where the item travels:

* inside the W3C ``baggage`` header (:func:`encode_baggage`): everything outside the RFC
  3986 unreserved set ``A-Z a-z 0-9 - . _ ~``, so ``,``, ``;``, ``=``, spaces and ``+``
  (``%2B``, which form-decoding peers would otherwise read as a space) are encoded too;
* in a header of its own, ``uberctx-{key}: {value}`` or ``ot-baggage-{key}: {value}``
  (:func:`encode_baggage_headers`): only what a header cannot carry raw, so that peers
  that do not decode (basictracer, jaeger-client's ``TEXT_MAP``) still read plain values
  as they were: in values ``%``, control characters (CR, LF, tab, ...), DEL, non-ASCII
  text and spaces at either end; in the key (part of the header name, lowercased)
  everything that is not an HTTP token character, and ``%``.

Baggage limits, the same for every codec and both directions (those of W3C Baggage's
minimums and of OpenTelemetry, so what one accepts the other does): at most
:data:`MAX_BAGGAGE_ITEMS` items, an item at most :data:`MAX_BAGGAGE_ITEM_BYTES` bytes
encoded (``key=value``), all items together at most :data:`MAX_BAGGAGE_BYTES` bytes
encoded. An item beyond a limit is dropped (the later ones that still fit are kept), never
the whole baggage.
"""

from __future__ import annotations

import re
from typing import Dict, Iterable, List, Optional, Tuple
from urllib.parse import quote, unquote

from ..tracer.context import SpanContext

__all__ = [
    "MAX_BAGGAGE_BYTES",
    "MAX_BAGGAGE_ITEMS",
    "MAX_BAGGAGE_ITEM_BYTES",
    "decode_baggage",
    "encode_baggage",
    "encode_baggage_headers",
    "format_trace_id",
    "header_value",
    "hex_id",
    "limit_baggage",
    "percent_decode",
    "percent_encode",
]

MAX_BAGGAGE_ITEMS = 180
MAX_BAGGAGE_ITEM_BYTES = 4096
MAX_BAGGAGE_BYTES = 8192

_HEX = {n: re.compile("[0-9a-fA-F]{1,%d}" % n).fullmatch for n in (16, 32)}


def hex_id(text: str, max_digits: int) -> Optional[int]:
    """``text`` as a non-zero id of 1 to ``max_digits`` (16 or 32) hex digits of either
    case, else None (``int(text, 16)`` alone would accept ``0x``, ``_``, signs and
    spaces)."""
    if _HEX[max_digits](text) is None:
        return None
    value = int(text, 16)
    return value or None


def percent_encode(text: str) -> str:
    """``text`` with everything but RFC 3986 unreserved characters as ``%XX``."""
    return quote(text, safe="", errors="replace")  # a lone surrogate becomes "?"


def percent_decode(text: str) -> str:
    """The inverse of :func:`percent_encode`; ``+`` stays ``+``; a ``%`` not followed by
    two hex digits stays as it is."""
    return unquote(text) if "%" in text else text


def limit_baggage(items: Iterable[Tuple[str, str]]) -> List[Tuple[str, str]]:
    """The encoded ``(key, value)`` pairs of ``items`` that fit the baggage limits, in
    order."""
    kept: List[Tuple[str, str]] = []
    total = 0
    for key, value in items:
        size = len(key) + len(value) + 1  # encoded text is ASCII: characters are bytes
        if not (key.isascii() and value.isascii()):  # received raw from a lax sender
            size = len(key.encode("utf-8", "replace")) + len(value.encode("utf-8", "replace")) + 1
        if size > MAX_BAGGAGE_ITEM_BYTES or total + size > MAX_BAGGAGE_BYTES:
            continue
        kept.append((key, value))
        total += size + 1  # the separator
        if len(kept) == MAX_BAGGAGE_ITEMS:
            break
    return kept


def encode_baggage(baggage: Dict[str, str]) -> List[Tuple[str, str]]:
    """``baggage`` percent-encoded (keys and values) and cut to the limits."""
    return limit_baggage((percent_encode(k), percent_encode(v)) for k, v in baggage.items())


# printable ASCII but %: what a header value may hold raw (spaces at the ends aside)
_VALUE_SAFE = "".join(
    chr(c) for c in range(0x20, 0x7F) if chr(c) not in "%" and not chr(c).isalnum()
)
# token characters but %: what a header name may hold
_KEY_SAFE = "!#$&'*+-.^_`|~"


def header_value(text: str) -> str:
    """``text`` made safe for a header value: ``%``, control and non-ASCII characters and
    spaces at the ends percent-encoded, everything else raw."""
    encoded = quote(text, safe=_VALUE_SAFE, errors="replace")
    if encoded[:1] == " " or encoded[-1:] == " ":
        body = encoded.strip(" ")
        lead = len(encoded) - len(encoded.lstrip(" "))
        trail = len(encoded) - lead - len(body) if body else 0
        encoded = "%20" * lead + body + "%20" * trail
    return encoded


def encode_baggage_headers(baggage: Dict[str, str]) -> List[Tuple[str, str]]:
    """``baggage`` encoded for one header per item (key lowercased and made a token,
    value made header-safe), cut to the limits."""
    return limit_baggage(
        (quote(k, safe=_KEY_SAFE, errors="replace").lower(), header_value(v))
        for k, v in baggage.items()
    )


def decode_baggage(items: Iterable[Tuple[str, str]]) -> Dict[str, str]:
    """Received encoded ``(key, value)`` pairs, cut to the limits, decoded."""
    return {percent_decode(k): percent_decode(v) for k, v in limit_baggage(items) if k}


def format_trace_id(context: SpanContext) -> str:
    """The trace id as 16 hex digits when it arrived as a 64-bit id (and fits), else 32:
    a service that only knows 64-bit ids gets back the width it sent."""
    if context.trace_id_bits == 64 and context.trace_id >> 64 == 0:
        return "%016x" % context.trace_id
    return "%032x" % context.trace_id

"""W3C Baggage: the ``baggage`` header (``baggage``).

``baggage: key1=value1,key2=value2;property``. This codec carries baggage only: it finds
no span context of its own, and the composite merges what it reads into the context that
the trace codecs (``tracecontext``, ``b3``, ...) found. Baggage without a span context is
not kept (there is no context to carry it).

Written: one ``key=value`` list member per item, key and value percent-encoded per RFC
3986 (see :mod:`traced.propagation._encoding`: CR, LF, ``,``, ``;``, ``=``, spaces and
non-ASCII text are ``%XX``, a ``+`` is ``%2B``), within the baggage limits (180 items, 4096
bytes per item, 8192 bytes in all); nothing when there is no baggage.

Read: members are split on ``,``; optional whitespace is trimmed; properties (after
``;``) are ignored; a member whose key is not an HTTP token or whose value holds a
character W3C Baggage does not allow unencoded (a space, ``"``, ``,``, ``;``, ``\\``,
control or non-ASCII characters) is dropped, not the whole header. Keys and values are
percent-decoded; a ``+`` stays a ``+`` (W3C Baggage uses RFC 3986, not form-encoding,
although some senders encode a space as ``+``). Keys keep their case; a repeated key keeps
its last value.
"""

from __future__ import annotations

import re
from typing import Dict, List, MutableMapping, Optional, Tuple

from ..tracer.context import SpanContext
from ._base import Codec
from ._carrier import Carrier
from ._encoding import decode_baggage, encode_baggage

__all__ = ["BaggageCodec"]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+").fullmatch
_VALUE = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*").fullmatch
_OWS = " \t"


def parse_baggage(value: str) -> Dict[str, str]:
    """The items of a ``baggage`` header value, decoded, within the limits."""
    members: List[Tuple[str, str]] = []
    for member in value.split(","):
        pair = member.split(";", 1)[0]
        key, eq, val = pair.partition("=")
        key, val = key.strip(_OWS), val.strip(_OWS)
        if eq and _TOKEN(key) is not None and _VALUE(val) is not None:
            members.append((key, val))
    return decode_baggage(members)


class BaggageCodec(Codec):
    """W3C ``baggage``; carries baggage only."""

    name = "baggage"
    fields = ("baggage",)
    carries_trace = False

    def inject(self, context: SpanContext, carrier: MutableMapping[str, str]) -> None:
        if context.baggage:
            items = encode_baggage(context.baggage)
            if items:
                carrier["baggage"] = ",".join("%s=%s" % kv for kv in items)

    def extract(self, carrier: Carrier) -> Optional[SpanContext]:
        return None

    def extract_baggage(self, carrier: Carrier) -> Dict[str, str]:
        value = carrier.get("baggage")
        return parse_baggage(value) if value else {}

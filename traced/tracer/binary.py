"""The recording tracer's own ``Format.BINARY`` encoding of a span context.

Layout, appended to a ``bytearray`` carrier: the 4 bytes ``b"TRC1"``, the trace id (16
bytes, big-endian), the span id (8 bytes), one flags byte (1 = sampled, 2 = debug), then
the baggage as UTF-8 JSON (an object of strings; empty when there is none).
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

from opentracing import InvalidCarrierException, SpanContextCorruptedException

from .context import SpanContext

__all__ = ["extract_binary", "inject_binary"]

_MAGIC = b"TRC1"
_HEADER = len(_MAGIC) + 16 + 8 + 1


def inject_binary(context: SpanContext, carrier: Any) -> None:
    """Append ``context`` to ``carrier``, a ``bytearray``."""
    if not isinstance(carrier, bytearray):
        raise InvalidCarrierException(
            "a BINARY carrier must be a bytearray, not %s" % type(carrier).__name__
        )
    flags = (1 if context.sampled else 0) | (2 if context.debug else 0)
    carrier += _MAGIC
    carrier += context.trace_id.to_bytes(16, "big")
    carrier += context.span_id.to_bytes(8, "big")
    carrier.append(flags)
    if context.baggage:
        carrier += json.dumps(context.baggage, separators=(",", ":")).encode("utf-8")


def extract_binary(carrier: Any) -> Optional[SpanContext]:
    """The context in ``carrier`` (``bytes`` or ``bytearray``), or None when it is empty.

    :raises InvalidCarrierException: the carrier is not bytes.
    :raises SpanContextCorruptedException: it holds something that is not a context
        written by :func:`inject_binary`.
    """
    if not isinstance(carrier, (bytes, bytearray)):
        raise InvalidCarrierException(
            "a BINARY carrier must be bytes or a bytearray, not %s" % type(carrier).__name__
        )
    if not carrier:
        return None
    data = bytes(carrier)
    if len(data) < _HEADER or not data.startswith(_MAGIC):
        raise SpanContextCorruptedException("not a traced BINARY span context")
    trace_id = int.from_bytes(data[4:20], "big")
    span_id = int.from_bytes(data[20:28], "big")
    flags = data[28]
    if not trace_id or not span_id or flags > 3:
        raise SpanContextCorruptedException("zero ids or unknown flags in a BINARY span context")
    baggage: Dict[str, str] = {}
    if len(data) > _HEADER:
        try:
            decoded = json.loads(data[_HEADER:].decode("utf-8"))
        except ValueError as exc:
            raise SpanContextCorruptedException("BINARY baggage is not JSON: %s" % exc) from None
        if not isinstance(decoded, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in decoded.items()
        ):
            raise SpanContextCorruptedException("BINARY baggage must map strings to strings")
        baggage = decoded
    return SpanContext(
        trace_id, span_id, bool(flags & 1), baggage, debug=bool(flags & 2), remote=True
    )

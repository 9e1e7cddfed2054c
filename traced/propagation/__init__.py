"""Propagation codecs of the recording tracer: a span context to headers and back.

One codec per wire format, each in its own module and registered under its
``OTEL_PROPAGATORS`` name:

==================  ============================================================
``tracecontext``    W3C ``traceparent`` + ``tracestate``
``baggage``         W3C ``baggage`` (baggage only)
``b3``              B3 single header ``b3``
``b3multi``         B3 ``X-B3-TraceId``, ``-SpanId``, ``-ParentSpanId``, ``-Sampled``, ``-Flags``
``jaeger``          Jaeger ``uber-trace-id``, ``uberctx-*``, ``jaeger-debug-id``
``ottrace``         OpenTracing ``ot-tracer-traceid``/``-spanid``/``-sampled``, ``ot-baggage-*``
``none``            no codec: nothing injected, nothing extracted
==================  ============================================================

:func:`composite` builds a :class:`Propagator` from names (``"tracecontext,baggage"``, the
default, as OpenTelemetry's), and the tracer uses it for ``Format.TEXT_MAP`` and
``Format.HTTP_HEADERS`` alike (both are written HTTP-safe):

* **inject** writes every configured format. Header names are written in lowercase;
  baggage is percent-encoded, so CR, LF and other characters illegal in a header are never
  written raw; baggage is cut to 180 items, 4096 bytes per item and 8192 bytes in all.
* **extract** reads the carrier once, whatever it is (a dict, any ``Mapping`` such as the
  header objects of requests, httpx, aiohttp or Starlette, a WSGI ``environ`` with
  ``HTTP_TRACEPARENT`` keys, or a list of pairs), matching names case-insensitively. The
  codecs that carry a span context are tried in the configured order and the first one
  whose headers are present and well-formed wins; one whose headers are malformed is
  passed over. The context comes back with ``remote=True``, carrying the winning codec's
  own baggage with the W3C ``baggage`` items merged on top.
* **A decision without ids.** ``b3: 0``/``1``/``d``, ``X-B3-Sampled`` or ``X-B3-Flags: 1``
  with no id headers, and a lone ``jaeger-debug-id`` carry the caller's sampling decision
  but no ids: extract gives a :class:`~traced.tracer.context.DecisionContext` (ids 0),
  used only when no codec finds a context with ids (the first codec's decision wins among
  decisions). The tracer starts a new trace under it that follows the decision. Injected,
  it writes the decision alone (``b3: 0``, ``x-b3-sampled: 0``, ``jaeger-debug-id``) in
  the formats that can express it, plus ``baggage``; ``traceparent`` and ``ot-tracer-*``
  cannot, and write nothing.
* **None or an exception.** An empty carrier, or one without any configured codec's span
  context headers, gives None. Headers that are present but malformed (a bad id, version
  ``ff``, uppercase hex in ``traceparent``, ...) give None as well, so the tracer starts a
  new trace: a malformed header from a client must not fail the request. A propagator
  built with ``strict=True`` raises ``opentracing.SpanContextCorruptedException`` instead
  when at least one codec's span context headers were present and all of those were
  malformed: the OpenTracing API's "present but not well-formed" case. A carrier that is
  not a mapping raises ``opentracing.InvalidCarrierException``. Nothing else escapes
  extract, whatever the headers hold.

Each codec module's docstring gives its format's rules and our decisions.
"""

from __future__ import annotations

import importlib
from typing import Dict, Iterable, List, Tuple, Union

from ._base import Codec
from ._carrier import Carrier
from ._composite import Propagator

__all__ = [
    "Carrier",
    "Codec",
    "DEFAULT_PROPAGATORS",
    "PROPAGATOR_NAMES",
    "Propagator",
    "codec_by_name",
    "composite",
    "default_propagator",
]

# name -> (module, class): a new codec is a module and one line here.
_REGISTRY: Dict[str, Tuple[str, str]] = {
    "b3": ("b3", "B3SingleCodec"),
    "b3multi": ("b3multi", "B3MultiCodec"),
    "baggage": ("baggage", "BaggageCodec"),
    "jaeger": ("jaeger", "JaegerCodec"),
    "ottrace": ("ottrace", "OTTraceCodec"),
    "tracecontext": ("tracecontext", "TraceContextCodec"),
}

#: Every name accepted in ``OTEL_PROPAGATORS`` and by :func:`composite`.
PROPAGATOR_NAMES: Tuple[str, ...] = tuple(sorted([*_REGISTRY, "none"]))
#: OpenTelemetry's default, and ours.
DEFAULT_PROPAGATORS: Tuple[str, ...] = ("tracecontext", "baggage")


def _accepted() -> str:
    return ", ".join(PROPAGATOR_NAMES)


def codec_by_name(name: str) -> Codec:
    """A new codec for one ``OTEL_PROPAGATORS`` name (``"b3multi"``...). Raises
    ``ValueError`` naming the accepted values for any other name (``"none"`` included:
    it is no codec)."""
    try:
        module, cls = _REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(
            "unknown propagation codec %r; accepted: %s" % (name, ", ".join(sorted(_REGISTRY)))
        ) from None
    codec: Codec = getattr(importlib.import_module("." + module, __name__), cls)()
    return codec


def composite(
    names: Union[str, Iterable[str]] = DEFAULT_PROPAGATORS, *, strict: bool = False
) -> Propagator:
    """A :class:`Propagator` for ``names``: a comma-separated string as in
    ``OTEL_PROPAGATORS`` (``"tracecontext,baggage,b3multi"``) or an iterable of names, in
    extraction order. Names are matched ignoring case and surrounding spaces; a repeated
    name counts once; ``"none"`` alone gives a propagator that does nothing. Raises
    ``ValueError`` naming the accepted values for an unknown name, or ``"none"`` beside
    others."""
    if isinstance(names, str):
        names = names.split(",")
    wanted: List[str] = []
    for raw in names:
        if not isinstance(raw, str):
            raise ValueError(
                "propagator names are strings, not %r; accepted: %s" % (raw, _accepted())
            )
        name = raw.strip().lower()
        if name and name not in wanted:
            wanted.append(name)
    if "none" in wanted:
        if len(wanted) > 1:
            raise ValueError(
                "propagator 'none' cannot be combined with %s; accepted: %s"
                % (", ".join(n for n in wanted if n != "none"), _accepted())
            )
        return Propagator((), strict=strict)
    unknown = [n for n in wanted if n not in _REGISTRY]
    if unknown:
        raise ValueError(
            "unknown propagator %s; accepted: %s"
            % (", ".join(repr(n) for n in unknown), _accepted())
        )
    return Propagator([codec_by_name(n) for n in wanted], strict=strict)


def default_propagator(*, strict: bool = False) -> Propagator:
    """The propagator for :data:`DEFAULT_PROPAGATORS`: W3C ``traceparent``/``tracestate``
    and ``baggage``."""
    return composite(DEFAULT_PROPAGATORS, strict=strict)

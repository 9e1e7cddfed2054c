"""Interoperability with OpenTelemetry's propagators (opentelemetry-api/-sdk,
opentelemetry-propagator-b3, opentelemetry-propagator-jaeger, pinned in the ``tests``
extra): what our codec injects, theirs extracts to the same trace id, span id, sampled flag
and baggage, and the other way round, for each format, with 64- and 128-bit ids.

OpenTelemetry has no debug flag in its span context: a debug context of ours reaches it as
sampled. Its Jaeger propagator sets the debug bit on every sampled context it injects, so a
sampled context from it reaches us as debug. Two deviations of theirs are pinned by tests
below: their W3C Baggage encoder writes a space as ``+`` (form-encoding; W3C Baggage is RFC
3986, where ``+`` is a plus), and their decoders strip spaces from the ends of values.
"""

from __future__ import annotations

from typing import Dict, Tuple

import pytest

otel_trace = pytest.importorskip("opentelemetry.trace")
from opentelemetry import baggage as otel_baggage  # noqa: E402
from opentelemetry.baggage.propagation import W3CBaggagePropagator  # noqa: E402
from opentelemetry.context import Context  # noqa: E402
from opentelemetry.propagators.b3 import B3MultiFormat, B3SingleFormat  # noqa: E402
from opentelemetry.propagators.jaeger import JaegerPropagator  # noqa: E402
from opentelemetry.trace import NonRecordingSpan, TraceFlags  # noqa: E402
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator  # noqa: E402
from opentelemetry.trace.span import TraceState  # noqa: E402

from traced.propagation import composite  # noqa: E402
from traced.tracer.context import SpanContext  # noqa: E402

from ._helpers import AWKWARD, SPAN, TRACE_64, TRACE_128  # noqa: E402

# our codec names -> their propagators (ours with W3C baggage where theirs is W3C too)
PEERS = {
    "tracecontext": (
        ("tracecontext", "baggage"),
        lambda: [TraceContextTextMapPropagator(), W3CBaggagePropagator()],
    ),
    "b3": (("b3",), lambda: [B3SingleFormat()]),
    "b3multi": (("b3multi",), lambda: [B3MultiFormat()]),
    "jaeger": (("jaeger",), lambda: [JaegerPropagator()]),
}
BAGGAGE_CARRIED = {"tracecontext", "jaeger"}

# what both sides carry faithfully: their decoders strip the ends of values; their W3C
# encoder writes a space as "+" (tested on its own below)
SAFE = {k: v for k, v in AWKWARD.items() if v == v.strip() and k != "empty"}
SAFE_FROM_THEIR_W3C = {k: v for k, v in SAFE.items() if " " not in v}

CASES = [
    (bits, sampled, debug)
    for bits in (64, 128)
    for sampled, debug in ((True, False), (False, False), (False, True))
]


def their_inject(  # type: ignore[no-untyped-def]
    peers, trace_id: int, span_id: int, sampled: bool, bag: Dict[str, str], state=None
) -> Dict[str, str]:
    ctx = otel_trace.set_span_in_context(
        NonRecordingSpan(
            otel_trace.SpanContext(
                trace_id,
                span_id,
                is_remote=False,
                trace_flags=TraceFlags(TraceFlags.SAMPLED if sampled else 0),
                trace_state=state or TraceState(),
            )
        ),
        Context(),
    )
    for key, value in bag.items():
        ctx = otel_baggage.set_baggage(key, value, ctx)
    carrier: Dict[str, str] = {}
    for peer in peers:
        peer.inject(carrier, context=ctx)
    return carrier


def their_extract(  # type: ignore[no-untyped-def]
    peers, carrier: Dict[str, str]
) -> Tuple[otel_trace.SpanContext, Dict[str, object]]:
    ctx = Context()
    for peer in peers:
        ctx = peer.extract(carrier, context=ctx)
    return otel_trace.get_current_span(ctx).get_span_context(), dict(otel_baggage.get_all(ctx))


@pytest.mark.parametrize("name", sorted(PEERS))
@pytest.mark.parametrize("bits,sampled,debug", CASES)
def test_ours_to_theirs(name: str, bits: int, sampled: bool, debug: bool) -> None:
    names, peers = PEERS[name]
    bag = SAFE if name in BAGGAGE_CARRIED else {}
    trace_id = TRACE_64 if bits == 64 else TRACE_128
    carrier: Dict[str, str] = {}
    composite(names).inject(
        SpanContext(trace_id, SPAN, sampled, bag, debug=debug, trace_id_bits=bits), carrier
    )
    span_context, their_bag = their_extract(peers(), carrier)
    assert span_context.is_valid and span_context.is_remote
    assert (span_context.trace_id, span_context.span_id) == (trace_id, SPAN)
    assert span_context.trace_flags.sampled is (sampled or debug)
    assert their_bag == bag


@pytest.mark.parametrize("name", sorted(PEERS))
@pytest.mark.parametrize("bits,sampled", [(64, True), (64, False), (128, True), (128, False)])
def test_theirs_to_ours(name: str, bits: int, sampled: bool) -> None:
    names, peers = PEERS[name]
    bag = (
        (SAFE_FROM_THEIR_W3C if name == "tracecontext" else SAFE) if name in BAGGAGE_CARRIED else {}
    )
    trace_id = TRACE_64 if bits == 64 else TRACE_128
    carrier = their_inject(peers(), trace_id, SPAN, sampled, bag)
    ours = composite(names, strict=True).extract(carrier)
    assert ours is not None and ours.remote
    assert (ours.trace_id, ours.span_id, ours.sampled) == (trace_id, SPAN, sampled)
    # their Jaeger propagator marks every sampled context debug
    assert ours.debug is (name == "jaeger" and sampled)
    assert ours.baggage == bag
    # and what we send on, they read back unchanged
    again: Dict[str, str] = {}
    composite(names).inject(ours, again)
    span_context, their_bag = their_extract(peers(), again)
    assert (span_context.trace_id, span_context.span_id, span_context.trace_flags.sampled) == (
        trace_id,
        SPAN,
        sampled,
    )
    assert their_bag == bag


def test_tracestate_both_ways() -> None:
    state = TraceState([("rojo", "00f067aa0ba902b7"), ("congo", "t61rcWkgMzE"), ("a@b", "x y")])
    carrier = their_inject([TraceContextTextMapPropagator()], TRACE_128, SPAN, True, {}, state)
    ours = composite("tracecontext").extract(carrier)
    assert ours.trace_state == tuple(state.items())
    again: Dict[str, str] = {}
    composite("tracecontext").inject(ours, again)
    span_context, _ = their_extract([TraceContextTextMapPropagator()], again)
    assert span_context.trace_state == state


def test_their_w3c_baggage_space_is_a_plus() -> None:
    """Their encoder writes ``a b`` as ``a+b``; W3C Baggage is RFC 3986 percent-encoding,
    where ``+`` is a plus, so we read ``a+b`` (their own decoder undoes their encoding).
    Our ``%20`` and ``%2B`` they read correctly (test_ours_to_theirs)."""
    carrier = their_inject(
        [TraceContextTextMapPropagator(), W3CBaggagePropagator()],
        TRACE_128,
        SPAN,
        True,
        {"k": "a b", "p": "1+1"},
    )
    assert carrier["baggage"] == "k=a+b,p=1%2B1"
    ours = composite("tracecontext,baggage").extract(carrier)
    assert ours.baggage == {"k": "a+b", "p": "1+1"}


def test_the_value_ends_they_strip() -> None:
    carrier: Dict[str, str] = {}
    composite("jaeger").inject(SpanContext(TRACE_128, SPAN, True, {"k": "  padded  "}), carrier)
    assert their_extract([JaegerPropagator()], carrier)[1] == {"k": "padded"}
    assert composite("jaeger").extract(carrier).baggage == {"k": "  padded  "}

"""Interoperability with jaeger-client 4.8.0's codecs (``TextCodec(url_encoding=True)``,
the one its tracer uses for ``HTTP_HEADERS``, and ``B3Codec``) and basictracer 3.2.0's
``TextPropagator`` (the ``ot-tracer-*`` headers): what ours injects, theirs extracts to the
same trace id, span id, sampled/debug flags and baggage, and the other way round, with 64-
and 128-bit ids. Both libraries come from ``.cache/compat`` (see tests/compat/conftest.py).

jaeger-client writes ids without leading zeros and reads baggage keys in lowercase, so the
baggage keys here are lowercase. basictracer writes baggage values raw (no encoding), so
its values here hold nothing a header cannot carry raw.
"""

from __future__ import annotations

from typing import Any, Dict

import pytest

from traced.propagation import composite
from traced.tracer.context import SpanContext

from ._helpers import AWKWARD, SPAN, TRACE_64, TRACE_128

pytestmark = pytest.mark.compat

FLAGS = {(True, False): 1, (False, False): 0, (True, True): 3}
CASES = [(bits, sampled, debug) for bits in (64, 128) for sampled, debug in FLAGS]


@pytest.fixture
def codecs(jaeger_client_lib: Any) -> Any:
    from jaeger_client import codecs

    return codecs


@pytest.fixture
def jaeger_context(jaeger_client_lib: Any) -> Any:
    from jaeger_client.span_context import SpanContext as JaegerContext

    return JaegerContext


@pytest.mark.parametrize("bits,sampled,debug", CASES)
def test_jaeger_ours_to_theirs(codecs: Any, bits: int, sampled: bool, debug: bool) -> None:
    trace_id = TRACE_64 if bits == 64 else TRACE_128
    carrier: Dict[str, str] = {}
    composite("jaeger").inject(
        SpanContext(trace_id, SPAN, sampled, AWKWARD, debug=debug, trace_id_bits=bits), carrier
    )
    theirs = codecs.TextCodec(url_encoding=True).extract(carrier)
    assert (theirs.trace_id, theirs.span_id, theirs.flags) == (
        trace_id,
        SPAN,
        FLAGS[sampled, debug],
    )
    assert theirs.baggage == AWKWARD


@pytest.mark.parametrize("bits,sampled,debug", CASES)
def test_jaeger_theirs_to_ours(
    codecs: Any, jaeger_context: Any, bits: int, sampled: bool, debug: bool
) -> None:
    trace_id = TRACE_64 if bits == 64 else TRACE_128
    carrier: Dict[str, str] = {}
    theirs = jaeger_context(
        trace_id=trace_id, span_id=SPAN, parent_id=7, flags=FLAGS[sampled, debug], baggage=AWKWARD
    )
    codecs.TextCodec(url_encoding=True).inject(theirs, carrier)
    ours = composite("jaeger", strict=True).extract(carrier)
    assert (ours.trace_id, ours.span_id, ours.sampled, ours.debug) == (
        trace_id,
        SPAN,
        sampled,
        debug,
    )
    assert ours.parent_id == 7 and ours.remote and ours.baggage == AWKWARD
    # sent on: they read back the same, at the width they sent (theirs pads nothing)
    again: Dict[str, str] = {}
    composite("jaeger").inject(ours, again)
    back = codecs.TextCodec(url_encoding=True).extract(again)
    assert (back.trace_id, back.span_id, back.flags, back.baggage) == (
        trace_id,
        SPAN,
        FLAGS[sampled, debug],
        AWKWARD,
    )
    assert len(again["uber-trace-id"].split(":")[0]) == (16 if bits == 64 else 32)


def test_jaeger_encoded_separator_and_debug_id(codecs: Any, jaeger_context: Any) -> None:
    carrier = {"uber-trace-id": "abc%3Adef%3A0%3A1", "jaeger-debug-id": "req-1"}
    theirs = codecs.TextCodec(url_encoding=True).extract(carrier)
    ours = composite("jaeger").extract(carrier)
    assert (ours.trace_id, ours.span_id) == (theirs.trace_id, theirs.span_id) == (0xABC, 0xDEF)
    assert ours.debug and theirs.debug_id == "req-1"


@pytest.mark.parametrize("bits,sampled,debug", CASES)
def test_b3_ours_to_theirs(codecs: Any, bits: int, sampled: bool, debug: bool) -> None:
    trace_id = TRACE_64 if bits == 64 else TRACE_128
    carrier: Dict[str, str] = {}
    composite("b3multi").inject(
        SpanContext(trace_id, SPAN, sampled, debug=debug, parent_id=7, trace_id_bits=bits), carrier
    )
    theirs = codecs.B3Codec().extract(carrier)
    assert (theirs.trace_id, theirs.span_id, theirs.parent_id) == (trace_id, SPAN, 7)
    # theirs reads X-B3-Flags: 1 as its debug bit alone, without the sampled bit
    assert theirs.flags == (2 if debug else 1 if sampled else 0)


@pytest.mark.parametrize("bits,sampled,debug", CASES)
def test_b3_theirs_to_ours(
    codecs: Any, jaeger_context: Any, bits: int, sampled: bool, debug: bool
) -> None:
    trace_id = TRACE_64 if bits == 64 else TRACE_128
    carrier: Dict[str, str] = {}
    theirs = jaeger_context(
        trace_id=trace_id, span_id=SPAN, parent_id=7, flags=FLAGS[sampled, debug]
    )
    codecs.B3Codec(generate_128bit_trace_id=bits == 128).inject(theirs, carrier)
    ours = composite("b3multi", strict=True).extract(carrier)
    assert (ours.trace_id, ours.span_id, ours.parent_id) == (trace_id, SPAN, 7)
    assert (ours.sampled, ours.debug, ours.trace_id_bits) == (sampled, debug, bits)
    again: Dict[str, str] = {}
    composite("b3multi").inject(ours, again)
    assert again["x-b3-traceid"] == carrier["X-B3-TraceId"]  # the width they sent
    back = codecs.B3Codec().extract(again)
    assert (back.trace_id, back.span_id) == (trace_id, SPAN)


PLAIN = {"user": "ada", "plan": "pro 1+1", "note": "k=v,w;x"}


@pytest.mark.parametrize("bits", [64, 128])
@pytest.mark.parametrize("sampled", [True, False])
def test_ottrace_basictracer_both_ways(basictracer_lib: Any, bits: int, sampled: bool) -> None:
    from basictracer.context import SpanContext as BasicContext
    from basictracer.text_propagator import TextPropagator

    trace_id = TRACE_64 if bits == 64 else TRACE_128
    carrier: Dict[str, str] = {}
    composite("ottrace").inject(
        SpanContext(trace_id, SPAN, sampled, PLAIN, trace_id_bits=bits), carrier
    )
    theirs = TextPropagator().extract(carrier)
    assert (theirs.trace_id, theirs.span_id, theirs.sampled) == (trace_id, SPAN, sampled)
    assert theirs.baggage == PLAIN  # they do not decode: plain values travel raw

    carrier = {}
    TextPropagator().inject(BasicContext(trace_id, SPAN, PLAIN, sampled), carrier)
    ours = composite("ottrace", strict=True).extract(carrier)
    assert (ours.trace_id, ours.span_id, ours.sampled) == (trace_id, SPAN, sampled)
    assert ours.baggage == PLAIN and ours.remote

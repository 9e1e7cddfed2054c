"""B3 single (``b3``) and multi (``X-B3-*``) header rules."""

from __future__ import annotations

import pytest
from opentracing import SpanContextCorruptedException

from traced.propagation import composite
from traced.tracer.context import DecisionContext, SpanContext

T128 = "4bf92f3577b34da6a3ce929d0e0e4736"
T64 = "a3ce929d0e0e4736"
S = "00f067aa0ba902b7"
P = "0020000000000001"
SINGLE, MULTI = composite("b3"), composite("b3multi")


def test_single_forms() -> None:
    ctx = SINGLE.extract({"b3": "%s-%s-1-%s" % (T128, S, P)})
    assert (
        ctx.sampled and not ctx.debug and ctx.parent_id == int(P, 16) and ctx.trace_id_bits == 128
    )
    ctx = SINGLE.extract({"b3": "%s-%s" % (T64, S)})  # deferred: not sampled
    assert not ctx.sampled and ctx.trace_id_bits == 64 and ctx.trace_id_hex == T64
    ctx = SINGLE.extract({"b3": "%s-%s-d" % (T64, S)})
    assert ctx.sampled and ctx.debug
    assert not SINGLE.extract({"b3": "%s-%s-0" % (T128.upper(), S)}).sampled


@pytest.mark.parametrize(
    "value",
    [
        "%s-%s-x" % (T128, S),
        "%s-%s-1-bad" % (T128, S),
        "%s-%s-1-%s-extra" % (T128, S, P),
        "%s-%s" % (T128[:-1], S),
        "%s-%s" % (T64, S + "0"),
        "%s-%s" % ("0" * 32, S),
        "%s-%s" % (T64, "0" * 16),
        "%s" % T128,
    ],
)
def test_single_malformed(value: str) -> None:
    assert SINGLE.extract({"b3": value}) is None
    with pytest.raises(SpanContextCorruptedException):
        composite("b3", strict=True).extract({"b3": value})


@pytest.mark.parametrize(
    "state,sampled,debug", [("0", False, False), ("1", True, False), ("d", True, True)]
)
def test_single_sampling_only_is_a_decision_not_malformed(
    state: str, sampled: bool, debug: bool
) -> None:
    assert composite("b3", strict=True).extract({"b3": state}) == DecisionContext(
        sampled, debug=debug
    )


def test_single_inject() -> None:
    carrier: dict = {}
    SINGLE.inject(
        SpanContext(int(T64, 16), int(S, 16), True, trace_id_bits=64, parent_id=5), carrier
    )
    assert carrier == {"b3": "%s-%s-1" % (T64, S)}
    carrier = {}
    SINGLE.inject(SpanContext(int(T128, 16), int(S, 16), False, debug=True), carrier)
    assert carrier == {"b3": "%s-%s-d" % (T128, S)}


def test_multi_flags_and_sampled_values() -> None:
    base = {"X-B3-TraceId": T64, "X-B3-SpanId": S}
    assert MULTI.extract({**base, "X-B3-Flags": "1"}).debug
    assert MULTI.extract({**base, "X-B3-Flags": "1", "X-B3-Sampled": "0"}).sampled
    for value, sampled in (
        ("1", True),
        ("true", True),
        ("True", True),
        ("0", False),
        ("false", False),
        ("maybe", False),
    ):
        assert MULTI.extract({**base, "X-B3-Sampled": value}).sampled is sampled
    assert not MULTI.extract(base).sampled  # deferred


def test_multi_parent_and_width() -> None:
    ctx = MULTI.extract(
        {"x-b3-traceid": T64, "x-b3-spanid": S, "x-b3-parentspanid": P, "x-b3-sampled": "1"}
    )
    assert ctx.parent_id == int(P, 16) and ctx.trace_id_bits == 64
    carrier: dict = {}
    MULTI.inject(ctx, carrier)
    assert carrier == {
        "x-b3-traceid": T64,
        "x-b3-spanid": S,
        "x-b3-parentspanid": P,
        "x-b3-sampled": "1",
    }
    ctx = MULTI.extract({"x-b3-traceid": T64, "x-b3-spanid": S, "x-b3-parentspanid": "junk"})
    assert ctx is not None and ctx.parent_id is None  # a bad parent id is ignored


def test_multi_debug_written_without_sampled() -> None:
    carrier: dict = {}
    MULTI.inject(SpanContext(int(T128, 16), int(S, 16), True, debug=True), carrier)
    assert carrier == {"x-b3-traceid": T128, "x-b3-spanid": S, "x-b3-flags": "1"}


@pytest.mark.parametrize(
    "trace,span",
    [(T64, None), (None, S), (T64 + "0", S), (T64, S[:-1]), ("0x" + T64[2:], S), (" " * 16, S)],
)
def test_multi_malformed(trace, span) -> None:  # type: ignore[no-untyped-def]
    carrier = {k: v for k, v in (("x-b3-traceid", trace), ("x-b3-spanid", span)) if v is not None}
    assert MULTI.extract(carrier) is None
    with pytest.raises(SpanContextCorruptedException):
        composite("b3multi", strict=True).extract(carrier)


def test_multi_sampling_only_is_a_decision() -> None:
    assert composite("b3multi", strict=True).extract({"x-b3-sampled": "0"}) == DecisionContext(
        False
    )


def test_a_64_bit_trace_id_with_high_bits_is_sent_at_128() -> None:
    carrier: dict = {}
    MULTI.inject(SpanContext(1 << 70, 1, True, trace_id_bits=64), carrier)
    assert len(carrier["x-b3-traceid"]) == 32

"""W3C Trace Context rules, one test each: versions, ids, hex case, flags, tracestate
members and limits."""

from __future__ import annotations

import pytest

from traced.propagation import composite
from traced.propagation.tracecontext import MAX_MEMBERS, format_tracestate, parse_tracestate
from traced.tracer.context import SpanContext

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"
VALID = "00-%s-%s-01" % (TRACE, SPAN)
P = composite("tracecontext")


def extract(traceparent: str, **more: str):  # type: ignore[no-untyped-def]
    return P.extract({"traceparent": traceparent, **more})


def test_valid() -> None:
    ctx = extract(VALID)
    assert ctx is not None and ctx.remote and ctx.sampled and not ctx.debug
    assert (ctx.trace_id_hex, ctx.span_id_hex) == (TRACE, SPAN)


def test_version_ff_is_invalid() -> None:
    assert extract("ff" + VALID[2:]) is None


@pytest.mark.parametrize(
    "header", ["00-%s-%s-01" % ("0" * 32, SPAN), "00-%s-%s-01" % (TRACE, "0" * 16)]
)
def test_all_zero_ids_are_invalid(header: str) -> None:
    assert extract(header) is None


@pytest.mark.parametrize(
    "header",
    [
        VALID.upper(),
        "00-%s-%s-01" % (TRACE.upper(), SPAN),
        "00-%s-%s-01" % (TRACE, SPAN.upper()),
        VALID[:-2] + "0A",
        "0A" + VALID[2:],
    ],
)
def test_uppercase_hex_is_invalid(header: str) -> None:
    assert extract(header) is None


def test_future_version_read_by_version_00_rules() -> None:
    for header in (
        "cc" + VALID[2:],
        "cc" + VALID[2:] + "-what-the-future-adds",
        "01" + VALID[2:] + "-x",
    ):
        ctx = extract(header)
        assert ctx is not None and ctx.trace_id_hex == TRACE and ctx.sampled
    # the future's extra part must be separated by a dash, and the first 55 by the rules
    assert extract("cc" + VALID[2:] + "x") is None
    assert extract("cc-%s-%s-0" % (TRACE, SPAN)) is None
    assert extract("cc-%s-%s-01" % (TRACE.upper(), SPAN)) is None


def test_version_00_with_more_is_invalid() -> None:
    assert extract(VALID + "-01") is None
    assert extract(VALID + "0") is None


@pytest.mark.parametrize(
    "header",
    [
        VALID[:-1],
        "0-%s-%s-01" % (TRACE, SPAN),
        "00-%s-%s-01" % (TRACE[:-1], SPAN),
        "00-%s-%s-01" % (TRACE, SPAN[:-1]),
        "00_%s_%s_01" % (TRACE, SPAN),
        "00-%s-%s-0g" % (TRACE, SPAN),
        "00-%s-%s-01" % (TRACE[:-1] + "g", SPAN),
        "",
        VALID + "," + VALID,  # two traceparent headers
    ],
)
def test_malformed(header: str) -> None:
    assert extract(header) is None


def test_flags() -> None:
    assert not extract(VALID[:-2] + "00").sampled
    assert extract(VALID[:-2] + "ff").sampled  # unknown bits ignored
    assert not extract(VALID[:-2] + "fe").sampled


def test_surrounding_whitespace_is_ignored() -> None:
    assert extract(" \t%s \t" % VALID) is not None


def test_inject() -> None:
    carrier: dict = {}
    P.inject(SpanContext(int(TRACE, 16), int(SPAN, 16), False), carrier)
    assert carrier == {"traceparent": "00-%s-%s-00" % (TRACE, SPAN)}
    carrier = {}
    P.inject(SpanContext(0xABC, 1, True, trace_id_bits=64, debug=True), carrier)
    assert carrier["traceparent"] == "00-%032x-%016x-01" % (0xABC, 1)  # left-padded


def test_tracestate_members_kept_in_order_and_sent_on() -> None:
    state = "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7,a@b-c=x y"
    ctx = extract(VALID, tracestate=state)
    assert ctx.trace_state == (
        ("congo", "t61rcWkgMzE"),
        ("rojo", "00f067aa0ba902b7"),
        ("a@b-c", "x y"),
    )
    carrier: dict = {}
    P.inject(ctx, carrier)
    assert carrier["tracestate"] == "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7,a@b-c=x y"


def test_malformed_member_dropped_not_the_header() -> None:
    state = (
        "good=1,Bad=2,noequals,=3,x=a=b,y=,z=ok\x01,tenant@system_too_long_id=4,ok@sys=5,,  ,last=6"
    )
    assert parse_tracestate(state) == (("good", "1"), ("ok@sys", "5"), ("last", "6"))


def test_repeated_key_keeps_first() -> None:
    assert parse_tracestate("a=1,b=2,a=3") == (("a", "1"), ("b", "2"))


def test_repeated_tracestate_headers_are_one_list() -> None:
    ctx = P.extract([("traceparent", VALID), ("tracestate", "a=1"), ("tracestate", "b=2")])
    assert ctx.trace_state == (("a", "1"), ("b", "2"))


def test_member_limit() -> None:
    state = ",".join("k%d=%d" % (i, i) for i in range(40))
    members = parse_tracestate(state)
    assert len(members) == MAX_MEMBERS and members[-1] == ("k31", "31")


def test_length_limit_drops_long_members_first_then_from_the_end() -> None:
    long_member = ("long", "x" * 200)
    members = [("a%d" % i, "v" * 40) for i in range(12)]  # 12 * 44 + 11 = 539 > 512
    state = format_tracestate([members[0], long_member] + members[1:])
    kept = parse_tracestate(state)
    assert long_member not in kept and len(state) <= 512
    assert kept == tuple(members[: len(kept)]) and len(kept) == 11
    assert (
        parse_tracestate(",".join("%s=%s" % m for m in [long_member] + members[:5]))[0]
        == long_member
    )


def test_invalid_traceparent_ignores_tracestate() -> None:
    assert extract("ff" + VALID[2:], tracestate="a=1") is None


def test_invalid_members_never_written() -> None:
    ctx = SpanContext(
        1, 2, True, trace_state=(("ok", "1"), ("BAD", "2"), ("x", "a\r\nb"), ("y", "a,b"))
    )
    carrier: dict = {}
    P.inject(ctx, carrier)
    assert carrier["tracestate"] == "ok=1"
    carrier = {}
    P.inject(SpanContext(1, 2, True, trace_state=(("BAD", "2"),)), carrier)
    assert "tracestate" not in carrier

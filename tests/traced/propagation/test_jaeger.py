"""Jaeger ``uber-trace-id`` rules, ``jaeger-debug-id`` and ``uberctx-*`` / ``jaeger-baggage``."""

from __future__ import annotations

import pytest
from opentracing import SpanContextCorruptedException

from traced.propagation import composite
from traced.tracer.context import DecisionContext, SpanContext

J = composite("jaeger")


def test_short_ids_left_padded() -> None:
    ctx = J.extract({"uber-trace-id": "abc:def:0:1"})
    assert (ctx.trace_id, ctx.span_id, ctx.sampled, ctx.parent_id) == (0xABC, 0xDEF, True, None)
    assert ctx.trace_id_bits == 64 and ctx.trace_id_hex == "%016x" % 0xABC
    ctx = J.extract({"uber-trace-id": "1" + "0" * 16 + ":1:5:0"})
    assert (
        ctx.trace_id == 1 << 64
        and ctx.trace_id_bits == 128
        and ctx.parent_id == 5
        and not ctx.sampled
    )


def test_encoded_separator() -> None:
    for value in ("abc%3Adef%3A0%3A1", "abc%3adef%3a0%3a1", "abc%3Adef:0%3a1"):
        ctx = J.extract({"uber-trace-id": value})
        assert (ctx.trace_id, ctx.span_id, ctx.sampled) == (0xABC, 0xDEF, True)


def test_flags() -> None:
    for flags, sampled, debug in (
        ("0", False, False),
        ("1", True, False),
        ("2", True, True),
        ("3", True, True),
        ("03", True, True),
        ("ff", True, True),
    ):
        ctx = J.extract({"uber-trace-id": "abc:def:0:" + flags})
        assert (ctx.sampled, ctx.debug) == (sampled, debug), flags


def test_debug_id_forces_debug() -> None:
    ctx = J.extract({"uber-trace-id": "abc:def:0:0", "jaeger-debug-id": "my-request"})
    assert ctx.sampled and ctx.debug
    assert composite("jaeger", strict=True).extract({"jaeger-debug-id": "x"}) == DecisionContext(
        True, debug=True, debug_id="x"
    )


@pytest.mark.parametrize(
    "value",
    [
        "abc:def:0",
        "abc:def:0:1:2",
        "0:def:0:1",
        "abc:0:0:1",
        "1" * 33 + ":1:0:1",
        "abc:" + "1" * 17 + ":0:1",
        "abc:def:x:1",
        "abc:def:0:100",
        "abc:def:0:",
        "0xab:def:0:1",
        "abc:def:0:-1",
        "%3A%3A%3A",
    ],
)
def test_malformed(value: str) -> None:
    assert J.extract({"uber-trace-id": value, "uberctx-k": "v"}) is None
    with pytest.raises(SpanContextCorruptedException):
        composite("jaeger", strict=True).extract({"uber-trace-id": value})


def test_baggage() -> None:
    ctx = J.extract(
        {
            "uber-trace-id": "abc:def:0:1",
            "UberCtx-User": "ada%20l",
            "jaeger-baggage": "a=1, user=bob,bad",
        }
    )
    assert ctx.baggage == {"a": "1", "user": "ada l"}


def test_inject() -> None:
    carrier: dict = {}
    J.inject(SpanContext(0xABC, 0xDEF, True, {"K": "a b"}, trace_id_bits=64, parent_id=9), carrier)
    assert carrier == {"uber-trace-id": "0000000000000abc:0000000000000def:0:1", "uberctx-k": "a b"}
    carrier = {}
    J.inject(SpanContext(0xABC, 0xDEF, False, debug=True), carrier)
    assert carrier == {"uber-trace-id": "%032x:0000000000000def:0:3" % 0xABC}

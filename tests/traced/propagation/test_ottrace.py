"""OpenTracing ``ot-tracer-*`` rules."""

from __future__ import annotations

import pytest
from opentracing import SpanContextCorruptedException

from traced.propagation import composite
from traced.tracer.context import SpanContext

O = composite("ottrace")


def test_short_ids_and_sampled_values() -> None:
    for value, sampled in (
        ("true", True),
        ("True", True),
        ("1", True),
        ("false", False),
        ("0", False),
        ("yes", False),
        (None, False),
    ):
        carrier = {"ot-tracer-traceid": "abc", "ot-tracer-spanid": "def"}
        if value is not None:
            carrier["ot-tracer-sampled"] = value
        ctx = O.extract(carrier)
        assert (ctx.trace_id, ctx.span_id, ctx.sampled, ctx.trace_id_bits) == (
            0xABC,
            0xDEF,
            sampled,
            64,
        )


@pytest.mark.parametrize(
    "trace,span",
    [
        ("abc", None),
        (None, "def"),
        ("0", "def"),
        ("abc", "0"),
        ("xyz", "def"),
        ("1" * 33, "def"),
        ("abc", "1" * 17),
    ],
)
def test_malformed(trace, span) -> None:  # type: ignore[no-untyped-def]
    carrier = {
        k: v for k, v in (("ot-tracer-traceid", trace), ("ot-tracer-spanid", span)) if v is not None
    }
    assert O.extract(carrier) is None
    with pytest.raises(SpanContextCorruptedException):
        composite("ottrace", strict=True).extract(carrier)


def test_inject() -> None:
    carrier: dict = {}
    O.inject(SpanContext(0xABC, 0xDEF, False, {"User": "a\r\nb"}, trace_id_bits=64), carrier)
    assert carrier == {
        "ot-tracer-traceid": "0000000000000abc",
        "ot-tracer-spanid": "0000000000000def",
        "ot-tracer-sampled": "false",
        "ot-baggage-user": "a%0D%0Ab",
    }

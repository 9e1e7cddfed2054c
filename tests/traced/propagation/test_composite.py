"""The composite: names, order, fall-through, baggage merge, None versus exceptions."""

from __future__ import annotations

import pytest
from opentracing import InvalidCarrierException, SpanContextCorruptedException

from traced.propagation import (
    DEFAULT_PROPAGATORS,
    PROPAGATOR_NAMES,
    Propagator,
    codec_by_name,
    composite,
    default_propagator,
)
from traced.tracer.context import SpanContext

TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
B3 = "a3ce929d0e0e4736-00f067aa0ba902b8-0"


def test_names() -> None:
    assert PROPAGATOR_NAMES == (
        "b3",
        "b3multi",
        "baggage",
        "jaeger",
        "none",
        "ottrace",
        "tracecontext",
    )
    assert DEFAULT_PROPAGATORS == ("tracecontext", "baggage")
    assert [c.name for c in default_propagator().codecs] == ["tracecontext", "baggage"]
    p = composite(" TraceContext , b3multi,,tracecontext ")
    assert [c.name for c in p.codecs] == ["tracecontext", "b3multi"]
    assert p.fields == (
        "traceparent",
        "tracestate",
        "x-b3-traceid",
        "x-b3-spanid",
        "x-b3-parentspanid",
        "x-b3-sampled",
        "x-b3-flags",
    )
    assert [c.name for c in composite(["jaeger", "b3"]).codecs] == ["jaeger", "b3"]


def test_unknown_names_are_clear_errors() -> None:
    with pytest.raises(
        ValueError,
        match=r"unknown propagator 'xray'; accepted: b3, b3multi, baggage, jaeger, none, "
        "ottrace, tracecontext",
    ):
        composite("tracecontext,xray")
    with pytest.raises(ValueError, match="propagator names are strings, not None"):
        composite(["b3", None])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="'none' cannot be combined"):
        composite("none,b3")
    with pytest.raises(
        ValueError,
        match=r"unknown propagation codec 'w3c'; accepted: b3, b3multi, baggage, jaeger, "
        "ottrace, tracecontext",
    ):
        codec_by_name("w3c")


def test_none_does_nothing() -> None:
    p = composite("none")
    carrier: dict = {}
    p.inject(SpanContext(1, 2), carrier)
    assert carrier == {} and p.extract({"traceparent": TP}) is None
    assert composite("").codecs == ()


def test_inject_writes_every_format() -> None:
    carrier: dict = {}
    composite("tracecontext,baggage,b3,b3multi,jaeger,ottrace").inject(
        SpanContext(1, 2, True, {"k": "v"}), carrier
    )
    assert set(carrier) == {
        "traceparent",
        "baggage",
        "b3",
        "x-b3-traceid",
        "x-b3-spanid",
        "x-b3-sampled",
        "uber-trace-id",
        "uberctx-k",
        "ot-tracer-traceid",
        "ot-tracer-spanid",
        "ot-tracer-sampled",
        "ot-baggage-k",
    }


def test_first_present_in_configured_order_wins() -> None:
    carrier = {"traceparent": TP, "b3": B3}
    assert composite("tracecontext,b3").extract(carrier).span_id == 0x00F067AA0BA902B7
    assert composite("b3,tracecontext").extract(carrier).span_id == 0x00F067AA0BA902B8


def test_malformed_codec_passed_over() -> None:
    carrier = {"traceparent": "ff" + TP[2:], "b3": B3}
    ctx = composite("tracecontext,b3", strict=True).extract(carrier)
    assert ctx is not None and ctx.span_id == 0x00F067AA0BA902B8


def test_strictness() -> None:
    bad = {"traceparent": "ff" + TP[2:], "baggage": "a=1"}
    assert composite("tracecontext,baggage").extract(bad) is None
    with pytest.raises(SpanContextCorruptedException, match="tracecontext"):
        composite("tracecontext,baggage", strict=True).extract(bad)
    # absent everywhere: None even when strict
    assert composite("tracecontext,baggage", strict=True).extract({"baggage": "a=1"}) is None
    assert composite("b3", strict=True).extract({"traceparent": "garbage"}) is None
    # two present, both malformed: both named
    with pytest.raises(SpanContextCorruptedException, match="tracecontext, b3"):
        composite("tracecontext,b3", strict=True).extract({"traceparent": "x", "b3": "y-z"})


def test_baggage_merged_w3c_on_top() -> None:
    carrier = {
        "uber-trace-id": "abc:def:0:1",
        "uberctx-a": "own",
        "uberctx-b": "own",
        "baggage": "B=w3c,c=w3c",
    }
    ctx = composite("jaeger,baggage").extract(carrier)
    assert ctx.baggage == {"a": "own", "B": "w3c", "c": "w3c"}
    assert ctx.remote and ctx.sampled


def test_baggage_of_a_passed_over_codec_is_not_taken() -> None:
    carrier = {"uber-trace-id": "bad", "uberctx-a": "1", "traceparent": TP}
    assert composite("jaeger,tracecontext").extract(carrier).baggage == {}


def test_tracestate_and_width_kept_through_the_merge() -> None:
    ctx = composite("tracecontext,baggage").extract(
        {"traceparent": TP, "tracestate": "a=1", "baggage": "k=v"}
    )
    assert ctx.trace_state == (("a", "1"),) and ctx.baggage == {"k": "v"}
    ctx = composite("b3,baggage").extract({"b3": B3, "baggage": "k=v"})
    assert ctx.trace_id_bits == 64 and ctx.baggage == {"k": "v"}


def test_carrier_type_errors() -> None:
    p = default_propagator()
    with pytest.raises(InvalidCarrierException):
        p.extract(None)
    for bad in ([], (), "s", b"b", None, object()):
        with pytest.raises(InvalidCarrierException):
            p.inject(SpanContext(1, 2), bad)  # type: ignore[arg-type]

    class Headers:  # a header object that is not a MutableMapping, as Werkzeug's
        def __init__(self) -> None:
            self.pairs: list = []

        def __setitem__(self, key: str, value: str) -> None:
            self.pairs.append((key, value))

    headers = Headers()
    p.inject(SpanContext(1, 2), headers)  # type: ignore[arg-type]
    assert [k for k, _ in headers.pairs] == ["traceparent"]

    class Broken(dict):
        def items(self):  # type: ignore[no-untyped-def,override]
            raise RuntimeError("boom")

    with pytest.raises(InvalidCarrierException, match="boom"):
        p.extract(Broken())


def test_repr() -> None:
    assert repr(composite("b3,jaeger", strict=True)) == "Propagator([b3, jaeger], strict=True)"
    assert isinstance(default_propagator(), Propagator)

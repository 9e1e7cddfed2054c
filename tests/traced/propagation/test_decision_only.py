"""A caller's sampling decision without ids (``b3: 0``, ``X-B3-Sampled`` alone, a lone
``jaeger-debug-id``): each codec reads it as a ``DecisionContext``, the composite prefers a
context with ids, inject writes the decision alone, and the tracer starts a new trace that
follows it; checked against OpenTelemetry's B3 propagator and jaeger-client's codec and
tracer."""

from __future__ import annotations

from typing import Any, Dict, List

import opentracing
import pytest
from opentracing import Format, SpanContextCorruptedException

from traced.propagation import composite
from traced.tracer import MemoryRecorder
from traced.tracer.context import DecisionContext, SpanContext
from traced.tracer.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased, Sampler
from traced.tracer.span import FinishedSpan
from traced.tracer.tracer import Tracer

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
DENY, ACCEPT = DecisionContext(False), DecisionContext(True)
DEBUG = DecisionContext(True, debug=True)


# -- extract, one codec at a time ---------------------------------------------------------


@pytest.mark.parametrize(
    "value,expected", [("0", DENY), ("1", ACCEPT), ("d", DEBUG), (" 0\t", DENY)]
)
def test_b3_single_state_alone(value: str, expected: DecisionContext) -> None:
    got = composite("b3").extract({"B3": value})
    assert got == expected and got is not None
    assert (got.trace_id, got.span_id, got.parent_id, got.remote) == (0, 0, None, True)
    assert got.decision_only and not SpanContext(1, 2).decision_only


@pytest.mark.parametrize("value", ["D", "true", "2", "", "0-"])
def test_b3_single_other_values_are_no_decision(value: str) -> None:
    assert composite("b3").extract({"b3": value}) is None


@pytest.mark.parametrize(
    "headers,expected",
    [
        ({"X-B3-Sampled": "0"}, DENY),
        ({"X-B3-Sampled": "false"}, DENY),
        ({"X-B3-Sampled": "1"}, ACCEPT),
        ({"X-B3-Sampled": " TRUE "}, ACCEPT),
        ({"X-B3-Flags": "1"}, DEBUG),
        ({"X-B3-Flags": "1", "X-B3-Sampled": "0"}, DEBUG),  # debug implies sampled
        ({"X-B3-Sampled": "0", "X-B3-ParentSpanId": "00f067aa0ba902b7"}, DENY),
    ],
)
def test_b3_multi_flags_alone(headers: Dict[str, str], expected: DecisionContext) -> None:
    assert composite("b3multi", strict=True).extract(headers) == expected


@pytest.mark.parametrize(
    "headers",
    [
        {"x-b3-sampled": "yes"},
        {"x-b3-flags": "0"},
        {"x-b3-flags": "0", "x-b3-sampled": ""},
        {"x-b3-sampled": "0", "x-b3-traceid": "a3ce929d0e0e4736"},  # an id without the other
    ],
)
def test_b3_multi_no_decision(headers: Dict[str, str]) -> None:
    assert composite("b3multi").extract(headers) is None


def test_jaeger_lone_debug_id_keeps_its_value_and_baggage() -> None:
    got = composite("jaeger").extract(
        {
            "jaeger-debug-id": "req%20one",
            "uberctx-user": "al%C3%AFce",
            "jaeger-baggage": "tier=gold, user=ignored",
        }
    )
    assert got == DecisionContext(
        True, {"user": "alïce", "tier": "gold"}, debug=True, debug_id="req one"
    )
    assert got is not None and got.sampled and got.debug and got.debug_id == "req one"


def test_jaeger_empty_or_missing_debug_id_is_nothing() -> None:
    j = composite("jaeger", strict=True)
    assert j.extract({"jaeger-debug-id": ""}) is None
    assert j.extract({"uberctx-k": "v"}) is None  # baggage alone starts nothing


def test_jaeger_debug_id_beside_malformed_trace_id_is_malformed() -> None:
    bad = {"uber-trace-id": "zz:1:0:1", "jaeger-debug-id": "x"}
    assert composite("jaeger").extract(bad) is None
    with pytest.raises(SpanContextCorruptedException):
        composite("jaeger", strict=True).extract(bad)


# -- the composite --------------------------------------------------------------------------


def test_ids_win_over_an_earlier_decision() -> None:
    got = composite("b3,tracecontext").extract({"b3": "0", "traceparent": TRACEPARENT})
    assert got is not None and not got.decision_only
    assert (got.trace_id, got.sampled) == (0x4BF92F3577B34DA6A3CE929D0E0E4736, True)


def test_first_decision_wins_among_decisions() -> None:
    headers = {"x-b3-sampled": "1", "b3": "0", "jaeger-debug-id": "x"}
    assert composite("b3multi,b3,jaeger").extract(headers) == ACCEPT
    assert composite("b3,b3multi,jaeger").extract(headers) == DENY
    assert composite("jaeger,b3").extract(headers) == DecisionContext(
        True, debug=True, debug_id="x"
    )


def test_w3c_baggage_joins_a_decision() -> None:
    got = composite("b3,baggage").extract({"b3": "d", "baggage": "k=v"})
    assert got == DecisionContext(True, {"k": "v"}, debug=True)


def test_with_baggage_item_keeps_the_decision() -> None:
    ctx = DecisionContext(True, debug=True, debug_id="x").with_baggage_item("k", "v")
    assert ctx == DecisionContext(True, {"k": "v"}, debug=True, debug_id="x")
    assert ctx.decision_only


# -- inject -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "decision,single,multi",
    [
        (DENY, "0", {"x-b3-sampled": "0"}),
        (ACCEPT, "1", {"x-b3-sampled": "1"}),
        (DEBUG, "d", {"x-b3-flags": "1"}),
    ],
)
def test_b3_writes_the_decision_alone(
    decision: DecisionContext, single: str, multi: Dict[str, str]
) -> None:
    carrier: Dict[str, str] = {}
    composite("tracecontext,baggage,b3,b3multi,jaeger,ottrace").inject(decision, carrier)
    assert carrier == {"b3": single, **multi}  # tracecontext, jaeger, ottrace cannot say it
    assert composite("b3").extract(carrier) == decision
    assert composite("b3multi").extract(carrier) == decision


def test_jaeger_writes_a_debug_id_and_baggage() -> None:
    decision = DecisionContext(True, {"k": "a b"}, debug=True, debug_id="id\r\n%")
    carrier: Dict[str, str] = {}
    composite("jaeger,baggage").inject(decision, carrier)
    assert carrier == {"jaeger-debug-id": "id%0D%0A%25", "uberctx-k": "a b", "baggage": "k=a%20b"}
    assert composite("jaeger").extract(carrier) == decision


def test_tracer_inject_of_what_it_extracted() -> None:
    tracer = Tracer(recorder=MemoryRecorder(), propagator=composite("b3multi,b3"))
    extracted = tracer.extract(Format.HTTP_HEADERS, {"X-B3-Sampled": "0"})
    assert extracted == DENY
    carrier: Dict[str, str] = {}
    tracer.inject(extracted, Format.HTTP_HEADERS, carrier)
    assert carrier == {"x-b3-sampled": "0", "b3": "0"}


def test_binary_cannot_carry_a_decision() -> None:
    tracer = Tracer(recorder=MemoryRecorder())
    carrier = bytearray()
    tracer.inject(DEBUG, Format.BINARY, carrier)
    assert tracer.extract(Format.BINARY, carrier) is None


# -- starting spans under a decision -------------------------------------------------------


def _tracer(sampler: Sampler = ParentBased(ALWAYS_ON)) -> Tracer:
    return Tracer("svc", recorder=MemoryRecorder(), sampler=sampler, propagator=composite("b3"))


def _spans(tracer: Tracer) -> List[FinishedSpan]:
    return list(tracer.recorder.spans)  # type: ignore[attr-defined]


@pytest.mark.parametrize("sampler", [ALWAYS_ON, ParentBased(ALWAYS_ON)])
def test_deny_is_final(sampler: Sampler) -> None:
    tracer = _tracer(sampler)
    span = tracer.start_span("x", child_of=tracer.extract(Format.TEXT_MAP, {"b3": "0"}))
    ctx = span.context
    assert isinstance(ctx, SpanContext) and not ctx.decision_only
    assert not ctx.sampled and ctx.trace_id and ctx.span_id and ctx.parent_id is None
    span.finish()
    assert _spans(tracer) == [] and tracer.counters.snapshot()["sampled"] == 0


@pytest.mark.parametrize("sampler", [ALWAYS_OFF, ParentBased(ALWAYS_OFF)])
def test_debug_is_sampled_whatever_the_sampler(sampler: Sampler) -> None:
    tracer = _tracer(sampler)
    with tracer.start_active_span("root", child_of=DEBUG) as scope:
        with tracer.start_active_span("child"):
            pass
    child, root = _spans(tracer)
    assert root.parent_id is None and root.references == () and root.debug and child.debug
    assert child.parent_id == root.span_id and root.trace_id == child.trace_id
    assert scope.span.context.trace_id_bits == 128


def test_accept_is_put_to_the_sampler_as_a_sampled_parent() -> None:
    followed, ignored = _tracer(), _tracer(ALWAYS_OFF)
    assert followed.start_span("x", child_of=ACCEPT).context.sampled
    assert not ignored.start_span("x", child_of=ACCEPT).context.sampled


def test_each_decision_starts_its_own_new_trace() -> None:
    tracer = _tracer()
    first = tracer.start_span("a", child_of=ACCEPT).context
    second = tracer.start_span("b", child_of=ACCEPT).context
    assert first.trace_id != second.trace_id and first.trace_id >> 64  # 128-bit, fresh


def test_a_decision_parent_hides_the_active_span() -> None:
    tracer = _tracer()
    with tracer.start_active_span("outer") as outer:
        span = tracer.start_span("inner", child_of=DENY)
    assert span.context.trace_id != outer.span.context.trace_id
    assert span.context.parent_id is None


def test_jaeger_debug_id_tags_the_root_only() -> None:
    tracer = Tracer(recorder=MemoryRecorder(), sampler=ALWAYS_OFF, propagator=composite("jaeger"))
    parent = tracer.extract(Format.HTTP_HEADERS, {"jaeger-debug-id": "abc", "uberctx-k": "v"})
    given = {"peer": "x"}
    carrier: Dict[str, str] = {}
    with tracer.start_active_span("root", child_of=parent, tags=given) as scope:
        tracer.start_span("child").finish()
        tracer.inject(scope.span.context, Format.TEXT_MAP, carrier)
    assert carrier["uber-trace-id"].endswith(":0:3")  # debug travels on, with ids now
    assert given == {"peer": "x"}  # the caller's dict is not changed
    child, root = _spans(tracer)
    assert dict(root.tags) == {"peer": "x", "jaeger-debug-id": "abc"}
    assert "jaeger-debug-id" not in child.tags
    assert dict(root.baggage) == dict(child.baggage) == {"k": "v"}


def test_references_to_a_decision() -> None:
    tracer = _tracer()
    alone = tracer.start_span("a", references=[opentracing.follows_from(DENY)])
    assert not alone.context.sampled and alone.context.parent_id is None
    real = tracer.start_span("real")
    both = tracer.start_span(
        "b", references=[opentracing.child_of(DEBUG), opentracing.follows_from(real.context)]
    )
    both.finish()
    (span,) = _spans(tracer)
    assert span.trace_id == real.context.trace_id and span.parent_id is None  # no child_of
    assert [(r.type, r.span_id) for r in span.references] == [
        ("follows_from", real.context.span_id)
    ]
    assert not span.debug  # the real parent's decision, not the decision-only one's


# -- real peers -------------------------------------------------------------------------------


def test_opentelemetry_b3_reads_no_decision_from_b3_zero() -> None:
    """OpenTelemetry's B3 propagators drop a decision without ids (its SDK then asks its
    own sampler); ours keeps it. What we write for a decision does not trouble theirs."""
    otel_trace = pytest.importorskip("opentelemetry.trace")
    from opentelemetry.propagators.b3 import B3MultiFormat, B3SingleFormat

    for decision in (DENY, ACCEPT, DEBUG):
        carrier: Dict[str, str] = {}
        composite("b3,b3multi").inject(decision, carrier)
        for theirs in (B3SingleFormat(), B3MultiFormat()):
            found = otel_trace.get_current_span(theirs.extract(carrier)).get_span_context()
            assert not found.is_valid
    assert composite("b3").extract({"b3": "0"}) == DENY


@pytest.mark.compat
def test_jaeger_client_codec_reads_our_debug_id(jaeger_client_lib: Any) -> None:
    from jaeger_client import codecs

    carrier: Dict[str, str] = {}
    composite("jaeger").inject(
        DecisionContext(True, {"k": "a b"}, debug=True, debug_id="req 1"), carrier
    )
    theirs = codecs.TextCodec(url_encoding=True).extract(carrier)
    assert theirs.is_debug_id_container_only
    assert (theirs.debug_id, theirs.baggage) == ("req 1", {"k": "a b"})


@pytest.mark.compat
def test_same_root_span_as_jaeger_client(jaeger_client_lib: Any) -> None:
    """jaeger-client, never sampling on its own, given a lone ``jaeger-debug-id``: a new
    trace whose root is sampled and debug, without parent, tagged with the debug id, with
    the ``uberctx-*`` baggage. Ours starts the same span."""
    import jaeger_client
    from jaeger_client import codecs
    from jaeger_client.reporter import InMemoryReporter

    headers = {"jaeger-debug-id": "req%201", "uberctx-k": "v"}
    reporter = InMemoryReporter()
    theirs_tracer = jaeger_client.Tracer(
        service_name="peer", reporter=reporter, sampler=jaeger_client.ConstSampler(False)
    )
    # (not closed: an in-memory reporter holds nothing, and its close needs an event loop)
    parent = codecs.TextCodec(url_encoding=True).extract(dict(headers))
    theirs_tracer.start_span("op", child_of=parent).finish()
    (theirs,) = reporter.get_spans()
    their_tags = {t.key: t.vStr for t in theirs.tags if t.vStr is not None}

    ours_tracer = Tracer(
        recorder=MemoryRecorder(), sampler=ALWAYS_OFF, propagator=composite("jaeger")
    )
    ours_tracer.start_span(
        "op", child_of=ours_tracer.extract(Format.HTTP_HEADERS, headers)
    ).finish()
    (ours,) = _spans(ours_tracer)

    assert (theirs.is_sampled(), theirs.is_debug(), theirs.context.parent_id) == (True, True, None)
    assert (True, ours.debug, ours.parent_id) == (True, True, None)
    assert their_tags["jaeger-debug-id"] == ours.tags["jaeger-debug-id"] == "req 1"
    assert dict(theirs.context.baggage) == dict(ours.baggage) == {"k": "v"}
    assert not theirs.references and ours.references == ()

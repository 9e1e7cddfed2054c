"""Property tests (hypothesis): extract, fed arbitrary header mappings (random names and
values of any length, case and unicode, real header names among them, repeated names),
raises nothing but the documented ``SpanContextCorruptedException`` (strict, and only when
a span context header is present and every present one is malformed), and whatever it
extracts (a context with ids, or a caller's decision without any) injects back into
headers that are legal HTTP and extracts again."""

from __future__ import annotations

from typing import List, Tuple

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from opentracing import SpanContextCorruptedException  # noqa: E402

from traced.propagation import Carrier, codec_by_name, composite  # noqa: E402
from traced.tracer.context import SpanContext  # noqa: E402

from ._helpers import ALL_CODECS, TRACE_CODECS, MultiDict, assert_legal_headers  # noqa: E402

EVERYTHING = "tracecontext,baggage,b3,b3multi,jaeger,ottrace"
LENIENT, STRICT = composite(EVERYTHING), composite(EVERYTHING, strict=True)
KNOWN = sorted(
    {f for name in ALL_CODECS for f in codec_by_name(name).fields}
    | {"jaeger-debug-id", "jaeger-baggage", "uberctx-k", "ot-baggage-k"}
)

HEX = st.text("0123456789abcdefABCDEF-:%3A", max_size=70)
names = st.one_of(
    st.sampled_from(KNOWN).flatmap(
        lambda n: st.sampled_from([n, n.upper(), n.title(), "HTTP_" + n.upper().replace("-", "_")])
    ),
    st.text(max_size=20),
)
values = st.one_of(
    HEX,
    st.text(max_size=300),
    st.sampled_from(
        [
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "abc:def:0:1",
            "a3ce929d0e0e4736-00f067aa0ba902b7-d",
            "d",
            "1",
            "true",
        ]
    ),
    st.binary(max_size=40),
    st.lists(st.text(max_size=20), max_size=3),
    st.none(),
    st.integers(),
)
pairs = st.lists(st.tuples(names, values), max_size=12)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(carrier: object) -> None:
    context = LENIENT.extract(carrier)
    try:
        strict = STRICT.extract(carrier)
    except SpanContextCorruptedException:
        assert context is None
        found = Carrier.of(carrier)
        assert any(codec_by_name(n).present(found) for n in TRACE_CODECS)
    else:
        assert strict == context
    if context is not None:
        # ids, or none at all for a caller's decision alone
        assert context.remote and bool(context.trace_id and context.span_id) != (
            context.decision_only
        )
        out: dict = {}
        LENIENT.inject(context, out)
        assert_legal_headers(out)
        again = LENIENT.extract(out)
        assert again is not None and (again.trace_id, again.span_id, again.sampled) == (
            context.trace_id,
            context.span_id,
            context.sampled,
        )


@SETTINGS
@given(pairs)
def test_dict_carriers(items: List[Tuple[object, object]]) -> None:
    check({k: v for k, v in items})


@SETTINGS
@given(pairs)
def test_multi_valued_and_pair_carriers(items: List[Tuple[object, object]]) -> None:
    check(items)  # a list of pairs, repeats kept
    check(MultiDict([(str(k), v) for k, v in items]))  # type: ignore[misc]


@SETTINGS
@given(st.dictionaries(st.text(max_size=30), st.text(max_size=300), max_size=20))
def test_any_baggage_injects_legal_headers(baggage: dict) -> None:
    sent = SpanContext(1, 2, True, baggage)
    out: dict = {}
    LENIENT.inject(sent, out)
    assert_legal_headers(out)
    for name in ("jaeger", "ottrace"):
        received = composite(name).extract(out)
        assert received is not None
    received = composite("tracecontext,baggage").extract(out)
    assert received is not None
    assert set(received.baggage.items()) <= set(baggage.items())  # the limits may drop some

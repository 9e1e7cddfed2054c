"""The codec contract: what every codec must do, run against each of them (as
``opentracing.harness`` runs against each tracer). A new codec is added to
``_helpers.ALL_CODECS`` and passes this file.

Each codec is used through a ``Propagator`` of its own (with W3C ``baggage`` beside a
format that has no baggage of its own): ids of 64 and 128 bits, sampled or not, debug where
the format has it, awkward baggage, header names in any case, every kind of carrier, an
empty carrier, and garbage in each of its headers.
"""

from __future__ import annotations

import pytest

from opentracing import InvalidCarrierException, SpanContextCorruptedException
from traced.propagation import Carrier, codec_by_name
from traced.tracer.context import DecisionContext, SpanContext

from ._helpers import (
    ALL_CODECS,
    AWKWARD,
    DEBUG,
    KEEPS_64,
    OWN_BAGGAGE,
    TRACE_CODECS,
    assert_legal_headers,
    carriers,
    context,
    inject,
    propagator_for,
    same,
)

pytestmark = pytest.mark.parametrize("name", ALL_CODECS)


def trace_only(name: str) -> None:
    if name not in TRACE_CODECS:
        pytest.skip("%s carries no span context" % name)


@pytest.mark.parametrize("bits", [64, 128])
@pytest.mark.parametrize("sampled", [True, False])
def test_round_trip_ids_and_sampling(name: str, bits: int, sampled: bool) -> None:
    p = propagator_for(name)
    sent = context(bits, sampled)
    received = p.extract(inject(p, sent))
    same(received, sent)
    assert received is not None
    if name in KEEPS_64 or name == "baggage":
        width = 16 if bits == 64 and name in KEEPS_64 else 32
        assert len(received.trace_id_hex) == width
    again = inject(p, received)
    assert again == inject(p, sent)  # sent on as received


def test_debug(name: str) -> None:
    trace_only(name)
    p = propagator_for(name)
    received = p.extract(inject(p, context(sampled=False, debug=True)))
    assert received is not None and received.sampled
    assert received.debug is (name in DEBUG)


def test_codec_metadata(name: str) -> None:
    codec = codec_by_name(name)
    assert codec.name == name
    assert codec.fields and all(f == f.lower() for f in codec.fields)
    assert set(codec.trace_fields) <= set(codec.fields)
    assert codec.carries_trace is (name in TRACE_CODECS)
    written = inject(propagator_for(name, strict=True).__class__([codec]), context())
    prefixes = ("uberctx-", "ot-baggage-")
    assert all(k in codec.fields or k.startswith(prefixes) for k in written)


@pytest.mark.parametrize("bits", [64, 128])
def test_awkward_baggage(name: str, bits: int) -> None:
    p = propagator_for(name)
    sent = context(bits, baggage=AWKWARD)
    carrier = inject(p, sent)
    assert_legal_headers(carrier)
    same(p.extract(carrier), sent)


def test_unicode_and_awkward_keys(name: str) -> None:
    p = propagator_for(name)
    baggage = {"ключ": "значение", "a b": "1", "k=v": "2", "x,y;z": "3", "50%": "4"}
    sent = context(baggage=baggage)
    carrier = inject(p, sent)
    assert_legal_headers(carrier)
    same(p.extract(carrier), sent)


def test_baggage_key_case(name: str) -> None:
    p = propagator_for(name)
    received = p.extract(inject(p, context(baggage={"UserId": "7"})))
    assert received is not None
    # keys in header names (uberctx-, ot-baggage-) come back lowercase; W3C keeps case
    assert received.baggage == ({"userid": "7"} if name in OWN_BAGGAGE else {"UserId": "7"})


@pytest.mark.parametrize("case", [str.upper, str.title, str.lower])
def test_header_names_any_case(name: str, case) -> None:  # type: ignore[no-untyped-def]
    p = propagator_for(name)
    sent = context(baggage={"k": "v w"}, debug=name in DEBUG)
    carrier = {case(k): v for k, v in inject(p, sent).items()}
    same(p.extract(carrier), sent)


def test_every_carrier_kind(name: str) -> None:
    p = propagator_for(name)
    sent = context(baggage={"user": "ada lovelace", "plan": "1+1"})
    for kind, carrier in carriers(inject(p, sent)):
        received = p.extract(carrier)
        assert received is not None, kind
        same(received, sent)


def test_empty_carrier_gives_none(name: str) -> None:
    for strict in (False, True):
        p = propagator_for(name, strict=strict)
        for _, carrier in carriers({}):
            assert p.extract(carrier) is None
        assert p.extract({"content-type": "text/plain", "HTTP_HOST": "x"}) is None


def test_not_a_carrier(name: str) -> None:
    p = propagator_for(name)
    for bad in (None, 42, "traceparent", object()):
        with pytest.raises(InvalidCarrierException):
            p.extract(bad)
        with pytest.raises(InvalidCarrierException):
            p.inject(context(), bad)  # type: ignore[arg-type]


GARBAGE = ["", " ", "garbage", "0", "-", "::::", "0" * 32, "zz" * 16, "\r\n", "é" * 40, "-" * 300]


def test_garbage_in_each_header(name: str) -> None:
    """Each header the codec writes, replaced by garbage: a malformed span context header
    gives None (strict: SpanContextCorruptedException), never another exception; garbage
    in a baggage or flag header loses only that."""
    codec = codec_by_name(name)
    sent = context(baggage={"k": "v"})
    lenient, strict = propagator_for(name), propagator_for(name, strict=True)
    carrier = inject(lenient, sent)
    for field in codec.fields:
        for junk in GARBAGE:
            bad = dict(carrier, **{field: junk})
            received = lenient.extract(bad)
            if field in codec.trace_fields and not codec.present(Carrier.of(bad)):
                assert (name, junk) == ("b3", "0")  # a sampling-only b3: a decision, valid
                assert received == DecisionContext(False, {"k": "v"}) == strict.extract(bad)
            elif field in codec.trace_fields and received is None:
                # the whole context is malformed: only strict raises, and only this
                with pytest.raises(SpanContextCorruptedException):
                    strict.extract(bad)
            elif received is not None:
                assert received.trace_id == sent.trace_id or field in codec.trace_fields
                strict.extract(bad)  # does not raise


def test_non_text_values_are_ignored(name: str) -> None:
    p = propagator_for(name, strict=True)
    carrier: dict = {f: v for f in codec_by_name(name).fields for v in (None, 1, 2.5, object())}
    assert p.extract(carrier) is None
    carrier = {**inject(p, context()), "x-other": None, "x-int": 3}  # type: ignore[dict-item]
    same(p.extract(carrier), context())


def test_codec_alone(name: str) -> None:
    """The codec's own methods, without the composite."""
    codec = codec_by_name(name)
    carrier = Carrier.of({})
    assert codec.extract(carrier) is None and not codec.present(carrier)
    assert codec.extract_baggage(carrier) == {}
    written = {}  # type: dict
    codec.inject(context(baggage={"k": "v"}), written)
    found = Carrier.of(written)
    if name in TRACE_CODECS:
        assert codec.present(found)
        received = codec.extract(found)
        assert isinstance(received, SpanContext) and received.remote
    else:
        assert codec.extract(found) is None
        assert codec.extract_baggage(found) == {"k": "v"}

"""W3C Baggage: encoding, parsing, limits."""

from __future__ import annotations

from traced.propagation import composite
from traced.propagation._encoding import MAX_BAGGAGE_BYTES, MAX_BAGGAGE_ITEMS
from traced.propagation.baggage import BaggageCodec, parse_baggage
from traced.tracer.context import SpanContext

P = composite("tracecontext,baggage")
TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def write(baggage: dict) -> dict:
    carrier: dict = {}
    P.inject(SpanContext(1, 2, True, baggage), carrier)
    return carrier


def test_plus_stays_plus() -> None:
    assert parse_baggage("a=1+1,b=x%2By") == {"a": "1+1", "b": "x+y"}
    assert write({"a": "1+1"})["baggage"] == "a=1%2B1"


def test_rfc3986_encoding() -> None:
    assert write({"k": "a b,c;d=e\r\n%é"})["baggage"] == "k=a%20b%2Cc%3Bd%3De%0D%0A%25%C3%A9"


def test_properties_and_whitespace() -> None:
    assert parse_baggage(" a = 1 ;prop=x;flag , b=2\t,c=3;") == {"a": "1", "b": "2", "c": "3"}


def test_bad_member_dropped_not_the_header() -> None:
    header = 'good=1,no-equals,bad key=2,v=has space,q="x",ok=%41,=empty-key,u=é,last=9'
    assert parse_baggage(header) == {"good": "1", "ok": "A", "last": "9"}


def test_invalid_utf8_is_replaced() -> None:
    assert parse_baggage("k=%FF%C3") == {"k": "\ufffd\ufffd"}


def test_case_kept_and_last_value_wins() -> None:
    assert parse_baggage("UserId=1,userid=2,UserId=3") == {"UserId": "3", "userid": "2"}


def test_key_encoded_by_peers_decoded() -> None:
    assert parse_baggage("a%20b=1") == {"a b": "1"}


def test_limits_on_inject_and_extract() -> None:
    many = {"k%03d" % i: "v" for i in range(300)}
    header = write(many)["baggage"]
    assert header.count("=") == MAX_BAGGAGE_ITEMS
    assert len(parse_baggage(",".join("k%03d=v" % i for i in range(300)))) == MAX_BAGGAGE_ITEMS
    big = {"a": "x" * 5000, "b": "y" * 3000, "c": "z" * 3000, "e": "e" * 3000, "d": "small"}
    header = write(big)["baggage"]
    assert len(header) <= MAX_BAGGAGE_BYTES
    # a is longer than an item may be; e would pass the total; d still fits
    assert parse_baggage(header) == {"b": "y" * 3000, "c": "z" * 3000, "d": "small"}
    assert parse_baggage(
        ",".join(
            ["a=" + "x" * 5000, "b=" + "y" * 3000, "c=" + "z" * 3000, "e=" + "e" * 3000, "d=small"]
        )
    ) == {"b": "y" * 3000, "c": "z" * 3000, "d": "small"}


def test_no_baggage_no_header() -> None:
    assert "baggage" not in write({})


def test_baggage_alone_gives_none() -> None:
    assert P.extract({"baggage": "a=1"}) is None
    assert BaggageCodec().extract_baggage(P_carrier({"baggage": "a=1"})) == {"a": "1"}


def test_merged_into_the_context() -> None:
    ctx = P.extract({"traceparent": TP, "baggage": "a=1,b=%20two%20"})
    assert ctx is not None and ctx.baggage == {"a": "1", "b": " two "}


def P_carrier(headers: dict):  # type: ignore[no-untyped-def]
    from traced.propagation import Carrier

    return Carrier.of(headers)

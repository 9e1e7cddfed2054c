"""The read adapter: one lowercase view of dicts, mappings, WSGI environs and pairs."""

from __future__ import annotations

import pytest
from opentracing import InvalidCarrierException

from traced.propagation import Carrier

from ._helpers import MultiDict, email_message, wsgi_environ


def test_names_lowercased_and_repeats_joined() -> None:
    c = Carrier.of({"TraceParent": "a", "traceparent": "b", "X-Other": "c"})
    assert c.get("traceparent") == "a,b" and c.get("x-other") == "c" and len(c) == 2
    assert "x-other" in c and "X-Other" not in c


def test_multi_valued_objects() -> None:
    assert (
        Carrier.of(MultiDict([("Tracestate", "a=1"), ("tracestate", "b=2")])).get("tracestate")
        == "a=1,b=2"
    )
    message = email_message({"tracestate": "a=1"})
    message["TRACESTATE"] = "b=2"
    assert Carrier.of(message).get("tracestate") == "a=1,b=2"


def test_wsgi_environ() -> None:
    c = Carrier.of(wsgi_environ({"traceparent": "tp", "X-B3-TraceId": "t", "uberctx-user-id": "7"}))
    assert c.get("traceparent") == "tp" and c.get("x-b3-traceid") == "t"
    assert c.prefixed("uberctx-") == [("user-id", "7")]
    assert c.get("request-method") is None and c.get("wsgi.version") is None
    # a header spelt as a header wins over its WSGI spelling
    assert (
        Carrier.of({"HTTP_TRACEPARENT": "wsgi", "traceparent": "real"}).get("traceparent") == "real"
    )


def test_values() -> None:
    c = Carrier.of(
        {"a": b"bytes\xe9", "b": ["x", b"y", None, 3], "c": None, "d": 1, 5: "int key", "e": []}
    )
    assert c.get("a") == "bytes\xe9" and c.get("b") == "x,y"
    assert all(c.get(k) is None for k in ("c", "d", "e")) and len(c) == 2


def test_pairs() -> None:
    c = Carrier.of([(b"B3", b"x"), ("b3", "y"), ("bad",), "junk", (1, 2)])
    assert c.get("b3") == "x,y" and len(c) == 1


def test_not_a_carrier() -> None:
    for bad in (None, 1, "text", b"bytes", {1, 2}):
        with pytest.raises(InvalidCarrierException):
            Carrier.of(bad)
    c = Carrier.of({})
    assert Carrier.of(c) is c


def test_a_wsgi_environ_is_read_by_its_http_keys_only():
    environ = {
        "wsgi.version": (1, 0),
        "REQUEST_METHOD": "GET",
        "TRACEPARENT": "a CGI variable, not a header",
        "HTTP_TRACEPARENT": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "HTTP_X_B3_TRACEID": "463ac35c9f6413ad",
        "HTTP_UBERCTX_USER_ID": "42",
        "HTTP_BROKEN": b"not a native string",
    }
    carrier = Carrier.of(environ)
    assert carrier.get("traceparent") == environ["HTTP_TRACEPARENT"]
    assert carrier.get("x-b3-traceid") == "463ac35c9f6413ad"
    assert carrier.prefixed("uberctx-") == [("user-id", "42")]
    assert "request-method" not in carrier and "broken" not in carrier and len(carrier) == 3

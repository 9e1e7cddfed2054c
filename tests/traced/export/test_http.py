"""HttpSender against a real collector on 127.0.0.1 in every fault: it never raises,
retries only what OTLP/HTTP calls retryable, counts retries and keeps to one deadline."""

from __future__ import annotations

import email.utils
import gzip
import logging
import time

import pytest

from traced.counters import Counters
from traced.export._http import HttpSender, parse_retry_after

from ._sink import Sink


def sender(url: str, counters: Counters, **kwargs: object) -> HttpSender:
    s = HttpSender(url, content_type="application/json", counters=counters, **kwargs)  # type: ignore[arg-type]
    s.initial_backoff = 0.01  # fast retries; the deadline logic is the same
    return s


def test_delivers_and_reuses_one_connection(sink: Sink) -> None:
    s = sender(sink.url, Counters(), headers={"X-Key": "v"})
    assert all(s.send(b"[%d]" % i, 5) for i in range(5))
    assert sink.bodies() == [b"[%d]" % i for i in range(5)]
    assert sink.connections == 1
    path, headers, _ = sink.requests[0]
    assert path == "/v1/traces"
    assert headers["content-type"] == "application/json" and headers["x-key"] == "v"


def test_gzip(sink: Sink) -> None:
    s = sender(sink.url, Counters(), compression="gzip")
    assert s.send(b"x" * 1000, 5)
    _, headers, body = sink.requests[0]
    assert headers["content-encoding"] == "gzip" and body == b"x" * 1000
    assert int(headers["content-length"]) < 1000


def test_reconnects_after_the_server_closed_an_idle_connection(sink: Sink) -> None:
    counters = Counters()
    s = sender(sink.url, counters)
    sink.script = ["ok_then_close"]
    assert s.send(b"1", 5)
    time.sleep(0.2)
    assert s.send(b"2", 5)  # the stale connection fails; resent at once on a new one
    assert sink.bodies() == [b"1", b"2"]
    assert sink.connections == 2 and counters.retried == 0


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_retryable_statuses_are_retried(sink: Sink, status: int) -> None:
    counters = Counters()
    sink.script = [(status, {}), (status, {})]
    assert sender(sink.url, counters).send(b"x", 10)
    assert sink.attempts == 3 and counters.retried == 2 and sink.bodies() == [b"x"]


@pytest.mark.parametrize("status", [400, 401, 404, 413, 500, 501])
def test_other_statuses_are_final(sink: Sink, status: int) -> None:
    counters = Counters()
    sink.default = (status, {})
    assert sender(sink.url, counters).send(b"x", 10) is False
    assert sink.attempts == 1 and counters.retried == 0


@pytest.mark.parametrize("fault", ["reset", "close_mid"])
def test_broken_connections_are_retried(sink: Sink, fault: str) -> None:
    counters = Counters()
    sink.script = [fault, fault]
    assert sender(sink.url, counters).send(b"x", 10)
    assert sink.bodies() == [b"x"] and counters.retried >= 1


def test_retry_after_seconds_is_honoured(sink: Sink) -> None:
    counters = Counters()
    sink.script = [(503, {"Retry-After": "1"})]
    start = time.monotonic()
    assert sender(sink.url, counters).send(b"x", 10)
    assert time.monotonic() - start >= 0.9  # waited as told (a lower bound only)
    assert counters.retried == 1


def test_retry_after_beyond_the_deadline_gives_up_at_once(sink: Sink) -> None:
    counters = Counters()
    sink.default = (429, {"Retry-After": "120"})
    start = time.monotonic()
    assert sender(sink.url, counters).send(b"x", 5) is False
    assert time.monotonic() - start < 4
    assert sink.attempts == 1 and counters.retried == 0


def test_retry_after_http_date() -> None:
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 < parse_retry_after(later) <= 30  # type: ignore[operator]
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(email.utils.formatdate(time.time() - 30, usegmt=True)) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_down_collector_fails_within_the_deadline(dead_url: str) -> None:
    counters = Counters()
    start = time.monotonic()
    assert sender(dead_url, counters).send(b"x", 1.0) is False
    assert time.monotonic() - start < 3
    assert counters.retried >= 1


@pytest.mark.parametrize("fault", ["hang", ("slow", 30)])
def test_silent_collector_is_bounded_by_the_deadline(sink: Sink, fault: object) -> None:
    sink.default = fault
    start = time.monotonic()
    assert sender(sink.url, Counters()).send(b"x", 1.0) is False
    assert time.monotonic() - start < 3


def test_close_interrupts_a_waiting_retry_and_later_sends_fail(sink: Sink) -> None:
    import threading

    sink.default = (503, {"Retry-After": "20"})
    s = sender(sink.url, Counters())
    result = []
    t = threading.Thread(target=lambda: result.append(s.send(b"x", 30)))
    t.start()
    while sink.attempts == 0:
        time.sleep(0.01)
    time.sleep(0.1)
    s.close()
    t.join(5)
    assert result == [False]
    assert s.send(b"y", 5) is False and sink.attempts == 1


def test_failures_are_logged_once_per_kind(dead_url: str, caplog: pytest.LogCaptureFixture) -> None:
    s = sender(dead_url, Counters())
    with caplog.at_level(logging.WARNING, logger="traced.export"):
        for _ in range(20):
            assert s.send(b"x", 0.05) is False
    assert 1 <= len(caplog.records) <= 2  # "cannot connect" and possibly "timed out"


def test_bad_urls_are_refused_at_construction() -> None:
    with pytest.raises(ValueError):
        HttpSender("ftp://x/", content_type="a")
    with pytest.raises(ValueError):
        HttpSender("http://127.0.0.1:1/", content_type="a", compression="brotli")




def test_an_endless_chunked_answer_is_read_only_up_to_the_cap() -> None:
    """A collector answering 200 with a chunked body that never ends: the sender reads at
    most its cap, drops that connection, and reports the delivery."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    stop = threading.Event()
    sent = [0]

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
            while len(body) < length:
                body += conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"%x\r\n%s\r\n" % (65536, b"x" * 65536)
            try:
                while not stop.is_set() and sent[0] < 64 << 20:  # 64 MiB at most, then stop
                    conn.sendall(chunk)
                    sent[0] += 65536
            except OSError:
                pass  # the sender hung up: what this test wants

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = "http://127.0.0.1:%d/v1/traces" % listener.getsockname()[1]
    try:
        assert sender(url, Counters()).send(b"x", 10) is True
    finally:
        stop.set()
        thread.join(10)
        listener.close()
    assert sent[0] < 16 << 20  # it stopped reading long before the server's 64 MiB


def test_a_collector_answering_garbage_is_a_failed_export_not_an_exception() -> None:
    """Bytes that are not HTTP (a wrong port, a TLS server, a broken proxy): retried as a
    broken connection until the deadline, then False; never raised."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()
    answered = [0]

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    conn.sendall(b"\x16\x03\x01 SSH-2.0-not-http\r\n\r\n\x00\xff")
                    answered[0] += 1
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    counters = Counters()
    url = "http://127.0.0.1:%d/v1/traces" % listener.getsockname()[1]
    started = time.monotonic()
    try:
        assert sender(url, counters).send(b"x", 1.5) is False
    finally:
        stop.set()
        thread.join(5)
        listener.close()
    assert time.monotonic() - started < 5.0
    assert answered[0] >= 1 and counters.retried >= 1

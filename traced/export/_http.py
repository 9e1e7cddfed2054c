"""The HTTP sender every network exporter uses: one POST per batch, retried within a deadline.

Standard library only (:mod:`http.client`). One keep-alive connection is reused between
batches and rebuilt after any failure. One deadline covers every attempt of a
:meth:`HttpSender.send`: connection errors, timeouts and the statuses OTLP/HTTP calls
retryable (429, 502, 503, 504) are retried with exponential backoff and full jitter, or
after the server's ``Retry-After``; every other status is final. :meth:`HttpSender.send`
never raises: it logs (at most one line per kind of failure a minute) and returns False.
"""

from __future__ import annotations

import email.utils
import gzip
import http.client
import logging
import os
import random
import socket
import ssl
import time
from datetime import timezone
from typing import Dict, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import urlsplit

from .._report import report_tracer_error
from ..counters import Counters
from ..tracer.span import FinishedSpan
from .._native import Signal
from ._ratelog import RateLimitedLog
from .base import Exporter

__all__ = ["HttpExporter", "HttpSender", "RETRYABLE_STATUSES"]

logger = logging.getLogger("traced.export")

#: Statuses OTLP/HTTP says a client should retry; any other non-2xx status is final.
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})

#: Errors of a keep-alive connection the server closed while idle: resent at once, once.
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)

_MAX_RESPONSE = 1 << 20  # bytes of a response body read; a longer one ends the connection

_Connection = Union[http.client.HTTPConnection, http.client.HTTPSConnection]


def parse_retry_after(value: Optional[str]) -> Optional[float]:
    """Seconds to wait from a ``Retry-After`` header (delay seconds or an HTTP date), or
    None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - time.time())


class HttpSender:
    """POSTs encoded batches to ``url`` (``http://`` or ``https://``) for one exporter.

    ``headers`` are sent with every request after ``Content-Type: content_type``;
    ``compression="gzip"`` compresses each body and says so in ``Content-Encoding``.
    ``timeout`` is the deadline :meth:`send` uses when given none. Retries are counted in
    ``counters`` (``retried``). Meant for one sending thread at a time (the processor's
    worker); :meth:`close` may come from another thread and interrupts a waiting retry.
    """

    #: Backoff before retry n (from 0) is uniform in [0, min(max, initial * 2**n)] seconds.
    initial_backoff = 0.5
    max_backoff = 30.0

    def __init__(
        self,
        url: str,
        *,
        content_type: str,
        headers: Optional[Mapping[str, str]] = None,
        compression: str = "none",
        timeout: float = 10.0,
        counters: Optional[Counters] = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("an export URL must be http:// or https:// with a host, not %r" % (url,))
        if compression not in ("none", "gzip"):
            raise ValueError("compression must be 'none' or 'gzip', not %r" % (compression,))
        self.url = url
        self.timeout = timeout
        self.counters = counters
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._path = (parts.path or "/") + ("?" + parts.query if parts.query else "")
        self._gzip = compression == "gzip"
        self._headers: Dict[str, str] = {"Content-Type": content_type}
        if self._gzip:
            self._headers["Content-Encoding"] = "gzip"
        self._headers.update(headers or {})
        self._conn: Optional[_Connection] = None
        self._pid = os.getpid()
        self._closed = False
        self._closing = Signal()  # set by close(): wakes a retry's backoff at once
        self._log = RateLimitedLog(logger)

    def send(self, body: bytes, timeout: Optional[float] = None) -> bool:
        """POST ``body``, retrying until ``timeout`` seconds have passed (and never longer
        than the sender's own ``timeout``: ``OTEL_EXPORTER_OTLP_TIMEOUT`` bounds each export
        inside the processor's ``OTEL_BSP_EXPORT_TIMEOUT``); True on a 2xx answer. Never
        raises."""
        try:
            return self._send(body, self.timeout if timeout is None else min(timeout, self.timeout))
        except Exception as exc:  # a bug here must not reach the exporter's caller
            self._drop_connection()
            self._log.warning("error", "traced: export to %s failed: %r", self.url, exc)
            return False

    def close(self) -> None:
        """Close the connection; later sends return False at once."""
        self._closed = True
        self._closing.set()
        self._drop_connection(shutdown=True)

    def _send(self, body: bytes, timeout: float) -> bool:
        if self._closed:
            return False
        deadline = time.monotonic() + timeout
        if os.getpid() != self._pid:  # a forked child never writes on its parent's socket
            self._pid = os.getpid()
            self._conn = None
        payload = gzip.compress(body, compresslevel=6) if self._gzip else body
        retries = 0
        while True:
            kind, detail, retry_after = self._attempt(payload, deadline)
            if kind == "ok":
                return True
            if kind == "final" or self._closed:
                self._log.warning(kind + detail, "traced: export to %s failed: %s", self.url, detail)
                return False
            remaining = deadline - time.monotonic()
            if retry_after is not None:
                delay = retry_after
            else:
                delay = random.uniform(0.0, min(self.max_backoff, self.initial_backoff * 2.0**retries))
            if delay >= remaining:
                self._log.warning(
                    "deadline" + detail,
                    "traced: export to %s failed: %s; no time left to retry within %.1f s%s",
                    self.url, detail, timeout,
                    " (Retry-After %.1f s)" % retry_after if retry_after is not None else "",
                )
                return False
            retries += 1
            if self.counters is not None:
                self.counters.add("retried")
            if self._closing.wait(delay):
                self._closing.set()  # stays set for any later wait
                return False

    def _attempt(self, payload: bytes, deadline: float) -> Tuple[str, str, Optional[float]]:
        """One POST (two when a reused connection turns out closed): ("ok"|"retry"|"final",
        what happened, Retry-After seconds or None)."""
        for fresh_try in (False, True):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "retry", "timed out", None
            reused = self._conn is not None
            try:
                status, retry_after = self._post(payload, remaining)
            except (socket.timeout, TimeoutError):
                self._drop_connection()
                return "retry", "timed out", None
            except _STALE as exc:
                self._drop_connection()
                if reused and not fresh_try:
                    continue
                return "retry", "connection lost (%s)" % type(exc).__name__, None
            except (OSError, http.client.HTTPException) as exc:
                self._drop_connection()
                return "retry", "cannot connect (%s)" % (exc,), None
            if 200 <= status < 300:
                return "ok", "", None
            if status in RETRYABLE_STATUSES:
                return "retry", "HTTP %d" % status, parse_retry_after(retry_after)
            return "final", "HTTP %d" % status, None
        return "retry", "connection lost", None  # not reached: the loop returns

    def _post(self, payload: bytes, remaining: float) -> Tuple[int, Optional[str]]:
        conn = self._conn
        if conn is None:
            if self._https:
                conn = http.client.HTTPSConnection(
                    self._host, self._port, timeout=remaining, context=ssl.create_default_context()
                )
            else:
                conn = http.client.HTTPConnection(self._host, self._port, timeout=remaining)
            self._conn = conn
        else:
            conn.timeout = remaining
            if conn.sock is not None:
                conn.sock.settimeout(remaining)
        conn.request("POST", self._path, body=payload, headers=self._headers)
        response = conn.getresponse()
        retry_after = response.getheader("Retry-After")
        if response.length is not None and response.length > _MAX_RESPONSE:
            self._drop_connection()  # not worth reading: a new connection is cheaper
        elif response.length is None:
            # a chunked answer (or one read to EOF) names no length: read at most
            # _MAX_RESPONSE bytes of it, and do not reuse a connection with more left
            response.read(_MAX_RESPONSE)
            if response.will_close or not response.isclosed():
                self._drop_connection()
        else:
            response.read()  # a truncated answer raises IncompleteRead: retried
            if response.will_close:
                self._drop_connection()
        return response.status, retry_after

    def _drop_connection(self, shutdown: bool = False) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if shutdown and conn.sock is not None:  # wakes a send blocked on another thread
                conn.sock.shutdown(socket.SHUT_RDWR)
        except Exception:
            pass
        try:
            conn.close()
        except Exception:
            pass


class HttpExporter(Exporter):
    """An exporter that POSTs each batch, encoded by :meth:`encode`, through an
    :class:`HttpSender`: the OTLP and Zipkin exporters.

    ``endpoint`` is the full URL (default :attr:`default_endpoint`); ``headers`` are added to each request (authentication,
    for instance); ``compression`` is ``"none"`` or ``"gzip"``; ``timeout`` bounds each
    export, retries included; retries are counted in ``counters``.
    """

    #: The ``Content-Type`` of the encoded batches.
    content_type = "application/octet-stream"
    #: Where batches go when no ``endpoint`` is given.
    default_endpoint = ""

    def __init__(
        self,
        endpoint: Optional[str] = None,
        *,
        headers: Optional[Mapping[str, str]] = None,
        compression: str = "none",
        timeout: float = 10.0,
        counters: Optional[Counters] = None,
    ) -> None:
        self.endpoint = endpoint = self.default_endpoint if endpoint is None else endpoint
        self._sender = HttpSender(
            endpoint,
            content_type=self.content_type,
            headers=headers,
            compression=compression,
            timeout=timeout,
            counters=counters,
        )
        self._closed = False

    def encode(self, spans: Sequence[FinishedSpan]) -> Optional[bytes]:
        """The request body for ``spans``; None when none of them could be encoded."""
        raise NotImplementedError

    def export(self, spans: Sequence[FinishedSpan], timeout: float) -> bool:
        """POST ``spans`` as one request; True when the server accepted it."""
        if self._closed:
            return False
        if not spans:
            return True
        try:
            body = self.encode(spans)
        except Exception as exc:
            report_tracer_error("%s.export" % type(self).__name__, exc)
            return False
        if body is None:
            return False
        return self._sender.send(body, timeout)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Close the connection; later exports return False."""
        self._closed = True
        self._sender.close()

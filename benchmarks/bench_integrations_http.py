"""Overhead of the outbound HTTP integrations on a real request to 127.0.0.1, against the
same request uninstrumented and OpenTelemetry's contrib instrumentation of the same library.

What is measured
    One keep-alive ``GET /`` per execution, through a client made once per batch: a
    ``requests.Session``, an ``httpx.Client`` and a ``urllib3.PoolManager``, to a server in
    a separate process (a minimal asyncio HTTP/1.1 server answering ``200 ok`` to every
    request, so that its own cost is small and the client's shows). For each library:

    * bare: not instrumented;
    * ours: ``traced.integrations.instrument(<library>)`` with a ``traced.Tracer`` (default
      sampler: every span sampled, a root span per request; ``MemoryRecorder`` emptied
      between batches) as the global tracer; for requests and urllib3 also every layer
      below instrumented at once (still one span per request);
    * OTel: ``opentelemetry-instrumentation-<library>`` 0.66b1 on an SDK ``TracerProvider``
      (the interpreter's, 1.45.1) with a span processor that discards, W3C propagation.

    Before each batch one request is checked to do what the line says: one span recorded
    (ours, OTel) or none (bare); it also opens the keep-alive connection outside the
    timing. A line that fails the check or whose package is missing prints "n/a" and why.

How
    As the other ``bench_*.py``: a line's statement runs in a ``for`` loop timed with
    ``time.perf_counter``, the garbage collector off during a batch, ``n`` calibrated on a
    line's first turn so that a batch lasts ``--batch-seconds``. The lines of a library
    take turns, one batch each, ``--rounds`` x ``--repeat`` times (instrumenting and
    uninstrumenting outside the timed part), so that a slow spell of the machine hits them
    alike. A line's figure is its minimum time per request over all its batches (the median
    is shown next to it); the ratio is to the bare line of the same library.

Targets (issue 11, "Speed"): ours at most 1.05x the bare request, and below OTel's ratio
on every line; each verdict is "ok" or "MISSED".

Usage
    python benchmarks/bench_integrations_http.py            # full run
    python benchmarks/bench_integrations_http.py --quick    # a short run
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from itertools import repeat
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from _timing import apply_defaults, calibrate, error_text, exit_status, fmt, gc_paused
from _timing import timing_parser

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SERVER = r"""
import asyncio
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"
class Answer(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""
    def data_received(self, data):
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            self.buffer = self.buffer.partition(b"\r\n\r\n")[2]
            self.transport.write(ANSWER)
async def main():
    server = await asyncio.get_running_loop().create_server(Answer, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
"""

MAX_RATIO = 1.05
LIBRARIES = ("requests", "httpx", "urllib3")
# the layers below each library, instrumented together on the "every layer" line
LAYERS = {"requests": ("requests", "urllib3", "http.client"), "urllib3": ("urllib3", "http.client")}

Toggle = Callable[[], Any]


class Line:
    """One row: ``on()`` instruments, ``off()`` undoes it; ``expected`` spans a request."""

    def __init__(self, label: str, on: Toggle, off: Toggle, expected: int) -> None:
        self.label, self.on, self.off, self.expected = label, on, off, expected
        self.times: List[float] = []
        self.n = 0
        self.error: Optional[str] = None


class Recorders:
    """Our tracer (the global tracer) and OTel's provider, made once; how many spans both
    recorded since the last reset."""

    def __init__(self) -> None:
        import opentracing
        from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

        from traced.tracer import MemoryRecorder, Tracer

        self.memory = MemoryRecorder()
        opentracing.set_global_tracer(Tracer("bench", recorder=self.memory))
        counts = self.otel_counts = [0]

        class Discard(SpanProcessor):
            def on_end(self, span: Any) -> None:
                counts[0] += 1

        self.provider = TracerProvider()
        self.provider.add_span_processor(Discard())

    def reset(self) -> None:
        self.memory.clear()
        self.otel_counts[0] = 0

    def recorded(self) -> int:
        return len(self.memory.spans) + self.otel_counts[0]


def _client(library: str, url: str) -> Tuple[Any, Callable[[], Any], Callable[[], Any]]:
    """(client, one request on it, close it)."""
    if library == "requests":
        import requests

        session = requests.Session()
        return session, lambda: session.get(url).content, session.close
    if library == "httpx":
        import httpx

        client = httpx.Client()
        return client, lambda: client.get(url).content, client.close
    import urllib3

    pool = urllib3.PoolManager()
    return pool, lambda: pool.request("GET", url).data, pool.clear


def _otel_instrumentor(library: str) -> Any:
    if library == "requests":
        from opentelemetry.instrumentation.requests import RequestsInstrumentor

        return RequestsInstrumentor()
    if library == "httpx":
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        return HTTPXClientInstrumentor()
    from opentelemetry.instrumentation.urllib3 import URLLib3Instrumentor

    return URLLib3Instrumentor()


def _lines(library: str, rec: Recorders) -> List[Line]:
    from traced.integrations import instrument, uninstrument

    lines = [
        Line("bare", lambda: None, lambda: None, 0),
        Line("ours", lambda: instrument(library), lambda: uninstrument(library), 1),
    ]
    if library in LAYERS:
        names = LAYERS[library]
        lines.append(Line("ours, every layer (%s)" % " + ".join(names),
                          lambda: instrument(*names), lambda: uninstrument(*names), 1))
    try:
        otel = _otel_instrumentor(library)
        lines.append(Line("OTel contrib 0.66b1",
                          lambda: otel.instrument(tracer_provider=rec.provider),
                          lambda: otel.uninstrument(), 1))
    except Exception as exc:
        line = Line("OTel contrib 0.66b1", lambda: None, lambda: None, 1)
        line.error = error_text(exc)
        lines.append(line)
    return lines


def _time(call: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    for _ in repeat(None, n):
        call()
    return time.perf_counter() - start


def _batch(line: Line, library: str, url: str, rec: Recorders, seconds: float) -> None:
    """One batch of ``line``: instrument, make a client, check one request, time ``n``."""
    line.on()
    try:
        _, call, close = _client(library, url)
        try:
            rec.reset()
            call()
            if rec.recorded() != line.expected:
                raise AssertionError("one request recorded %d spans, not %d"
                                     % (rec.recorded(), line.expected))
            if not line.n:
                line.n = calibrate(lambda k: _time(call, k), rec.reset, seconds)
            rec.reset()
            with gc_paused():
                line.times.append(_time(call, line.n) / line.n)
        finally:
            close()
    finally:
        line.off()


def _report(library: str, lines: List[Line], verdicts: List[str], missing: List[str]) -> None:
    bare = min(lines[0].times) if lines[0].times else None
    otel = lines[-1]
    otel_ratio = min(otel.times) / bare if bare and otel.times else None
    print("-- %s" % library)
    for line in lines:
        if not line.times or bare is None:
            print("%-52s %10s %8s %8s  %s" % (line.label, "n/a", "n/a", "n/a", line.error or ""))
            missing.append("%s: %s" % (library, line.label))
            continue
        best = min(line.times)
        ratio = best / bare
        target = ""
        if line.label.startswith("ours"):
            ok = ratio <= MAX_RATIO and (otel_ratio is None or ratio < otel_ratio)
            target = "%s (<= %.2fx and < OTel's %s)" % (
                "ok" if ok else "MISSED", MAX_RATIO,
                "%.3fx" % otel_ratio if otel_ratio else "n/a")
            verdicts.append("%s, %s: %s" % (library, line.label, "ok" if ok else "MISSED"))
        print("%-52s %10s %8s %7.3fx  %s" % (line.label, fmt(best * 1e6, 10),
                                             fmt(statistics.median(line.times) * 1e6, 8),
                                             ratio, target))


def main(argv: List[str]) -> int:
    parser = timing_parser(__doc__ or "", "ignored: OpenTelemetry is always compared",
                           "rounds over every line", "batches per line and round")
    args = parser.parse_args(argv)
    apply_defaults(args)
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    missing: List[str] = []
    verdicts: List[str] = []
    try:
        assert server.stdout is not None
        url = "http://127.0.0.1:%s/" % server.stdout.readline().strip()
        rec = Recorders()
        print("%-52s %10s %8s %8s  %s" % ("line (us per request)", "min", "median", "ratio",
                                          "target"))
        for library in LIBRARIES:
            try:
                lines = _lines(library, rec)
            except Exception as exc:
                print("-- %s: n/a (%s)" % (library, error_text(exc)))
                missing.append(library)
                continue
            for _ in range(args.rounds * args.repeat):
                for line in lines:
                    if line.error is None:
                        try:
                            _batch(line, library, url, rec, args.batch_seconds)
                        except Exception as exc:
                            line.error = error_text(exc)
            _report(library, lines, verdicts, missing)
    finally:
        server.terminate()
        server.wait(10)
    missed = [v for v in verdicts if v.endswith("MISSED")]
    print("\ntargets: %d of %d ok%s" % (len(verdicts) - len(missed), len(verdicts),
                                        "".join("\n  " + v for v in missed)))
    return exit_status(missing)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

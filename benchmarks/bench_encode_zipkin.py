"""Encoding throughput of the JSON exporters: our Zipkin v2 JSON and JSON lines against
OpenTelemetry's Zipkin JSON encoder and a plain ``json.dumps`` floor, in spans per second.

What is measured
    One batch of real finished spans, each with 8 tags (3 strings, an int, a float, a bool,
    a URL and a status text) and no logs, encoded in one call, on one core:

    * ours, Zipkin: ``traced.export.zipkin.encode_zipkin(spans)`` (bytes of a JSON array,
      the process tags of ``traced.Tracer`` included as tags on every span);
    * ours, JSON lines: ``traced.export.jsonl.encode_json_lines(spans)`` (the text written);
    * the floor: ``json.dumps(dicts).encode()`` of the Zipkin dicts of the same spans built
      beforehand (what serializing alone costs, with no conversion of ids, times or tags);
    * OpenTelemetry: ``JsonV2Encoder().serialize(spans, NodeEndpoint())`` of
      ``opentelemetry-exporter-zipkin-json`` 1.45.1 (installed with ``pip install --no-deps
      --target``, run on this interpreter's ``opentelemetry-sdk``), then ``.encode()``, on
      SDK spans with the same name and 8 attributes.

    Before timing, each line's output is checked to hold every span.

How
    The garbage collector is off while timing; each line runs ``--repeat`` times per round,
    the lines taking turns, ``--rounds`` rounds; a line's figure is its best batch (the
    least disturbed run), in spans per second, the median beside it. Ratios compare our
    lines with OpenTelemetry's (how many times faster) and with the floor.

Target: our Zipkin encoding at least 140,000 spans/s (8 tags, one core).

Usage
    python benchmarks/bench_encode_zipkin.py                 # full run, with OpenTelemetry's
    python benchmarks/bench_encode_zipkin.py --quick --no-compare
    python benchmarks/bench_encode_zipkin.py --compare-dir .cache/bench_encode_zipkin
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _timing import EIGHT_TAGS, apply_defaults, error_text, exit_status, fmt, gc_paused, pip_install_target, timing_parser  # noqa: E402

OTEL_PACKAGE = "opentelemetry-exporter-zipkin-json==1.45.1"
TARGET = 140_000.0
TAGS = EIGHT_TAGS


def our_spans(n: int) -> List[Any]:
    """``n`` finished spans of ``traced.Tracer``, each a child with the 8 tags."""
    import traced
    from traced.tracer import MemoryRecorder

    recorder = MemoryRecorder()
    tracer = traced.Tracer("checkout", recorder=recorder)
    with tracer.start_active_span("root"):
        for _ in range(n):
            tracer.start_span("GET /api/v1/orders", tags=TAGS).finish()
    return recorder.spans[:n]


def otel_spans(n: int) -> List[Any]:
    """``n`` finished OpenTelemetry SDK spans with the same name and 8 attributes."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

    kept: List[Any] = []

    class Keep(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            kept.extend(spans)
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(Keep()))
    tracer = provider.get_tracer("bench")
    with tracer.start_as_current_span("root"):
        for _ in range(n):
            tracer.start_span("GET /api/v1/orders", attributes=TAGS).end()
    return kept[:n]


def lines(n: int, otel_folder: Optional[str], otel_reason: str) -> Dict[str, Tuple[Optional[Callable[[], Any]], str]]:
    """Each line's batch call (None with the reason when it cannot run), checked once."""
    from traced.export.jsonl import encode_json_lines
    from traced.export.zipkin import _Encoder, encode_zipkin

    spans = our_spans(n)
    encoder = _Encoder()
    dicts = [json.loads(encoder.span(span)) for span in spans]
    result: Dict[str, Tuple[Optional[Callable[[], Any]], str]] = {
        "ours: encode_zipkin": (lambda: encode_zipkin(spans), ""),
        "ours: encode_json_lines": (lambda: encode_json_lines(spans), ""),
        "floor: json.dumps(dicts).encode()": (lambda: json.dumps(dicts).encode(), ""),
    }
    assert len(json.loads(encode_zipkin(spans))) == n
    assert encode_json_lines(spans).count("\n") == n
    label = "OpenTelemetry JsonV2Encoder 1.45.1"
    if otel_folder is None:
        result[label] = (None, otel_reason)
        return result
    try:
        sys.path.insert(0, otel_folder)
        from opentelemetry.exporter.zipkin.json.v2 import JsonV2Encoder
        from opentelemetry.exporter.zipkin.node_endpoint import NodeEndpoint

        sdk_spans = otel_spans(n)
        otel_encoder, endpoint = JsonV2Encoder(), NodeEndpoint()

        def otel() -> bytes:
            return otel_encoder.serialize(sdk_spans, endpoint).encode()

        assert len(json.loads(otel())) == n
        result[label] = (otel, "")
    except Exception as exc:
        result[label] = (None, error_text(exc))
    return result


def install_otel(args: Any) -> Tuple[Optional[str], str, Optional[str]]:
    """The folder with OpenTelemetry's Zipkin JSON exporter, or None and why; and a
    temporary folder to remove afterwards."""
    if args.no_compare:
        return None, "skipped: --no-compare", None
    cleanup = None
    if args.compare_dir:
        folder = Path(args.compare_dir) / "otel-zipkin-json"
    else:
        cleanup = tempfile.mkdtemp(prefix="bench-zipkin-")
        folder = Path(cleanup) / "otel-zipkin-json"
    done = folder / ".complete"
    if not done.exists():
        print(f"installing {OTEL_PACKAGE} ...", flush=True)
        folder.mkdir(parents=True, exist_ok=True)
        error = pip_install_target(str(folder), [OTEL_PACKAGE])
        if error:
            return None, error, cleanup
        done.touch()
    return str(folder), "", cleanup


def main(argv: List[str]) -> int:
    parser = timing_parser(__doc__ or "", "no pip: skip OpenTelemetry's encoder",
                           "rounds of all lines", "batches per line per round")
    parser.add_argument("--spans", type=int, help="spans per batch (default 1000, quick 200)")
    parser.add_argument("--compare-dir", help="keep the pip install here between runs")
    args = parser.parse_args(argv)
    apply_defaults(args)
    n = args.spans or (200 if args.quick else 1000)
    folder, reason, cleanup = install_otel(args)
    try:
        table = lines(n, folder, reason)
    finally:
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)
    times: Dict[str, List[float]] = {label: [] for label, (fn, _) in table.items() if fn}
    with gc_paused():
        for _ in range(args.rounds):
            for label, (fn, _) in table.items():
                if fn is None:
                    continue
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    fn()
                    times[label].append(time.perf_counter() - start)
    rate: Dict[str, Optional[float]] = {
        label: (n / min(times[label]) if label in times else None) for label in table
    }
    otel = rate.get("OpenTelemetry JsonV2Encoder 1.45.1")
    floor = rate["floor: json.dumps(dicts).encode()"]
    print(f"{n} spans a batch, 8 tags each; best of {args.rounds * args.repeat} batches")
    print(f"  {'line':<38}{'spans/s':>12}{'median':>12}{'x OTel':>9}{'x floor':>9}")
    for label, (fn, why) in table.items():
        if fn is None:
            print(f"  {label:<38}{'n/a':>12}  {why}")
            continue
        best = rate[label]
        median = n / statistics.median(times[label])
        vs_otel = best / otel if (best and otel) else None
        vs_floor = best / floor if (best and floor) else None
        print(f"  {label:<38}{best:>12,.0f}{median:>12,.0f}{fmt(vs_otel, 9, 2)}{fmt(vs_floor, 9, 2)}")
    ours = rate["ours: encode_zipkin"]
    verdict = "ok" if ours and ours >= TARGET else "MISSED"
    print(f"target: encode_zipkin >= {TARGET:,.0f} spans/s  {verdict} ({ours:,.0f})")
    missing = [label for label in ("ours: encode_zipkin", "ours: encode_json_lines") if not rate[label]]
    return exit_status(missing)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

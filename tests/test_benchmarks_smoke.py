"""Smoke test of the benchmarks: they run and print every line. Timings are never checked."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

LABELS = [
    "bare f()",
    "noop Tracer",
    "Mock+ThreadLocal",
    "Mock+Asyncio",
    "Mock+ContextVars",
    "Mock+Gevent",
    "Mock+Tornado",
]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=300
    )


def test_bench_opentracing_quick_runs_every_line():
    pytest.importorskip("gevent")
    pytest.importorskip("tornado")
    proc = _run(str(BENCHMARKS / "bench_opentracing.py"), "--quick", "--no-compare")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = proc.stdout
    for label in LABELS:
        assert label in table, f"{label!r} missing from:\n{table}"
    assert "n/a" not in table, table
    assert "opentracing" in table and "__init__.py" in table  # the column header


def test_run_all_runs_every_bench_script():
    pytest.importorskip("gevent")
    pytest.importorskip("tornado")
    proc = _run(str(BENCHMARKS / "run_all.py"), "--quick", "--no-compare")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for script in sorted(BENCHMARKS.glob("bench_*.py")):
        assert f"=== {script.name}" in proc.stdout


# bench_traced.py: every line of (a) and (b), then the side by side of (c).
TRACED_LABELS = [
    "bare f()",
    "functools.wraps pass-through",
    "@trace",
    "await bare coroutine",
    "await async pass-through",
    "@trace async def",
    "generator (1 item), untraced",
    "@trace generator (1 item)",
] + [
    label + f" [{manager}]"
    for manager in ("ThreadLocal", "ContextVars")
    for label in ("hand-written start_active_span", "@trace('x')", "with traced.span('x')")
]
TRACED_COMPARE_LABELS = [
    "ours: @trace",
    "opentracing_utils @trace()",
    "OTel @start_as_current_span",
]
# Filled by ``bench_traced.py --compare-dir .cache/bench_traced``; used only when complete,
# so this test never runs pip.
TRACED_COMPARE_CACHE = BENCHMARKS.parent / ".cache" / "bench_traced"


def test_bench_traced_quick_runs_every_line():
    cached = all((TRACED_COMPARE_CACHE / sub / ".complete").exists() for sub in ("otel", "otu"))
    compare = ["--compare-dir", str(TRACED_COMPARE_CACHE)] if cached else ["--no-compare"]
    proc = _run(str(BENCHMARKS / "bench_traced.py"), "--quick", *compare)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = proc.stdout
    assert "installing" not in table, table  # no pip in a test
    for label in TRACED_LABELS + TRACED_COMPARE_LABELS:
        row = re.compile(r"^  " + re.escape(label) + r"\s{2,}\S", re.MULTILINE)
        assert row.search(table), f"{label!r} missing from:\n{table}"
    ours, _, compare_part = table.partition("(c) side by side")
    assert "n/a" not in ours, table
    if not cached:
        assert compare_part.count("skipped (--no-compare)") == 4, table


def test_bench_instructions_counts_with_callgrind():
    """The instruction counter runs a line under callgrind and reports a positive count."""
    import shutil

    if shutil.which("valgrind") is None:
        pytest.skip("valgrind is not installed")
    proc = _run(str(BENCHMARKS / "bench_instructions.py"), "--calls", "50", "--only", "bare")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    match = re.search(r"^bare f\(\)\s+(\d+)\s+1\.00", proc.stdout, re.M)
    assert match and int(match.group(1)) > 100, proc.stdout


# bench_tracer.py: the recording tracer, the reference spans, OpenTelemetry, then the peers
# that need pip (skipped with --no-compare), and the summary of the targets.
TRACER_OURS_LABELS = [
    "bare f()",
    "ours sampled: with start_active_span",
    "ours unsampled (ALWAYS_OFF)",
    "ours sampled, 8 tags on start",
    "ours hand-written with global_tracer(): f()",
    "ours @trace('x') f()",
    "minimal span (slots, time_ns, getrandbits)",
    "minimal span + contextvar set/reset",
]
TRACER_OTHER_LABELS = [
    "OTel SDK sampled, discarding processor",
    "OTel SDK ALWAYS_OFF",
    "bare f() [peers process]",
    "jaeger-client 4.8.0 const 1, NullReporter",
    "jaeger-client 4.8.0 const 0, NullReporter",
    "basictracer 3.2.0, discarding recorder",
]
TRACER_TARGETS = [
    "sampled <= 2x minimal activated span",
    "sampled >= 8x cheaper than OTel sampled",
    "sampled >= 4x cheaper than jaeger-client sampled",
    "unsampled >= 15x cheaper than OTel ALWAYS_OFF",
    "@trace <= 1.10x hand-written with",
    "8 tags <= 1.5x no tags",
]


def test_bench_tracer_quick_runs_every_line():
    proc = _run(str(BENCHMARKS / "bench_tracer.py"), "--quick", "--no-compare")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = proc.stdout
    assert "installing" not in table, table  # no pip with --no-compare
    for label in TRACER_OURS_LABELS:  # ours and the reference: a figure, never n/a
        row = re.compile(r"^  " + re.escape(label) + r"\s+\d+\.\d", re.MULTILINE)
        assert row.search(table), f"{label!r} missing or without a figure:\n{table}"
    for label in TRACER_OTHER_LABELS:
        row = re.compile(r"^  " + re.escape(label) + r"\s+\S", re.MULTILINE)
        assert row.search(table), f"{label!r} missing from:\n{table}"
    assert table.count("skipped: --no-compare") == 4, table
    summary = table.partition("targets (issue 9):")[2]
    for text in TRACER_TARGETS:
        row = re.compile(r"^  " + re.escape(text) + r"\s+(ok|MISSED|n/a)", re.MULTILINE)
        assert row.search(summary), f"target {text!r} missing from:\n{table}"


def test_bench_encode_otlp_quick_runs_every_line():
    """The OTLP encoding benchmark prints a figure and a ratio for ours and both peers."""
    pytest.importorskip("opentelemetry.exporter.otlp.proto.common.trace_encoder")
    proc = _run(str(BENCHMARKS / "bench_encode_otlp.py"), "--quick")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for label in (
        "ours: encode_otlp (fresh encoder per batch)",
        "ours: encoder kept across batches (exporter)",
        "OTel encode_spans + SerializeToString",
        "generated classes built by hand",
    ):
        row = re.compile(r"^  " + re.escape(label) + r"\s+\d+\s+\d+\.\d+x$", re.MULTILINE)
        assert row.search(proc.stdout), f"{label!r} missing or without a figure:\n{proc.stdout}"
    assert re.search(r"^target: ours >= 100000 spans/s  (ok|MISSED)$", proc.stdout, re.MULTILINE)


# bench_encode_zipkin.py: our two encoders and the json.dumps floor, OpenTelemetry's encoder
# skipped with --no-compare.
ZIPKIN_LABELS = ["ours: encode_zipkin", "ours: encode_json_lines", "floor: json.dumps(dicts).encode()"]


def test_bench_encode_zipkin_quick_runs_every_line():
    proc = _run(str(BENCHMARKS / "bench_encode_zipkin.py"), "--quick", "--no-compare")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = proc.stdout
    assert "installing" not in table, table  # no pip with --no-compare
    for label in ZIPKIN_LABELS:
        row = re.compile(r"^  " + re.escape(label) + r"\s+[\d,]+\s", re.MULTILINE)
        assert row.search(table), f"{label!r} missing or without a figure:\n{table}"
    assert "OpenTelemetry JsonV2Encoder 1.45.1" in table and "skipped: --no-compare" in table
    assert re.search(r"^target: encode_zipkin >= 140,000 spans/s\s+(ok|MISSED)", table, re.MULTILINE), table


def test_bench_integrations_http_quick_runs_every_line():
    for name in ("requests", "httpx", "urllib3", "opentelemetry.instrumentation.requests"):
        pytest.importorskip(name)
    proc = _run(str(BENCHMARKS / "bench_integrations_http.py"), "--quick")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for label in ("-- requests", "-- httpx", "-- urllib3", "ours, every layer",
                  "OTel contrib 0.66b1", "targets:"):
        assert label in proc.stdout, proc.stdout
    assert "n/a" not in proc.stdout, proc.stdout


def test_bench_integrations_db_quick_prints_every_line():
    proc = _run(str(BENCHMARKS / "bench_integrations_db.py"), "--quick")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for label in ("sqlite3 in-memory SELECT, uninstrumented", "sqlite3 in-memory SELECT, ours",
                  "redis GET on 127.0.0.1, ours"):
        assert label in proc.stdout, proc.stdout

"""Smoke test of the benchmarks: they run and print every line. Timings are never checked."""

from __future__ import annotations

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

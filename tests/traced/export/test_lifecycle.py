"""The batch processor across a process's life, each in a fresh interpreter: spans finished
right before exit arrive, a forked child's spans arrive (and its parent's, once), and under
gevent's monkey.patch_all() the worker exports while the application never yields."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest

from ._sink import Sink

ROOT = Path(__file__).resolve().parents[3]


def child(scenario: str, url: str) -> Dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.traced.export._child", scenario, url],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result: Dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_spans_finished_right_before_exit_arrive(sink: Sink) -> None:
    assert child("atexit", sink.url) == {"finished": 1000}
    assert len(set(sink.span_ids())) == 1000


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_exports_its_own_spans(sink: Sink) -> None:
    result = child("fork", sink.url)
    assert result == {"child_status": 0, "parent_closed": True}
    ids = sink.span_ids()
    assert sorted(ids) == (list(range(1, 301)) + list(range(10_001, 10_301)) + list(range(20_001, 20_301)))


def test_under_gevent_monkey_patching_the_worker_exports(sink: Sink) -> None:
    pytest.importorskip("gevent")
    result = child("gevent", sink.url)
    assert result == {"busy_exported": 1000, "flushed": True, "closed": True, "exported": 1050}
    assert len(set(sink.span_ids())) == 1050

"""Every script in examples/ runs on its own (in a subprocess, with this interpreter),
exits 0 and prints the spans it is about."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))

#: Operation names (or other text) each script's output must show; a new script is run
#: too, and must at least print something.
EXPECTED = {
    "quickstart.py": ["- checkout (span 1)", "  - reserve-stock", "  - charge-card", "    - call-bank"],
    "decorators.py": ["parse", "store.save", "shop.order", "shop.refund", "'error': True"],
    "with_spans.py": ["import-file", "read", "row", "notify"],
    "async_tasks.py": ["crawl", "fetch", "parse"],
    "generators.py": ["consume", "read-lines", "read-line", "handle-line", "stream-events", "handle-event"],
    "greenlets.py": ["sync-files", "download"],
    "threads.py": ["make-thumbnails", "resize", "encode"],
    "flask_app.py": ["GET /checkout/<int:order_id>", "GET /orders/<int:order_id>", "render-line", "HTTP GET"],
    "starlette_app.py": ["GET /checkout/{order_id:int}", "WebSocket /ws/{room}", "lifespan: shutdown reached the app"],
    "waterfall.py": ["GET /orders/1042", "db.connect", "template.render", "TimeoutError"],
}


def test_every_documented_example_exists():
    """The scripts listed here are all in examples/ (a rename would skip their checks)."""
    assert set(EXPECTED) <= {p.name for p in SCRIPTS}


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_example_runs(script):
    """The script exits 0 and its output names the spans it produced, with ids."""
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=EXAMPLES.parent,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.strip()
    assert "span" in done.stdout
    for text in EXPECTED.get(script.name, []):
        assert text in done.stdout, f"{text!r} missing from the output of {script.name}"

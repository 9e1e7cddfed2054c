"""The Sphinx documentation builds without a warning, and the guide's examples run.

The build runs ``python -m sphinx -W --keep-going`` (as ``make docs`` does) into a temporary
folder. The guide's ``.. code-block:: python`` examples are written to run in order in one
session; they are joined into one test module, which pytest runs in a subprocess: importing
it executes every example (their asserts included), and the tests defined in the guide and
one added here (``fetch`` against a local HTTP server) run as tests.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
GUIDE = DOCS / "opentracing_guide.rst"


def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("sphinx")
    out = tmp_path / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", str(DOCS), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    for page in ("index.html", "opentracing_guide.html", "api.html", "traced_guide.html",
                 "traced_api.html", "tracer_guide.html"):
        assert (out / page).is_file(), page


def python_blocks(rst: str) -> list[str]:
    """The bodies of the ``.. code-block:: python`` directives of ``rst``, dedented."""
    blocks = []
    lines = rst.splitlines()
    i = 0
    while i < len(lines):
        if re.match(r"\s*\.\. code-block:: python\s*$", lines[i]):
            indent = len(lines[i]) - len(lines[i].lstrip())
            body = []
            i += 1
            while i < len(lines) and (
                not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent
            ):
                body.append(lines[i])
                i += 1
            blocks.append(textwrap.dedent("\n".join(body)).strip("\n"))
        else:
            i += 1
    return blocks


FETCH_TEST = '''

def test_fetch_sends_trace_headers():
    import http.server
    import threading

    received = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            received.update(self.headers.items())
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    previous = opentracing.global_tracer()
    tracer = MockTracer()
    opentracing.set_global_tracer(tracer)
    try:
        body = fetch(f"http://127.0.0.1:{server.server_port}/")
    finally:
        opentracing.set_global_tracer(previous)
        server.shutdown()
        server.server_close()
    assert body == b"ok"
    [span] = tracer.finished_spans()
    assert span.tags[tags.HTTP_STATUS_CODE] == 200
    assert span.tags[tags.SPAN_KIND] == "client"
    server_side = tracer.extract(Format.HTTP_HEADERS, received)
    assert server_side.span_id == span.context.span_id
'''


def run_guide_as_tests(guide: Path, tmp_path: Path, extra: str = "") -> str:
    """Join the guide's python examples (plus ``extra``) into one test module, run pytest on
    it in a subprocess, assert it passed, and return its output."""
    blocks = python_blocks(guide.read_text(encoding="utf-8"))
    module = tmp_path / f"test_{guide.stem}_examples.py"
    module.write_text("\n\n".join(blocks) + extra, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(module)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    return proc.stdout


def test_guide_examples_run(tmp_path):
    pytest.importorskip("gevent")
    pytest.importorskip("tornado")
    assert len(python_blocks(GUIDE.read_text(encoding="utf-8"))) >= 10, "examples not found"
    out = run_guide_as_tests(GUIDE, tmp_path, FETCH_TEST)
    assert "2 passed" in out, out[-3000:]


def test_traced_guide_examples_run(tmp_path):
    """The traced guide's examples run in order and its test passes with the plugin."""
    guide = DOCS / "traced_guide.rst"
    assert len(python_blocks(guide.read_text(encoding="utf-8"))) >= 8, "examples not found"
    out = run_guide_as_tests(guide, tmp_path)
    assert "1 passed" in out, out[-3000:]


def test_tracer_guide_examples_run(tmp_path):
    """The recording tracer's guide runs as written."""
    guide = DOCS / "tracer_guide.rst"
    assert len(python_blocks(guide.read_text(encoding="utf-8"))) >= 6, "examples not found"
    run_guide_as_tests(guide, tmp_path)


def test_readme_is_valid_restructuredtext():
    """README.rst renders without a docutils warning (a malformed table, say)."""
    import docutils.core
    from docutils.utils import SystemMessage

    text = (Path(__file__).resolve().parent.parent / "README.rst").read_text(encoding="utf-8")
    try:
        docutils.core.publish_string(
            text, writer_name="null", settings_overrides={"report_level": 2, "halt_level": 2}
        )
    except SystemMessage as exc:  # pragma: no cover - the failure message is the point
        raise AssertionError(str(exc)) from None

"""TornadoScopeManager on Tornado 5.1.1, the last release before Tornado 6.

The test installs tornado==5.1.1 into ``.cache/tornado51`` (once; later runs reuse it) and
then, in a subprocess whose ``PYTHONPATH`` puts that directory first, checks that it really
imports Tornado 5.1.1, runs a small scope-manager check, and runs pytest on every
``testbed/*/test_tornado.py`` file. It is skipped only when pip cannot reach the package
index; any other failure fails.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TARGET = REPO / ".cache" / "tornado51"
VERSION = "5.1.1"

# Phrases pip prints when it cannot talk to the index at all.
_NETWORK_ERRORS = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "Connection refused",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ProxyError",
    "Max retries exceeded",
)

# Run inside the subprocess: argv[1] is TARGET, the rest are the test files.
_CHECK_AND_RUN = r"""
import sys

import tornado
from tornado import gen
from tornado.ioloop import IOLoop

assert tornado.version == "5.1.1", tornado.version
assert tornado.__file__.startswith(sys.argv[1]), tornado.__file__

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.tornado import TornadoScopeManager, tracer_stack_context

tracer = MockTracer(TornadoScopeManager())


@gen.coroutine
def child():
    with tracer.start_active_span("child"):
        yield gen.sleep(0.001)


@gen.coroutine
def parent():
    with tracer_stack_context():
        with tracer.start_active_span("parent") as scope:
            yield child()
            assert tracer.active_span is scope.span
        assert tracer.active_span is None


loop = IOLoop()
loop.run_sync(parent, timeout=5)
loop.close()
spans = [(s.operation_name, s.parent_id) for s in tracer.finished_spans()]
assert spans == [("child", 1), ("parent", None)], spans
print("tornado", tornado.version, "from", tornado.__file__, ": scope manager ok")

import pytest

# opentracing is imported above, so pytest cannot rewrite it; that warning is expected.
options = ["-q", "-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning"]
sys.exit(pytest.main(options + sys.argv[2:]))
"""


def _install_tornado51():
    """Install Tornado 5.1.1 into TARGET unless it is there already."""
    if (TARGET / f"tornado-{VERSION}.dist-info").is_dir() and (TARGET / "tornado").is_dir():
        return
    command = [
        sys.executable, "-m", "pip", "install", "--disable-pip-version-check",
        "--no-deps", "--upgrade", "--retries", "1", "--timeout", "20",
        "--target", str(TARGET), f"tornado=={VERSION}",
    ]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if proc.returncode == 0:
        return
    output = proc.stdout + proc.stderr
    if any(phrase in output for phrase in _NETWORK_ERRORS):
        pytest.skip(f"pip cannot reach the package index: {output.strip()[-800:]}")
    pytest.fail(f"installing tornado=={VERSION} failed:\n{output}")


def test_testbed_tornado_scenarios_pass_on_tornado_51():
    """Every testbed Tornado scenario, and a parent/child check, pass on Tornado 5.1.1."""
    files = sorted(str(p.relative_to(REPO)) for p in REPO.glob("testbed/*/test_tornado.py"))
    assert files, "no testbed/*/test_tornado.py files found"
    _install_tornado51()

    env = dict(os.environ, PYTHONPATH=str(TARGET))
    proc = subprocess.run(
        [sys.executable, "-c", _CHECK_AND_RUN, str(TARGET)] + files,
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"Tornado {VERSION} run failed:\n{output}"
    assert f"tornado {VERSION} from" in output
    assert " passed" in output and " failed" not in output

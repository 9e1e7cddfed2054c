"""TornadoScopeManager on Tornado 4.5.3, 5.1.1 (both with ``tornado.stack_context``) and 6.

For 4.5.3 and 5.1.1 the test installs that release into ``.cache/tornado<major><minor>``
(once; later runs reuse it); for 6 it uses the virtualenv's Tornado. Then, in a subprocess
whose ``PYTHONPATH`` puts that directory first, it checks which Tornado really got
imported and runs pytest on ``test_tornado_scope_manager.py`` (the 2.4 scope harness under
``tracer_stack_context()``, parent and child across ``@gen.coroutine`` yields, the stack
contexts, thread fallback) and on every ``testbed/*/test_tornado.py``. The testbed
scenarios that need a scope stack per task are skipped on Tornado < 6 with their reason.
The test is skipped only when pip cannot reach the package index; any other failure fails.
"""

import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

REPO = Path(__file__).resolve().parents[2]

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

# Run inside the subprocess: argv[1] is the expected version, argv[2] the directory it must
# come from ("" for the virtualenv's), the rest are pytest arguments. Nothing of
# opentracing is imported before pytest, so pytest can rewrite its asserts.
_CHECK_AND_RUN = r"""
import sys

import tornado

expected, target = sys.argv[1], sys.argv[2]
if expected == "6":
    assert tornado.version_info >= (6,), tornado.version
else:
    assert tornado.version == expected, tornado.version
    assert tornado.__file__.startswith(target), tornado.__file__
print("tornado", tornado.version, "from", tornado.__file__)

import pytest

sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "-rs"] + sys.argv[3:]))
"""


def _install(version: str) -> Path:
    """Install Tornado ``version`` into its cache directory unless it is there already."""
    major, minor = version.split(".")[:2]
    target = REPO / ".cache" / f"tornado{major}{minor}"
    if (target / f"tornado-{version}.dist-info").is_dir() and (target / "tornado").is_dir():
        return target
    command = [
        sys.executable, "-m", "pip", "install", "--disable-pip-version-check",
        "--no-deps", "--upgrade", "--retries", "1", "--timeout", "20",
        "--target", str(target), f"tornado=={version}",
    ]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if proc.returncode == 0:
        return target
    output = proc.stdout + proc.stderr
    if any(phrase in output for phrase in _NETWORK_ERRORS):
        pytest.skip(f"pip cannot reach the package index: {output.strip()[-800:]}")
    pytest.fail(f"installing tornado=={version} failed:\n{output}")


@pytest.mark.parametrize("version", ["4.5.3", "5.1.1", "6"])
def test_scope_manager_and_testbed_on_tornado(version: str) -> None:
    """The scope-manager tests and the testbed Tornado scenarios pass on this Tornado."""
    files = sorted(str(p.relative_to(REPO)) for p in REPO.glob("testbed/*/test_tornado.py"))
    assert files, "no testbed/*/test_tornado.py files found"
    files.insert(0, "tests/opentracing/test_tornado_scope_manager.py")
    target: Optional[Path] = None if version == "6" else _install(version)

    env = dict(os.environ)
    if target is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(target), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, "-c", _CHECK_AND_RUN, version, str(target or "")] + files,
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"Tornado {version} run failed:\n{output}"
    assert "tornado " in output and " passed" in output and " failed" not in output, output
    if version != "6":  # the skips on Tornado < 6 are the stated ones, and only those
        skips = [line for line in output.splitlines() if line.startswith("SKIPPED")]
        assert skips and all("needs per-task scope stacks" in line or "Tornado 6" in line
                             for line in skips), output

"""Installs real OpenTracing 2.x libraries from PyPI, without their ``opentracing``
requirement, so that the tests in this folder can show them working on this package.

Each library gets a folder ``<repo>/.cache/compat/<name>/`` holding

* ``site/``   -- the library and its other runtime dependencies, installed with
  ``pip install --no-deps --target``: every dependency is listed by hand below, and
  ``opentracing`` never is, so the only ``opentracing`` they can import is ours;
* ``testsite/`` -- extra packages the library's own test suite needs (mock, flaky, ...);
* ``src/tests/`` -- the ``tests/`` folder of the library's sdist
  (``pip download --no-deps --no-binary <project>``), for running its own tests;
* ``installed.json`` -- the marker: written last, it records what was installed, and a
  later run with the same recipe reuses the folder without touching the network.

``site/`` is appended to ``sys.path`` of this interpreter for the in-process tests (so the
virtualenv's own packages keep priority); a library's own test suite runs in a subprocess
with ``PYTHONPATH=site:testsite`` and the ``compat_guard`` plugin, which refuses to run
unless ``opentracing`` is imported from this repository.

When pip cannot reach the package index at all the tests that need it are skipped with
pip's error; any other failure to install is a test failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ElementTree
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Sequence, Tuple

import pytest

import opentracing

try:
    import fcntl
except ImportError:  # not on Windows: installs there are not guarded against each other
    fcntl = None  # type: ignore[assignment]

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
# OPENTRACING_COMPAT_CACHE moves the cache elsewhere (to time a cold run, say).
CACHE = Path(os.environ.get("OPENTRACING_COMPAT_CACHE") or REPO / ".cache" / "compat").resolve()
GUARD_DIR = HERE / "plugins"
RECIPE_VERSION = 1  # bump to force a reinstall of every library

# Output of pip that means "the package index could not be reached at all".
_NETWORK_ERRORS = re.compile(
    r"NewConnectionError|Failed to establish a new connection|Max retries exceeded"
    r"|Temporary failure in name resolution|Name or service not known"
    r"|Network is unreachable|Connection refused|ConnectTimeoutError|ReadTimeoutError"
    r"|ProxyError|No route to host|Could not fetch URL"
)


@dataclass(frozen=True)
class Library:
    """How to install one library and run its tests."""

    name: str
    requirement: str
    module: str  # the top-level module of the library, checked to come from site/
    deps: Tuple[str, ...] = ()  # other runtime dependencies, pinned; never opentracing
    test_deps: Tuple[str, ...] = ()  # what its own test suite needs on top
    sdist: bool = True  # fetch the sdist's tests/ folder
    # (file inside tests/, old text, new text): mechanical fixes of test files that current
    # tools reject for reasons that have nothing to do with opentracing (documented in
    # the test module that runs them).
    test_patches: Tuple[Tuple[str, str, str], ...] = ()
    # top-level entries of site/ to delete after installing (a stray ``tests`` package)
    drop: Tuple[str, ...] = ()
    recipe: int = field(default=RECIPE_VERSION)
    # take the tests from the ``tests`` package that the library's wheel installs into
    # site/ (moved to src/tests), for a library published without an sdist
    wheel_tests: bool = False
    # folders under plugins/ put on the subprocess's PYTHONPATH (test-only shims)
    shims: Tuple[str, ...] = ()


LIBRARIES: Dict[str, Library] = {
    lib.name: lib
    for lib in (
        Library(
            name="jaeger-client",
            requirement="jaeger-client==4.8.0",
            module="jaeger_client",
            deps=("threadloop==1.0.2", "thrift==0.25.0", "six==1.17.0"),
            # tornado comes from the virtualenv (opentracing[tests] needs it)
            test_deps=(
                "mock==5.2.0",
                "pycurl==7.49.0",
                "pytest-tornado==0.8.1",
                "pytest-timeout==2.4.0",
            ),
            test_patches=(
                ("test_tracer.py", "'mode,'", "'mode'"),
                ("test_tracer.py", "'one_span_per_rpc,'", "'one_span_per_rpc'"),
            ),
        ),
        Library(
            name="basictracer",
            requirement="basictracer==3.2.0",
            module="basictracer",
            # its wire_pb2.py was generated for protobuf 3; 3.20.3 is a pure-Python wheel
            deps=("protobuf==3.20.3", "six==1.17.0"),
            test_deps=("mock==5.2.0", "pytest-mock==3.17.0"),
        ),
        Library(
            name="flask-opentracing",
            requirement="Flask-OpenTracing==2.0.0",
            module="flask_opentracing",
            deps=(
                "Flask==3.1.3",
                "Werkzeug==3.1.9",
                "Jinja2==3.1.6",
                "MarkupSafe==3.0.4",
                "itsdangerous==2.2.0",
                "click==8.5.1",
                "blinker==1.9.0",
            ),
            test_deps=("mock==5.2.0", "flaky==3.8.1"),
            # its sdist installs its test modules as a top-level ``tests`` package
            drop=("tests",),
        ),
        Library(
            name="opentelemetry-opentracing-shim",
            requirement="opentelemetry-opentracing-shim==0.66b1",
            module="opentelemetry.shim.opentracing_shim",
            deps=(
                "opentelemetry-api==1.45.1",
                "opentelemetry-sdk==1.45.1",
                "opentelemetry-semantic-conventions==0.66b1",
                "typing_extensions==4.16.0",
            ),
            # opentelemetry.test.mock_textmap, used by the shim's test_shim.py
            test_deps=("opentelemetry-test-utils==0.66b1",),
        ),
        Library(
            name="signalfx-tracing",
            requirement="signalfx-tracing==2.2.0",
            module="signalfx_tracing",
            deps=(
                # its Tornado instrumentation: a fork of tornado-opentracing (module
                # tornado_opentracing) that uses our TornadoScopeManager and
                # tracer_stack_context on Tornado < 6
                "signalfx-instrumentation-tornado==1.2.0",
                # Tornado 5.1 in this site/, ahead of the virtualenv's Tornado 6
                "tornado==5.1.1",
                "wrapt==1.17.3",
                "six==1.17.0",
            ),
            test_deps=("mock==5.2.0",),
            test_patches=(
                (
                    "unit/libraries/tornado_/helpers/_test_case.py",
                    "class AsyncHTTPTestCase(tornado.testing.AsyncHTTPTestCase):\n",
                    "class AsyncHTTPTestCase(tornado.testing.AsyncHTTPTestCase):\n"
                    "    runTest = None  # pytest 8 collects it with methodName='runTest'\n",
                ),
            ),
            # published as a wheel only; the wheel installs its tests as a ``tests`` package
            sdist=False,
            wheel_tests=True,
            shims=("old_tornado",),
        ),
        Library(
            name="starlette-opentracing",
            requirement="Starlette-OpenTracing==0.1.0",
            module="starlette_opentracing",
            deps=(
                "starlette==0.47.3",
                "anyio==4.11.0",
                "sniffio==1.3.1",
                "typing_extensions==4.16.0",
                "idna==3.20",
                # starlette.testclient (its tests), and a real server for ours
                "httpx==0.28.1",
                "httpcore==1.0.9",
                "h11==0.16.0",
                "certifi==2026.10.19.post1",
                "uvicorn==0.35.0",
                "click==8.5.1",
            ),
            # its sdist installs its test modules as a top-level ``tests`` package
            drop=("tests",),
        ),
        Library(
            name="opentracing-instrumentation",
            requirement="opentracing-instrumentation==3.3.1",
            module="opentracing_instrumentation",
            deps=(
                # it requires tornado<6: Tornado 5.1 in this site/, ahead of the
                # virtualenv's Tornado 6 only in the subprocess (PYTHONPATH)
                "tornado==5.1.1",
                # future: ``from builtins import``/``future.standard_library`` in most
                # modules; contextlib2: local_span; six: http_server, http_client;
                # wrapt: client_hooks._dbapi2
                "future==1.0.0",
                "contextlib2==21.6.0",
                "six==1.17.0",
                "wrapt==1.17.3",
            ),
            # its wheel has no tests and its sdist's need boto3, celery, moto, redis, ...:
            # the scenarios in test_opentracing_instrumentation.py are ours
            sdist=False,
            shims=("old_tornado",),
        ),
        Library(
            # the same library again, with requests and without Tornado 5.1, for its
            # requests client hook in process (test_on_traced_tracer.py); Tornado 6 (for
            # its request_context) comes from the virtualenv
            name="opentracing-instrumentation-requests",
            requirement="opentracing-instrumentation==3.3.1",
            module="opentracing_instrumentation",
            deps=(
                "future==1.0.0",
                "contextlib2==21.6.0",
                "six==1.17.0",
                "wrapt==1.17.3",
                "requests==2.34.2",
                "urllib3==2.8.0",
                "charset-normalizer==3.5.3",
                "idna==3.20",
                "certifi==2026.10.19.post1",
            ),
            sdist=False,
        ),
    )
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "compat: installs a library from PyPI (deselect with -m 'not compat')"
    )


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == HERE and "_lib" in " ".join(item.fixturenames):
            item.add_marker(pytest.mark.compat)


class _PipError(Exception):
    pass


def _pip(args: Sequence[str], cwd: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "--disable-pip-version-check",
        "--no-input",
        "--retries",
        "2",
        "--timeout",
        "60",
        *args,
    ]
    proc = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL
    )
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip()
        tail = "\n".join(line for line in output.splitlines() if "is ignored" not in line)
        message = "%s failed (%d):\n%s" % (" ".join(cmd[3:]), proc.returncode, tail[-3000:])
        if _NETWORK_ERRORS.search(output):
            pytest.skip("PyPI cannot be reached, so this compat test cannot run: " + message)
        raise _PipError(message)


def _project(requirement: str) -> str:
    return re.split(r"[=<>!~\[ ;]", requirement, maxsplit=1)[0]


def _assert_no_opentracing(folder: Path) -> None:
    """No copy of the PyPI ``opentracing`` distribution may hide in ``folder``."""
    if not folder.is_dir():
        return
    intruders = [
        p.name
        for p in folder.iterdir()
        if p.name == "opentracing" or p.name.lower().startswith("opentracing-")
    ]
    assert not intruders, "%s holds a foreign opentracing: %s" % (folder, intruders)


def _extract_tests(sdist_dir: Path, dest: Path, lib: Library) -> None:
    archives = [p for p in sdist_dir.iterdir() if p.name.endswith((".tar.gz", ".zip"))]
    assert len(archives) == 1, "expected one sdist in %s, got %s" % (sdist_dir, archives)
    with tarfile.open(archives[0]) as tar:
        members = []
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if len(parts) >= 3 and parts[1] == "tests" and (member.isfile() or member.isdir()):
                member.name = str(Path(*parts[1:]))
                members.append(member)
        assert members, "%s has no tests/ folder" % archives[0].name
        try:
            tar.extractall(dest, members=members, filter="data")
        except TypeError:  # a Python without extraction filters
            tar.extractall(dest, members=members)
    _prepare_tests(dest, lib)


def _prepare_tests(dest: Path, lib: Library) -> None:
    for filename, old, new in lib.test_patches:
        path = dest / "tests" / filename
        text = path.read_text(encoding="utf-8")
        assert old in text, "patch %r no longer applies to %s" % (old, path)
        path.write_text(text.replace(old, new), encoding="utf-8")
    # An ini of our own: their setup.cfg/tox.ini options (coverage, ...) are not wanted.
    (dest / "pytest.ini").write_text(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\n", encoding="utf-8"
    )


@dataclass
class InstalledLibrary:
    """A library installed under ``.cache/compat/<name>``."""

    spec: Library
    root: Path

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def testsite(self) -> Path:
        return self.root / "testsite"

    @property
    def src(self) -> Path:
        return self.root / "src"

    def subprocess_env(self) -> Dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHON"))
        }
        shims = [str(GUARD_DIR / shim) for shim in self.spec.shims]
        env["PYTHONPATH"] = os.pathsep.join(
            [str(self.site), str(self.testsite), str(GUARD_DIR), *shims]
        )
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["COMPAT_OPENTRACING_ROOT"] = str(REPO)
        env["COMPAT_LIBRARY_MODULE"] = self.spec.module
        env["COMPAT_LIBRARY_SITE"] = str(self.site)
        return env

    def run_scenarios(self, test_file: str, scenarios: Sequence[str], tmp_path: Path) -> None:
        """Run the ``scenario_*`` functions of ``test_file`` (a module of ours) with pytest
        in a subprocess on this library's site/ alone, and assert that exactly
        ``scenarios`` ran and passed."""
        result = self.run_own_tests(
            ["-o", "python_functions=scenario_*", str(Path(test_file).resolve())],
            tmp_path,
            cwd=REPO,
        )
        result.assert_clean(minimum_passed=len(scenarios))
        ran = {key.rsplit("::", 1)[-1] for key in result.outcomes("passed")}
        assert ran == set(scenarios), result.output[-3000:]

    def run_own_tests(
        self,
        args: Sequence[str],
        tmp_path: Path,
        timeout: float = 240,
        cwd: "Path | None" = None,
    ) -> "SuiteResult":
        """Run the library's own tests (``src/tests``) with pytest in a subprocess (or,
        with ``cwd=REPO``, tests of ours that must run on this library's site/ alone)."""
        junit = tmp_path / "junit.xml"
        guard_report = tmp_path / "guard.json"
        env = self.subprocess_env()
        env["COMPAT_GUARD_REPORT"] = str(guard_report)
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "compat_guard",
            "-q",
            "-rfE",
            "--junitxml",
            str(junit),
            "-W",
            "ignore::DeprecationWarning",
            *args,
        ]
        proc = subprocess.run(
            cmd,
            cwd=self.src if cwd is None else cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        output = proc.stdout + proc.stderr
        assert guard_report.exists(), "compat_guard did not run:\n" + output
        guard = json.loads(guard_report.read_text(encoding="utf-8"))
        return SuiteResult(proc.returncode, output, _junit_cases(junit), guard)


@dataclass
class SuiteResult:
    returncode: int
    output: str
    cases: Dict[str, str]  # "file.py::Class::test" -> passed/failed/error/skipped
    guard: Dict[str, str]

    def outcomes(self, outcome: str) -> List[str]:
        return sorted(k for k, v in self.cases.items() if v == outcome)

    def assert_clean(self, minimum_passed: int) -> None:
        """Exit status 0, nothing failed or errored, at least ``minimum_passed`` passed."""
        bad = self.outcomes("failed") + self.outcomes("error")
        assert self.returncode == 0 and not bad, "own tests failed: %s\n%s" % (
            bad,
            self.output[-6000:],
        )
        passed = self.outcomes("passed")
        assert len(passed) >= minimum_passed, "only %d passed:\n%s" % (
            len(passed),
            self.output[-3000:],
        )
        assert self.guard["opentracing"].startswith(str(REPO / "opentracing")), self.guard


def _junit_cases(path: Path) -> Dict[str, str]:
    if not path.exists():
        return {}
    cases: Dict[str, str] = {}
    for case in ElementTree.parse(path).iter("testcase"):
        module, _, cls = case.get("classname", "").rpartition(".")
        cls_name = cls
        if module and not cls[:1].isupper():  # module-level test: classname is the module
            module, cls_name = case.get("classname", ""), ""
        filename = module.replace(".", "/").split("tests/", 1)[-1] + ".py"
        key = "::".join(p for p in (filename, cls_name, case.get("name", "")) if p)
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed"}.get(child.tag, child.tag)
                break
        cases[key] = outcome
    return cases


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path``: another pytest run (a developer's and an
    editor's, say) may be installing the same library into the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _install(lib: Library) -> InstalledLibrary:
    with _locked(CACHE / (lib.name + ".lock")):
        return _install_unlocked(lib)


def _install_unlocked(lib: Library) -> InstalledLibrary:
    root = CACHE / lib.name
    installed = InstalledLibrary(lib, root)
    marker = root / "installed.json"
    recipe = asdict(lib)
    for key in ("wheel_tests", "shims"):  # added later: left out at their defaults, so
        if not recipe[key]:  # that the folders installed before stay valid
            del recipe[key]
    recipe = json.loads(json.dumps(recipe))  # tuples -> lists, as read back from JSON
    if marker.exists():
        try:
            if json.loads(marker.read_text(encoding="utf-8")) == recipe:
                return installed
        except ValueError:
            pass
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    _pip(["install", "--no-deps", "--target", str(installed.site), lib.requirement, *lib.deps], root)
    if lib.wheel_tests:
        installed.src.mkdir()
        shutil.move(str(installed.site / "tests"), str(installed.src / "tests"))
        _prepare_tests(installed.src, lib)
    for name in lib.drop:
        victim = installed.site / name
        if victim.is_dir():
            shutil.rmtree(victim)
    if lib.test_deps:
        _pip(["install", "--no-deps", "--target", str(installed.testsite), *lib.test_deps], root)
    if lib.sdist:
        sdist_dir = root / "sdist"
        _pip(
            # --no-binary for this project only: ":all:" would also build the sdist's build
            # backend (hatchling, setuptools, ...) from source, for a minute or more.
            [
                "download",
                "--no-deps",
                "--no-binary",
                _project(lib.requirement),
                "-d",
                str(sdist_dir),
                lib.requirement,
            ],
            root,
        )
        _extract_tests(sdist_dir, installed.src, lib)
    marker.write_text(json.dumps(recipe, indent=2), encoding="utf-8")
    return installed


_installed: Dict[str, InstalledLibrary] = {}


def _library(name: str) -> Iterator[InstalledLibrary]:
    lib = _installed.get(name)
    if lib is None:
        try:
            lib = _install(LIBRARIES[name])
        except _PipError as exc:
            pytest.fail(str(exc), pytrace=False)
        _installed[name] = lib
    _assert_no_opentracing(lib.site)
    _assert_no_opentracing(lib.testsite)
    if str(lib.site) not in sys.path:
        sys.path.append(str(lib.site))
    yield lib


def assert_ours(module: object) -> None:
    """``module`` (a library module) imports ``opentracing`` from this repository."""
    ot = getattr(module, "opentracing", None) or sys.modules["opentracing"]
    assert ot is opentracing
    path = Path(opentracing.__file__).resolve()
    assert path.is_relative_to(REPO / "opentracing"), path
    assert "site-packages" not in path.parts and not path.is_relative_to(CACHE), path
    module_file = Path(getattr(module, "__file__", "")).resolve()
    assert module_file.is_relative_to(CACHE), "%s is not the PyPI copy" % module_file


@pytest.fixture(scope="session")
def jaeger_client_lib() -> Iterator[InstalledLibrary]:
    yield from _library("jaeger-client")


@pytest.fixture(scope="session")
def basictracer_lib() -> Iterator[InstalledLibrary]:
    yield from _library("basictracer")


@pytest.fixture(scope="session")
def flask_opentracing_lib() -> Iterator[InstalledLibrary]:
    yield from _library("flask-opentracing")


@pytest.fixture(scope="session")
def otel_shim_lib() -> Iterator[InstalledLibrary]:
    yield from _library("opentelemetry-opentracing-shim")


@pytest.fixture(scope="session")
def signalfx_tracing_lib() -> Iterator[InstalledLibrary]:
    yield from _library("signalfx-tracing")


@pytest.fixture(scope="session")
def starlette_opentracing_lib() -> Iterator[InstalledLibrary]:
    yield from _library("starlette-opentracing")


@pytest.fixture(scope="session")
def opentracing_instrumentation_lib() -> Iterator[InstalledLibrary]:
    yield from _library("opentracing-instrumentation")


@pytest.fixture(scope="session")
def opentracing_instrumentation_requests_lib() -> Iterator[InstalledLibrary]:
    yield from _library("opentracing-instrumentation-requests")


@pytest.fixture
def reset_global_tracer() -> Iterator[None]:
    """Put back the no-op global tracer after a test that installed one."""
    opentracing._reset_global_tracer()
    yield
    opentracing._reset_global_tracer()


@pytest.fixture
def middleware(starlette_opentracing_lib: InstalledLibrary) -> Any:
    """Starlette-OpenTracing's middleware class, from the PyPI copy."""
    import starlette_opentracing
    import starlette_opentracing.middleware

    assert_ours(starlette_opentracing.middleware)
    return starlette_opentracing.StarletteTracingMiddleWare

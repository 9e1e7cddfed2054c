"""This package side by side with PyPI's ``opentracing`` 2.4.0, the release it replaces.

2.4.0 is installed from PyPI into ``.cache/compat/opentracing-2.4.0/site`` (with Tornado
5.1.1, which its Tornado module needs) and its sdist's ``tests/`` into ``src/tests``;
nothing of it is kept in this repository. The scripts in ``probes/`` run in subprocesses,
once on each package, and print JSON that these tests compare:

* ``surface.py``: every name each 2.4.0 module defines or re-exports, with signatures;
* ``harness_outcomes.py``: the outcome of every harness check on 47 tracers and scope
  managers, standard and broken ones;
* ``behaviour.py``: what MockTracer, the no-op tracer and every scope manager do in a fixed
  script of use and misuse.

Where we differ on purpose the difference is listed below with its reason (and in
README.rst, *Differences from 2.4.0*); each listed difference is asserted to still exist,
so the list cannot go stale.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from .conftest import REPO, InstalledLibrary, Library, _install, _junit_cases, _PipError

PROBES = Path(__file__).resolve().parent / "probes"

REFERENCE = Library(
    name="opentracing-2.4.0",
    requirement="opentracing==2.4.0",
    module="opentracing",
    # its tornado module imports tornado.stack_context, gone in Tornado 6
    deps=("tornado==5.1.1",),
    # what 2.4.0's harness and its own test suite import
    test_deps=("mock==5.2.0", "six==1.17.0", "doubles==1.5.3", "pytest-mock==3.17.0"),
    test_patches=(
        # asyncio.coroutine is gone from Python 3.11; the same run_test as a native coroutine
        ("scope_managers/test_asyncio.py", "@asyncio.coroutine\n        def ", "async def "),
        ("scope_managers/test_contextvars.py", "@asyncio.coroutine\n        def ", "async def "),
    ),
)

# Differences of signature or kind that are deliberate: (module, name) -> why.
SURFACE_DIFFERENCES: Dict[Tuple[str, str], str] = {}

# Observations of behaviour.py that differ on purpose: name -> (ours, why).
BEHAVIOUR_DIFFERENCES: Dict[str, Tuple[Any, str]] = {
    "finish twice": (
        [["late", "twice"], 1.0],
        "MockSpan.finish() records a span once; 2.4.0 recorded it again on every call",
    ),
    "ThreadLocal: active after a raising finish": (
        None,
        "a closing scope restores the previous one before finishing its span, so a finish() "
        "that raises cannot leave a closed scope active (2.4.0 finished first)",
    ),
    "Asyncio outside a loop: active after a raising finish": (
        None,
        "the same, for AsyncioScopeManager's thread-local fallback",
    ),
    "ContextVars in a task: close in a copied context": (
        None,
        "closing a contextvars scope from another context restores the previous scope there "
        "instead of raising ValueError from ContextVar.reset",
    ),
    "ContextVars outside a loop: close in a copied context": (None, "the same, outside a loop"),
    "binary extract garbage": (
        "raises SpanContextCorruptedException",
        "MockTracer's BINARY carrier holds JSON; 2.4.0 unpickled it, which runs arbitrary "
        "code from the carrier and raises whatever pickle raises",
    ),
    "text_map extract an id that is not hex": (
        "raises SpanContextCorruptedException",
        "the API's exception for span data that is present but malformed, not ValueError",
    ),
    "http_headers extract an id that is not hex": (
        "raises SpanContextCorruptedException",
        "the same, for HTTP_HEADERS",
    ),
    "text_map extract list": (
        "raises InvalidCarrierException",
        "a carrier of the wrong type is reported as such",
    ),
    "http_headers extract list": ("raises InvalidCarrierException", "the same"),
    "text_map inject into a list": (
        "raises InvalidCarrierException",
        "the API's exception for a wrong carrier, not a TypeError from list indexing",
    ),
    "http_headers inject into a list": ("raises InvalidCarrierException", "the same"),
    "a reference to a span holds its context": (
        [True, True],
        "child_of(span) and follows_from(span) keep the span's context, as a tracer expects; "
        "2.4.0 kept the span itself",
    ),
}

# Harness outcomes of 2.4.0's objects that ours do not share on purpose: subject -> why.
OBJECT_DIFFERENCES: Dict[str, str] = {
    "tracer: MockTracer on the noop manager": (
        "the no-op manager's active scope holds a no-op span; MockTracer starts a new trace "
        "under a parent context it did not make, where 2.4.0 raised AttributeError"
    ),
}


@pytest.fixture(scope="session")
def reference() -> InstalledLibrary:
    try:
        return _install(REFERENCE)
    except _PipError as exc:
        pytest.fail(str(exc), pytrace=False)


def _run(script: str, args: List[str], path: List[Path], timeout: float = 180) -> Dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHON"))}
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in path)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    proc = subprocess.run(
        [sys.executable, str(PROBES / script), *args],
        cwd=str(PROBES),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    result: Dict[str, Any] = json.loads(proc.stdout)
    return result


def _ours_path(ref: InstalledLibrary) -> List[Path]:
    # our package, and the reference's test dependencies (mock for 2.4.0's harness)
    return [REPO, ref.testsite]


def _reference_path(ref: InstalledLibrary) -> List[Path]:
    return [ref.site, ref.testsite]


def _from(result: Dict[str, Any], expected_root: Path) -> None:
    found = Path(result.get("file") or result["opentracing"]).resolve()
    assert found.is_relative_to(expected_root), found


def test_every_name_and_signature_of_2_4_0_is_here(reference: InstalledLibrary) -> None:
    """Each name a 2.4.0 module defines or re-exports is in the same module here, of the same
    kind, with the same parameters (names, kinds, defaults), constants with equal values, and
    classes with every method and property 2.4.0's have."""
    ref = _run("surface.py", [], _reference_path(reference))
    ours = _run("surface.py", [], _ours_path(reference))
    _from(ref, reference.site)
    _from(ours, REPO / "opentracing")
    assert len(ref["modules"]) >= 25

    problems: List[str] = []
    for module, ref_module in ref["modules"].items():
        assert "error" not in ref_module, (module, ref_module)
        our_module = ours["modules"].get(module)
        if our_module is None or "error" in our_module:
            problems.append("%s: module missing (%s)" % (module, our_module))
            continue
        for name, ref_entry in ref_module["names"].items():
            if (module, name) in SURFACE_DIFFERENCES:
                continue
            entry = our_module["names"].get(name)
            where = "%s.%s" % (module, name)
            if entry is None:
                problems.append(where + ": missing")
            elif entry["kind"] != ref_entry["kind"]:
                problems.append("%s: a %s, not a %s" % (where, entry["kind"], ref_entry["kind"]))
            elif entry.get("value") != ref_entry.get("value"):
                problems.append("%s = %s, not %s" % (where, entry["value"], ref_entry["value"]))
            elif entry.get("params") != ref_entry.get("params"):
                problems.append("%s%s, not %s" % (where, entry["params"], ref_entry["params"]))
            elif ref_entry["kind"] == "class":
                for member, ref_member in ref_entry["members"].items():
                    our_member = entry["members"].get(member)
                    if our_member != ref_member:
                        problems.append("%s.%s: %s, not %s" % (where, member, our_member, ref_member))
    assert not problems, "\n".join(problems)


def test_the_comparison_sees_a_missing_name(reference: InstalledLibrary) -> None:
    """The surface probe does report what 2.4.0 has: a name we are sure of is in it."""
    ref = _run("surface.py", [], _reference_path(reference))
    tornado = ref["modules"]["opentracing.scope_managers.tornado"]["names"]
    assert {"ThreadSafeStackContext", "_TracerRequestContextManager", "_TornadoScope"} <= set(tornado)
    assert ref["modules"]["opentracing.mocktracer.tracer"]["names"]["MockTracer"]["members"][
        "_append_finished_span"
    ]["kind"] == "method"


def test_our_harness_passes_and_fails_where_2_4_0_harness_does(
    reference: InstalledLibrary,
) -> None:
    """2.4.0's harness and ours, each run on the same objects (ours, including tracers and
    managers broken in one way each), give every check the same outcome."""
    harness_dir = reference.site / "opentracing" / "harness"
    theirs = _run("harness_outcomes.py", [str(harness_dir)], _ours_path(reference))
    ours = _run("harness_outcomes.py", ["ours"], _ours_path(reference))
    _from(theirs, REPO / "opentracing")
    assert theirs["results"].keys() == ours["results"].keys()
    outcomes = [o for checks in ours["results"].values() for o in checks.values()]
    assert len(ours["results"]) >= 40 and len(outcomes) >= 900
    assert outcomes.count("fail") >= 50 and outcomes.count("pass") >= 500  # both kinds occur
    differences = [
        (subject, check, ours["results"][subject].get(check), outcome)
        for subject, checks in theirs["results"].items()
        for check, outcome in checks.items()
        if ours["results"][subject].get(check) != outcome
    ]
    assert not differences, "\n".join("%s %s: ours %s, 2.4.0's %s" % d for d in differences)
    # the outcomes the issue names, as 2.4.0 gives them
    noop = ours["results"]["tracer: noop tracer"]
    assert noop["test_start_active_span_ignore_active_span"] == "pass"
    assert noop["test_start_active_span"] == "fail"
    manager = ours["results"]["manager: noop manager"]
    assert manager["test_close_wrong_order"] == "pass"
    assert manager["test_activate"] == "fail"


def test_our_objects_answer_the_harness_as_2_4_0_objects_do(reference: InstalledLibrary) -> None:
    """2.4.0's harness on 2.4.0's no-op tracer, MockTracer and managers gives the outcomes
    that our harness gives on ours, but for the deliberate differences listed above."""
    harness_dir = reference.site / "opentracing" / "harness"
    theirs = _run("harness_outcomes.py", [str(harness_dir)], _reference_path(reference))
    ours = _run("harness_outcomes.py", ["ours"], _ours_path(reference))
    _from(theirs, reference.site)
    differing = {
        subject
        for subject, checks in theirs["results"].items()
        if checks != ours["results"][subject]
    }
    assert differing == set(OBJECT_DIFFERENCES), sorted(differing)


def test_mocktracer_and_scope_managers_behave_as_in_2_4_0(reference: InstalledLibrary) -> None:
    """The same script of use and misuse gives the same observations on both packages,
    except the deliberate differences listed above, each of which must still be there."""
    theirs = _run("behaviour.py", [], _reference_path(reference))["observed"]
    ours = _run("behaviour.py", [], _ours_path(reference))["observed"]
    assert len(theirs) >= 100 and theirs.keys() == ours.keys()
    unexpected = {
        name: (ours[name], theirs[name])
        for name in theirs
        if ours[name] != theirs[name] and name not in BEHAVIOUR_DIFFERENCES
    }
    assert not unexpected, json.dumps(unexpected, indent=1)
    for name, (expected, why) in BEHAVIOUR_DIFFERENCES.items():
        assert ours[name] == expected and theirs[name] != expected, (name, why)


def test_2_4_0_own_test_suite_passes_on_this_package(
    reference: InstalledLibrary, tmp_path: Path
) -> None:
    """The tests shipped in 2.4.0's sdist, unchanged but for ``asyncio.coroutine`` (gone
    from Python 3.11), pass against this package; its Tornado test skips itself on
    Tornado 6 (tests/opentracing covers Tornado 4.5 and 5.1)."""
    path = os.pathsep.join(str(p) for p in _ours_path(reference))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHON"))}
    env.update(PYTHONPATH=path, PYTHONDONTWRITEBYTECODE="1")
    which = subprocess.run(
        [sys.executable, "-c", "import opentracing; print(opentracing.__file__)"],
        cwd=str(reference.src), env=env, capture_output=True, text=True, timeout=60,
    )
    assert Path(which.stdout.strip()).resolve().is_relative_to(REPO / "opentracing"), which
    junit = tmp_path / "junit.xml"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rfE",
         "-W", "ignore::DeprecationWarning", "--junitxml", str(junit), "tests"],
        cwd=str(reference.src), env=env, capture_output=True, text=True, timeout=300,
        stdin=subprocess.DEVNULL,
    )
    cases = _junit_cases(junit)
    bad = sorted(k for k, v in cases.items() if v in ("failed", "error"))
    passed = [k for k, v in cases.items() if v == "passed"]
    assert proc.returncode == 0 and not bad, (bad, (proc.stdout + proc.stderr)[-6000:])
    assert len(passed) >= 110, (proc.stdout + proc.stderr)[-3000:]
    assert "mocktracer/test_propagation.py::test_propagation_extract_corrupted_data" in passed

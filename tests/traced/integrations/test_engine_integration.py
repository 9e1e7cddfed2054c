"""Integration, the engine under every integration, on real imports of throwaway
libraries: lazy patching, one layer whatever the number of calls, identity restored,
versions checked, failures reported in the status and never raised into the import."""

from __future__ import annotations

import sys
import threading
from typing import Any, Callable, Dict, List, Tuple

import pytest

from traced import _hooks
from traced.patching import Integration

from ..patching._modules import ModuleMaker

LIBRARY = '''
__version__ = "2.5.1"

class Client:
    def send(self, request):
        return "sent " + request

    @classmethod
    def default(cls):
        return cls()

class RetryingClient(Client):
    pass

def connect(host):
    if host == "bad":
        try:
            raise OSError("refused")
        except OSError as exc:
            raise ConnectionError(host) from exc
    return host
'''

Calls = List[Tuple[str, Any]]


def recording(calls: Calls, label: str) -> Callable[..., Any]:
    def wrapper(wrapped: Callable[..., Any], instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
        calls.append((label, instance))
        return wrapped(*args, **kwargs)

    return wrapper


def integration_for(lib: str, calls: Calls, **options: Any) -> Integration:
    return Integration(
        "lib", module=lib,
        patches=[(f"{lib}:Client.send", recording(calls, "send")),
                 (f"{lib}:Client.default", recording(calls, "default")),
                 (f"{lib}:connect", recording(calls, "connect"))],
        **options,
    )


def test_instrumenting_before_the_import_patches_at_the_import(modules: ModuleMaker, module_name: str) -> None:
    calls: Calls = []
    modules.write(module_name, LIBRARY)
    integration = integration_for(module_name, calls)

    integration.instrument()
    assert integration.status == "pending (module not imported yet)" and integration.is_instrumented()
    assert module_name not in sys.modules

    lib = modules.load(module_name)
    assert integration.status == "instrumented"
    client = lib.RetryingClient.default()  # a subclass defined before instrumenting
    assert client.send("a") == "sent a"
    assert [label for label, _ in calls] == ["default", "send"]
    assert calls[0][1] is lib.RetryingClient and calls[1][1] is client


def test_uninstrument_before_the_import_cancels_it(modules: ModuleMaker, module_name: str) -> None:
    calls: Calls = []
    modules.write(module_name, LIBRARY)
    integration = integration_for(module_name, calls)
    integration.instrument()
    integration.uninstrument()
    assert _hooks.pending(module_name) == 0
    lib = modules.load(module_name)
    lib.Client().send("a")
    assert calls == [] and integration.status == "not instrumented"


def test_a_hundred_rounds_leave_exactly_one_layer_and_then_the_originals(modules: ModuleMaker, module_name: str) -> None:
    calls: Calls = []
    modules.write(module_name, LIBRARY)
    lib = modules.load(module_name)
    originals = {name: lib.Client.__dict__[name] for name in ("send", "default")}
    original_connect = lib.connect
    integration = integration_for(module_name, calls)

    for _ in range(100):
        integration.instrument()
        integration.instrument()
        integration.uninstrument()
    integration.instrument()

    assert lib.Client().send("x") == "sent x"
    assert calls == [("send", calls[0][1])]
    assert lib.Client.__dict__["send"].__wrapped__ is originals["send"]
    integration.uninstrument()
    for name, original in originals.items():
        assert lib.Client.__dict__[name] is original
    assert lib.connect is original_connect
    assert "send" not in lib.RetryingClient.__dict__


def test_targets_lists_every_attribute_replaced(modules: ModuleMaker, module_name: str) -> None:
    modules.write(module_name, LIBRARY)
    lib = modules.load(module_name)
    integration = integration_for(module_name, [])
    integration.instrument()
    targets = integration.targets
    assert [(owner, attribute) for owner, attribute, _ in targets] == [
        (lib.Client, "send"), (lib.Client, "default"), (lib, "connect")]
    integration.uninstrument()
    assert integration.targets == []
    for owner, attribute, original in targets:
        assert vars(owner)[attribute] is original


def test_concurrent_instrument_calls_patch_once(modules: ModuleMaker, module_name: str) -> None:
    calls: Calls = []
    modules.write(module_name, LIBRARY)
    lib = modules.load(module_name)
    integration = integration_for(module_name, calls)
    barrier = threading.Barrier(8)

    def race() -> None:
        barrier.wait()
        for _ in range(20):
            integration.instrument()

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lib.connect("h")
    assert calls == [("connect", None)]


def test_a_concurrent_import_and_instrument_patch_once(modules: ModuleMaker, module_name: str) -> None:
    calls: Calls = []
    modules.write(module_name, LIBRARY)
    integration = integration_for(module_name, calls)
    barrier = threading.Barrier(2)

    def importer() -> None:
        barrier.wait()
        modules.load(module_name)

    thread = threading.Thread(target=importer)
    thread.start()
    barrier.wait()
    integration.instrument()
    thread.join()
    sys.modules[module_name].connect("h")
    assert integration.status == "instrumented" and len(calls) == 1


def test_an_unsupported_version_is_skipped_with_a_reason(modules: ModuleMaker, module_name: str) -> None:
    modules.write(module_name, LIBRARY)
    lib = modules.load(module_name)
    too_new = integration_for(module_name, [], min_version="1.0", max_version="2.5")
    too_old = integration_for(module_name, [], min_version="2.6")
    supported = integration_for(module_name, [], min_version="2.5.1", max_version="3")
    for integration in (too_new, too_old, supported):
        integration.instrument()
    assert too_new.status == f"skipped: {module_name} 2.5.1 is not supported (needs >=1.0, <2.5)"
    assert too_old.status == f"skipped: {module_name} 2.5.1 is not supported (needs >=2.6)"
    assert not too_new.is_instrumented() and too_new.targets == []
    assert supported.status == "instrumented"
    assert lib.connect.__wrapped__.__name__ == "connect"


def test_a_library_that_is_not_installed_is_skipped_with_a_reason() -> None:
    integration = Integration("ghost", module="no_such_library_anywhere.sub",
                              patches=[("no_such_library_anywhere.sub:f", recording([], "f"))])
    integration.instrument()
    assert integration.status == "skipped: no_such_library_anywhere.sub is not installed"
    assert not integration.is_instrumented()
    assert "no_such_library_anywhere" not in sys.modules


def test_a_patch_failing_at_import_time_skips_the_integration_and_the_import_succeeds(
    modules: ModuleMaker, module_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    modules.write(module_name, LIBRARY)
    integration = Integration("lib", module=module_name, patches=[
        (f"{module_name}:connect", recording([], "connect")),
        (f"{module_name}:Client.gone_in_this_version", recording([], "gone")),
    ])
    integration.instrument()
    lib = modules.load(module_name)
    assert integration.status.startswith("skipped: AttributeError: ")
    assert "gone_in_this_version" in integration.status and "\n" not in integration.status
    assert not hasattr(lib.connect, "__wrapped__")  # nothing half-applied


def test_an_install_function_raising_rolls_back_every_patch(modules: ModuleMaker, module_name: str) -> None:
    modules.write(module_name, LIBRARY)
    lib = modules.load(module_name)
    original = lib.connect

    def install() -> Callable[[], None]:
        raise RuntimeError("cannot install")

    integration = Integration("lib", module=module_name, patches=[(f"{module_name}:connect", recording([], "c"))],
                              install=install)
    integration.instrument()
    assert integration.status == "skipped: patching failed: RuntimeError: cannot install"
    assert lib.connect is original


def test_a_wrapped_call_that_raises_raises_the_same_as_before(modules: ModuleMaker, module_name: str) -> None:
    modules.write(module_name, LIBRARY)
    lib = modules.load(module_name)
    integration = integration_for(module_name, [])
    integration.instrument()
    with pytest.raises(ConnectionError) as caught:
        lib.connect("bad")
    assert type(caught.value.__cause__) is OSError
    import traceback

    frames = [f.name for f in traceback.extract_tb(caught.value.__traceback__)]
    assert frames[0] == "test_a_wrapped_call_that_raises_raises_the_same_as_before" and frames[-1] == "connect"


def test_a_layer_wrapped_over_by_someone_else_is_turned_off_then_taken_out_with_it(
    modules: ModuleMaker, module_name: str
) -> None:
    calls: Calls = []
    modules.write(module_name, LIBRARY)
    lib = modules.load(module_name)
    original = lib.connect
    inner = integration_for(module_name, calls)
    outer = Integration("outer", module=module_name, patches=[(f"{module_name}:connect", recording(calls, "outer"))])
    inner.instrument()
    outer.instrument()
    inner.uninstrument()  # cannot take its layer out from under outer's: turned off
    lib.connect("h")
    assert [label for label, _ in calls] == ["outer"]
    outer.uninstrument()
    assert lib.connect is original


def test_the_tracer_is_the_one_given_else_the_global_one(modules: ModuleMaker, module_name: str) -> None:
    import opentracing
    from opentracing.mocktracer import MockTracer

    integration = integration_for(module_name, [])
    assert integration.tracer is opentracing.tracer
    mine = MockTracer()
    integration.instrument(mine)
    assert integration.tracer is mine


def test_wrapped_attributes_keep_their_signature_name_and_original(modules: ModuleMaker, module_name: str) -> None:
    import inspect

    modules.write(module_name, LIBRARY)
    lib = modules.load(module_name)
    before = {name: inspect.signature(obj) for name, obj in
              (("send", lib.Client.send), ("bound", lib.Client().send), ("default", lib.Client.default))}
    original_connect = lib.connect
    integration_for(module_name, []).instrument()
    assert inspect.signature(lib.Client.send) == before["send"]
    assert inspect.signature(lib.Client().send) == before["bound"]
    assert inspect.signature(lib.Client.default) == before["default"]
    assert lib.connect.__name__ == "connect" and lib.connect.__wrapped__ is original_connect
    assert lib.connect.__module__ == module_name


def test_a_hook_that_raises_is_logged_once_and_never_fails_the_import(
    modules: ModuleMaker, module_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    def broken(module: Any) -> None:
        raise RuntimeError("hook bug")

    modules.write(module_name, LIBRARY)
    with caplog.at_level(logging.DEBUG, logger="traced"):
        _hooks.when_imported(module_name, broken)
        _hooks.when_imported(module_name, broken)
        lib = modules.load(module_name)
    assert lib.connect("h") == "h"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "hook bug" in str(warnings[0].exc_info[1])
    assert len([r for r in caplog.records if r.levelno == logging.DEBUG and "hook bug" in r.getMessage()]) == 1

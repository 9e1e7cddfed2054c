"""patch() of a module not imported yet: applied at its real import, cancelled by
unpatch(), and never breaking that import."""

from __future__ import annotations

import logging
import sys

import pytest

from traced import _hooks
from traced.patching import is_patched, patch, unpatch
from traced.tracer import MemoryRecorder, Tracer

from ._modules import ModuleMaker

SOURCE = """
def double(x):
    return 2 * x

class Shape:
    def area(self):
        return 1
"""


def test_a_target_not_imported_yet_is_patched_at_its_import(
    modules: ModuleMaker, module_name: str, tracer: Tracer, recorder: MemoryRecorder
) -> None:
    modules.write(module_name, SOURCE)
    patch(f"{module_name}:double")
    patch(f"{module_name}:Shape.area", "area")
    assert module_name not in sys.modules  # patching imported nothing
    assert is_patched(f"{module_name}:double")

    module = modules.load(module_name)

    assert module.double(4) == 8
    assert module.Shape().area() == 1
    assert [s.operation_name for s in recorder.spans] == [f"{module_name}.double", "area"]
    assert _hooks.pending(module_name) == 0


def test_unpatch_cancels_a_patch_waiting_for_the_import(
    modules: ModuleMaker, module_name: str, tracer: Tracer, recorder: MemoryRecorder
) -> None:
    modules.write(module_name, SOURCE)
    patch(f"{module_name}:double")
    assert unpatch(f"{module_name}:double") is True
    assert not is_patched(f"{module_name}:double")

    module = modules.load(module_name)

    assert not hasattr(module.double, "__wrapped__")
    assert module.double(1) == 2 and recorder.spans == []
    assert unpatch(f"{module_name}:double") is False


def test_patching_twice_before_the_import_is_patching_once(
    modules: ModuleMaker, module_name: str, tracer: Tracer, recorder: MemoryRecorder
) -> None:
    modules.write(module_name, SOURCE)
    for _ in range(3):
        patch(f"{module_name}:double")
    module = modules.load(module_name)
    patch((module, "double"))
    module.double(1)
    assert len(recorder.spans) == 1
    assert not hasattr(module.double.__wrapped__, "__wrapped__")


def test_a_missing_target_found_at_import_is_logged_and_the_import_succeeds(
    modules: ModuleMaker, module_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    modules.write(module_name, SOURCE)
    patch(f"{module_name}:no_such_function")
    patch(f"{module_name}:Shape.area", tag_args=["no_such_parameter"])

    with caplog.at_level(logging.WARNING, logger="traced"):
        module = modules.load(module_name)

    assert module.double(2) == 4
    assert not hasattr(module.Shape.area, "__wrapped__")
    messages = "\n".join(r.getMessage() + str(r.exc_info[1]) for r in caplog.records)
    assert "no_such_function" in messages and "no_such_parameter" in messages


def test_a_module_that_fails_its_own_import_fails_as_before(modules: ModuleMaker, module_name: str) -> None:
    modules.write(module_name, "def f(): pass\nraise LookupError('broken module')\n")
    patch(f"{module_name}:f")
    with pytest.raises(LookupError, match="broken module"):
        modules.load(module_name)
    assert module_name not in sys.modules


def test_a_module_imported_again_after_being_dropped_is_patched_again(
    modules: ModuleMaker, module_name: str, tracer: Tracer, recorder: MemoryRecorder
) -> None:
    modules.write(module_name, SOURCE)
    module = modules.load(module_name)
    patch(f"{module_name}:double")
    assert unpatch(f"{module_name}:double")
    del sys.modules[module_name]
    patch(f"{module_name}:double")
    fresh = modules.load(module_name)
    assert fresh is not module and fresh.double(1) == 2
    assert len(recorder.spans) == 1

"""Bad targets are clear errors naming them; patch_all() chooses by fnmatch patterns;
patch() and unpatch() from many threads at once leave exactly one layer or none."""

from __future__ import annotations

import threading
from types import ModuleType

import pytest

from traced.patching import is_patched, patch, patch_all, unpatch
from traced.tracer import MemoryRecorder, Tracer

from ._modules import ModuleMaker

SOURCE = '''
from os.path import join

LIMIT = 3

def load(key):
    return key

def load_many(keys):
    return list(keys)

def save(key):
    return key

def _private():
    return 1

class Repo:
    name = "repo"
    def find(self):
        return 1
    def find_all(self):
        return [1]
    @staticmethod
    def build():
        return Repo()
    def __len__(self):
        return 0
    @property
    def size(self):
        return 0
'''


@pytest.fixture
def mod(modules: ModuleMaker, module_name: str) -> ModuleType:
    modules.write(module_name, SOURCE)
    return modules.load(module_name)


def test_a_missing_attribute_is_an_attribute_error_naming_it(mod: ModuleType) -> None:
    with pytest.raises(AttributeError, match="nothing_here"):
        patch(f"{mod.__name__}:nothing_here")
    with pytest.raises(AttributeError, match="Nope"):
        patch(f"{mod.__name__}:Nope.find")
    with pytest.raises(AttributeError, match="missing"):
        patch((mod.Repo, "missing"))


def test_what_is_not_callable_is_a_type_error_naming_it(mod: ModuleType) -> None:
    with pytest.raises(TypeError, match="LIMIT"):
        patch(f"{mod.__name__}:LIMIT")
    with pytest.raises(TypeError, match="size"):
        patch(f"{mod.__name__}:Repo.size")
    with pytest.raises(TypeError, match="class"):
        patch(f"{mod.__name__}:Repo")
    assert mod.LIMIT == 3 and isinstance(mod.Repo.__dict__["size"], property)


def test_a_target_string_without_a_colon_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="package.module:Class.method"):
        patch("os.path.join")


def test_patch_all_of_a_module_takes_its_own_public_functions(mod: ModuleType, tracer: Tracer, recorder: MemoryRecorder) -> None:
    assert sorted(patch_all(mod)) == ["load", "load_many", "save"]
    assert not hasattr(mod.join, "__wrapped__")  # imported, not its own
    assert not hasattr(mod._private, "__wrapped__")


def test_patch_all_include_and_exclude(mod: ModuleType, tracer: Tracer, recorder: MemoryRecorder) -> None:
    assert patch_all(mod, include=["load*"], exclude=["*_many"]) == ["load"]
    assert patch_all(mod.Repo) == ["find", "find_all", "build"]
    assert patch_all(mod.Repo, include=["__*__"]) == ["__len__"]
    mod.load("a"), mod.load_many("b"), mod.Repo().find_all(), len(mod.Repo.build())
    assert [s.operation_name.rsplit(".", 1)[-1] for s in recorder.spans] == ["load", "find_all", "build", "__len__"]


def test_patch_all_takes_only_modules_and_classes(mod: ModuleType) -> None:
    with pytest.raises(TypeError):
        patch_all(mod.Repo())


def test_concurrent_patch_and_unpatch_leave_one_layer_then_none(mod: ModuleType, tracer: Tracer, recorder: MemoryRecorder) -> None:
    original = mod.Repo.__dict__["find"]
    target = f"{mod.__name__}:Repo.find"
    barrier = threading.Barrier(8)

    def hammer() -> None:
        barrier.wait()
        for _ in range(50):
            patch(target)
            unpatch(target)
        patch(target)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert is_patched(target)
    assert mod.Repo.__dict__["find"].__wrapped__ is original
    mod.Repo().find()
    assert len(recorder.spans) == 1
    unpatch(target)
    assert mod.Repo.__dict__["find"] is original


def test_patching_again_under_a_layer_added_since_is_still_once(tracer, recorder) -> None:
    """patch(); another library wraps the attribute; patch() again: no second span, and
    unpatch() still finds its own layer (under the foreign one)."""
    import functools
    import types

    owner = types.SimpleNamespace()

    def load(key):
        return key

    owner.load = load
    patch((owner, "load"))
    ours = owner.load

    @functools.wraps(ours)
    def foreign(*args, **kwargs):
        return ours(*args, **kwargs)

    owner.load = foreign
    patch((owner, "load"))
    assert owner.load is foreign  # not wrapped a second time
    assert owner.load("k") == "k"
    assert len(recorder.spans) == 1
    assert is_patched((owner, "load"))

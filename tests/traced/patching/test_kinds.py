"""patch() on every kind of callable, as ``@trace`` would trace it: functions, methods,
classmethods, staticmethods, coroutines, generators and async generators; what they
return, raise and look like is unchanged, and unpatch() puts the same object back."""

from __future__ import annotations

import asyncio
import inspect
import traceback
from types import ModuleType

import pytest

from traced.patching import patch, patch_all, unpatch
from traced.tracer import MemoryRecorder, Tracer

from ._modules import ModuleMaker

SOURCE = '''
import asyncio

def add(a, b=2, *, scale=1):
    """Adds."""
    return (a + b) * scale

async def fetch(key):
    await asyncio.sleep(0)
    return key.upper()

def count(n):
    for i in range(n):
        yield i

async def stream(n):
    for i in range(n):
        yield i

class Store:
    prefix = "k"

    def get(self, key):
        return self.prefix + key

    @classmethod
    def create(cls):
        return cls()

    @staticmethod
    def check(value):
        return bool(value)

class Cache(Store):
    prefix = "c"

class LowLevelError(Exception):
    pass

def fail(message):
    try:
        raise LowLevelError("low")
    except LowLevelError as low:
        raise ValueError(message) from low
'''


@pytest.fixture
def mod(modules: ModuleMaker, module_name: str) -> ModuleType:
    modules.write(module_name, SOURCE)
    return modules.load(module_name)


def names(recorder: MemoryRecorder) -> list:
    return [s.operation_name for s in recorder.spans]


def test_a_function_keeps_its_result_name_signature_and_original(mod: ModuleType, tracer: Tracer, recorder: MemoryRecorder) -> None:
    original = mod.add
    patch((mod, "add"), tags={"layer": "db"}, tag_args=["a"])

    assert mod.add(1, scale=3) == 9
    assert mod.add.__wrapped__ is original
    assert mod.add.__name__ == "add" and mod.add.__doc__ == "Adds."
    assert inspect.signature(mod.add) == inspect.signature(original)
    [span] = recorder.spans
    assert span.operation_name == f"{mod.__name__}.add"
    assert span.tags["layer"] == "db" and span.tags["a"] == 1

    assert unpatch((mod, "add")) is True
    assert mod.add is original and mod.__dict__["add"] is original


def test_methods_classmethods_and_staticmethods_bind_as_before(mod: ModuleType, tracer: Tracer, recorder: MemoryRecorder) -> None:
    originals = {n: mod.Store.__dict__[n] for n in ("get", "create", "check")}
    store = mod.Store()  # made before patching
    for attribute in originals:
        patch(f"{mod.__name__}:Store.{attribute}")

    assert store.get("x") == "kx"
    assert isinstance(mod.Store.create(), mod.Store)
    assert mod.Store.check(0) is False and store.check(1) is True
    assert isinstance(mod.Store.__dict__["create"], classmethod)
    assert isinstance(mod.Store.__dict__["check"], staticmethod)
    assert names(recorder) == [f"{mod.__name__}.Store.{n}" for n in ("get", "create", "check", "check")]

    for attribute in originals:
        unpatch(f"{mod.__name__}:Store.{attribute}")
    for attribute, original in originals.items():
        assert mod.Store.__dict__[attribute] is original


def test_a_subclass_defined_before_patching_inherits_the_patch(mod: ModuleType, tracer: Tracer, recorder: MemoryRecorder) -> None:
    cache = mod.Cache()
    patch(f"{mod.__name__}:Store.get")
    patch(f"{mod.__name__}:Store.create")

    assert cache.get("x") == "cx"
    assert type(mod.Cache.create()) is mod.Cache
    assert names(recorder) == [f"{mod.__name__}.Store.get", f"{mod.__name__}.Store.create"]
    assert "get" not in mod.Cache.__dict__


def test_patching_an_inherited_method_on_the_subclass_is_undone_by_deleting_it(mod: ModuleType, tracer: Tracer, recorder: MemoryRecorder) -> None:
    patch((mod.Cache, "get"))
    assert mod.Cache().get("a") == "ca" and mod.Store().get("a") == "ka"
    assert len(recorder.spans) == 1
    unpatch((mod.Cache, "get"))
    assert "get" not in mod.Cache.__dict__
    assert mod.Cache.get is mod.Store.__dict__["get"]


def test_a_method_of_one_instance(mod: ModuleType, tracer: Tracer, recorder: MemoryRecorder) -> None:
    store, other = mod.Store(), mod.Store()
    patch((store, "get"), "one store")
    assert store.get("a") == "ka" and other.get("b") == "kb"
    assert names(recorder) == ["one store"]
    unpatch((store, "get"))
    assert "get" not in vars(store)


def test_coroutines_generators_and_async_generators_keep_their_kind(mod: ModuleType, tracer: Tracer, recorder: MemoryRecorder) -> None:
    patch_all(mod, include=["fetch", "count", "stream"])
    assert inspect.iscoroutinefunction(mod.fetch)
    assert inspect.isgeneratorfunction(mod.count)
    assert inspect.isasyncgenfunction(mod.stream)

    async def consume() -> list:
        return [await mod.fetch("a"), [i async for i in mod.stream(2)]]

    assert asyncio.run(consume()) == ["A", [0, 1]]
    assert list(mod.count(3)) == [0, 1, 2]
    assert sorted(names(recorder)) == sorted(f"{mod.__name__}.{n}" for n in ("fetch", "stream", "count"))


def test_an_exception_leaves_unchanged(mod: ModuleType, tracer: Tracer, recorder: MemoryRecorder) -> None:
    plain = None
    try:
        mod.fail("boom")
    except ValueError as exc:
        plain = exc
    patch((mod, "fail"))

    with pytest.raises(ValueError) as caught:
        mod.fail("boom")

    error = caught.value
    assert type(error.__cause__) is mod.LowLevelError and str(error.__cause__) == "low"
    frames = [f.name for f in traceback.extract_tb(error.__traceback__)]
    assert frames[-1] == "fail" and frames[0] == "test_an_exception_leaves_unchanged"
    assert len(frames) == len(traceback.extract_tb(plain.__traceback__)) + 1  # the one wrapper frame
    [span] = recorder.spans
    assert span.tags["error"] is True


def test_the_same_exception_object_reaches_the_caller(mod: ModuleType, tracer: Tracer) -> None:
    sentinel = KeyError("the one")

    def raiser() -> None:
        raise sentinel

    mod.raiser = raiser
    patch((mod, "raiser"))
    with pytest.raises(KeyError) as caught:
        mod.raiser()
    assert caught.value is sentinel

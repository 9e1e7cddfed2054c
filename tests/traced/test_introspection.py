"""A traced callable looks like the original to introspection: name, qualname, docstring,
module, __wrapped__, signature, its kind (coroutine / generator / async generator
function), and pickling by reference, including into a child process."""

from __future__ import annotations

import inspect
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest

from traced import trace

from . import _picklable


def plain(a: int, b: str = "x", *, c: float = 1.0) -> str:
    """Plain doc."""
    return f"{a}{b}{c}"


async def coro(a: int, *, flag: bool = False) -> int:
    """Coroutine doc."""
    return a


def gen(n: int):
    """Generator doc."""
    yield from range(n)


async def agen(n: int):
    """Async generator doc."""
    for i in range(n):
        yield i


ORIGINALS = [plain, coro, gen, agen]
KIND_CHECKS = [inspect.iscoroutinefunction, inspect.isgeneratorfunction, inspect.isasyncgenfunction]


@pytest.mark.parametrize("original", ORIGINALS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("decorate", [trace, trace(), trace("named", tags={"k": 1})], ids=["bare", "empty", "named"])
def test_metadata_signature_and_kind_are_preserved(original, decorate):
    """__name__, __qualname__, __doc__, __module__, __annotations__, __wrapped__ and
    inspect.signature equal the original's, and each inspect kind check gives the same
    answer for the traced callable as for the original."""
    traced_fn = decorate(original)
    assert traced_fn is not original
    for attr in ("__name__", "__qualname__", "__doc__", "__module__", "__annotations__"):
        assert getattr(traced_fn, attr) == getattr(original, attr), attr
    assert traced_fn.__wrapped__ is original
    assert inspect.signature(traced_fn) == inspect.signature(original)
    for check in KIND_CHECKS:
        assert check(traced_fn) == check(original), check.__name__


def test_method_kinds_are_preserved():
    """Traced async methods, classmethods and staticmethods keep their kind and signature
    as seen through the class and an instance."""

    class C:
        @trace
        async def amethod(self, x):
            """Async method doc."""

        @trace
        @classmethod
        def cm(cls, y: int) -> int:
            """Classmethod doc."""
            return y

        @staticmethod
        @trace
        def sgen(z):
            yield z

    assert inspect.iscoroutinefunction(C().amethod)
    assert C.amethod.__qualname__.endswith("C.amethod")
    assert C.amethod.__doc__ == "Async method doc."
    assert list(inspect.signature(C().amethod).parameters) == ["x"]
    assert list(inspect.signature(C.cm).parameters) == ["y"]
    assert C.cm.__doc__ == "Classmethod doc."
    assert inspect.isgeneratorfunction(C.sgen)
    assert list(C.sgen(3)) == [3]


def test_callable_object_keeps_signature_and_kind():
    """A traced callable object keeps the signature of its __call__ (without self) and an
    async __call__ gives a coroutine function."""

    class AsyncHandler:
        """Handler doc."""

        async def __call__(self, request, *, timeout=1.0):
            return request

    traced_handler = trace(AsyncHandler())
    assert list(inspect.signature(traced_handler).parameters) == ["request", "timeout"]
    assert inspect.iscoroutinefunction(traced_handler)
    assert traced_handler.__doc__ == "Handler doc."


def test_pickle_round_trip_of_module_level_function(tracer):
    """A module-level traced function pickles by reference: unpickling gives the very same
    traced function, which still traces."""
    for fn in (_picklable.double, _picklable.add):
        assert pickle.loads(pickle.dumps(fn)) is fn
    assert pickle.loads(pickle.dumps(_picklable.add))(2, b=3) == 5
    assert [s.operation_name for s in tracer.finished_spans()] == ["picklable.named"]


def test_traced_function_runs_in_a_process_pool():
    """A module-level traced function can be sent to a freshly spawned process (which must
    import it by name) and runs there with its result sent back."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(_picklable.double, [1, 2, 3], timeout=60))
        added = pool.submit(_picklable.add, 40, 2).result(timeout=60)
    assert results == [2, 4, 6]
    assert added == 42

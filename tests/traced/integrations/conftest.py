"""Fixtures for the integration tests: a recording tracer installed as the global tracer
(with its spans in ``recorder``), and a clean slate after every test: every integration
uninstrumented and every :func:`traced.patching.patch` undone."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Iterator, List

import pytest

import opentracing
from traced import patching
from traced.integrations import INTEGRATIONS, uninstrument
from traced.tracer import FinishedSpan, MemoryRecorder, Tracer

from ..patching._modules import ModuleMaker

_unique = itertools.count()


@pytest.fixture
def recorder() -> MemoryRecorder:
    """Where the ``tracer`` fixture's finished spans go (``recorder.spans``)."""
    return MemoryRecorder()


@pytest.fixture
def tracer(recorder: MemoryRecorder) -> Iterator[Tracer]:
    """A :class:`traced.Tracer` recording into ``recorder``, the global tracer for the
    test; the previous global tracer (and whether one was registered) is put back after."""
    previous, registered = opentracing.tracer, opentracing.is_tracer_registered
    tracer = Tracer("integration-tests", recorder=recorder)
    opentracing.set_global_tracer(tracer)
    try:
        yield tracer
    finally:
        opentracing.tracer, opentracing.is_tracer_registered = previous, registered


@pytest.fixture
def spans(recorder: MemoryRecorder) -> "SpanList":
    """The finished spans recorded so far, read when indexed or iterated."""
    return SpanList(recorder)


class SpanList:
    """A live view of a MemoryRecorder's spans, with lookup by operation name."""

    def __init__(self, recorder: MemoryRecorder) -> None:
        self._recorder = recorder

    def __iter__(self) -> Iterator[FinishedSpan]:
        return iter(self._recorder.spans)

    def __len__(self) -> int:
        return len(self._recorder.spans)

    def __getitem__(self, index: int) -> FinishedSpan:
        return self._recorder.spans[index]

    def named(self, name: str) -> List[FinishedSpan]:
        return [s for s in self._recorder.spans if s.operation_name == name]


@pytest.fixture
def modules(tmp_path: Path) -> Iterator[ModuleMaker]:
    """Throwaway modules written to ``tmp_path`` on ``sys.path``, forgotten after the test."""
    maker = ModuleMaker(tmp_path)
    yield maker
    maker.close()


@pytest.fixture
def module_name() -> str:
    """A module name no other test uses."""
    return f"throwaway_lib_{next(_unique)}_{id(object())}"


@pytest.fixture(autouse=True)
def _leave_nothing_instrumented() -> Iterator[None]:
    """After each test, every integration is uninstrumented and every patch undone, so no
    test sees another's instrumentation."""
    yield
    uninstrument(*[name for name in INTEGRATIONS if INTEGRATIONS[name] in sys.modules])
    patching._undo_all()

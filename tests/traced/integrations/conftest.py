"""Fixtures for the integration tests: a recording tracer installed as the global tracer
(with its spans in ``recorder``), and a clean slate after every test: every integration
uninstrumented and every :func:`traced.patching.patch` undone."""

from __future__ import annotations

import sys
from typing import Iterator, List

import pytest

from traced import patching
from traced.integrations import INTEGRATIONS, uninstrument
from traced.tracer import FinishedSpan, MemoryRecorder

from .._recording_fixtures import module_name, modules, recorder, tracer  # noqa: F401


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


@pytest.fixture(autouse=True)
def _leave_nothing_instrumented() -> Iterator[None]:
    """After each test, every integration is uninstrumented and every patch undone, so no
    test sees another's instrumentation."""
    yield
    uninstrument(*[name for name in INTEGRATIONS if INTEGRATIONS[name] in sys.modules])
    patching._undo_all()

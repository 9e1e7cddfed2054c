"""Fixtures shared by the patching and integration tests (imported into their conftests):
a recording tracer installed as the global tracer with its spans in ``recorder``, and
throwaway modules to import for real."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Iterator

import pytest

import opentracing
from traced.tracer import MemoryRecorder, Tracer

from .patching._modules import ModuleMaker

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
    tracer = Tracer("instrumentation-tests", recorder=recorder)
    opentracing.set_global_tracer(tracer)
    try:
        yield tracer
    finally:
        opentracing.tracer, opentracing.is_tracer_registered = previous, registered


@pytest.fixture
def modules(tmp_path: Path) -> Iterator[ModuleMaker]:
    """Throwaway modules written to ``tmp_path`` on ``sys.path``, forgotten after the test."""
    maker = ModuleMaker(tmp_path)
    yield maker
    maker.close()


@pytest.fixture
def module_name() -> str:
    """A module name no other test uses, so no import cache can answer for it."""
    return f"throwaway_{next(_unique)}_{id(object())}"

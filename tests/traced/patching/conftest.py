"""Fixtures for the patching tests: a recording tracer installed as the global tracer,
throwaway modules to import for real, and every patch undone after each test."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Iterator

import pytest

import opentracing
from traced import patching
from traced.tracer import MemoryRecorder, Tracer

from ._modules import ModuleMaker

_unique = itertools.count()


@pytest.fixture
def recorder() -> MemoryRecorder:
    return MemoryRecorder()


@pytest.fixture
def tracer(recorder: MemoryRecorder) -> Iterator[Tracer]:
    """A recording tracer, global for the test (the previous one put back after)."""
    previous, registered = opentracing.tracer, opentracing.is_tracer_registered
    tracer = Tracer("patching-tests", recorder=recorder)
    opentracing.set_global_tracer(tracer)
    try:
        yield tracer
    finally:
        opentracing.tracer, opentracing.is_tracer_registered = previous, registered


@pytest.fixture
def modules(tmp_path: Path) -> Iterator[ModuleMaker]:
    maker = ModuleMaker(tmp_path)
    yield maker
    maker.close()


@pytest.fixture
def module_name() -> str:
    """A module name no other test uses, so no import cache can answer for it."""
    return f"throwaway_{next(_unique)}_{id(object())}"


@pytest.fixture(autouse=True)
def _undo_patches() -> Iterator[None]:
    yield
    patching._undo_all()

"""Fixtures for the patching tests: a recording tracer installed as the global tracer,
throwaway modules to import for real, and every patch undone after each test."""

from __future__ import annotations

from typing import Iterator

import pytest

from traced import patching

from .._recording_fixtures import module_name, modules, recorder, tracer  # noqa: F401


@pytest.fixture(autouse=True)
def _undo_patches() -> Iterator[None]:
    yield
    patching._undo_all()

"""Fixtures for the export tests: a programmable HTTP collector on 127.0.0.1 (see
:mod:`._sink`) and a URL where nothing listens."""

from __future__ import annotations

from typing import Iterator

import pytest

from ._sink import Sink, closed_port


@pytest.fixture
def sink() -> Iterator[Sink]:
    """A collector on a free port, answering 200 unless the test scripts otherwise."""
    server = Sink()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def dead_url() -> str:
    """A collector URL whose port refuses connections."""
    return "http://127.0.0.1:%d/v1/traces" % closed_port()

"""Fixtures for the propagation tests: jaeger-client 4.8.0 and basictracer 3.2.0,
installed by tests/compat's machinery (``pip --target`` into ``.cache/compat/<name>/site``,
kept out of the virtualenv: jaeger-client pins an old Tornado)."""

import pytest

from tests.compat.conftest import (
    basictracer_lib,
    jaeger_client_lib,
)  # noqa: F401  (session fixtures)


def pytest_configure(config: pytest.Config) -> None:
    # the marker tests/compat registers, for a run of this folder alone
    config.addinivalue_line(
        "markers", "compat: installs a library from PyPI (deselect with -m 'not compat')"
    )

"""The registry: names, statuses, and instrument()/uninstrument() over every integration."""

from __future__ import annotations

import pytest

from traced.integrations import INTEGRATIONS, instrument, instrumented, uninstrument

STATUSES = ("instrumented", "pending (module not imported yet)", "skipped: ", "not instrumented")


def test_every_status_is_one_of_the_documented_forms() -> None:
    instrument()
    statuses = instrumented()
    assert set(statuses) == set(INTEGRATIONS)
    for name, status in statuses.items():
        assert status.startswith(STATUSES), (name, status)
        assert "\n" not in status
    uninstrument()
    assert all(s == "not instrumented" or s.startswith("skipped: ") for s in instrumented().values())


def test_an_unknown_name_is_a_key_error_naming_it() -> None:
    with pytest.raises(KeyError, match="nosuchlib"):
        instrument("nosuchlib")

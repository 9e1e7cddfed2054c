"""The gevent integration on real greenlets: spawned inside a span, they run as its
children (without monkey-patching; each greenlet has its own context)."""

from __future__ import annotations

from typing import List, Optional

import pytest

from traced.integrations import instrument, uninstrument
from traced.tracer import Tracer

gevent = pytest.importorskip("gevent")
import gevent.pool  # noqa: E402


def seen_span(tracer: Tracer, seen: List[Optional[int]]) -> None:
    active = tracer.active_span
    seen.append(active.context.span_id if active is not None else None)


def test_spawned_greenlets_run_as_children_of_the_spawning_span(tracer: Tracer) -> None:
    seen: List[Optional[int]] = []
    instrument("gevent")
    pool = gevent.pool.Pool(2)
    with tracer.start_active_span("parent") as scope:
        greenlets = [
            gevent.spawn(seen_span, tracer, seen),
            gevent.spawn_later(0, seen_span, tracer, seen),
            pool.spawn(seen_span, tracer, seen),
        ]
        gevent.spawn_raw(seen_span, tracer, seen)
    gevent.joinall(greenlets)
    gevent.sleep(0)
    assert seen == [scope.span.context.span_id] * 4


def test_without_the_integration_a_greenlet_has_no_span(tracer: Tracer) -> None:
    seen: List[Optional[int]] = []
    instrument("gevent")
    uninstrument("gevent")
    with tracer.start_active_span("parent"):
        greenlet = gevent.spawn(seen_span, tracer, seen)
    greenlet.join()
    assert seen == [None]


def test_a_failing_greenlet_keeps_its_exception(tracer: Tracer) -> None:
    problem = KeyError("greenlet")

    def fail() -> None:
        raise problem

    instrument("gevent")
    with tracer.start_active_span("parent"):
        greenlet = gevent.spawn(fail)
    greenlet.join()
    assert greenlet.exception is problem

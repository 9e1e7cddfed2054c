"""The logging integration: real records through a real handler and formatter carry the
active span's ids; the record factory it replaced comes back on uninstrument."""

from __future__ import annotations

import io
import logging
from typing import Iterator

import pytest

from traced.integrations import instrument, uninstrument
from traced.integrations.logging import LOG_FORMAT, NO_ID
from traced.tracer import Tracer


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logger = logging.getLogger("traced-test-app")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield out
    logger.removeHandler(handler)


def test_records_carry_the_active_ids_in_lower_hex(tracer: Tracer, stream: io.StringIO) -> None:
    instrument("logging")
    logger = logging.getLogger("traced-test-app")
    with tracer.start_active_span("request") as scope:
        logger.info("inside")
    logger.info("outside")
    inside, outside = stream.getvalue().splitlines()
    context = scope.span.context
    assert f"[trace_id={context.trace_id:032x} span_id={context.span_id:016x}] inside" in inside
    assert f"[trace_id={NO_ID} span_id={NO_ID}] outside" in outside


def test_the_previous_factory_still_runs_and_comes_back(tracer: Tracer) -> None:
    original = logging.getLogRecordFactory()

    def factory(*args, **kwargs):  # type: ignore[no-untyped-def]
        record = original(*args, **kwargs)
        record.app = "mine"
        return record

    logging.setLogRecordFactory(factory)
    try:
        for _ in range(100):
            instrument("logging")
            uninstrument("logging")
        instrument("logging")
        record = logging.getLogRecordFactory()("n", logging.INFO, __file__, 1, "m", (), None)
        assert record.app == "mine" and record.trace_id == NO_ID
        uninstrument("logging")
        assert logging.getLogRecordFactory() is factory
    finally:
        logging.setLogRecordFactory(original)


def test_a_factory_set_after_ours_is_kept_and_ours_adds_nothing_once_off(tracer: Tracer) -> None:
    original = logging.getLogRecordFactory()
    instrument("logging")
    ours = logging.getLogRecordFactory()

    def later(*args, **kwargs):  # type: ignore[no-untyped-def]
        return ours(*args, **kwargs)

    logging.setLogRecordFactory(later)
    try:
        uninstrument("logging")
        assert logging.getLogRecordFactory() is later
        record = later("n", logging.INFO, __file__, 1, "m", (), None)
        assert not hasattr(record, "trace_id")
    finally:
        logging.setLogRecordFactory(original)


def test_a_64_bit_trace_id_is_16_digits(recorder) -> None:  # type: ignore[no-untyped-def]
    import opentracing
    from opentracing import Format

    from traced.propagation import composite

    tracer = Tracer("b3-service", recorder=recorder, propagator=composite("b3multi"))
    parent = tracer.extract(Format.HTTP_HEADERS, {"x-b3-traceid": "00000000000000ab",
                                                  "x-b3-spanid": "00000000000000cd", "x-b3-sampled": "1"})
    assert parent is not None
    instrument("logging", tracer=tracer)
    assert opentracing.tracer is not tracer  # the given tracer is used, not the global one
    with tracer.start_active_span("child", child_of=parent) as scope:
        record = logging.getLogRecordFactory()("n", logging.INFO, __file__, 1, "m", (), None)
    assert record.trace_id == "00000000000000ab"
    assert record.span_id == format(scope.span.context.span_id, "016x")

"""traced.tracer.sampling: each sampler's decisions, OpenTelemetry's ratio rule bit for bit,
parent-based and debug parents, and the rate limiter under a fake clock and 8 threads."""

from __future__ import annotations

import logging
import math
import random
import threading
from typing import List, Optional

import pytest
from opentelemetry.sdk.trace import sampling as otel_sampling

from traced._report import _reset_reported
from traced.tracer.context import SpanContext
from traced.tracer.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    DEFAULT_SAMPLER,
    AlwaysOff,
    AlwaysOn,
    ParentBased,
    RateLimiting,
    Sampler,
    TraceIdRatio,
    decide,
)


SAMPLE = otel_sampling.Decision.RECORD_AND_SAMPLE
RATIOS = [0.0, 1e-12, 0.0001, 0.01, 0.1, 0.25, 1 / 3, 0.5, 0.75, 0.9, 0.999999, 1.0]


def remote(sampled: bool, debug: bool = False, trace_id: int = 0xABC) -> SpanContext:
    return SpanContext(trace_id, 0x1234, sampled, debug=debug, remote=True)


class Spy(Sampler):
    """Counts its calls and answers ``answer``."""

    description = "Spy"

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.calls: List[Optional[SpanContext]] = []

    def should_sample(
        self, trace_id: int, parent: Optional[SpanContext], operation_name: str
    ) -> bool:
        self.calls.append(parent)
        return self.answer


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# --- static samplers ---------------------------------------------------------------------


@pytest.mark.parametrize("parent", [None, remote(True), remote(False)])
def test_always_on_and_off_ignore_the_parent(parent: Optional[SpanContext]) -> None:
    assert ALWAYS_ON.should_sample(1, parent, "op") is True
    assert ALWAYS_OFF.should_sample(1, parent, "op") is False
    assert isinstance(ALWAYS_ON, AlwaysOn) and isinstance(ALWAYS_OFF, AlwaysOff)


def test_descriptions_name_the_sampler_and_its_settings() -> None:
    assert ALWAYS_ON.description == "AlwaysOn"
    assert ALWAYS_OFF.description == "AlwaysOff"
    assert TraceIdRatio(0.25).description == "TraceIdRatio{0.25}"
    assert ParentBased(TraceIdRatio(0.5)).description == "ParentBased{root=TraceIdRatio{0.5}}"
    assert RateLimiting(10).description == "RateLimiting{10.0}"
    assert repr(DEFAULT_SAMPLER) == "<ParentBased{root=AlwaysOn}>"


def test_sampler_is_abstract() -> None:
    with pytest.raises(TypeError):
        Sampler()  # type: ignore[abstract]


# --- TraceIdRatio against OpenTelemetry's TraceIdRatioBased ------------------------------


@pytest.mark.parametrize("ratio", RATIOS)
def test_trace_id_ratio_decides_as_opentelemetry_for_random_ids(ratio: float) -> None:
    ours = TraceIdRatio(ratio)
    theirs = otel_sampling.TraceIdRatioBased(ratio)
    assert ours.bound == theirs.bound
    rng = random.Random(ratio)
    ids = [rng.getrandbits(128) for _ in range(10_000)]
    # The ids at the edge of the bound, whatever the high 64 bits hold.
    ids += [ours.bound - 1, ours.bound, ours.bound + 1, (1 << 64) - 1, (1 << 128) - 1]
    ids += [(rng.getrandbits(64) << 64) | max(ours.bound - 1, 0) for _ in range(100)]
    decisions = []
    for trace_id in ids:
        expected = theirs.should_sample(None, trace_id, "op").decision is SAMPLE
        assert ours.should_sample(trace_id, None, "op") is expected, hex(trace_id)
        decisions.append(expected)
    # And the ratio is what it says: within 5 standard deviations over the random ids.
    n = 10_000
    sampled = sum(decisions[:n])
    assert abs(sampled - ratio * n) <= 5 * math.sqrt(n * ratio * (1 - ratio)) + 5


def test_trace_id_ratio_uses_the_low_64_bits_so_64_bit_ids_agree() -> None:
    sampler = TraceIdRatio(0.5)
    low = (1 << 63) - 1
    assert sampler.should_sample(low, None, "op")
    assert sampler.should_sample((0xFFFF << 64) | low, None, "op")
    assert not sampler.should_sample(1 << 63, None, "op")


def test_a_higher_ratio_keeps_every_trace_a_lower_one_keeps() -> None:
    rng = random.Random(7)
    low, high = TraceIdRatio(0.1), TraceIdRatio(0.3)
    for _ in range(5_000):
        trace_id = rng.getrandbits(128)
        if low.should_sample(trace_id, None, "op"):
            assert high.should_sample(trace_id, None, "op")


@pytest.mark.parametrize("bad", [-0.1, 1.0000001, math.nan, math.inf, -math.inf, 2])
def test_trace_id_ratio_rejects_a_ratio_out_of_range(bad: float) -> None:
    with pytest.raises(ValueError, match="TraceIdRatio ratio"):
        TraceIdRatio(bad)


@pytest.mark.parametrize("bad", ["0.5", None, True, [0.5]])
def test_trace_id_ratio_rejects_what_is_not_a_number(bad: object) -> None:
    with pytest.raises(ValueError, match="must be a number"):
        TraceIdRatio(bad)  # type: ignore[arg-type]


def test_trace_id_ratio_accepts_the_ends_and_integers() -> None:
    assert TraceIdRatio(0).bound == 0
    assert TraceIdRatio(1).bound == 1 << 64
    assert TraceIdRatio(1).should_sample((1 << 128) - 1, None, "op")
    assert not TraceIdRatio(0).should_sample(0, None, "op")


# --- ParentBased ------------------------------------------------------------------------


def test_parent_based_asks_its_root_only_without_a_parent() -> None:
    root = Spy(answer=True)
    sampler = ParentBased(root)
    assert sampler.should_sample(5, None, "op") is True
    assert root.calls == [None]
    assert sampler.should_sample(5, remote(sampled=False), "op") is False
    assert sampler.should_sample(5, remote(sampled=True), "op") is True
    assert root.calls == [None]


@pytest.mark.parametrize("root", [ALWAYS_ON, ALWAYS_OFF])
def test_parent_based_honours_the_remote_flag_whatever_the_root(root: Sampler) -> None:
    sampler = ParentBased(root)
    assert sampler.should_sample(1, remote(sampled=True), "op") is True
    assert sampler.should_sample(1, remote(sampled=False), "op") is False
    assert sampler.should_sample(1, None, "op") is (root is ALWAYS_ON)


def test_the_default_sampler_is_parent_based_always_on() -> None:
    assert isinstance(DEFAULT_SAMPLER, ParentBased)
    assert DEFAULT_SAMPLER.root is ALWAYS_ON


def test_parent_based_ratio_decides_as_opentelemetry_for_roots_and_remote_parents() -> None:
    from opentelemetry.trace import NonRecordingSpan, TraceFlags, set_span_in_context
    from opentelemetry.trace import SpanContext as OtelSpanContext

    ours = ParentBased(TraceIdRatio(0.5))
    theirs = otel_sampling.ParentBased(otel_sampling.TraceIdRatioBased(0.5))
    rng = random.Random(3)
    for _ in range(2_000):
        trace_id = rng.getrandbits(128) or 1
        for sampled in (None, True, False):
            if sampled is None:
                parent, otel_parent = None, None
            else:
                parent = remote(sampled, trace_id=trace_id)
                otel_parent = set_span_in_context(
                    NonRecordingSpan(
                        OtelSpanContext(
                            trace_id, 0x1234, is_remote=True, trace_flags=TraceFlags(sampled)
                        )
                    )
                )
            expected = theirs.should_sample(otel_parent, trace_id, "op").decision is SAMPLE
            assert ours.should_sample(trace_id, parent, "op") is expected


def test_parent_based_needs_a_sampler() -> None:
    with pytest.raises(ValueError, match="ParentBased root must be a Sampler"):
        ParentBased("always_on")  # type: ignore[arg-type]


# --- decide: debug parents and failing samplers -----------------------------------------


@pytest.mark.parametrize("sampler", [ALWAYS_OFF, ParentBased(ALWAYS_OFF), TraceIdRatio(0.0)])
def test_a_debug_parent_forces_sampling_without_asking_the_sampler(sampler: Sampler) -> None:
    assert decide(sampler, 1, remote(sampled=False, debug=True), "op") is True
    assert decide(sampler, 1, remote(sampled=True, debug=True), "op") is True
    spy = Spy(answer=False)
    assert decide(spy, 1, remote(sampled=False, debug=True), "op") is True
    assert spy.calls == []


def test_decide_asks_the_sampler_for_roots_and_plain_remote_parents() -> None:
    spy = Spy(answer=False)
    unsampled = remote(sampled=False)
    assert decide(spy, 1, None, "op") is False
    assert decide(spy, 1, unsampled, "op") is False
    assert spy.calls == [None, unsampled]
    assert decide(DEFAULT_SAMPLER, 1, remote(sampled=True), "op") is True
    assert decide(DEFAULT_SAMPLER, 1, unsampled, "op") is False
    assert decide(DEFAULT_SAMPLER, 1, None, "op") is True


def test_a_sampler_that_raises_drops_the_trace_and_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken(Sampler):
        description = "Broken"

        def should_sample(
            self, trace_id: int, parent: Optional[SpanContext], operation_name: str
        ) -> bool:
            raise RuntimeError("sampler bug")

    _reset_reported()
    try:
        with caplog.at_level(logging.DEBUG, logger="traced"):
            assert decide(Broken(), 1, None, "op") is False
            assert decide(Broken(), 1, None, "op") is False
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "Broken" in warnings[0].getMessage()
        assert warnings[0].exc_info and isinstance(warnings[0].exc_info[1], RuntimeError)
    finally:
        _reset_reported()


# --- RateLimiting ------------------------------------------------------------------------


def test_rate_limiting_allows_n_then_refills_at_n_per_second() -> None:
    clock = FakeClock()  # steps of 1/8 s, exact in binary floating point
    sampler = RateLimiting(4, clock=clock)
    assert [sampler.should_sample(i, None, "op") for i in range(6)] == [True] * 4 + [False] * 2
    clock.now += 0.25  # one token
    assert [sampler.should_sample(i, None, "op") for i in range(3)] == [True, False, False]
    clock.now += 0.125  # half a token: not enough
    assert sampler.should_sample(0, None, "op") is False
    clock.now += 0.125
    assert sampler.should_sample(0, None, "op") is True


def test_rate_limiting_holds_at_most_a_second_of_tokens() -> None:
    clock = FakeClock()
    sampler = RateLimiting(3, clock=clock)
    clock.now += 3600.0
    assert sum(sampler.should_sample(i, None, "op") for i in range(100)) == 3


def test_rate_limiting_below_one_per_second() -> None:
    clock = FakeClock()
    sampler = RateLimiting(0.1, clock=clock)
    assert sampler.should_sample(0, None, "op") is True
    clock.now += 9.9
    assert sampler.should_sample(0, None, "op") is False
    clock.now += 0.2
    assert sampler.should_sample(0, None, "op") is True
    assert sampler.should_sample(0, None, "op") is False


def test_rate_limiting_survives_a_clock_that_steps_back() -> None:
    clock = FakeClock()
    sampler = RateLimiting(2, clock=clock)
    assert sampler.should_sample(0, None, "op") and sampler.should_sample(0, None, "op")
    clock.now -= 50.0
    assert sampler.should_sample(0, None, "op") is False
    clock.now += 0.5  # still before the last reading: nothing refilled, nothing lost
    assert sampler.should_sample(0, None, "op") is False
    clock.now += 50.0
    assert sampler.should_sample(0, None, "op") is True


def test_rate_limiting_ignores_the_parent() -> None:
    clock = FakeClock()
    sampler = RateLimiting(1, clock=clock)
    assert sampler.should_sample(0, remote(sampled=False), "op") is True
    assert sampler.should_sample(0, remote(sampled=True), "op") is False


@pytest.mark.parametrize("bad", [0, -1, math.inf, math.nan])
def test_rate_limiting_rejects_a_rate_out_of_range(bad: float) -> None:
    with pytest.raises(ValueError, match="RateLimiting per_second"):
        RateLimiting(bad)


@pytest.mark.parametrize("bad", ["5", None, True])
def test_rate_limiting_rejects_what_is_not_a_number(bad: object) -> None:
    with pytest.raises(ValueError, match="must be a number"):
        RateLimiting(bad)  # type: ignore[arg-type]


def test_rate_limiting_from_8_threads_never_grants_more_than_n_per_window() -> None:
    per_second, threads, calls, windows = 25, 8, 60, 6
    clock = FakeClock()
    sampler = RateLimiting(per_second, clock=clock)
    # Drain the initial burst so every window starts from an empty bucket.
    while sampler.should_sample(0, None, "op"):
        pass
    start = threading.Barrier(threads + 1)
    done = threading.Barrier(threads + 1)
    granted = [[0] * windows for _ in range(threads)]

    def worker(index: int) -> None:
        for window in range(windows):
            start.wait()
            for _ in range(calls):
                granted[index][window] += sampler.should_sample(0, None, "op")
            done.wait()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for _ in range(windows):
        clock.now += 1.0  # one second between windows, none while the threads race
        start.wait()
        done.wait()
    for thread in pool:
        thread.join()
    per_window = [sum(granted[t][w] for t in range(threads)) for w in range(windows)]
    # 480 requests per window: exactly N granted, never more.
    assert per_window == [per_second] * windows


def test_rate_limiting_from_8_threads_keeps_the_long_run_rate() -> None:
    """With time moving on every call, n seconds grant at most n * N plus one burst."""
    per_second, threads, calls = 10, 8, 2_000
    lock = threading.Lock()
    ticks = [0]

    def clock() -> float:
        with lock:
            ticks[0] += 1
            return ticks[0] * 0.001  # 1 ms a call

    sampler = RateLimiting(per_second, clock=clock)
    granted = [0] * threads

    def worker(index: int) -> None:
        for _ in range(calls):
            granted[index] += sampler.should_sample(0, None, "op")

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = ticks[0] * 0.001  # 16 simulated seconds
    assert sum(granted) <= per_second * elapsed + per_second
    assert sum(granted) >= per_second * (elapsed - 1)

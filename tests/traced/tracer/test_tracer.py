"""traced.Tracer, the recording tracer: the OpenTracing harness, ids, parents and
references, sampling decided once at the root, snapshots, limits, baggage, BINARY,
threads, fork, and a recorder that fails."""

from __future__ import annotations

import logging
import os
import threading
import unittest
from typing import Any, List

import pytest

import opentracing
from opentracing import Format, InvalidCarrierException, SpanContextCorruptedException
from opentracing import UnsupportedFormatException
from opentracing.harness.api_check import APICompatibilityCheckMixin
from opentracing.harness.scope_check import ScopeCompatibilityCheckMixin
from opentracing.mocktracer import MockTracer
from traced.tracer import (
    FinishedSpan,
    MemoryRecorder,
    NonRecordingSpan,
    Recorder,
    RecordingSpan,
    SpanContext,
    SpanLimits,
    Tracer,
)
from traced.tracer.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased, Sampler


def _tracer(**options: Any) -> Tracer:
    return Tracer("svc", **options)


def _is_parent(parent: Any, span: Any) -> bool:
    if parent is None:
        return span.context.parent_id is None
    return span.context.parent_id == parent.context.span_id


class TestTracerAPI(APICompatibilityCheckMixin, unittest.TestCase):
    """Our harness, with baggage checks and parentage on."""

    def tracer(self) -> Tracer:
        return _tracer()

    def is_parent(self, parent: Any, span: Any) -> bool:
        return _is_parent(parent, span)


class TestTracerScopeManager(ScopeCompatibilityCheckMixin, unittest.TestCase):
    def scope_manager(self) -> Any:
        return _tracer().scope_manager

    def run_test(self, test_fn: Any) -> None:
        import contextvars

        contextvars.copy_context().run(test_fn)


def test_ids_are_random_128_and_64_bit() -> None:
    tracer = _tracer()
    contexts = [tracer.start_span("s").context for _ in range(2000)]
    assert len({c.trace_id for c in contexts}) == 2000
    assert len({c.span_id for c in contexts}) == 2000
    assert all(0 < c.trace_id < 2**128 and 0 < c.span_id < 2**64 for c in contexts)
    assert max(c.trace_id for c in contexts).bit_length() > 120  # really 128-bit


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() here")
def test_a_forked_child_never_repeats_its_parents_ids() -> None:
    tracer = _tracer()
    tracer.start_span("warm up")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next ids and pid tag, then leave at once
        try:
            ids = [tracer.start_span("c").context.span_id for _ in range(50)]
            os.write(write_end, (" ".join(map(str, ids)) + "\n%d" % tracer.process_tags["process.pid"]).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        child_ids, child_pid = pipe.read().decode().split("\n")
    os.waitpid(pid, 0)
    parent_ids = {tracer.start_span("p").context.span_id for _ in range(50)}
    assert not parent_ids & {int(i) for i in child_ids.split()}
    assert int(child_pid) == pid != os.getpid()
    assert tracer.process_tags["process.pid"] == os.getpid()


def test_parents_from_child_of_references_and_the_active_span() -> None:
    tracer = _tracer()
    root = tracer.start_span("root")
    by_span = tracer.start_span("a", child_of=root)
    by_context = tracer.start_span("b", child_of=root.context)
    other = tracer.start_span("other")
    both = tracer.start_span(
        "c",
        references=[opentracing.follows_from(other.context), opentracing.child_of(root.context)],
    )
    only_follows = tracer.start_span("d", references=[opentracing.follows_from(root.context)])
    with tracer.start_active_span("active") as scope:
        foreign_ref = tracer.start_span(
            "h", references=[opentracing.child_of(MockTracer().start_span("m").context)]
        )
        under_active = tracer.start_span("e")
        ignored = tracer.start_span("f", ignore_active_span=True)
        none_ref = tracer.start_span("g", references=[opentracing.child_of(None)])
    for span in (by_span, by_context, both):
        assert span.context.trace_id == root.context.trace_id
        assert span.context.parent_id == root.context.span_id
    assert only_follows.context.trace_id == root.context.trace_id
    assert under_active.context.parent_id == scope.span.context.span_id
    assert none_ref.context.parent_id == scope.span.context.span_id
    assert ignored.context.parent_id is None
    assert ignored.context.trace_id != scope.span.context.trace_id
    for span in (root, by_span, by_context, other, both, only_follows, under_active, ignored,
                 none_ref, foreign_ref):
        span.finish()
    spans = {s.operation_name: s for s in tracer.recorder.spans}
    assert [(r.type, r.span_id) for r in spans["c"].references] == [
        ("follows_from", other.context.span_id),
        ("child_of", root.context.span_id),
    ]
    assert spans["c"].parent_id == root.context.span_id
    assert [(r.type, r.span_id) for r in spans["d"].references] == [("follows_from", root.context.span_id)]
    assert spans["d"].parent_id is None  # follows_from is kept as a typed reference only
    assert spans["root"].parent_id is None and spans["root"].references == ()
    # a reference to nothing falls back to the active span, in the snapshot too
    assert spans["g"].parent_id == spans["h"].parent_id == scope.span.context.span_id
    assert [(r.type, r.span_id) for r in spans["g"].references] == [("child_of", scope.span.context.span_id)]


def test_a_context_of_another_tracer_starts_a_new_trace() -> None:
    tracer = _tracer()
    foreign = MockTracer().start_span("mock")
    span = tracer.start_span("s", child_of=foreign)
    assert span.context.parent_id is None


def test_finish_is_idempotent_and_the_snapshot_is_frozen() -> None:
    tracer = _tracer()
    span = tracer.start_span("s", tags={"a": 1}, start_time=100.0)
    span.log_kv({"event": "x"}, timestamp=100.5)
    span.finish(finish_time=101.0)
    span.finish(finish_time=102.0)
    span.set_tag("late", True)
    span.log_kv({"event": "late"})
    [snapshot] = tracer.recorder.spans
    assert isinstance(snapshot, FinishedSpan)
    assert (snapshot.start_time, snapshot.finish_time, snapshot.duration) == (100.0, 101.0, 1.0)
    assert dict(snapshot.tags) == {"a": 1}
    assert [(log.timestamp, dict(log.fields)) for log in snapshot.logs] == [(100.5, {"event": "x"})]
    with pytest.raises(TypeError):
        snapshot.tags["b"] = 2  # type: ignore[index]
    with pytest.raises(AttributeError):
        snapshot.operation_name = "changed"  # type: ignore[misc]
    assert snapshot.process["service.name"] == "svc"
    assert snapshot.process["process.pid"] == os.getpid()


def test_operation_name_tags_logs_and_errors() -> None:
    tracer = _tracer()
    with pytest.raises(KeyError):
        with tracer.start_active_span("old") as scope:
            scope.span.set_operation_name("new").set_tag("n", 1)
            raise KeyError("k")
    [snapshot] = tracer.recorder.spans
    assert snapshot.operation_name == "new"
    assert snapshot.tags == {"n": 1, "error": True}
    assert snapshot.logs[0].fields["event"] == "error"


def test_limits_drop_and_count() -> None:
    tracer = _tracer(limits=SpanLimits(max_tags=2, max_logs=1, max_value_length=5))
    span = tracer.start_span("s", tags={"a": "123456789"})
    span.set_tag("b", 2).set_tag("c", 3).set_tag("a", "xy")  # "a" replaced, not a new tag
    span.log_kv({"event": "1"}).log_kv({"event": "2"}).log_kv({"event": "3"})
    span.finish()
    [snapshot] = tracer.recorder.spans
    assert dict(snapshot.tags) == {"a": "xy", "b": 2}
    assert (snapshot.dropped_tags, snapshot.dropped_logs, snapshot.truncated_values) == (1, 2, 1)
    with pytest.raises(ValueError, match="max_tags"):
        SpanLimits(max_tags=-1)


def test_baggage_is_copied_on_write_inherited_and_carried() -> None:
    tracer = _tracer()
    parent = tracer.start_span("p").set_baggage_item("user", "fry")
    before = parent.context
    child = tracer.start_span("c", child_of=parent).set_baggage_item("role", "delivery")
    assert before.baggage == {"user": "fry"} and parent.context is before
    assert child.context.baggage == {"user": "fry", "role": "delivery"}
    assert parent.get_baggage_item("role") is None
    for fmt, carrier in [(Format.TEXT_MAP, {}), (Format.HTTP_HEADERS, {}), (Format.BINARY, bytearray())]:
        tracer.inject(child.context, fmt, carrier)
        extracted = tracer.extract(fmt, carrier)
        assert extracted is not None and extracted.remote
        assert (extracted.trace_id, extracted.span_id) == (child.context.trace_id, child.context.span_id)
        assert extracted.baggage == {"user": "fry", "role": "delivery"}
        server = tracer.start_span("server", child_of=extracted)
        assert server.context.parent_id == child.context.span_id
        assert server.get_baggage_item("role") == "delivery"


def test_binary_carrier_rules() -> None:
    tracer = _tracer()
    assert tracer.extract(Format.BINARY, bytearray()) is None
    with pytest.raises(SpanContextCorruptedException):
        tracer.extract(Format.BINARY, bytearray(b"garbage that is long enough to parse....."))
    with pytest.raises(InvalidCarrierException):
        tracer.inject(tracer.start_span("s").context, Format.BINARY, b"")
    with pytest.raises(InvalidCarrierException):
        tracer.extract(Format.BINARY, "text")


def test_bad_formats_carriers_and_contexts() -> None:
    tracer = _tracer()
    context = tracer.start_span("s").context
    with pytest.raises(UnsupportedFormatException):
        tracer.inject(context, "thrift", {})
    with pytest.raises(UnsupportedFormatException):
        tracer.extract("thrift", {})
    with pytest.raises(InvalidCarrierException):
        tracer.inject(context, Format.TEXT_MAP, [])
    with pytest.raises(InvalidCarrierException):
        tracer.extract(Format.HTTP_HEADERS, 42)
    with pytest.raises(TypeError, match="traced.Tracer"):
        tracer.inject(opentracing.Tracer().start_span().context, Format.TEXT_MAP, {})
    assert tracer.extract(Format.HTTP_HEADERS, {}) is None


def test_unsampled_spans_keep_ids_and_record_nothing() -> None:
    tracer = _tracer(sampler=ALWAYS_OFF)
    with tracer.start_active_span("root") as scope:
        root = scope.span
        assert isinstance(root, NonRecordingSpan) and not root.context.sampled
        child = tracer.start_span("child").set_tag("a", 1).set_baggage_item("k", "v")
        assert isinstance(child, NonRecordingSpan)
        assert child.context.trace_id == root.context.trace_id
        assert child.context.parent_id == root.context.span_id
        headers: dict = {}
        tracer.inject(child.context, Format.HTTP_HEADERS, headers)
        assert headers  # the ids still travel downstream
        child.finish()
    assert tracer.recorder.spans == []


def test_sampling_is_decided_once_at_the_root_and_honoured_downstream() -> None:
    decisions: List[int] = []

    class Counting(Sampler):
        description = "counting"

        def should_sample(self, trace_id: int, parent: Any, name: str) -> bool:
            decisions.append(trace_id)
            return True

    tracer = _tracer(sampler=Counting())
    with tracer.start_active_span("root"):
        for _ in range(5):
            tracer.start_span("child").finish()
    assert len(decisions) == 1
    # a remote parent's flag is honoured by the default parent-based sampler
    receiver = _tracer(sampler=ParentBased(ALWAYS_ON))
    sender = _tracer(sampler=ALWAYS_OFF)
    headers: dict = {}
    sender.inject(sender.start_span("client").context, Format.HTTP_HEADERS, headers)
    assert not receiver.start_span("server", child_of=receiver.extract(Format.HTTP_HEADERS, headers)).context.sampled
    # a debug parent forces sampling, whatever the sampler
    debug_parent = SpanContext(5, 6, sampled=False, debug=True, remote=True)
    assert _tracer(sampler=ALWAYS_OFF).start_span("s", child_of=debug_parent).context.sampled


def test_spans_from_8_threads_are_all_recorded() -> None:
    tracer = _tracer()

    def work() -> None:
        for _ in range(500):
            with tracer.start_active_span("outer"):
                tracer.start_span("inner").finish()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    spans = tracer.recorder.spans
    assert len(spans) == 8000
    assert len({s.span_id for s in spans}) == 8000
    outers = {s.span_id for s in spans if s.operation_name == "outer"}
    assert all(s.parent_id in outers for s in spans if s.operation_name == "inner")


def test_a_failing_recorder_never_reaches_the_application(caplog: Any) -> None:
    class Broken(Recorder):
        def record(self, span: FinishedSpan) -> None:
            raise RuntimeError("disk full")

        def flush(self, timeout: float = 5.0) -> bool:
            raise RuntimeError("flush")

    tracer = _tracer(recorder=Broken())
    with caplog.at_level(logging.DEBUG, logger="traced"):
        with tracer.start_active_span("s"):
            pass
        assert tracer.flush() is False
    assert any("Recorder.record" in r.getMessage() for r in caplog.records)


def test_memory_recorder_clear_and_close() -> None:
    recorder = MemoryRecorder()
    tracer = _tracer(recorder=recorder)
    tracer.start_span("a").finish()
    recorder.clear()
    assert recorder.spans == []
    tracer.start_span("b").finish()
    assert [s.operation_name for s in recorder.spans] == ["b"]
    assert tracer.close() is True
    tracer.start_span("c").finish()
    assert [s.operation_name for s in recorder.spans] == ["b"]


def test_recording_span_type_and_repr() -> None:
    span = _tracer().start_span("s")
    assert isinstance(span, RecordingSpan)
    assert "s" in repr(span) and span.context.trace_id_hex in repr(span.context)
    with pytest.raises(ValueError, match="service_name"):
        Tracer("")


def test_a_failing_sampler_never_reaches_the_application() -> None:
    class Broken(Sampler):
        description = "broken"

        def should_sample(self, trace_id: int, parent: Any, name: str) -> bool:
            raise RuntimeError("sampler bug")

    tracer = _tracer(sampler=Broken())
    with tracer.start_active_span("s") as scope:
        assert not scope.span.context.sampled  # not sampled, and no exception
    assert tracer.recorder.spans == []


def test_a_memory_recorder_subclass_keeps_its_own_record() -> None:
    class Counting(MemoryRecorder):
        def __init__(self) -> None:
            super().__init__()
            self.count = 0

        def record(self, span: FinishedSpan) -> None:
            self.count += 1
            super().record(span)

    recorder = Counting()
    tracer = _tracer(recorder=recorder)
    tracer.start_span("a").finish()
    assert recorder.count == 1 and [s.operation_name for s in recorder.spans] == ["a"]


def test_limits_at_the_boundary_keep_everything() -> None:
    """Exactly max_tags tags, max_logs logs and max_value_length characters are kept whole,
    whether tags come at start or one by one; one more of each is dropped or cut."""
    limits = SpanLimits(max_tags=3, max_logs=2, max_value_length=4)
    tracer = _tracer(limits=limits)
    at_start = tracer.start_span("start", tags={"a": "1234", "b": 2, "c": 3})
    one_by_one = tracer.start_span("set").set_tag("a", "1234").set_tag("b", 2).set_tag("c", 3)
    for span in (at_start, one_by_one):
        span.log_kv({"v": "abcd"}).log_kv({"v": "efgh"})
        span.finish()
    for snapshot in tracer.recorder.spans:
        assert dict(snapshot.tags) == {"a": "1234", "b": 2, "c": 3}
        assert [dict(log.fields) for log in snapshot.logs] == [{"v": "abcd"}, {"v": "efgh"}]
        assert (snapshot.dropped_tags, snapshot.dropped_logs, snapshot.truncated_values) == (0, 0, 0)
    tracer.recorder.clear()
    over = tracer.start_span("over", tags={"a": "12345", "b": 2, "c": 3, "d": 4})
    over.log_kv({"v": 1}).log_kv({"v": 2}).log_kv({"v": 3}).finish()
    [snapshot] = tracer.recorder.spans
    assert len(snapshot.tags) == 3 and snapshot.tags["a"] == "1234"
    assert (snapshot.dropped_tags, snapshot.dropped_logs, snapshot.truncated_values) == (1, 1, 1)


def test_under_gevent_monkey_patching() -> None:
    """With gevent's monkey.patch_all() done first, 200 greenlets trace concurrently on
    GeventScopeManager: each parent/child pair is right and every span is recorded once."""
    import subprocess
    import sys

    code = r"""
from gevent import monkey
monkey.patch_all()
import gevent
import traced
from traced.tracer import Tracer
from opentracing.scope_managers.gevent import GeventScopeManager

tracer = Tracer("svc", scope_manager=GeventScopeManager())

@traced.trace("child", tracer=tracer)
def child():
    gevent.sleep(0)

def work(i):
    with tracer.start_active_span("parent", tags={"i": i}):
        gevent.sleep(0)
        child()

gevent.joinall([gevent.spawn(work, i) for i in range(200)], raise_error=True)
spans = tracer.recorder.spans
parents = {s.span_id: s for s in spans if s.operation_name == "parent"}
children = [s for s in spans if s.operation_name == "child"]
assert len(parents) == 200 and len(children) == 200, len(spans)
assert all(c.parent_id in parents and c.trace_id == parents[c.parent_id].trace_id for c in children)
assert len({c.parent_id for c in children}) == 200
print("ok")
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stdout + proc.stderr

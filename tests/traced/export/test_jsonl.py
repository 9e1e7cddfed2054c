"""JSON lines: the lines read back as the spans that were written (ids, times, tags with
their JSON types, logs, references, baggage, process); lines stay whole when threads and
processes append to one file; a failing file or stream makes ``export`` return False."""

from __future__ import annotations

import io
import json
import math
import os
import threading
from pathlib import Path
from typing import Any, Dict, List, Tuple

import opentracing
import pytest

import traced
from traced.export.jsonl import JsonLinesExporter, encode_json_lines
from traced.tracer import FinishedSpan, MemoryRecorder


def _no_constant(name: str) -> None:
    raise AssertionError("not JSON: %s" % name)


def read_lines(data: str) -> List[Dict[str, Any]]:
    assert data.endswith("\n")
    return [json.loads(line, parse_constant=_no_constant) for line in data.splitlines()]


def make_tracer(**kwargs: Any) -> Tuple[traced.Tracer, MemoryRecorder]:
    recorder = MemoryRecorder()
    return traced.Tracer("billing", recorder=recorder, **kwargs), recorder


def micros(seconds: float) -> int:
    return round(seconds * 1e6)


def test_round_trip_through_a_file(tmp_path: Path) -> None:
    t, recorder = make_tracer(tags={"region": "eu", "replicas": 3})
    with t.start_active_span("parent", tags={"str": "s", "int": 7, "float": 0.5, "bool": True,
                                             "none": None, "list": [1, "x"], "dict": {"a": {"b": 2}},
                                             "unicode": "\u00e9\u65e5\U0001f600"}) as scope:
        scope.span.set_baggage_item("tenant", "acme")
        scope.span.log_kv({"event": "cache.miss", "key": "k1", "size": 12})
        with pytest.raises(KeyError):
            with t.start_active_span("child"):
                raise KeyError("gone")
    follower = t.start_span("follower", references=[opentracing.follows_from(scope.span.context)])
    follower.finish()
    path = tmp_path / "spans.jsonl"
    exporter = JsonLinesExporter(path)
    assert exporter.export(recorder.spans, timeout=1.0) is True
    exporter.shutdown()
    lines = read_lines(path.read_text("ascii"))
    assert [line["operation_name"] for line in lines] == ["child", "parent", "follower"]
    for line, span in zip(lines, recorder.spans):
        assert line["trace_id"] == "%032x" % span.trace_id
        assert line["span_id"] == span.span_id_hex
        assert line["start_time_us"] == micros(span.start_time)
        assert line["finish_time_us"] == micros(span.finish_time)
        assert line["duration_us"] == line["finish_time_us"] - line["start_time_us"]
        assert line["process"]["service.name"] == "billing"
        assert line["process"]["region"] == "eu" and line["process"]["replicas"] == 3
        assert line["process"]["process.pid"] == os.getpid()
        assert line["baggage"] == {"tenant": "acme"}
        assert line["debug"] is False
        assert (line["dropped_tags"], line["dropped_logs"], line["truncated_values"]) == (0, 0, 0)
    child, parent, follower_line = lines
    assert parent["parent_id"] is None and child["parent_id"] == parent["span_id"]
    assert parent["tags"] == {"str": "s", "int": 7, "float": 0.5, "bool": True, "none": None,
                              "list": [1, "x"], "dict": {"a": {"b": 2}},
                              "unicode": "\u00e9\u65e5\U0001f600"}
    assert parent["logs"] == [{"timestamp_us": micros(recorder.spans[1].logs[0].timestamp),
                               "fields": {"event": "cache.miss", "key": "k1", "size": 12}}]
    assert child["tags"] == {"error": True}
    error = child["logs"][0]["fields"]
    assert error["event"] == "error" and error["error.kind"] == "KeyError"
    assert error["error.object"] == "KeyError: 'gone'" and "raise KeyError" in error["stack"]
    assert child["references"] == [{"type": "child_of", "trace_id": parent["trace_id"],
                                    "span_id": parent["span_id"]}]
    assert follower_line["parent_id"] is None
    assert follower_line["references"] == [{"type": "follows_from", "trace_id": parent["trace_id"],
                                            "span_id": parent["span_id"]}]


def test_values_json_cannot_hold_become_text() -> None:
    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError

        __repr__ = __str__

    t, recorder = make_tracer()
    loop: List[Any] = []
    loop.append(loop)
    t.start_span("odd", tags={"nan": math.nan, "inf": math.inf, "bytes": b"a\xff", "cycle": loop,
                              "set": {1}, "huge": 10**5000, "object": Unprintable(), 7: "int key",
                              (1, 2): "tuple key", "big": 2**100}).finish()
    t.start_span("nan-time", start_time=math.nan).finish()
    (odd, nan_time) = read_lines(encode_json_lines(recorder.spans))
    tags = odd["tags"]
    assert tags["nan"] == "nan" and tags["inf"] == "inf" and tags["bytes"] == "a\\xff"
    assert tags["cycle"] == ["<cycle>"] and tags["set"] == [1] and tags["big"] == 2**100
    assert tags["huge"] == format(10**5000, "#x")  # past Python's int-to-text digit limit
    assert tags["object"].startswith("<unprintable ") and tags["7"] == "int key"
    assert tags["[1,2]"] == "tuple key"
    assert nan_time["start_time_us"] is None and nan_time["duration_us"] is None


def test_64_bit_trace_id_and_debug() -> None:
    t, recorder = make_tracer(propagator=traced.propagation.composite("b3"))
    parent = t.extract(opentracing.Format.HTTP_HEADERS, {"b3": "463ac35c9f6413ad-a2fb4a1d1a96d312-d"})
    t.start_span("x", child_of=parent).finish()
    (line,) = read_lines(encode_json_lines(recorder.spans))
    assert line["trace_id"] == "463ac35c9f6413ad" and line["debug"] is True


@pytest.mark.parametrize("binary", [False, True])
def test_streams_get_whole_lines_and_a_flush(binary: bool) -> None:
    class Stream(io.BytesIO if binary else io.StringIO):  # type: ignore[misc]
        flushes = 0

        def flush(self) -> None:
            Stream.flushes += 1

    stream = Stream()
    exporter = JsonLinesExporter(stream)
    t, recorder = make_tracer()
    for _ in range(3):
        t.start_span("op").finish()
    assert exporter.export(recorder.spans[:2], timeout=1.0) is True
    assert exporter.export(recorder.spans[2:], timeout=1.0) is True
    assert Stream.flushes == 2
    exporter.shutdown()
    assert not stream.closed  # not the exporter's to close
    data = stream.getvalue()
    lines = read_lines(data.decode("ascii") if binary else data)
    assert [line["span_id"] for line in lines] == [s.span_id_hex for s in recorder.spans]
    assert exporter.export(recorder.spans, timeout=1.0) is False


def spans_with_ids(n: int, tag: str) -> List[FinishedSpan]:
    t, recorder = make_tracer()
    for i in range(n):
        t.start_span("op", tags={"writer": tag, "i": i, "pad": "x" * 300}).finish()
    return recorder.spans


def test_threads_and_processes_appending_to_one_file_keep_lines_whole(tmp_path: Path) -> None:
    path = tmp_path / "shared.jsonl"
    shared = JsonLinesExporter(str(path))
    batches = 40
    results: List[bool] = []

    def write(exporter: JsonLinesExporter, tag: str) -> None:
        spans = spans_with_ids(10, tag)
        for _ in range(batches):
            results.append(exporter.export(spans, timeout=1.0))

    # four threads on one exporter, four with an exporter each (their own descriptors)
    threads = [threading.Thread(target=write, args=(shared, "shared-%d" % i)) for i in range(4)]
    own = [JsonLinesExporter(path) for _ in range(4)]
    threads += [threading.Thread(target=write, args=(e, "own-%d" % i)) for i, e in enumerate(own)]
    children = []
    if hasattr(os, "fork"):
        for i in range(2):  # forked children append through the inherited descriptor
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child
                try:
                    spans = spans_with_ids(10, "child-%d" % i)
                    ok = all(shared.export(spans, timeout=1.0) for _ in range(batches))
                finally:
                    os._exit(0 if ok else 1)
            children.append(pid)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for pid in children:
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    for exporter in [shared, *own]:
        exporter.shutdown()
    assert results == [True] * (8 * batches)
    lines = read_lines(path.read_text("ascii"))
    counts: Dict[str, int] = {}
    for line in lines:
        counts[line["tags"]["writer"]] = counts.get(line["tags"]["writer"], 0) + 1
    expected = {"%s-%d" % (kind, i): 10 * batches for kind in ("shared", "own") for i in range(4)}
    expected.update({"child-%d" % i: 10 * batches for i in range(len(children))})
    assert counts == expected


def test_a_file_that_cannot_be_opened_returns_false_then_recovers(tmp_path: Path) -> None:
    path = tmp_path / "missing-dir" / "spans.jsonl"
    exporter = JsonLinesExporter(path)
    spans = spans_with_ids(2, "x")
    assert exporter.export(spans, timeout=1.0) is False
    path.parent.mkdir()
    assert exporter.export(spans, timeout=1.0) is True
    exporter.shutdown()
    assert len(read_lines(path.read_text())) == 2


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_returns_false() -> None:
    exporter = JsonLinesExporter("/dev/full")
    assert exporter.export(spans_with_ids(3, "x"), timeout=1.0) is False
    exporter.shutdown()


def test_a_closed_or_failing_stream_returns_false_and_the_next_batch_starts_a_line() -> None:
    closed = io.StringIO()
    closed.close()
    assert JsonLinesExporter(closed).export(spans_with_ids(1, "x"), timeout=1.0) is False

    class HalfWrite(io.StringIO):
        fail = True

        def write(self, data: str) -> int:
            if self.fail:
                self.fail = False
                super().write(data[: len(data) // 2])
                raise OSError(28, "No space left on device")
            return super().write(data)

    stream = HalfWrite()
    exporter = JsonLinesExporter(stream)
    assert exporter.export(spans_with_ids(1, "first"), timeout=1.0) is False
    assert exporter.export(spans_with_ids(2, "second"), timeout=1.0) is True
    broken, *whole = stream.getvalue().split("\n")
    with pytest.raises(ValueError):
        json.loads(broken)
    assert [json.loads(line)["tags"]["writer"] for line in whole if line] == ["second", "second"]


def test_empty_batch_and_shutdown(tmp_path: Path) -> None:
    exporter = JsonLinesExporter(tmp_path / "x.jsonl")
    assert exporter.export([], timeout=1.0) is True
    assert not (tmp_path / "x.jsonl").exists()  # nothing opened for nothing
    exporter.shutdown()
    assert exporter.export(spans_with_ids(1, "x"), timeout=1.0) is False

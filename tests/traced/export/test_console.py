"""The console exporter: the waterfall's exact layout, colour and width rules, hostile tag
values, traces printed when their root finishes or after the grace time, the bounded buffer,
shutdown, fork, and a real run in a pseudo-terminal."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import struct
import subprocess
import sys
import textwrap
import threading
import time
from types import MappingProxyType
from typing import Any, Callable, Dict, List, Optional, Sequence

import pytest

from traced.export.console import ConsoleExporter, render_trace
from traced.export._waterfall import clean_text, display_width, format_duration
from traced.tracer import FinishedSpan, LogRecord, Recorder, Tracer

ANSI = re.compile(r"\x1b\[[0-9;]*m")
REMOTE_PARENT = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}


def finished(
    name: str,
    span_id: int,
    parent_id: Optional[int],
    start: float,
    finish: float,
    tags: Optional[Dict[str, Any]] = None,
    logs: Sequence[LogRecord] = (),
    trace_id: int = 0xABC,
) -> FinishedSpan:
    """A hand-made finished span at fixed times (seconds after 1000.0)."""
    return FinishedSpan(
        name, trace_id, span_id, parent_id, 1000.0 + start, 1000.0 + finish,
        MappingProxyType(dict(tags or {})), tuple(logs), (), MappingProxyType({}), False, 0, 0, 0,
        MappingProxyType({"service.name": "shop"}),
    )


class Forward(Recorder):
    """Hands each finished span straight to an exporter, as the simple processor does."""

    def __init__(self, exporter: ConsoleExporter) -> None:
        self.exporter = exporter

    def record(self, span: FinishedSpan) -> None:
        self.exporter.export([span], 1.0)


class FakeTerminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def tree_part(line: str) -> str:
    """The tree prefix, error marker and name at the start of a waterfall line."""
    found = re.match(r"((?:[│ ]  |[├└]─ )*(?:✗ )?\S+)", line)
    assert found, line
    return found.group(1)


def traced_into(stream: io.StringIO, **options: Any) -> "tuple[Tracer, ConsoleExporter]":
    exporter = ConsoleExporter(stream, **options)
    return Tracer("shop", recorder=Forward(exporter)), exporter


# -- the drawing ---------------------------------------------------------------------------


def test_exact_layout_of_a_hand_made_trace() -> None:
    """Width 60 gives a 24-cell time axis: a bar starts at the nearest cell and ends to the
    eighth of a cell; a zero-length span still shows one eighth; children under parents by
    start time, whatever order the spans finished in."""
    spans = [
        finished("q", 3, 2, 0.25, 0.3125),
        finished("db", 2, 1, 0.25, 0.5, {"db.statement": "SELECT 1"}),
        finished("cache", 4, 1, 0.75, 0.75, {"error": True}),
        finished("GET /", 1, None, 0.0, 1.0, {"span.kind": "server", "http.status_code": 200}),
    ]
    assert render_trace(spans, width=60).splitlines() == [
        "trace 0000000000000abc · 1.00 s · 4 spans · shop  ✗ error",
        "GET /  server  200         1.00 s │████████████████████████│",
        "├─ db  SELECT 1            250 ms │      ██████            │",
        "│  └─ q                   62.5 ms │      █▌                │",
        "└─ ✗ cache  error            0 ns │                  ▏     │",
    ]


def test_ascii_drawing() -> None:
    spans = [finished("root", 1, None, 0.0, 1.0), finished("half", 2, 1, 0.5, 1.0)]
    assert render_trace(spans, width=40, unicode=False).splitlines()[1:] == [
        "root           1.00 s |################|",
        "`- half        500 ms |        ########|",
    ]


def test_children_ordered_by_start_time_and_orphans_start_their_own_tree() -> None:
    spans = [
        finished("late", 3, 1, 0.6, 0.7),
        finished("early", 2, 1, 0.1, 0.2),
        finished("root", 1, None, 0.0, 1.0),
        finished("orphan", 5, 99, 0.3, 0.4),
    ]
    names = [ANSI.sub("", line).split()[0:2] for line in render_trace(spans, width=80).splitlines()[1:]]
    assert names == [["root", "1.00"], ["├─", "early"], ["└─", "late"], ["orphan", "100"]]


def test_a_trace_without_its_root_is_marked_partial() -> None:
    header = render_trace([finished("child", 2, 77, 0.0, 0.1)], width=80).splitlines()[0]
    assert "1 span " in header + " " and "partial" in header


def test_error_message_from_the_error_log() -> None:
    log = LogRecord(1000.1, MappingProxyType({"event": "error", "message": "card declined", "error.kind": ValueError}))
    text = render_trace([finished("charge", 1, None, 0.0, 0.2, {"error": True}, [log])], width=100)
    assert "✗ charge  ValueError: card declined" in text
    empty = LogRecord(1000.1, MappingProxyType({"event": "error", "message": "", "error.kind": TimeoutError}))
    text = render_trace([finished("call", 1, None, 0.0, 0.2, {"error": True}, [empty])], width=100)
    assert text.splitlines()[1].startswith("✗ call  TimeoutError   ")


def test_a_request_already_in_the_name_is_not_repeated() -> None:
    tags = {"http.method": "GET", "http.url": "/orders/7", "http.status_code": 404}
    lines = render_trace(
        [finished("GET /orders/7", 1, None, 0.0, 0.2, tags), finished("fetch", 2, 1, 0.0, 0.1, tags)], width=100
    ).splitlines()
    assert lines[1].startswith("GET /orders/7  404   ")
    assert lines[2].startswith("└─ fetch  GET /orders/7  404   ")


def test_colour_marks_errors_red_and_nothing_without_colour() -> None:
    spans = [finished("root", 1, None, 0.0, 1.0), finished("bad", 2, 1, 0.0, 0.5, {"error": True})]
    plain = render_trace(spans, width=80, color=False)
    coloured = render_trace(spans, width=80, color=True)
    assert "\x1b" not in plain
    assert ANSI.sub("", coloured) == plain
    bad_line = coloured.splitlines()[2]
    assert "\x1b[1;31m✗ bad" in bad_line and "\x1b[31m████" in bad_line


@pytest.mark.parametrize("width", [24, 30, 47, 60, 80, 100, 133, 200])
def test_every_line_fits_the_width_even_with_wide_characters(width: int) -> None:
    spans = [
        finished("処理" * 40, 1, None, 0.0, 1.0, {"http.url": "https://例え.jp/" + "ü" * 300}),
        finished("x" * 500, 2, 1, 0.2, 0.9, {"db.statement": "SELECT " + "col, " * 200}),
    ]
    deep = [finished("level%d" % i, 10 + i, (10 + i - 1) if i else 2, 0.3, 0.4) for i in range(40)]
    for color in (False, True):
        lines = render_trace(spans + deep, width=width, color=color).splitlines()
        assert len(lines) == 1 + len(spans) + len(deep)
        for line in lines:
            assert display_width(ANSI.sub("", line)) <= width, line
        if width >= 60:
            assert all(display_width(ANSI.sub("", line)) == width for line in lines[1:])


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no")


def test_hostile_tag_values_cannot_break_or_escape_the_drawing() -> None:
    hostile: Dict[str, Any] = {
        "span.kind": Unprintable(),
        "http.method": b"GE\x1bT",
        "http.url": "/a\nb\r\x1b[2J\x1b]0;title\x07\u202e",
        "http.status_code": float("nan"),
        "db.statement": "x" * 1_000_000,
        "component": "\x00\x7f\x9b",
        "peer.service": "\udcff",
    }
    log = LogRecord(0.0, MappingProxyType({"event": "error", "message": Unprintable(), "error.kind": "E\n"}))
    spans = [
        finished("root\x1b[31m\nname", 1, None, 0.0, float("nan"), hostile, [log]),
        finished("inf", 2, 1, float("-inf"), float("inf"), {"error": "true"}),
    ]
    for color in (False, True):
        text = render_trace(spans, width=120, color=color)
        lines = text.splitlines()
        assert len(lines) == 3
        for line in lines:
            assert not re.search(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u202e\udcff]", ANSI.sub("", line)), line
            assert display_width(ANSI.sub("", line)) <= 120
        assert "\\x1b[31m" in text and "<unprintable Unprintable>" in text


def test_clean_text_and_durations() -> None:
    assert clean_text("a\tb\nc") == "a b c"
    assert clean_text("\x1b[1m") == "\\x1b[1m"
    assert clean_text("y" * 10, limit=4) == "yyyy…"
    assert clean_text(Unprintable()) == "<unprintable Unprintable>"
    assert display_width("ab漢字") == 6 and display_width("e\u0301") == 1
    assert [format_duration(s) for s in (0, 4.2e-7, 4.12e-4, 0.00125, 0.041, 0.9999, 3.2, 125, 7300)] == [
        "0 ns", "420 ns", "412 µs", "1.25 ms", "41.0 ms", "1.00 s", "3.20 s", "2m05s", "2h01m",
    ]
    assert format_duration(float("nan")) == "?" and format_duration(-1.0) == "?"


# -- the exporter --------------------------------------------------------------------------


def test_a_real_trace_is_printed_when_its_root_finishes() -> None:
    """Nested spans, children in threads and an error, from traced.Tracer."""
    stream = io.StringIO()
    tracer, exporter = traced_into(stream, grace=30.0)

    def work(n: int) -> None:
        with tracer.start_active_span("worker-%d" % n, child_of=root.span):
            with tracer.start_active_span("step"):
                time.sleep(0.002)

    with tracer.start_active_span("handle", tags={"span.kind": "server"}) as root:
        with tracer.start_active_span("load"):
            with tracer.start_active_span("query", tags={"db.statement": "SELECT *\n FROM t"}):
                time.sleep(0.002)
        threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
            time.sleep(0.001)
        for t in threads:
            t.join()
        try:
            with tracer.start_active_span("charge"):
                raise KeyError("card")
        except KeyError:
            pass
        assert stream.getvalue() == ""  # nothing before the root finishes
    wait_for(lambda: stream.getvalue().endswith("\n\n"))
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("trace %032x · " % root.span.context.trace_id)
    assert "· 10 spans · shop  ✗ error" in lines[0]
    tree = [tree_part(line) for line in lines[1:-1]]
    assert tree == [
        "handle",
        "├─ load",
        "│  └─ query",
        "├─ worker-0",
        "│  └─ step",
        "├─ worker-1",
        "│  └─ step",
        "├─ worker-2",
        "│  └─ step",
        "└─ ✗ charge",
    ]
    assert "SELECT * FROM t" in lines[3] and "KeyError: 'card'" in lines[10]
    assert all(len(line) == 100 for line in lines[1:-1])
    exporter.shutdown()


def test_traces_from_many_threads_each_print_whole() -> None:
    stream = io.StringIO()
    tracer, exporter = traced_into(stream, grace=30.0)

    def request(n: int) -> None:
        for _ in range(5):
            with tracer.start_active_span("request-%d" % n, ignore_active_span=True):
                for k in range(3):
                    with tracer.start_active_span("part-%d" % k):
                        pass

    threads = [threading.Thread(target=request, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    exporter.shutdown()
    blocks = [b for b in stream.getvalue().split("\n\n") if b]
    assert len(blocks) == 40
    for block in blocks:
        lines = block.splitlines()
        assert "· 4 spans ·" in lines[0] and "partial" not in lines[0]
        assert [tree_part(line) for line in lines[1:]] == [
            tree_part(lines[1]), "├─ part-0", "├─ part-1", "└─ part-2",
        ]


def test_a_span_under_a_remote_parent_is_printed_after_the_grace_time() -> None:
    stream = io.StringIO()
    tracer, exporter = traced_into(stream, grace=0.3)
    parent = tracer.extract("http_headers", REMOTE_PARENT)
    with tracer.start_active_span("server", child_of=parent):
        with tracer.start_active_span("inner"):
            pass
    finished_at = time.monotonic()
    assert stream.getvalue() == ""
    wait_for(lambda: stream.getvalue().endswith("\n\n"))
    assert time.monotonic() - finished_at >= 0.25
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("trace 0af7651916cd43dd8448eb211c80319c · ")
    assert "2 spans" in lines[0] and "partial" in lines[0]
    assert lines[1].startswith("server ") and lines[2].startswith("└─ inner ")
    exporter.shutdown()


def test_shutdown_prints_what_is_left_and_later_exports_are_refused() -> None:
    stream = io.StringIO()
    tracer, exporter = traced_into(stream, grace=3600.0)
    with tracer.start_active_span("root"):
        with tracer.start_active_span("unfinished-parent") as parent:
            with tracer.start_active_span("done-child"):
                pass
            exporter.shutdown()
            text = stream.getvalue()
            assert "1 span · shop  (partial" in text and "done-child" in text
            assert exporter.export([finished("late", 9, None, 0, 1)], 1.0) is False
        parent.span.finish()
    assert stream.getvalue() == text


def test_the_buffer_is_bounded_and_drops_are_counted_and_reported() -> None:
    stream = io.StringIO()
    exporter = ConsoleExporter(stream, grace=3600.0, max_traces=2, max_spans=5)
    for trace in range(1, 4):  # three rootless traces of one span: the first is dropped
        assert exporter.export([finished("t%d" % trace, trace, 50, 0, 1, trace_id=trace)], 1.0)
    assert exporter.dropped == 1
    # one trace of six spans: only five fit, the others' spans go first, then its own newest
    spans = [finished("c%d" % i, 10 + i, 1, 0, 1, trace_id=9) for i in range(6)]
    exporter.export(spans, 1.0)
    assert exporter.dropped == 1 + 2 + 1
    exporter.export([finished("root", 1, None, 0, 1, trace_id=9)], 1.0)  # kept, in c0's place
    assert exporter.dropped == 5
    exporter.shutdown()
    text = stream.getvalue()
    assert text.count("trace ") == 1 and "· 5 spans ·" in text
    assert "root " in text and "c0 " not in text and "c5 " not in text
    # the drops are reported by the exporter's thread as they happen, or at shutdown
    notes = re.findall(r"\(console exporter: (\d+) spans? dropped, buffer full\)", text)
    assert sum(int(n) for n in notes) == 5


def test_a_failing_stream_never_reaches_the_application(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError("disk full")

    exporter = ConsoleExporter(Broken(), grace=3600.0)
    tracer = Tracer("shop", recorder=Forward(exporter))
    with tracer.start_active_span("root"):  # printed (and failing) on the exporter's thread
        with tracer.start_active_span("child"):
            pass
    wait_for(lambda: "could not print" in caplog.text)
    assert exporter.export([finished("rootless", 2, 1, 0, 1)], 1.0) is True
    assert exporter.flush(1.0) is False  # its own call fails the same way, quietly


def test_an_ascii_stream_gets_ascii_drawing() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii", newline="\n")
    exporter = ConsoleExporter(stream)
    exporter.export([finished("kid ü", 2, 1, 0.5, 1.0), finished("root", 1, None, 0.0, 1.0)], 1.0)
    exporter.shutdown()
    assert raw.getvalue().decode("ascii").splitlines()[1:3] == [
        "root" + " " * 47 + "1.00 s |" + "#" * 40 + "|",
        "`- kid ?" + " " * 43 + "500 ms |" + " " * 20 + "#" * 20 + "|",
    ]


# -- colour and width ----------------------------------------------------------------------


ROOT_WITH_ERROR = [finished("bad", 1, None, 0.0, 1.0, {"error": True})]


def printed(stream: io.StringIO, **options: Any) -> str:
    exporter = ConsoleExporter(stream, **options)
    exporter.export(ROOT_WITH_ERROR, 1.0)
    exporter.shutdown()
    return stream.getvalue()


def test_colour_only_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[" in printed(FakeTerminal())
    assert "\x1b[" not in printed(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "")  # empty: as if unset
    assert "\x1b[" in printed(FakeTerminal())
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in printed(FakeTerminal())
    assert "\x1b[31m" in printed(io.StringIO(), color=True)  # forced, even with NO_COLOR
    monkeypatch.delenv("NO_COLOR")
    assert "\x1b[" not in printed(FakeTerminal(), color=False)


def test_width_of_a_terminal_a_file_and_an_override(monkeypatch: pytest.MonkeyPatch) -> None:
    def widths(text: str) -> set:
        return {display_width(ANSI.sub("", line)) for line in text.splitlines()[1:] if line}

    monkeypatch.setenv("COLUMNS", "72")
    assert widths(printed(FakeTerminal())) == {72}
    assert widths(printed(io.StringIO())) == {100}  # not a terminal: COLUMNS is no matter
    assert widths(printed(FakeTerminal(), width=50)) == {50}
    monkeypatch.setenv("COLUMNS", "90")
    assert widths(printed(FakeTerminal())) == {90}
    with pytest.raises(ValueError):
        ConsoleExporter(width=0)
    with pytest.raises(ValueError):
        ConsoleExporter(grace=float("nan"))


# -- processes -----------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_forked_child_starts_empty_and_prints_its_own_traces() -> None:
    stream = io.StringIO()
    exporter = ConsoleExporter(stream, grace=3600.0)
    exporter.export([finished("parents-child", 2, 1, 0, 1, trace_id=1)], 1.0)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its own span only, printed by its own thread
        try:
            exporter.export([finished("childs-root", 5, None, 0, 1, trace_id=2)], 1.0)
            deadline = time.monotonic() + 10
            while "childs-root" not in stream.getvalue() and time.monotonic() < deadline:
                time.sleep(0.01)
            exporter.shutdown()
            os.write(write_fd, stream.getvalue().encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        child_output = pipe.read().decode()
    os.waitpid(pid, 0)
    assert "childs-root" in child_output and "parents-child" not in child_output
    exporter.shutdown()
    assert "parents-child" in stream.getvalue() and "childs-root" not in stream.getvalue()


PTY_SCRIPT = textwrap.dedent(
    """
    import time
    from traced.export.console import ConsoleExporter
    from traced.tracer import Recorder, Tracer

    exporter = ConsoleExporter()

    class Forward(Recorder):
        def record(self, span):
            exporter.export([span], 1.0)

    tracer = Tracer("pty-demo", recorder=Forward())
    with tracer.start_active_span("request " + "long-name-" * 20):
        with tracer.start_active_span("query", tags={"db.statement": "SELECT 1"}):
            time.sleep(0.01)
        try:
            with tracer.start_active_span("call"):
                raise ValueError("down")
        except ValueError:
            pass
    exporter.shutdown()
    """
)


def run_in_pty(columns: int, env: Dict[str, str]) -> str:
    """The script's output read from the master side of a pseudo-terminal of ``columns``."""
    import fcntl
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    environ.update(env, PYTHONIOENCODING="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-c", PTY_SCRIPT], stdin=slave, stdout=slave, stderr=slave, env=environ, close_fds=True
    )
    os.close(slave)
    chunks: List[bytes] = []
    deadline = time.monotonic() + 30
    # read to the end: EIO once the child has exited and the kernel has handed over all
    # it wrote (which may be a moment after the exit)
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
    proc.wait(timeout=10)
    os.close(master)
    assert proc.returncode == 0
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_in_a_real_terminal_colour_appears_and_lines_fit_its_width() -> None:
    output = run_in_pty(70, {})
    assert "\x1b[1;31m✗ call" in output and "\x1b[36m" in output
    lines = [ANSI.sub("", line) for line in output.splitlines() if line]
    assert len(lines) == 4 and "pty-demo" in lines[0]
    assert display_width(lines[0]) <= 70 and all(display_width(line) == 70 for line in lines[1:])
    plain = [line for line in run_in_pty(70, {"NO_COLOR": "1"}).splitlines() if line]
    assert "\x1b" not in "".join(plain) and len(plain) == 4
    assert all(display_width(line) == 70 for line in plain[1:])


def test_spans_too_odd_to_draw_still_give_their_names() -> None:
    class Hostile:
        def __eq__(self, other: object) -> bool:
            raise RuntimeError("no comparing")

        __hash__ = object.__hash__

    hostile = {"otel.status_code": Hostile(), "error": Hostile()}
    log = LogRecord(0.0, MappingProxyType({"event": Hostile()}))
    drawn = render_trace([finished("root", 1, None, 0.0, 1.0, hostile, [log])], width=40)
    assert drawn.splitlines()[1].startswith("root ")  # odd tags alone spoil nothing
    odd = finished("odd\x1b", 1, None, 0.0, 1.0)._replace(start_time="soon")
    lines = render_trace([odd, finished("fine", 2, 1, 0.0, 0.5)], width=40).splitlines()
    assert lines == ["trace of 2 spans (could not be drawn)", "odd\\x1b", "fine"]

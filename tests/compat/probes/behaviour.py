"""Drive MockTracer, the no-op tracer and every scope manager through a fixed script of
normal use and misuse, and print what can be observed through the API as JSON
(``{"observation": value}``; an exception becomes ``"raises TypeName"``).

Run once with PyPI's opentracing 2.4.0 importable and once with ours; the fidelity test
compares the two documents. Nothing here depends on which package it runs on.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import sys
import threading
from typing import Any, Callable, Dict, List

import opentracing
from opentracing import Format
from opentracing.mocktracer import MockTracer, Propagator
from opentracing.scope_managers import ThreadLocalScopeManager
from opentracing.scope_managers.asyncio import AsyncioScopeManager
from opentracing.scope_managers.contextvars import ContextVarsScopeManager
from opentracing.scope_managers.gevent import GeventScopeManager

observed: Dict[str, Any] = {}


def record(name: str, call: Callable[[], Any]) -> Any:
    """Store ``call()``'s result (or the type of what it raised) under ``name``."""
    try:
        value = call()
    except Exception as exc:
        observed[name] = "raises " + type(exc).__name__
        return None
    observed[name] = value
    return value


def ids(span: Any) -> List[Any]:
    return [span.context.span_id, span.context.trace_id, span.parent_id]


def mocktracer_ids_and_parents() -> None:
    tracer = MockTracer()
    root = tracer.start_span("root")
    record("ids: root", lambda: ids(root))
    record("ids: child_of span", lambda: ids(tracer.start_span("a", child_of=root)))
    record("ids: child_of context", lambda: ids(tracer.start_span("b", child_of=root.context)))
    record("ids: references child_of", lambda: ids(
        tracer.start_span("c", references=[opentracing.child_of(root.context)])))
    record("ids: references follows_from", lambda: ids(
        tracer.start_span("d", references=[opentracing.follows_from(root.context)])))
    record("ids: second root", lambda: ids(tracer.start_span("e")))
    with tracer.start_active_span("active") as scope:
        record("ids: under active", lambda: ids(tracer.start_span("f")))
        record("ids: under active, ignored", lambda: ids(
            tracer.start_span("g", ignore_active_span=True)))
        record("ids: reference to None under active", lambda: ids(
            tracer.start_span("h", references=[opentracing.child_of(None)])))
        record("active span is the scope's", lambda: tracer.active_span is scope.span)
        record("scope manager", lambda: scope.manager is tracer.scope_manager)


def mocktracer_recording() -> None:
    tracer = MockTracer()
    spans = {name: tracer.start_span(name) for name in "abc"}
    for name in "bac":
        spans[name].finish()
    record("finished order", lambda: [s.operation_name for s in tracer.finished_spans()])
    record("finished_spans is a copy", lambda: tracer.finished_spans() is not tracer.finished_spans())
    late = tracer.start_span("late")
    tracer.reset()
    record("after reset", lambda: tracer.finished_spans())
    late.finish(finish_time=1234.5)
    record("finished after reset", lambda: [(s.operation_name, s.finish_time, s.finished)
                                            for s in tracer.finished_spans()])
    twice = tracer.start_span("twice")
    twice.finish(finish_time=1.0)
    twice.finish(finish_time=2.0)
    record("finish twice", lambda: [[s.operation_name for s in tracer.finished_spans()],
                                    twice.finish_time])
    tracer.reset()
    span = tracer.start_span("times", start_time=100.0)
    record("before finish", lambda: [span.start_time, span.finish_time, span.finished])
    tags = {"k": "v"}
    tagged = tracer.start_span("tagged", tags=tags)
    record("tags kept", lambda: tagged.tags == {"k": "v"})
    record("set_tag chains", lambda: tagged.set_tag("n", 1) is tagged and tagged.tags)
    record("no tags", lambda: tracer.start_span("plain").tags)
    record("set_operation_name", lambda: tagged.set_operation_name("renamed").operation_name)
    tagged.log_kv({"event": "x"}, 5.0)
    tagged.log_event("ev", {"p": 1})
    tagged.log(event="old", payload=2, timestamp=6.0)
    record("logs", lambda: [(log.key_values, log.timestamp) for log in tagged.logs[:1]]
           + [log.key_values for log in tagged.logs[1:]])


def mocktracer_baggage() -> None:
    tracer = MockTracer()
    parent = tracer.start_span("p")
    before = parent.context
    record("set_baggage_item chains", lambda: parent.set_baggage_item("a", "1") is parent)
    record("new context", lambda: parent.context is not before and before.baggage == {})
    child = tracer.start_span("c", child_of=parent)
    child.set_baggage_item("b", "2")
    record("baggage", lambda: [parent.context.baggage, child.context.baggage,
                               child.get_baggage_item("a"), child.get_baggage_item("zz")])


def mocktracer_propagation() -> None:
    tracer = MockTracer()
    span = tracer.start_span("p").set_baggage_item("Key", "a b/ü")
    for fmt in (Format.TEXT_MAP, Format.HTTP_HEADERS):
        carrier: Dict[str, str] = {"unrelated": "kept"}
        tracer.inject(span.context, fmt, carrier)
        record(fmt + " carrier", lambda: carrier)
        record(fmt + " round trip", lambda: (lambda c: [c.trace_id, c.span_id, c.baggage])(
            tracer.extract(fmt, carrier)))
        record(fmt + " upper-case keys", lambda: (lambda c: [c.trace_id, c.span_id, c.baggage])(
            tracer.extract(fmt, {"OT-TRACER-TRACEID": "a", "Ot-Tracer-SpanId": "b",
                                 "OT-BAGGAGE-X": "y"})))
        for label, bad in [
            ("empty", {}),
            ("unrelated only", {"x": "y"}),
            ("baggage only", {"ot-baggage-x": "y"}),
            ("one id", {"ot-tracer-traceid": "1"}),
            ("an id that is not hex", {"ot-tracer-traceid": "xyz", "ot-tracer-spanid": "1"}),
            ("list", []),
        ]:
            record("%s extract %s" % (fmt, label), lambda: tracer.extract(fmt, bad) and "context")
        record(fmt + " inject into a list", lambda: tracer.inject(span.context, fmt, []))
    binary = bytearray(b"prefix")
    tracer.inject(span.context, Format.BINARY, binary)
    record("binary appends", lambda: binary.startswith(b"prefix") and len(binary) > 6)
    record("binary round trip", lambda: (lambda c: [c.trace_id, c.span_id, c.baggage])(
        tracer.extract(Format.BINARY, binary[6:])))
    for label, bad in [("empty", bytearray()), ("bytes", b"x"), ("dict", {}),
                       ("str", "x"), ("garbage", bytearray(b"\x80garbage"))]:
        record("binary extract " + label, lambda: tracer.extract(Format.BINARY, bad) and "context")
    record("binary inject into bytes", lambda: tracer.inject(span.context, Format.BINARY, b""))
    record("unknown inject", lambda: tracer.inject(span.context, "custom", {}))
    record("unknown extract", lambda: tracer.extract("custom", {}))

    class Custom(Propagator):
        def inject(self, span_context, carrier):
            carrier["id"] = span_context.span_id

    tracer.register_propagator("custom", Custom())
    carrier: Dict[str, Any] = {}
    tracer.inject(span.context, "custom", carrier)
    record("custom inject", lambda: carrier)
    record("custom extract (not overridden)", lambda: tracer.extract("custom", carrier))


def errors_on_spans_and_scopes() -> None:
    tracer = MockTracer()
    for label, enter in [("span", lambda: tracer.start_span("s")),
                         ("scope", lambda: tracer.start_active_span("s"))]:
        try:
            with enter():
                raise ValueError("boom")
        except ValueError:
            pass
        span = tracer.finished_spans()[-1]
        log = span.logs[0].key_values
        record("error on " + label, lambda: [
            span.tags, sorted(log), log["event"], log["message"], log["error.kind"].__name__,
            type(log["error.object"]).__name__, type(log["stack"]).__name__, span.finished])


def noop_tracer() -> None:
    tracer = opentracing.Tracer()
    record("noop start_span is shared", lambda: tracer.start_span("a") is tracer.start_span("b"))
    record("noop scope is shared", lambda: tracer.start_active_span("a") is tracer.start_active_span("b"))
    record("noop active_span", lambda: tracer.active_span is tracer.start_span())
    record("noop extract", lambda: [tracer.extract(fmt, carrier) is tracer.start_span().context
                                    for fmt, carrier in [(Format.TEXT_MAP, {}),
                                                         (Format.BINARY, bytearray())]])
    record("noop unknown format", lambda: tracer.extract("x", {}))
    span = tracer.start_span()
    record("noop span", lambda: [span.set_tag("a", 1) is span, span.get_baggage_item("a"),
                                 span.context.baggage, span.tracer is tracer])
    record("noop manager active", lambda: opentracing.ScopeManager().active is not None)
    record("start_child_span", lambda: opentracing.start_child_span(span, "c") is span)
    record("references", lambda: [list(opentracing.child_of()), list(opentracing.follows_from())])
    mock_span = MockTracer().start_span("referenced")
    record("a reference to a span holds its context", lambda: [
        opentracing.child_of(mock_span).referenced_context is mock_span.context,
        opentracing.follows_from(mock_span).referenced_context is mock_span.context])
    record("global tracer", lambda: [opentracing.is_global_tracer_registered(),
                                     isinstance(opentracing.global_tracer(), opentracing.Tracer)])
    record("set_global_tracer(None)", lambda: opentracing.set_global_tracer(None))


# -- scope managers, used well and badly ----------------------------------------------------


def _misuse(label: str, manager: Any) -> None:
    tracer = MockTracer(manager)
    outer = tracer.start_active_span("outer")
    inner = tracer.start_active_span("inner")
    outer.close()
    names = lambda: [s.operation_name for s in tracer.finished_spans()]  # noqa: E731
    active = lambda: tracer.active_span and tracer.active_span.operation_name  # noqa: E731
    record(label + ": close out of order", lambda: [active(), names()])
    inner.close()
    inner.close()
    record(label + ": close twice", lambda: [active(), names()])
    outer.close()
    record(label + ": unwound", lambda: [active(), names()])

    class Broken(Exception):
        pass

    def broken_finish(*args: Any) -> None:
        raise Broken()

    scope = tracer.start_active_span("breaks")
    scope.span.finish = broken_finish
    record(label + ": finish raises in close", lambda: scope.close())
    record(label + ": active after a raising finish", active)
    del scope.span.finish
    if tracer.active_span is not None:  # 2.4.0's thread-local scope stays active
        tracer.scope_manager.active.close()
    elsewhere = tracer.start_active_span("elsewhere")
    thread = threading.Thread(target=elsewhere.close)
    thread.start()
    thread.join()
    record(label + ": close in another thread", active)
    elsewhere.close()
    copied = tracer.start_active_span("copied")
    record(label + ": close in a copied context",
           lambda: contextvars.copy_context().run(copied.close))
    record(label + ": active after close in a copied context", active)


def scope_managers() -> None:
    import gevent

    _misuse("ThreadLocal", ThreadLocalScopeManager())
    contextvars.Context().run(_misuse, "ContextVars outside a loop", ContextVarsScopeManager())
    _misuse("Asyncio outside a loop", AsyncioScopeManager())
    gevent.spawn(_misuse, "Gevent", GeventScopeManager()).get()

    for label, factory in [("Asyncio", AsyncioScopeManager), ("ContextVars", ContextVarsScopeManager)]:
        async def main(label: str = label, factory: Any = factory) -> None:
            _misuse(label + " in a task", factory())
            tracer = MockTracer(factory())

            async def seen_in_task() -> Any:
                return tracer.active_span

            with tracer.start_active_span("parent") as scope:
                seen = await asyncio.ensure_future(seen_in_task())
                observed[label + ": a new task sees the parent"] = seen is scope.span

        loop = asyncio.new_event_loop()
        contextvars.Context().run(loop.run_until_complete, main())
        loop.close()


def main() -> None:
    for step in (mocktracer_ids_and_parents, mocktracer_recording, mocktracer_baggage,
                 mocktracer_propagation, errors_on_spans_and_scopes, noop_tracer, scope_managers):
        contextvars.Context().run(step)
    json.dump({"opentracing": opentracing.__file__, "observed": observed}, sys.stdout,
              indent=1, default=repr, sort_keys=True)


if __name__ == "__main__":
    main()

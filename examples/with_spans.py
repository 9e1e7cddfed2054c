"""Spans for blocks of code and spans started by hand.

``with span(name)`` starts a span, makes it active (so spans started inside are its
children) and finishes it at the end of the block. ``start_child_span`` starts a span
without activating it, as a child of the active span or of a given parent; the caller
finishes it, here with ``with``.
"""

import opentracing
from opentracing.mocktracer import MockTracer

from traced import active_span, span, start_child_span


def main():
    tracer = MockTracer()
    opentracing.set_global_tracer(tracer)
    with span("import-file", tags={"file": "orders.csv"}) as root:
        with span("read"):
            rows = ["a", "b", "c"]
        # a span for each row, parented on the active "import-file" span, never activated
        for row in rows:
            with start_child_span("row", tags={"row": row}):
                pass
        assert active_span() is root
        root.set_tag("rows", len(rows))
    # an explicit parent: a follow-up span attached to the finished import
    with start_child_span("notify", parent=root, tags={"channel": "email"}):
        pass
    for s in tracer.finished_spans():
        print(f"{s.operation_name:<12} span={s.context.span_id} parent={s.parent_id} tags={s.tags}")


if __name__ == "__main__":
    main()

"""Quick start: one decorator and one ``with`` block give a little trace.

``@trace`` puts every call of a function in a span; ``with span(...)`` does the same for a
block of code, as a child of whatever span is active. Here MockTracer, the in-memory tracer
used in tests, records the spans, and the script prints them as a tree.

Run it with ``make example`` or ``python examples/quickstart.py``.
"""

import opentracing
from opentracing.mocktracer import MockTracer

from traced import span, trace


@trace("charge-card", tag_args=["amount"])
def charge_card(amount):
    with span("call-bank", tags={"bank": "acme"}):
        return f"paid {amount}"


@trace("checkout", tags={"cart.items": 3})
def checkout():
    with span("reserve-stock") as s:
        s.set_tag("warehouse", "north")
    return charge_card(42.5)


def print_tree(spans, parent_id=None, depth=0):
    """Print each span under its parent, oldest first, one indented line per span."""
    for s in sorted(spans, key=lambda s: s.context.span_id):
        if s.parent_id == parent_id:
            tags = " ".join(f"{k}={v}" for k, v in s.tags.items())
            print(f"{'  ' * depth}- {s.operation_name} (span {s.context.span_id}) {tags}".rstrip())
            print_tree(spans, s.context.span_id, depth + 1)


def main():
    tracer = MockTracer()
    opentracing.set_global_tracer(tracer)
    print("checkout() ->", checkout())
    print_tree(tracer.finished_spans())


if __name__ == "__main__":
    main()

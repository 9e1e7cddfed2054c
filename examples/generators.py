"""Tracing generators: the span of a traced generator (or async generator) covers the
whole iteration, but is active only while the generator's own code runs. So the spans the
consumer starts between items are children of the consumer's span, not of the generator's,
while spans started inside the generator are the generator's children."""

import asyncio

import opentracing
from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.contextvars import ContextVarsScopeManager

from traced import span, trace


@trace("read-lines")
def read_lines():
    for n in range(2):
        with span("read-line", tags={"n": n}):
            yield f"line {n}"


@trace("stream-events")
async def stream_events():
    for n in range(2):
        await asyncio.sleep(0)
        yield f"event {n}"


@trace("consume")
async def consume():
    for line in read_lines():
        with span("handle-line", tags={"line": line}):  # a child of consume
            pass
    async for event in stream_events():
        with span("handle-event", tags={"event": event}):  # a child of consume too
            pass


def main():
    tracer = MockTracer(ContextVarsScopeManager())
    opentracing.set_global_tracer(tracer)
    asyncio.run(consume())
    for s in tracer.finished_spans():
        print(f"{s.operation_name:<13} span={s.context.span_id} parent={s.parent_id} tags={s.tags}")


if __name__ == "__main__":
    main()

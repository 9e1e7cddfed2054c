"""Tracing ``async def`` code: with ``ContextVarsScopeManager`` every asyncio task
inherits the span active when it was created, so coroutines run concurrently with
``asyncio.gather`` are children of the span that gathered them, without any extra code.
``async with span(...)`` traces a block inside a coroutine."""

import asyncio

import opentracing
from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.contextvars import ContextVarsScopeManager

from traced import span, trace


@trace("fetch", tag_args=["url"])
async def fetch(url):
    await asyncio.sleep(0.01)
    async with span("parse", tags={"url": url}):
        await asyncio.sleep(0)
    return len(url)


@trace("crawl")
async def crawl(urls):
    sizes = await asyncio.gather(*(fetch(u) for u in urls))
    return dict(zip(urls, sizes))


def main():
    tracer = MockTracer(ContextVarsScopeManager())
    opentracing.set_global_tracer(tracer)
    print(asyncio.run(crawl(["/a", "/bb", "/ccc"])))
    for s in tracer.finished_spans():
        print(f"{s.operation_name:<6} span={s.context.span_id} parent={s.parent_id} tags={s.tags}")


if __name__ == "__main__":
    main()

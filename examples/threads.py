"""Tracing work handed to a thread pool: a new thread has no active span, so wrap the
function with ``traced.propagate`` when submitting it; the span active at that moment is
activated in the worker thread, and the work's spans become its children."""

from concurrent.futures import ThreadPoolExecutor

import opentracing
from opentracing.mocktracer import MockTracer

from traced import propagate, span, trace


@trace("resize", tag_args=["image", "size"])
def resize(image, size):
    with span("encode", tags={"format": "png"}):
        return f"{image}@{size}"


def main():
    tracer = MockTracer()  # the default ThreadLocalScopeManager
    opentracing.set_global_tracer(tracer)
    with ThreadPoolExecutor(max_workers=3) as pool:
        with span("make-thumbnails", tags={"image": "cat.jpg"}):
            task = propagate(resize)
            futures = [pool.submit(task, "cat.jpg", size) for size in (64, 128, 256)]
            print([f.result(timeout=10) for f in futures])
    for s in tracer.finished_spans():
        print(f"{s.operation_name:<15} span={s.context.span_id} parent={s.parent_id} tags={s.tags}")


if __name__ == "__main__":
    main()

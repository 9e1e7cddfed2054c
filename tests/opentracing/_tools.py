"""Runners shared by the scope manager tests: each calls a function inside the kind of
execution unit a scope manager is made for, and lets its exceptions out to the caller."""

import asyncio
import threading

import gevent
from tornado.ioloop import IOLoop

from opentracing.scope_managers.tornado import tracer_stack_context


def run_in_thread(fn):
    """Call ``fn`` in a new thread; its exception, if any, is re-raised here."""
    errors = []

    def target():
        try:
            fn()
        except BaseException as exc:  # handed back to the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def run_in_asyncio_task(fn):
    """Call ``fn`` inside an asyncio task on a new event loop."""

    async def main():
        assert asyncio.current_task() is not None
        fn()

    asyncio.run(main())


def run_in_greenlet(fn):
    """Call ``fn`` in a new greenlet; get() re-raises the greenlet's exception here."""
    caller = gevent.getcurrent()

    def in_greenlet():
        assert gevent.getcurrent() is not caller
        fn()

    gevent.spawn(in_greenlet).get()


def run_in_ioloop(fn):
    """Call ``fn`` inside ``tracer_stack_context()`` on a fresh Tornado IOLoop, closed after."""

    async def main():
        with tracer_stack_context():
            fn()

    loop = IOLoop(make_current=False)
    try:
        loop.run_sync(main)
    finally:
        loop.close()

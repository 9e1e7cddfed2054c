"""Seeing a trace in the terminal: the console exporter prints each request's spans as a
waterfall when the request's root span finishes, one line per span, its bar placed and
sized on the request's time axis, errors in red.

The handler below checks a cache, then queries the database and calls two services at
once with ``asyncio.gather``; the recommendations call times out (an error, which the
handler survives), and the page is rendered in a worker thread, reached with
``traced.propagate``.
"""

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import traced
from traced import propagate, span, trace

CLIENT = {"span.kind": "client"}


@trace("cache.get", tags={**CLIENT, "component": "redis", "peer.service": "cache"}, tag_args=["key"])
async def cache_get(key):
    await asyncio.sleep(0.002)
    return None  # a miss


async def load_order(order_id):
    sql = "SELECT id, total, items FROM orders WHERE id = %s AND status <> 'void'"
    tags = {**CLIENT, "component": "psycopg", "peer.service": "orders-db", "db.statement": sql}
    async with span("db.query", tags=tags):
        async with span("db.connect", tags={"component": "psycopg"}):
            await asyncio.sleep(0.004)
        await asyncio.sleep(0.012)
        return {"id": order_id, "total": 42}


async def http_get(service, url, delay, timeout=0.02):
    tags = {**CLIENT, "component": "httpx", "http.method": "GET", "http.url": url, "peer.service": service}
    async with span("http.client", tags=tags) as client:
        await asyncio.wait_for(asyncio.sleep(delay), timeout)
        client.set_tag("http.status_code", 200)
        return {"service": service}


async def recommendations(order_id):
    try:
        return await http_get("recommendations", f"http://reco.internal/for/{order_id}", delay=1.0)
    except asyncio.TimeoutError:
        return []  # the page renders without them


def render(order, payment, reco):
    with span("template.render", tags={"component": "jinja2"}):
        time.sleep(0.006)
        return f"<h1>Order {order['id']}</h1> {payment['service']} {len(reco)} suggestions"


async def handle(order_id, pool):
    tags = {
        "span.kind": "server",
        "http.method": "GET",
        "http.url": f"/orders/{order_id}",
        "component": "asgi",
    }
    async with span(f"GET /orders/{order_id}", tags=tags) as server:
        if await cache_get(f"order:{order_id}") is None:
            order, payment, reco = await asyncio.gather(
                load_order(order_id),
                http_get("payments", f"http://payments.internal/status/{order_id}", delay=0.01),
                recommendations(order_id),
            )
        page = await asyncio.get_running_loop().run_in_executor(
            pool, propagate(render), order, payment, reco
        )
        server.set_tag("http.status_code", 200)
        return page


async def serve():
    with ThreadPoolExecutor(max_workers=2) as pool:
        for order_id in (1042, 1043):
            await handle(order_id, pool)


def main():
    # the console exporter: colours and width follow the terminal; NO_COLOR=1 for none
    traced.init("shop", exporter="console")
    asyncio.run(serve())
    traced.shutdown()  # prints anything still waiting (it would run at exit anyway)


if __name__ == "__main__":
    main()

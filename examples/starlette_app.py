"""A Starlette service traced by the ASGI middleware, served by uvicorn, its traces printed
in the terminal.

``TracingMiddleware`` wraps the whole application: every HTTP request and every WebSocket
connection is a server span named after its route (``GET /orders/{order_id:int}``,
``WebSocket /ws/{room}``), a child of the caller's ``traceparent`` when there is one. The
span is active in the handler's task, so the handler's spans (and those of a streamed
body, and of tasks it starts) nest under it. Lifespan events reach the application
untouched.

Run it as it is to serve a few requests to itself on 127.0.0.1 (a free port) and print
their traces; ``--serve [--port N]`` keeps serving instead.
"""

import argparse
import asyncio
import contextlib

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocketDisconnect
from websockets.asyncio.client import connect

import opentracing
import traced
from opentracing import Format
from traced import span, trace
from traced.middleware.asgi import TracingMiddleware


@trace("cache.get", tags={"span.kind": "client", "component": "redis"}, tag_args=["key"])
async def cache_get(key):
    await asyncio.sleep(0.001)
    return None  # a miss


async def order(request):
    order_id = request.path_params["order_id"]
    if await cache_get("order:%d" % order_id) is None:
        async with span("db.query", tags={"db.type": "sql", "db.statement": "SELECT * FROM orders WHERE id = $1"}):
            await asyncio.sleep(0.002)
    return JSONResponse({"id": order_id, "total": 42})


async def checkout(request):
    order_id = request.path_params["order_id"]
    url = "%s://%s/orders/%d" % (request.url.scheme, request.url.netloc, order_id)
    async with span("GET /orders", tags={"span.kind": "client", "http.url": url}) as client:
        headers = {}
        opentracing.global_tracer().inject(client.context, Format.HTTP_HEADERS, headers)
        async with httpx.AsyncClient() as http:
            response = await http.get(url, headers=headers)
        client.set_tag("http.status_code", response.status_code)
    async with span("payment.charge", tags={"amount": response.json()["total"]}):
        await asyncio.sleep(0.001)
    return JSONResponse({"order": order_id, "paid": True})


async def lines(request):
    async def produce():
        for line in range(3):
            async with span("render-line", tags={"line": line}):
                await asyncio.sleep(0.001)
                yield "line %d\n" % line

    return StreamingResponse(produce(), media_type="text/plain")


async def payments_status(request):
    return PlainTextResponse("payments are down", status_code=503)  # a 5xx: an error span


async def chat(websocket):
    await websocket.accept()
    try:
        while True:
            text = await websocket.receive_text()
            async with span("chat.message", tags={"room": websocket.path_params["room"]}):
                await websocket.send_text(text.upper())
    except WebSocketDisconnect:
        pass


@contextlib.asynccontextmanager
async def lifespan(app):
    print("lifespan: startup reached the app")
    yield
    print("lifespan: shutdown reached the app")


app = TracingMiddleware(
    Starlette(
        routes=[
            Route("/orders/{order_id:int}", order),
            Route("/checkout/{order_id:int}", checkout),
            Route("/orders/{order_id:int}/lines", lines),
            Route("/payments/status", payments_status),
            WebSocketRoute("/ws/{room}", chat),
        ],
        lifespan=lifespan,
    ),
    component="starlette",
)  # records with the global tracer, installed by traced.init() below


async def selftest(port):
    """Make a few requests to the server on ``port`` and print what came back."""
    async with httpx.AsyncClient(base_url="http://127.0.0.1:%d" % port) as http:
        for path in ("/checkout/7", "/orders/7/lines", "/payments/status", "/no/such/page"):
            response = await http.get(path)
            print("GET %s -> %d %s" % (path, response.status_code, response.text.strip().replace("\n", " | ")))
            await asyncio.sleep(0.05)  # the trace prints before the next line
    async with connect("ws://127.0.0.1:%d/ws/lobby" % port) as ws:
        for word in ("hello", "bye"):
            await ws.send(word)
            print("WebSocket /ws/lobby: sent %s, got %s" % (word, await ws.recv()))


async def serve(port, test):
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    if not test:
        print("serving on http://127.0.0.1:%d (Ctrl-C stops)" % (port or 8000))
        await server.serve()
        return
    serving = asyncio.ensure_future(server.serve())
    while not server.started:
        if serving.done():
            return serving.result()
        await asyncio.sleep(0.01)
    try:
        await selftest(server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        await serving


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help="keep serving instead of testing itself")
    parser.add_argument("--port", type=int, default=0, help="the port for --serve (default 8000)")
    args = parser.parse_args()
    traced.init("starlette-shop", exporter="console")
    asyncio.run(serve(args.port or (8000 if args.serve else 0), test=not args.serve))
    traced.shutdown()  # prints the traces still waiting
    print("each request and WebSocket connection above was one server span, with its handler's spans under it")


if __name__ == "__main__":
    main()

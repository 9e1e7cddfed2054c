"""Servers on 127.0.0.1 shared by the compat tests."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable


async def serve_asgi_and_call(app: Any, calls: Callable[[Any], Awaitable[Any]]) -> Any:
    """Serve the ASGI ``app`` with uvicorn on 127.0.0.1 (a free port) on the running loop,
    and return what ``calls(client)`` gives, ``client`` an ``httpx.AsyncClient`` for it."""
    import httpx
    import uvicorn

    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="error", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    serving = asyncio.ensure_future(server.serve())
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.01)
        assert server.started
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url="http://127.0.0.1:%d" % port, timeout=10) as client:
            return await calls(client)
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)

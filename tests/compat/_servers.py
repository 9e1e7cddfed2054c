"""Servers on 127.0.0.1 shared by the compat tests."""

from __future__ import annotations

import asyncio
import threading
import urllib.error
import urllib.request
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple


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


class Served:
    """A WSGI app on werkzeug's threaded server on 127.0.0.1, in a background thread."""

    def __init__(self, app: Any) -> None:
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.base = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def get(self, path: str, headers: Optional[Dict[str, str]] = None) -> Tuple[int, str]:
        """A plain ``urllib`` call (through no client hook a test may install), with
        ``headers``; an HTTP error status is returned, not raised."""
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with urllib.request.build_opener().open(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

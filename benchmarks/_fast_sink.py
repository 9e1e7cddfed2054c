"""A fast OTLP/HTTP sink for bench_export.py, run as its own process (so it never shares
the measured process's GIL): answers every POST with 200, counts the spans it received
(parsing each body with opentelemetry-proto) and answers ``GET /stats`` with JSON.
Prints its port on the first line of stdout."""

from __future__ import annotations

import asyncio
import json
import sys

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

STATS = {"spans": 0, "bytes": 0, "requests": 0}
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n"


def count_spans(body: bytes) -> int:
    request = ExportTraceServiceRequest.FromString(body)
    return sum(len(scope.spans) for rs in request.resource_spans for scope in rs.scope_spans)


async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            body = await reader.readexactly(length)
            if lines[0].startswith("GET /stats"):
                data = json.dumps(STATS).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(data), data))
            else:
                STATS["requests"] += 1
                STATS["bytes"] += length
                STATS["spans"] += count_spans(body)
                writer.write(OK)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


async def main() -> None:
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)

"""Message format and assertions shared by every runtime of the client-server scenario.

A client sends message ``i`` inside a ``send`` span (span.kind=client) and waits for the
reply; the server handles it inside a ``receive`` span (span.kind=server) whose parent
comes only from the span context the client injected into the message headers.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from opentracing import Format, Tracer
from opentracing import tags as ot_tags
from opentracing.mocktracer.span import MockSpan

from ..utils import get_one_by_tag

MESSAGE_ID = "message.id"
CLIENT_TAGS = {ot_tags.SPAN_KIND: ot_tags.SPAN_KIND_RPC_CLIENT}
SERVER_TAGS = {ot_tags.SPAN_KIND: ot_tags.SPAN_KIND_RPC_SERVER}


def make_message(tracer: Tracer, index: int, reply_to: Any) -> Dict[str, Any]:
    """A message for ``index`` carrying the active span's context in its headers."""
    span = tracer.active_span
    assert span is not None, "messages are sent from inside a client span"
    headers: Dict[str, str] = {}
    tracer.inject(span.context, Format.TEXT_MAP, headers)
    return {"id": index, "headers": headers, "reply_to": reply_to}


def server_span_tags(message: Dict[str, Any]) -> Dict[str, Any]:
    """Tags of the server span that handles ``message``."""
    return dict(SERVER_TAGS, **{MESSAGE_ID: message["id"]})


def client_span_tags(index: int) -> Dict[str, Any]:
    """Tags of the client span that sends message ``index``."""
    return dict(CLIENT_TAGS, **{MESSAGE_ID: index})


def check_spans(spans: List[MockSpan], count: int, batch: Optional[MockSpan]) -> None:
    """One client and one server span per message, linked only by the injected context.

    Client spans are children of ``batch``; each server span is a child of its own client
    span, in the same trace, and finishes before it (the client waits for the reply).
    """
    assert len(spans) == 2 * count
    kind = ot_tags.SPAN_KIND
    clients = [s for s in spans if s.tags.get(kind) == ot_tags.SPAN_KIND_RPC_CLIENT]
    servers = [s for s in spans if s.tags.get(kind) == ot_tags.SPAN_KIND_RPC_SERVER]
    assert len(clients) == len(servers) == count
    for i in range(count):
        client = get_one_by_tag(clients, MESSAGE_ID, i)
        server = get_one_by_tag(servers, MESSAGE_ID, i)
        assert client is not None and server is not None
        assert (client.operation_name, server.operation_name) == ("send", "receive")
        assert client.parent_id == (None if batch is None else batch.context.span_id)
        if batch is not None:
            assert client.context.trace_id == batch.context.trace_id
        assert server.parent_id == client.context.span_id
        assert server.context.trace_id == client.context.trace_id
        assert spans.index(server) < spans.index(client)

"""What the propagation tests share: the codecs and what each format can carry, contexts
to send, carriers of every kind, and a check that written headers are legal."""

from __future__ import annotations

import re
from email.message import Message
from typing import Dict, Iterator, List, Mapping, Optional, Tuple

from traced.propagation import Propagator, composite
from traced.tracer.context import SpanContext

TRACE_CODECS = ("tracecontext", "b3", "b3multi", "jaeger", "ottrace")
ALL_CODECS = TRACE_CODECS + ("baggage",)
#: formats with a debug flag of their own
DEBUG = {"b3", "b3multi", "jaeger"}
#: formats that carry baggage in their own headers (the others need ``baggage`` beside)
OWN_BAGGAGE = {"jaeger", "ottrace"}
#: formats that send a trace id that arrived as 64 bits back at 64 bits
KEEPS_64 = {"b3", "b3multi", "jaeger", "ottrace"}

TRACE_128 = 0x4BF92F3577B34DA6A3CE929D0E0E4736
TRACE_64 = 0x00F067AA0BA902B7
SPAN = 0x00F067AA0BA902B7

#: awkward baggage values: what a header cannot hold raw, and what encodings confuse
AWKWARD = {
    "space": "a b",
    "edges": "  padded  ",
    "equals": "k=v",
    "comma": "a,b",
    "semicolon": "a;b",
    "plus": "1+1",
    "percent": "100%25 %zz %",
    "unicode": "héllo ✓ 日本",
    "crlf": "line\r\nInjected: yes",
    "quote": 'say "hi" \\ there',
    "empty": "",
}


def propagator_for(name: str, *, strict: bool = False) -> Propagator:
    """The codec ``name`` alone, with W3C ``baggage`` beside a format that has no baggage
    of its own, and with ``tracecontext`` beside ``baggage`` (which needs a context)."""
    if name == "baggage":
        return composite(["tracecontext", "baggage"], strict=strict)
    if name in OWN_BAGGAGE:
        return composite([name], strict=strict)
    return composite([name, "baggage"], strict=strict)


def context(bits: int = 128, sampled: bool = True, **kwargs: object) -> SpanContext:
    trace_id = TRACE_128 if bits == 128 else TRACE_64
    return SpanContext(
        trace_id, SPAN, sampled, trace_id_bits=bits, **kwargs  # type: ignore[arg-type]
    )


def inject(propagator: Propagator, ctx: SpanContext) -> Dict[str, str]:
    carrier: Dict[str, str] = {}
    propagator.inject(ctx, carrier)
    return carrier


_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9a-z]+").fullmatch
_HEADER_VALUE = re.compile(r"[\x20-\x7e]*").fullmatch


def assert_legal_headers(carrier: Mapping[str, str]) -> None:
    """Every name a lowercase token, every value printable ASCII without CR or LF."""
    for name, value in carrier.items():
        assert _HEADER_NAME(name), name
        assert _HEADER_VALUE(value) and value == value.strip(), (name, value)


class PlainMapping(Mapping[str, str]):
    """A read-only ``Mapping`` that is not a dict, as a framework's header object is."""

    def __init__(self, data: Mapping[str, str]) -> None:
        self._data = dict(data)

    def __getitem__(self, key: str) -> str:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


class MultiDict(Mapping[str, str]):
    """A case-insensitive multi-valued header object in the manner of aiohttp's
    ``CIMultiDict`` and Starlette's ``Headers``: ``items()`` yields every pair,
    ``[name]`` the first value."""

    def __init__(self, pairs: List[Tuple[str, str]]) -> None:
        self._pairs = list(pairs)

    def __getitem__(self, key: str) -> str:
        for k, v in self._pairs:
            if k.lower() == key.lower():
                return v
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def items(self):  # type: ignore[no-untyped-def,override]
        return list(self._pairs)

    def getall(self, key: str) -> List[str]:
        return [v for k, v in self._pairs if k.lower() == key.lower()]


def wsgi_environ(headers: Mapping[str, str]) -> Dict[str, object]:
    """A WSGI environ as a server builds it from ``headers``."""
    environ: Dict[str, object] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "wsgi.version": (1, 0),
        "wsgi.input": None,
    }
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def email_message(headers: Mapping[str, str]) -> Message:
    """``headers`` in a stdlib ``email.message.Message`` (what ``http.client`` and
    ``urllib`` responses hold): case-insensitive, multi-valued."""
    message = Message()
    for name, value in headers.items():
        message[name] = value
    return message


def carriers(headers: Mapping[str, str]) -> Iterator[Tuple[str, object]]:
    """``headers`` in every kind of carrier extract accepts."""
    yield "dict", dict(headers)
    yield "mapping", PlainMapping(headers)
    yield "multidict", MultiDict(list(headers.items()))
    yield "pairs", [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    yield "wsgi", wsgi_environ(headers)
    yield "email", email_message(headers)
    try:
        from requests.structures import CaseInsensitiveDict
    except ImportError:  # pragma: no cover - requests comes with the docs extra
        return
    yield "requests", CaseInsensitiveDict(headers)


def same(a: Optional[SpanContext], b: SpanContext) -> None:
    """``a`` is ``b`` received: same ids, flags, baggage, and remote."""
    assert a is not None
    assert (a.trace_id, a.span_id, a.sampled, a.debug, a.baggage) == (
        b.trace_id,
        b.span_id,
        b.sampled,
        b.debug,
        b.baggage,
    )
    assert a.remote

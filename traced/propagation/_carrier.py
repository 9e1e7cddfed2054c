"""The read side of a carrier: one case-insensitive view of whatever holds the headers.

``extract`` may be handed a dict, any ``Mapping`` (the header objects of requests, httpx,
aiohttp, Starlette or Werkzeug, some case-insensitive, some holding several values per
name), a WSGI ``environ`` (``HTTP_TRACEPARENT``), or a list of ``(name, value)`` pairs (ASGI
``scope["headers"]``). :class:`Carrier` reads it once into a dict keyed by lowercase header
name, so that every codec then looks its headers up with one dict access, whatever the
carrier was and however the sender spelt the names.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Tuple

from opentracing import InvalidCarrierException

__all__ = ["Carrier"]


def _text(value: object) -> Optional[str]:
    """A header value as text; None for a value that is not text (it is ignored)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return value.decode("latin-1")  # HTTP header bytes: latin-1 maps each byte
    if isinstance(value, (list, tuple)):
        parts = [t for t in map(_text, value) if t is not None]
        return ",".join(parts) if parts else None
    return None


class Carrier:
    """Headers by lowercase name, built once per extract with :meth:`of`.

    Several values for one name (a multi-valued header object, a list value, or the same
    name spelt in two cases) are joined with ``","``, as HTTP combines repeated headers:
    a repeated ``traceparent`` or ``b3`` is then malformed, as the formats require, and a
    repeated ``tracestate`` or ``baggage`` is one longer list. A WSGI ``HTTP_X_B3_TRACEID``
    key is read as ``x-b3-traceid`` unless that name is also there spelt as a header; of a
    WSGI environ (a dict with ``wsgi.version``) only the ``HTTP_*`` keys are read.
    Names and values that are not text are ignored (bytes are decoded as latin-1).
    """

    __slots__ = ("_headers",)

    def __init__(self, headers: Dict[str, str]) -> None:
        self._headers = headers

    @classmethod
    def of(cls, carrier: object) -> "Carrier":
        """Read ``carrier`` (a mapping, WSGI environ or list of pairs) into a Carrier.

        Raises ``opentracing.InvalidCarrierException`` when it is none of these.
        """
        if isinstance(carrier, Carrier):
            return carrier
        if carrier.__class__ is dict and "wsgi.version" in carrier:
            # a WSGI environ (PEP 3333: str keys, headers as HTTP_*, repeats already
            # joined by the server): its CGI variables are not headers
            return cls(
                {
                    k[5:].replace("_", "-").lower(): v
                    for k, v in carrier.items()
                    if k.__class__ is str and k[:5] == "HTTP_" and v.__class__ is str
                }
            )
        items = getattr(carrier, "items", None)
        if items is not None:
            try:
                return cls(_index(items()))
            except InvalidCarrierException:
                raise
            except Exception as exc:  # a header object that fails to iterate
                raise InvalidCarrierException("cannot read the carrier: %r" % exc) from exc
        if isinstance(carrier, (list, tuple)):
            return cls(_index(carrier))
        raise InvalidCarrierException(
            "carrier must be a mapping of header names to values, a WSGI environ or a "
            "list of (name, value) pairs, not %s" % type(carrier).__name__
        )

    def get(self, name: str) -> Optional[str]:
        """The value of header ``name`` (given in lowercase), or None when absent."""
        return self._headers.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._headers

    def __len__(self) -> int:
        return len(self._headers)

    def prefixed(self, prefix: str) -> List[Tuple[str, str]]:
        """``(rest of the name, value)`` for every header whose name starts with the
        lowercase ``prefix`` (``uberctx-``, ``ot-baggage-``), in carrier order."""
        n = len(prefix)
        return [(k[n:], v) for k, v in self._headers.items() if k.startswith(prefix)]

    def __repr__(self) -> str:
        return "Carrier(%r)" % (self._headers,)


def _index(pairs: Iterable[object]) -> Dict[str, str]:
    headers: Dict[str, str] = {}
    from_wsgi: Dict[str, str] = {}
    for pair in pairs:
        # every pair of a mapping's items(), written for the common case of str names
        # and values: a WSGI environ has dozens of keys, read on every request
        if pair.__class__ is not tuple:
            if not isinstance(pair, tuple):
                continue
        if len(pair) != 2:
            continue
        name, value = pair
        if name.__class__ is not str:
            if not isinstance(name, (bytes, bytearray)):
                if not isinstance(name, str):
                    continue
            else:
                name = name.decode("latin-1")
        if value.__class__ is not str:
            value = _text(value)
            if value is None:
                continue
        if name[:5] == "HTTP_":
            name = name[5:].replace("_", "-").lower()
            previous = from_wsgi.get(name)
            from_wsgi[name] = value if previous is None else previous + "," + value
        else:
            name = name.lower()
            previous = headers.get(name)
            headers[name] = value if previous is None else previous + "," + value
    for name, value in from_wsgi.items():
        headers.setdefault(name, value)
    return headers

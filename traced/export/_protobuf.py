"""A small writer of the protocol buffers wire format, for exporters that encode their own
messages without the generated classes (and without the ``protobuf`` package).

Every function returns ``bytes`` ready to be joined: a message is the concatenation of its
fields, and a nested message is a length-delimited field holding its fields' bytes. Field
keys are computed once by the caller with :func:`key` and kept as constants, so that the
hot path only encodes values. Writing each message's fields in field-number order gives
the same bytes as the official implementations, which serialize in that order.
"""

from __future__ import annotations

import struct
from typing import Callable, List

__all__ = [
    "FIXED32",
    "FIXED64",
    "LEN",
    "VARINT",
    "bytes_field",
    "double",
    "fixed32",
    "fixed64",
    "int64",
    "key",
    "message_field",
    "string_field",
    "utf8",
    "varint",
    "varint_size",
]

#: Wire types.
VARINT = 0
FIXED64 = 1
LEN = 2
FIXED32 = 5

_INT64_MASK = (1 << 64) - 1

# The one-byte varints, as bytes objects built once per process on first use.
_SMALL: List[bytes] = []

_pack_double: Callable[[float], bytes] = struct.Struct("<d").pack
_pack_fixed64: Callable[[int], bytes] = struct.Struct("<Q").pack
_pack_fixed32: Callable[[int], bytes] = struct.Struct("<I").pack


def varint(value: int) -> bytes:
    """``value`` (an int in 0 .. 2**64-1) as a base-128 varint, least significant group
    first."""
    if value < 0x80:
        small = _SMALL or _fill_small()
        return small[value]
    if value < 0x4000:
        return bytes(((value & 0x7F) | 0x80, value >> 7))
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _fill_small() -> List[bytes]:
    _SMALL[:] = [bytes((i,)) for i in range(0x80)]
    return _SMALL


def varint_size(value: int) -> int:
    """How many bytes :func:`varint` writes for ``value`` (>= 0)."""
    if value < 0x80:
        return 1
    if value < 0x4000:
        return 2
    return (value.bit_length() + 6) // 7


def int64(value: int) -> bytes:
    """A signed 64-bit ``value`` as the varint of an ``int64`` field: a negative number is
    written as its two's complement, in ten bytes."""
    return varint(value & _INT64_MASK)


def key(field_number: int, wire_type: int) -> bytes:
    """The key that starts a field: its number and wire type."""
    return varint((field_number << 3) | wire_type)


def utf8(text: str) -> bytes:
    """``text`` as UTF-8; a lone surrogate, which UTF-8 cannot hold and protobuf strings
    must not contain, becomes ``?``."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace")


def bytes_field(field_key: bytes, payload: bytes) -> bytes:
    """A length-delimited field: ``field_key``, the length of ``payload``, ``payload``."""
    return field_key + varint(len(payload)) + payload


#: A nested message is written as a length-delimited field holding its bytes.
message_field = bytes_field


def string_field(field_key: bytes, text: str) -> bytes:
    """A ``string`` field holding ``text``."""
    payload = utf8(text)
    return field_key + varint(len(payload)) + payload


def double(value: float) -> bytes:
    """A ``double``: eight bytes, little-endian IEEE 754 (NaN and infinities included)."""
    return _pack_double(value)


def fixed64(value: int) -> bytes:
    """A ``fixed64``: eight bytes, little-endian."""
    return _pack_fixed64(value)


def fixed32(value: int) -> bytes:
    """A ``fixed32``: four bytes, little-endian."""
    return _pack_fixed32(value)

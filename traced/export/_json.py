"""Safe conversion of tag, log and process values for the JSON exporters (Zipkin, JSON lines).

Spans carry whatever the application tagged: NaN, bytes, integers too long to print,
exceptions, classes, tracebacks, containers that hold themselves, objects whose ``__str__``
raises. Two renderings, both total (they never raise on any value):

* :func:`json_value` keeps JSON's types where JSON can hold the value (str, bool, null,
  finite floats, integers, lists, objects with string keys) and turns
  everything else into a string;
* :func:`text` renders any value as one string, for formats whose values are strings only
  (Zipkin tags and annotations).

The rules, also given in ``docs/export_formats.rst``:

=====================  ======================================  ===============================
value                  :func:`json_value`                      :func:`text`
=====================  ======================================  ===============================
str                    itself                                  itself
bool                   true / false                            ``"true"`` / ``"false"``
None                   null                                    ``"null"``
int                    the number (over 2,000 bits: as text)   its decimal digits (hex past
                                                               Python's digit limit)
float, finite          the number                              ``repr()``: ``"1.5"``, ``"1e+16"``
NaN, +-inf             ``"nan"``, ``"inf"``, ``"-inf"``        the same
bytes                  UTF-8 text, undecodable bytes as        the same
                       ``\\xNN``
list, tuple, set,      an array / object (keys as text);       compact JSON of
mapping                deeper than 16 levels or a cycle:       :func:`json_value`
                       ``"<nested too deep>"`` / ``"<cycle>"``
exception              ``"ValueError: message"``               the same
class                  its qualified name (``"ValueError"``,   the same
                       ``"pkg.mod.Class"``)
traceback              the formatted stack, as text            the same
other objects          ``str()``, else ``repr()``, else        the same
                       ``"<unprintable T>"``
=====================  ======================================  ===============================
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Callable, Dict, List, Optional, Set

__all__ = ["FAST_TEXT", "compact_json", "dumps_ascii", "json_key", "json_value", "make_dumps", "quote", "text"]

# Wider integers become text: Python refuses to print ints of more digits than its limit
# (sys.set_int_max_str_digits, at least 640); 2,000 bits are about 600 digits.
_INT_BITS = 2000
_MAX_DEPTH = 16

_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False).encode

#: A str as a JSON string literal, quotes included, non-ASCII characters escaped.
quote: Callable[[str], str] = json.encoder.encode_basestring_ascii


def make_dumps(default: Optional[Callable[[Any], Any]] = None, allow_nan: bool = True) -> Callable[[Any], str]:
    """A compact, ASCII-only ``json.dumps`` made once: ``json.dumps`` builds a new C encoder
    on every call, which costs as much as encoding a small object. Cycles are not looked
    for (one ends in RecursionError). Without the C accelerator, the Python encoder."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return json.JSONEncoder(
            separators=(",", ":"), check_circular=False, allow_nan=allow_nan, default=default
        ).encode
    encoder = make(None, default, quote, None, ":", ",", False, False, allow_nan)

    def dumps(value: Any) -> str:
        return "".join(encoder(value, 0))

    return dumps


#: Compact, ASCII-only JSON of a value made of str (as keys too), int, float, bool, None,
#: list and dict, without cycles (not checked); raises TypeError on anything else.
dumps_ascii: Callable[[Any], str] = make_dumps()


def compact_json(value: Any) -> str:
    """``value``, made JSON-able by :func:`json_value`, as compact JSON text."""
    return _compact(json_value(value))


_float_text: Callable[[float], str] = float.__repr__  # "nan", "inf", "-inf" included


def _int_text(value: int) -> str:
    try:
        return int.__repr__(value)
    except ValueError:  # more digits than sys.get_int_max_str_digits() allows
        return format(value, "#x")


def _bytes_text(value: Any) -> str:
    return bytes(value).decode("utf-8", "backslashreplace")


def _type_name(cls: Any) -> str:
    module = getattr(cls, "__module__", None)
    name = getattr(cls, "__qualname__", None) or getattr(cls, "__name__", None)
    if not isinstance(name, str):
        raise TypeError("a class without a name")
    if isinstance(module, str) and module != "builtins":
        return "%s.%s" % (module, name)
    return name


def _exception_text(exc: BaseException) -> str:
    name = _type_name(type(exc))
    message = _object_text(exc)
    return "%s: %s" % (name, message) if message else name


def _object_text(value: object) -> str:
    """``str(value)``, else ``repr(value)``, else a placeholder naming its type."""
    for render in (str, repr):
        try:
            result = render(value)
            return result if type(result) is str else str.__str__(result)
        except Exception:
            pass
    try:
        return "<unprintable %s>" % _type_name(type(value))
    except Exception:
        return "<unprintable object>"


def _text_special(value: Any) -> str:
    """:func:`text` for every value that is not an exact str, bool, int, float or None."""
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):  # int subclasses (IntEnum, ...): their number
        return _int_text(int.__int__(value))
    if isinstance(value, float):
        return _float_text(float.__float__(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _bytes_text(value)
    if isinstance(value, (Mapping, list, tuple, set, frozenset)):
        return _compact(_container(value, 0, set()))
    if isinstance(value, type):
        return _type_name(value)
    if isinstance(value, BaseException):
        return _exception_text(value)
    if isinstance(value, TracebackType):
        return "".join(traceback.format_tb(value))
    return _object_text(value)


def _none_text(value: None) -> str:
    return "null"


#: The text of the common exact types by C functions, for a caller's fast path: it must
#: catch ValueError (an int wider than Python's digit limit) and then call :func:`text`.
FAST_TEXT: Dict[type, Callable[[Any], str]] = {
    str: str.__str__,
    bool: {True: "true", False: "false"}.__getitem__,
    int: int.__repr__,
    float: float.__repr__,
}

_TEXT: Dict[type, Callable[[Any], str]] = {
    **FAST_TEXT,
    int: _int_text,
    type(None): _none_text,
    bytes: _bytes_text,
}


def text(value: Any) -> str:
    """``value`` as one string (see the table in this module's docstring); never raises."""
    if type(value) is str:
        return value
    render = _TEXT.get(type(value))
    try:
        if render is not None:
            return render(value)
        return _text_special(value)
    except Exception:
        return _object_text(value)


def json_key(key: Any) -> str:
    """A mapping key as a JSON object key: a str as it is, anything else as :func:`text`."""
    return key if type(key) is str else text(key)


def json_value(value: Any) -> Any:
    """``value`` as something ``json.dumps`` encodes without error, with JSON's own types
    kept where JSON can hold the value (see this module's docstring); never raises."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        return value if value.bit_length() <= _INT_BITS else _int_text(value)
    if kind is float:
        return value if value - value == 0.0 else _float_text(value)
    return _json_special(value, 0, set())


def _json_special(value: Any, depth: int, seen: Set[int]) -> Any:
    try:
        if isinstance(value, (Mapping, list, tuple, set, frozenset)):
            return _container(value, depth, seen)
        if isinstance(value, int):
            number = int.__int__(value)
            return number if number.bit_length() <= _INT_BITS else _int_text(number)
        if isinstance(value, float):
            real = float.__float__(value)
            return real if real - real == 0.0 else _float_text(real)
        return text(value)
    except Exception:
        return _object_text(value)


def _json_any(value: Any, depth: int, seen: Set[int]) -> Any:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        return value if value.bit_length() <= _INT_BITS else _int_text(value)
    if kind is float:
        return value if value - value == 0.0 else _float_text(value)
    return _json_special(value, depth, seen)


def _container(value: Any, depth: int, seen: Set[int]) -> Any:
    """A mapping as a dict with text keys, any other container as a list; the values
    converted by :func:`json_value`'s rules, cycles and excessive depth cut short."""
    if depth >= _MAX_DEPTH:
        return "<nested too deep>"
    marker = id(value)
    if marker in seen:
        return "<cycle>"
    seen.add(marker)
    try:
        depth += 1
        if isinstance(value, Mapping):
            result: Dict[str, Any] = {}
            for key, item in list(value.items()):
                result[json_key(key)] = _json_any(item, depth, seen)
            return result
        items: List[Any] = [_json_any(item, depth, seen) for item in list(value)]
        return items
    finally:
        seen.discard(marker)


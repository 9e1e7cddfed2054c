"""Configuration of the recording tracer: arguments, then ``OTEL_*`` environment, then defaults.

:func:`load_config` resolves every setting once, when the tracer is built, into one frozen
:class:`Config`; nothing is looked up again per span. It reads the same environment
variables as OpenTelemetry's SDK, so a deployment configured for OpenTelemetry configures
this tracer too. A value it cannot use is a :class:`ConfigError` naming the variable or
argument, the value and the accepted values: a typo in a deployment must fail at start-up,
not quietly fall back to a default. As the OpenTelemetry specification asks, an empty
variable counts as unset and names are matched case-insensitively.

The accepted names live here, in :data:`PROPAGATORS`, :data:`SAMPLERS` and
:data:`EXPORTERS`: a new codec, sampler or exporter is one entry in one of them.
"""

from __future__ import annotations

import math
import os
import re
import sys
import types
from dataclasses import dataclass, field
from collections import abc
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import unquote

from ._errors import ConfigError
from ._export_settings import (
    EXPORT_VARIABLES,
    ExportSettings,
    default_exporters,
    load_export_settings,
)
from .tracer.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    DEFAULT_SAMPLER,
    ParentBased,
    RateLimiting,
    Sampler,
    TraceIdRatio,
)

__all__ = [
    "Config",
    "ConfigError",
    "DEFAULT_EXPORTER",
    "DEFAULT_PROPAGATORS",
    "DEFAULT_SAMPLER_NAME",
    "EXPORTERS",
    "ExportSettings",
    "PROPAGATORS",
    "SAMPLERS",
    "default_service_name",
    "load_config",
]

#: Propagator names for ``OTEL_PROPAGATORS``, besides ``none`` (no propagation at all).
PROPAGATORS: Tuple[str, ...] = ("tracecontext", "baggage", "b3", "b3multi", "jaeger", "ottrace")
DEFAULT_PROPAGATORS: Tuple[str, ...] = ("tracecontext", "baggage")

#: Exporter names for ``OTEL_TRACES_EXPORTER`` (a comma-separated list sends to each).
EXPORTERS: Tuple[str, ...] = ("otlp", "zipkin", "jsonl", "console", "memory", "none")
#: Nothing is exported unless asked, except to a terminal: when standard output is one,
#: the default is ``console``, so that the first run shows its traces.
DEFAULT_EXPORTER = "none"

# Sampler name -> (what its argument is, None when it takes none; how to build it).
_SAMPLER_FACTORIES: Dict[str, Tuple[Optional[str], Callable[[float], Sampler]]] = {
    "always_on": (None, lambda _: ALWAYS_ON),
    "always_off": (None, lambda _: ALWAYS_OFF),
    "traceidratio": ("ratio", TraceIdRatio),
    "parentbased_always_on": (None, lambda _: DEFAULT_SAMPLER),
    "parentbased_always_off": (None, lambda _: ParentBased(ALWAYS_OFF)),
    "parentbased_traceidratio": ("ratio", lambda ratio: ParentBased(TraceIdRatio(ratio))),
    "ratelimiting": ("rate", RateLimiting),
    "parentbased_ratelimiting": ("rate", lambda rate: ParentBased(RateLimiting(rate))),
}
#: Sampler names for ``OTEL_TRACES_SAMPLER``.
SAMPLERS: Tuple[str, ...] = tuple(_SAMPLER_FACTORIES)
DEFAULT_SAMPLER_NAME = "parentbased_always_on"
_DEFAULT_RATIO = 1.0

_VARIABLES = (
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_PROPAGATORS",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
    "OTEL_TRACES_EXPORTER",
    "OTEL_SDK_DISABLED",
) + EXPORT_VARIABLES

_ATTRIBUTES = "OTEL_RESOURCE_ATTRIBUTES"
_SAMPLER_ARG = "OTEL_TRACES_SAMPLER_ARG"
_RATIO = "a number from 0.0 to 1.0"
_RATE = "traces per second, above 0 and finite"
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_EMPTY: Mapping[str, Any] = types.MappingProxyType({})


def _empty() -> Mapping[str, Any]:
    return _EMPTY


@dataclass(frozen=True)
class Config:
    """Everything the tracer needs to know, resolved once; immutable.

    ``resource_attributes`` describe the process (from ``OTEL_RESOURCE_ATTRIBUTES``) and
    always hold ``service.name`` equal to ``service_name``. ``propagators`` are codec names
    in the order extract tries them (empty: no propagation). ``exporter_options`` are the
    extra keyword arguments for the exporter; ``tags`` are set on every span. ``disabled``
    (``OTEL_SDK_DISABLED``) asks for a tracer that records and propagates nothing.
    """

    service_name: str
    resource_attributes: Mapping[str, str] = field(default_factory=_empty, hash=False)
    propagators: Tuple[str, ...] = DEFAULT_PROPAGATORS
    sampler: Sampler = DEFAULT_SAMPLER
    exporter: str = DEFAULT_EXPORTER
    exporter_options: Mapping[str, Any] = field(default_factory=_empty, hash=False)
    disabled: bool = False
    exporters: Tuple[str, ...] = (DEFAULT_EXPORTER,)
    export: ExportSettings = field(default_factory=ExportSettings, hash=False)
    tags: Mapping[str, Any] = field(default_factory=_empty, hash=False)


def default_service_name() -> str:
    """``unknown_service:<executable>``, OpenTelemetry's name for a service nobody named.

    The executable is the interpreter's file name (``python3.11``), OpenTelemetry's
    ``process.executable.name``.
    """
    return "unknown_service:" + (os.path.basename(sys.executable or "") or "python")


def load_config(
    service_name: Optional[str] = None,
    *,
    exporter: Optional[str] = None,
    sampler: Union[str, Sampler, None] = None,
    sampler_arg: Optional[float] = None,
    propagators: Union[str, Sequence[str], None] = None,
    tags: Optional[Mapping[str, Any]] = None,
    environ: Optional[Mapping[str, str]] = None,
    **exporter_options: Any,
) -> Config:
    """The configuration from these arguments, then ``environ`` (``os.environ``), then defaults.

    Each argument left as None is taken from its environment variable, and from the default
    when that is unset or empty. ``sampler`` is a name from :data:`SAMPLERS` or a
    :class:`~traced.tracer.sampling.Sampler`; ``sampler_arg`` is the ratio of the ratio
    samplers (0.0 to 1.0, default 1.0) or the traces per second of the rate-limiting ones
    (required), and an error with a sampler that takes none given in the same call.
    ``propagators`` is a comma-separated string or a sequence of names. ``environ`` is
    read once; nothing else is read but the interpreter's name, for the default service
    name. Raises :class:`ConfigError` for any value it cannot use.
    """
    source = os.environ if environ is None else environ
    env = {name: _blank_to_none(source.get(name)) for name in _VARIABLES}

    attributes = _resource_attributes(env["OTEL_RESOURCE_ATTRIBUTES"])
    name = _service_name(service_name, env["OTEL_SERVICE_NAME"], attributes)
    attributes["service.name"] = name
    exporters = _exporters(exporter, env["OTEL_TRACES_EXPORTER"])
    return Config(
        service_name=name,
        resource_attributes=types.MappingProxyType(attributes),
        propagators=_propagators(propagators, env["OTEL_PROPAGATORS"]),
        sampler=_sampler(sampler, sampler_arg, env),
        exporter=",".join(exporters),
        exporter_options=types.MappingProxyType(dict(exporter_options)),
        disabled=_disabled(env["OTEL_SDK_DISABLED"]),
        exporters=exporters,
        export=load_export_settings(exporters, exporter_options, env),
        tags=_tags(tags),
    )


def _blank_to_none(value: Optional[str]) -> Optional[str]:
    return value if value is not None and value.strip() else None


def _service_name(
    argument: Optional[str], variable: Optional[str], attributes: Mapping[str, str]
) -> str:
    if argument is not None:
        if not isinstance(argument, str) or not argument.strip():
            raise ConfigError("service_name", argument, "not a name", "a non-empty string")
        return argument
    if variable is not None:
        return variable.strip()
    return attributes.get("service.name") or default_service_name()


def _resource_attributes(variable: Optional[str]) -> Dict[str, str]:
    """``key=value,...`` with percent-encoded values, as OpenTelemetry reads it."""
    attributes: Dict[str, str] = {}
    if variable is None:
        return attributes
    accepted = "comma-separated key=value pairs, values percent-encoded"
    for item in variable.split(","):
        if not item.strip():
            continue
        key, equals, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not equals or not key:
            raise ConfigError(_ATTRIBUTES, variable, "bad pair %r" % item, accepted)
        if _BAD_PERCENT.search(value):
            raise ConfigError(_ATTRIBUTES, variable, "bad percent-encoding in %r" % item, accepted)
        try:
            attributes[key] = unquote(value, errors="strict")
        except UnicodeDecodeError:
            problem = "%r is not UTF-8 once decoded" % item
            raise ConfigError(_ATTRIBUTES, variable, problem, accepted) from None
    return attributes


def _propagators(
    argument: Union[str, Sequence[str], None], variable: Optional[str]
) -> Tuple[str, ...]:
    accepted = ", ".join(PROPAGATORS + ("none",))
    name: str = "propagators"
    value: object = argument
    items: List[str]
    if argument is None:
        if variable is None:
            return DEFAULT_PROPAGATORS
        name, value, items = "OTEL_PROPAGATORS", variable, variable.split(",")
    elif isinstance(argument, str):
        items = argument.split(",")
    elif isinstance(argument, abc.Sequence) and all(isinstance(i, str) for i in argument):
        items = list(argument)
    else:
        raise ConfigError(name, argument, "not a string or a sequence of names", accepted)
    names = [item.strip().lower() for item in items if item.strip()]
    for item in names:
        if item not in PROPAGATORS and item != "none":
            raise ConfigError(name, value, "unknown propagator %r" % item, accepted)
    if "none" in names:
        if len(names) > 1:
            raise ConfigError(name, value, "'none' cannot be combined with others", accepted)
        return ()
    if not names and argument is None:
        raise ConfigError(name, value, "no propagator named", accepted)
    return tuple(dict.fromkeys(names))


def _sampler(
    argument: Union[str, Sampler, None],
    sampler_arg: Optional[float],
    env: Mapping[str, Optional[str]],
) -> Sampler:
    if sampler_arg is not None and (
        isinstance(sampler_arg, bool) or not isinstance(sampler_arg, (int, float))
    ):
        raise ConfigError("sampler_arg", sampler_arg, "not a number", "a number")
    accepted = ", ".join(SAMPLERS) + ", or a Sampler object"
    if isinstance(argument, Sampler):
        if sampler_arg is not None:
            problem = "a Sampler object takes no argument"
            raise ConfigError("sampler_arg", sampler_arg, problem, "None")
        return argument
    if argument is None:
        name, value = "OTEL_TRACES_SAMPLER", env["OTEL_TRACES_SAMPLER"] or DEFAULT_SAMPLER_NAME
    elif isinstance(argument, str):
        name, value = "sampler", argument
    else:
        raise ConfigError("sampler", argument, "not a sampler", accepted)
    key = value.strip().lower()
    if key not in _SAMPLER_FACTORIES:
        raise ConfigError(name, value, "unknown sampler", accepted)
    kind, factory = _SAMPLER_FACTORIES[key]
    if kind is None:
        # The environment's argument is ignored here, as OpenTelemetry does; one given in
        # the same call as the sampler contradicts it.
        if sampler_arg is not None and name == "sampler":
            problem = "sampler %r takes no argument" % key
            raise ConfigError("sampler_arg", sampler_arg, problem, "None")
        return factory(0.0)
    number, arg_name, arg_value = _sampler_number(key, kind, sampler_arg, env[_SAMPLER_ARG])
    if kind == "ratio" and not 0.0 <= number <= 1.0:
        raise ConfigError(arg_name, arg_value, "not a ratio for %r" % key, _RATIO)
    if kind == "rate" and not 0.0 < number < math.inf:
        raise ConfigError(arg_name, arg_value, "not a rate for %r" % key, _RATE)
    return factory(number)


def _sampler_number(
    key: str, kind: str, sampler_arg: Optional[float], variable: Optional[str]
) -> Tuple[float, str, object]:
    """The sampler's argument, with the name and value it came from (for errors)."""
    if sampler_arg is not None:
        return float(sampler_arg), "sampler_arg", sampler_arg
    if variable is None:
        if kind == "rate":
            problem = "sampler %r needs a rate (this variable or sampler_arg)" % key
            raise ConfigError(_SAMPLER_ARG, None, problem, _RATE)
        return _DEFAULT_RATIO, _SAMPLER_ARG, None
    try:
        return float(variable.strip()), _SAMPLER_ARG, variable
    except ValueError:
        raise ConfigError(
            _SAMPLER_ARG, variable, "not a number", _RATIO if kind == "ratio" else _RATE
        ) from None


def _exporters(argument: Optional[str], variable: Optional[str]) -> Tuple[str, ...]:
    accepted = "%s, or several of them comma-separated" % ", ".join(EXPORTERS)
    if argument is not None:
        name, value = "exporter", argument
        if not isinstance(argument, str):
            raise ConfigError(name, value, "not a name", accepted)
    elif variable is not None:
        name, value = "OTEL_TRACES_EXPORTER", variable
    else:
        return default_exporters()
    keys = [item.strip().lower() for item in value.split(",") if item.strip()]
    if not keys:
        raise ConfigError(name, value, "no exporter named", accepted)
    for key in keys:
        if key not in EXPORTERS:
            raise ConfigError(name, value, "unknown exporter %r" % key, accepted)
    if "none" in keys and len(keys) > 1:
        raise ConfigError(name, value, "'none' cannot be combined with others", accepted)
    return tuple(dict.fromkeys(keys))


def _disabled(variable: Optional[str]) -> bool:
    if variable is None:
        return False
    value = variable.strip().lower()
    if value not in ("true", "false"):
        problem = "not a boolean"
        raise ConfigError("OTEL_SDK_DISABLED", variable, problem, "true, false (any case)")
    return value == "true"


def _tags(argument: Optional[Mapping[str, Any]]) -> Mapping[str, Any]:
    if argument is None:
        return _EMPTY
    if not isinstance(argument, abc.Mapping) or not all(isinstance(k, str) for k in argument):
        raise ConfigError("tags", argument, "not a mapping of names", "a mapping with str keys")
    return types.MappingProxyType(dict(argument))

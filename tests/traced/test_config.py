"""traced.config: every accepted value, every rejected one named, and the precedence of
arguments over the environment over defaults."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping

import pytest

from traced.config import (
    DEFAULT_EXPORTER,
    DEFAULT_PROPAGATORS,
    DEFAULT_SAMPLER_NAME,
    EXPORTERS,
    PROPAGATORS,
    SAMPLERS,
    Config,
    ConfigError,
    default_service_name,
    load_config,
)
from traced.tracer.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    DEFAULT_SAMPLER,
    ParentBased,
    RateLimiting,
    TraceIdRatio,
)


def rejected(name: str, value: object, **env: str) -> ConfigError:
    """The error load_config raises for ``env``; checks it names ``name`` and ``value``."""
    with pytest.raises(ConfigError) as info:
        load_config(environ=env)
    check_error(info.value, name, value)
    return info.value


def check_error(error: ConfigError, name: str, value: object) -> None:
    assert isinstance(error, ValueError)
    assert error.name == name and error.value == value
    message = str(error)
    shown = "%s is unset" % name if value is None else "%s=%r" % (name, value)
    assert shown in message and "accepted: " in message


# --- defaults -----------------------------------------------------------------------------


def test_defaults_with_an_empty_environment() -> None:
    config = load_config(environ={})
    expected_name = "unknown_service:" + os.path.basename(sys.executable)
    assert config.service_name == expected_name == default_service_name()
    assert dict(config.resource_attributes) == {"service.name": expected_name}
    assert config.propagators == DEFAULT_PROPAGATORS == ("tracecontext", "baggage")
    assert config.sampler is DEFAULT_SAMPLER
    assert config.exporter == DEFAULT_EXPORTER == "none"
    assert dict(config.exporter_options) == {} and dict(config.tags) == {}
    assert config.disabled is False


def test_empty_and_blank_variables_count_as_unset() -> None:
    env = {name: value for name, value in zip(_ALL_VARIABLES, ["", " ", "\t"] * 8)}
    assert load_config(environ=env) == load_config(environ={})


_ALL_VARIABLES = [
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_PROPAGATORS",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
    "OTEL_TRACES_EXPORTER",
    "OTEL_SDK_DISABLED",
    # the export pipeline's
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_ZIPKIN_ENDPOINT",
    "OTEL_EXPORTER_ZIPKIN_TIMEOUT",
    "OTEL_BSP_SCHEDULE_DELAY",
    "OTEL_BSP_EXPORT_TIMEOUT",
    "OTEL_BSP_MAX_QUEUE_SIZE",
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
]


def test_reads_os_environ_when_no_environ_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "from-os-environ")
    monkeypatch.setenv("OTEL_PROPAGATORS", "b3")
    config = load_config()
    assert config.service_name == "from-os-environ" and config.propagators == ("b3",)


def test_reads_each_variable_once_and_keeps_no_reference() -> None:
    class Recording(Mapping[str, str]):
        def __init__(self, data: Dict[str, str]) -> None:
            self.data = data
            self.read: List[str] = []

        def __getitem__(self, key: str) -> str:
            self.read.append(key)
            return self.data[key]

        def __iter__(self) -> Iterator[str]:
            return iter(self.data)

        def __len__(self) -> int:
            return len(self.data)

    environ = Recording({"OTEL_SERVICE_NAME": "svc", "OTEL_TRACES_EXPORTER": "memory"})
    config = load_config(environ=environ)
    assert sorted(environ.read) == sorted(_ALL_VARIABLES)  # each once, nothing else
    environ.data["OTEL_SERVICE_NAME"] = "changed"
    assert config.service_name == "svc"


def test_importing_the_module_does_no_work() -> None:
    env = dict(os.environ, OTEL_PROPAGATORS="bogus", OTEL_SDK_DISABLED="maybe")
    code = "import traced.config, traced; print('imported')"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "imported"


# --- the Config object --------------------------------------------------------------------


def test_config_is_frozen_and_hashable() -> None:
    config = load_config("svc", tags={"a": 1}, environ={}, exporter="otlp", endpoint="http://x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.service_name = "other"  # type: ignore[misc]
    for mapping in (config.resource_attributes, config.tags, config.exporter_options):
        with pytest.raises(TypeError):
            mapping["new"] = "value"  # type: ignore[index]
    for mapping in (config.export.otlp_headers, config.export.console_options):
        with pytest.raises(TypeError):
            mapping["new"] = "value"  # type: ignore[index]
    same_but_tags = load_config("svc", tags={"a": 2}, environ={}, exporter="otlp", endpoint="http://x")
    assert hash(config) == hash(same_but_tags)


def test_config_can_be_built_directly_with_defaults() -> None:
    config = Config(service_name="svc")
    assert config.sampler is DEFAULT_SAMPLER and config.propagators == DEFAULT_PROPAGATORS
    assert dict(config.tags) == {} and config.exporter == DEFAULT_EXPORTER


# --- service name and resource attributes ------------------------------------------------


def test_service_name_precedence() -> None:
    env = {"OTEL_SERVICE_NAME": "env", "OTEL_RESOURCE_ATTRIBUTES": "service.name=resource"}
    assert load_config("argument", environ=env).service_name == "argument"
    assert load_config(environ=env).service_name == "env"
    del env["OTEL_SERVICE_NAME"]
    assert load_config(environ=env).service_name == "resource"
    del env["OTEL_RESOURCE_ATTRIBUTES"]
    assert load_config(environ=env).service_name == default_service_name()


def test_the_resource_always_holds_the_service_name() -> None:
    env = {"OTEL_SERVICE_NAME": " env ", "OTEL_RESOURCE_ATTRIBUTES": "service.name=r,team=a"}
    config = load_config(environ=env)
    assert dict(config.resource_attributes) == {"service.name": "env", "team": "a"}
    config = load_config("arg", environ=env)
    assert config.resource_attributes["service.name"] == "arg"


@pytest.mark.parametrize("bad", ["", "  ", 42, b"svc"])
def test_a_bad_service_name_argument_is_rejected(bad: Any) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(bad, environ={})
    check_error(info.value, "service_name", bad)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("a=1", {"a": "1"}),
        (" a = 1 , b=2 ", {"a": "1", "b": "2"}),
        ("a=1,,b=2,", {"a": "1", "b": "2"}),
        ("a=x=y", {"a": "x=y"}),
        ("a=", {"a": ""}),
        ("a=1,a=2", {"a": "2"}),
        ("k=caf%C3%A9%20au%20lait", {"k": "café au lait"}),
        ("k=a%2Cb%3Dc", {"k": "a,b=c"}),
        ("k=a+b", {"k": "a+b"}),
        ("deployment.environment=prod", {"deployment.environment": "prod"}),
    ],
)
def test_resource_attributes_are_parsed_and_percent_decoded(
    raw: str, expected: Dict[str, str]
) -> None:
    config = load_config("svc", environ={"OTEL_RESOURCE_ATTRIBUTES": raw})
    assert dict(config.resource_attributes) == dict(expected, **{"service.name": "svc"})


@pytest.mark.parametrize("bad", ["novalue", "=1", " =1", "a=1,b", "a=%zz", "a=%4", "a=%", "a=%C3"])
def test_bad_resource_attributes_are_rejected(bad: str) -> None:
    rejected("OTEL_RESOURCE_ATTRIBUTES", bad, OTEL_RESOURCE_ATTRIBUTES=bad)


# --- propagators --------------------------------------------------------------------------


@pytest.mark.parametrize("name", PROPAGATORS)
def test_every_propagator_is_accepted(name: str) -> None:
    assert load_config(environ={"OTEL_PROPAGATORS": name}).propagators == (name,)
    assert load_config(environ={"OTEL_PROPAGATORS": name.upper()}).propagators == (name,)
    assert load_config(propagators=name, environ={}).propagators == (name,)
    assert load_config(propagators=[name], environ={}).propagators == (name,)


def test_propagators_keep_their_order_without_duplicates() -> None:
    env = {"OTEL_PROPAGATORS": " jaeger, B3 ,tracecontext,b3, baggage,,"}
    assert load_config(environ=env).propagators == ("jaeger", "b3", "tracecontext", "baggage")
    assert load_config(propagators=("ottrace", "b3multi", "ottrace"), environ={}).propagators == (
        "ottrace",
        "b3multi",
    )


def test_none_means_no_propagation() -> None:
    assert load_config(environ={"OTEL_PROPAGATORS": "none"}).propagators == ()
    assert load_config(propagators="NONE", environ={}).propagators == ()
    assert load_config(propagators=[], environ={}).propagators == ()
    assert load_config(propagators="", environ={}).propagators == ()


def test_the_propagators_argument_overrides_the_environment() -> None:
    env = {"OTEL_PROPAGATORS": "not-a-propagator"}
    assert load_config(propagators="b3,jaeger", environ=env).propagators == ("b3", "jaeger")


@pytest.mark.parametrize("bad", ["w3c", "tracecontext,zipkin", "none,b3", "b3, none", ",", "x"])
def test_bad_propagators_are_rejected(bad: str) -> None:
    error = rejected("OTEL_PROPAGATORS", bad, OTEL_PROPAGATORS=bad)
    for name in PROPAGATORS + ("none",):
        assert name in error.accepted


@pytest.mark.parametrize("bad", ["w3c", ["b3", "nope"], ["none", "b3"], 42, [b"b3"], {"b3": 1}])
def test_bad_propagators_arguments_are_rejected(bad: Any) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(propagators=bad, environ={})
    check_error(info.value, "propagators", bad)


# --- samplers -----------------------------------------------------------------------------


def test_every_sampler_name_builds_its_sampler() -> None:
    built = {
        name: load_config(environ={"OTEL_TRACES_SAMPLER": name, "OTEL_TRACES_SAMPLER_ARG": "0.5"})
        .sampler
        for name in SAMPLERS
    }
    assert built["always_on"] is ALWAYS_ON
    assert built["always_off"] is ALWAYS_OFF
    assert built["parentbased_always_on"] is DEFAULT_SAMPLER
    pb_off = built["parentbased_always_off"]
    assert isinstance(pb_off, ParentBased) and pb_off.root is ALWAYS_OFF
    ratio = built["traceidratio"]
    assert isinstance(ratio, TraceIdRatio) and ratio.ratio == 0.5
    pb_ratio = built["parentbased_traceidratio"]
    assert isinstance(pb_ratio, ParentBased) and isinstance(pb_ratio.root, TraceIdRatio)
    assert pb_ratio.root.ratio == 0.5
    rate = built["ratelimiting"]
    assert isinstance(rate, RateLimiting) and rate.per_second == 0.5
    pb_rate = built["parentbased_ratelimiting"]
    assert isinstance(pb_rate, ParentBased) and isinstance(pb_rate.root, RateLimiting)
    assert set(built) == {
        "always_on",
        "always_off",
        "traceidratio",
        "parentbased_always_on",
        "parentbased_always_off",
        "parentbased_traceidratio",
        "ratelimiting",
        "parentbased_ratelimiting",
    }


@pytest.mark.parametrize("name", SAMPLERS)
def test_sampler_names_are_case_insensitive_as_argument_and_variable(name: str) -> None:
    env = {"OTEL_TRACES_SAMPLER": " %s " % name.upper(), "OTEL_TRACES_SAMPLER_ARG": "1"}
    from_env = load_config(environ=env).sampler
    takes_arg = "ratio" in name or "rate" in name
    from_arg = load_config(
        sampler=name.title(), sampler_arg=1 if takes_arg else None, environ={}
    ).sampler
    assert from_env.description == from_arg.description


def test_the_ratio_defaults_to_one() -> None:
    for name in ("traceidratio", "parentbased_traceidratio"):
        sampler = load_config(environ={"OTEL_TRACES_SAMPLER": name}).sampler
        root = sampler.root if isinstance(sampler, ParentBased) else sampler
        assert isinstance(root, TraceIdRatio) and root.ratio == 1.0


@pytest.mark.parametrize("raw, ratio", [("0", 0.0), ("1", 1.0), (" 0.25 ", 0.25), (".5", 0.5)])
def test_sampler_arg_ratios(raw: str, ratio: float) -> None:
    env = {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": raw}
    sampler = load_config(environ=env).sampler
    assert isinstance(sampler, TraceIdRatio) and sampler.ratio == ratio


@pytest.mark.parametrize("bad", ["abc", "-0.1", "1.5", "nan", "inf", "0,5", "50%"])
@pytest.mark.parametrize("sampler", ["traceidratio", "parentbased_traceidratio"])
def test_bad_ratios_are_rejected(bad: str, sampler: str) -> None:
    error = rejected(
        "OTEL_TRACES_SAMPLER_ARG", bad, OTEL_TRACES_SAMPLER=sampler, OTEL_TRACES_SAMPLER_ARG=bad
    )
    assert "0.0 to 1.0" in error.accepted


@pytest.mark.parametrize("bad", ["0", "-1", "inf", "nan", "fast"])
def test_bad_rates_are_rejected(bad: str) -> None:
    env = {"OTEL_TRACES_SAMPLER": "ratelimiting", "OTEL_TRACES_SAMPLER_ARG": bad}
    rejected("OTEL_TRACES_SAMPLER_ARG", bad, **env)


def test_a_rate_limiting_sampler_needs_its_rate() -> None:
    error = rejected("OTEL_TRACES_SAMPLER_ARG", None, OTEL_TRACES_SAMPLER="ratelimiting")
    assert "is unset" in str(error)
    sampler = load_config(sampler="ratelimiting", sampler_arg=3, environ={}).sampler
    assert isinstance(sampler, RateLimiting) and sampler.per_second == 3.0


@pytest.mark.parametrize("bad", ["always", "parentbased", "probabilistic", "jaeger_remote", "on"])
def test_bad_sampler_names_are_rejected(bad: str) -> None:
    error = rejected("OTEL_TRACES_SAMPLER", bad, OTEL_TRACES_SAMPLER=bad)
    for name in SAMPLERS:
        assert name in error.accepted
    with pytest.raises(ConfigError) as info:
        load_config(sampler=bad, environ={})
    check_error(info.value, "sampler", bad)


def test_an_unused_sampler_arg_variable_is_ignored() -> None:
    env = {"OTEL_TRACES_SAMPLER": "always_off", "OTEL_TRACES_SAMPLER_ARG": "garbage"}
    assert load_config(environ=env).sampler is ALWAYS_OFF
    assert load_config(environ={"OTEL_TRACES_SAMPLER_ARG": "garbage"}).sampler is DEFAULT_SAMPLER


def test_sampler_precedence() -> None:
    env = {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.25"}
    assert load_config(sampler="always_off", environ=env).sampler is ALWAYS_OFF
    ratio = load_config(sampler_arg=0.75, environ=env).sampler
    assert isinstance(ratio, TraceIdRatio) and ratio.ratio == 0.75
    ratio = load_config(sampler="parentbased_traceidratio", environ=env).sampler
    assert isinstance(ratio, ParentBased) and isinstance(ratio.root, TraceIdRatio)
    assert ratio.root.ratio == 0.25
    mine = TraceIdRatio(0.1)
    assert load_config(sampler=mine, environ=env).sampler is mine
    # An argument for the environment's sampler that takes none is ignored with it.
    env = {"OTEL_TRACES_SAMPLER": "always_on"}
    assert load_config(sampler_arg=0.5, environ=env).sampler is ALWAYS_ON


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"sampler_arg": True}, "sampler_arg"),
        ({"sampler_arg": "0.5"}, "sampler_arg"),
        ({"sampler": "traceidratio", "sampler_arg": 1.5}, "sampler_arg"),
        ({"sampler": "traceidratio", "sampler_arg": -0.5}, "sampler_arg"),
        ({"sampler": "ratelimiting", "sampler_arg": 0}, "sampler_arg"),
        ({"sampler": "always_on", "sampler_arg": 0.5}, "sampler_arg"),
        ({"sampler": ALWAYS_OFF, "sampler_arg": 0.5}, "sampler_arg"),
        ({"sampler": 0.5}, "sampler"),
        ({"sampler": None, "sampler_arg": [1]}, "sampler_arg"),
    ],
)
def test_bad_sampler_arguments_are_rejected(kwargs: Dict[str, Any], name: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(environ={}, **kwargs)
    check_error(info.value, name, kwargs[name])


# --- exporter, disabled flag, tags, exporter options --------------------------------------


@pytest.mark.parametrize("name", EXPORTERS)
def test_every_exporter_is_accepted(name: str) -> None:
    assert load_config(environ={"OTEL_TRACES_EXPORTER": name.upper()}).exporter == name
    assert load_config(exporter=name, environ={}).exporter == name


def test_the_exporter_argument_overrides_the_environment() -> None:
    env = {"OTEL_TRACES_EXPORTER": "none"}
    assert load_config(exporter="memory", environ=env).exporter == "memory"
    assert load_config(environ=env).exporter == "none"


@pytest.mark.parametrize("bad", ["otlp-grpc", "jaeger", "memory,none", "in-memory"])
def test_bad_exporters_are_rejected(bad: str) -> None:
    error = rejected("OTEL_TRACES_EXPORTER", bad, OTEL_TRACES_EXPORTER=bad)
    for name in EXPORTERS:
        assert name in error.accepted
    with pytest.raises(ConfigError) as info:
        load_config(exporter=bad, environ={})
    check_error(info.value, "exporter", bad)


@pytest.mark.parametrize(
    "raw, disabled",
    [("true", True), ("TRUE", True), (" True ", True), ("false", False), ("False", False)],
)
def test_sdk_disabled_values(raw: str, disabled: bool) -> None:
    assert load_config(environ={"OTEL_SDK_DISABLED": raw}).disabled is disabled


@pytest.mark.parametrize("bad", ["1", "0", "yes", "on", "disabled", "truthy"])
def test_bad_sdk_disabled_values_are_rejected(bad: str) -> None:
    rejected("OTEL_SDK_DISABLED", bad, OTEL_SDK_DISABLED=bad)


def test_tags_and_exporter_options_are_copied() -> None:
    tags = {"team": "core", "version": 3}
    config = load_config(
        tags=tags, environ={}, exporter="otlp", endpoint="http://localhost:4318", timeout=5
    )
    tags["team"] = "changed"
    assert dict(config.tags) == {"team": "core", "version": 3}
    assert dict(config.exporter_options) == {"endpoint": "http://localhost:4318", "timeout": 5}


@pytest.mark.parametrize("bad", [["team"], {1: "x"}, "team=core"])
def test_bad_tags_are_rejected(bad: Any) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tags=bad, environ={})
    check_error(info.value, "tags", bad)


def test_everything_from_the_environment_at_once() -> None:
    env = {
        "OTEL_SERVICE_NAME": "checkout",
        "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=prod,service.version=1.2",
        "OTEL_PROPAGATORS": "tracecontext,baggage,b3multi",
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": "0.1",
        "OTEL_TRACES_EXPORTER": "memory",
        "OTEL_SDK_DISABLED": "false",
        "UNRELATED": "x",
    }
    config = load_config(environ=env)
    assert config.service_name == "checkout"
    assert dict(config.resource_attributes) == {
        "deployment.environment": "prod",
        "service.version": "1.2",
        "service.name": "checkout",
    }
    assert config.propagators == ("tracecontext", "baggage", "b3multi")
    assert config.sampler.description == "ParentBased{root=TraceIdRatio{0.1}}"
    assert config.exporter == "memory" and config.disabled is False


def test_the_readme_table_lists_every_accepted_value_and_default() -> None:
    readme = (Path(__file__).parents[2] / "README.rst").read_text(encoding="utf-8")
    section = readme.split("\nConfiguration\n-------------\n", 1)[1].split("\n----", 1)[0]
    table = section.split("\n===", 1)[1].rsplit("\n===", 1)[0]  # both tables
    listed = set(re.findall(r"``([^`]+)``", table))
    assert set(_ALL_VARIABLES) <= listed
    assert set(PROPAGATORS) | {"none"} <= listed
    assert set(SAMPLERS) <= listed and set(EXPORTERS) <= listed
    assert {",".join(DEFAULT_PROPAGATORS), DEFAULT_EXPORTER, DEFAULT_SAMPLER_NAME} <= listed
    assert {"true", "false", "1.0"} <= listed

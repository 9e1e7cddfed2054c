"""The contract every registered integration keeps, checked against its real library:
the module API, instrument twice = once, uninstrument restores every attribute it touched
(the same objects), a one-line status, and importing the integration imports nothing of
its library."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from types import ModuleType
from typing import Any, Dict, List, Tuple

import pytest

from traced.integrations import INTEGRATIONS
from traced.patching import Integration


def _loadable() -> List[Any]:
    params = []
    for name, module_name in INTEGRATIONS.items():
        try:
            importlib.import_module(module_name)
        except ImportError:
            params.append(pytest.param(name, marks=pytest.mark.skip(reason=f"{module_name} is not written yet")))
        else:
            params.append(pytest.param(name))
    return params


@pytest.fixture(params=_loadable())
def integration_module(request: pytest.FixtureRequest) -> ModuleType:
    return importlib.import_module(INTEGRATIONS[request.param])


def _library_importable(integration: Integration) -> bool:
    try:
        importlib.import_module(integration.module)
    except ImportError:
        return False
    return True


def _layer(owner: Any, attribute: str) -> Any:
    return vars(owner).get(attribute)


def test_the_module_api(integration_module: ModuleType) -> None:
    integration = integration_module._integration
    assert isinstance(integration, Integration)
    assert INTEGRATIONS[integration.name] == integration_module.__name__
    assert set(integration_module.__all__) >= {"instrument", "uninstrument", "is_instrumented"}
    assert integration_module.is_instrumented() is False
    integration_module.instrument()
    assert integration_module.is_instrumented() is integration.is_instrumented()
    assert integration.is_instrumented() or integration.status.startswith("skipped: ")
    integration_module.uninstrument()
    assert integration_module.is_instrumented() is False and integration.status == "not instrumented"


def test_instrument_twice_is_once_and_uninstrument_restores_every_original(integration_module: ModuleType) -> None:
    integration: Integration = integration_module._integration
    if not _library_importable(integration):
        integration_module.instrument()
        assert integration.status.startswith("skipped: ") and not integration.is_instrumented()
        return
    integration_module.instrument()
    if integration.status.startswith("skipped: ") and integration.status.endswith(")"):
        # an installed version outside the supported range ("... is not supported (needs ...)")
        assert " is not supported (needs " in integration.status
        pytest.skip(integration.status)
    # an installed, supported library must patch: a target that moved between releases
    # ("skipped: ModuleNotFoundError ...") fails here instead of passing quietly
    assert integration.status == "instrumented" and integration.is_instrumented(), integration.status
    targets: List[Tuple[Any, str, Any]] = integration.targets
    assert len(targets) == len(integration.patches)
    first = [_layer(owner, attribute) for owner, attribute, _ in targets]
    for (owner, attribute, original), layer in zip(targets, first):
        assert layer is not original and layer.__wrapped__ is original, (owner, attribute)

    integration_module.instrument()
    assert [_layer(owner, attribute) for owner, attribute, _ in integration.targets] == first

    integration_module.uninstrument()
    assert integration.status == "not instrumented" and not integration.is_instrumented()
    for owner, attribute, original in targets:
        assert _layer(owner, attribute) is original, (owner, attribute)


def test_a_hundred_rounds_leave_one_layer(integration_module: ModuleType) -> None:
    integration: Integration = integration_module._integration
    if not _library_importable(integration):
        pytest.skip(f"{integration.module} is not installed")
    for _ in range(100):
        integration_module.instrument()
        integration_module.uninstrument()
    integration_module.instrument()
    for owner, attribute, original in integration.targets:
        assert _layer(owner, attribute).__wrapped__ is original
    integration_module.uninstrument()


def test_statuses_are_one_line(integration_module: ModuleType) -> None:
    integration: Integration = integration_module._integration
    assert integration.status == "not instrumented"
    integration_module.instrument()
    assert integration.status in ("instrumented", "pending (module not imported yet)") or \
        integration.status.startswith("skipped: ")
    assert "\n" not in integration.status
    integration_module.uninstrument()


_CHECK_IMPORTS = """
import importlib, json, sys
import traced.patching, traced.integrations
from traced.integrations import INTEGRATIONS
result = {}
for name, module_name in INTEGRATIONS.items():
    library = None
    before = set(sys.modules)
    try:
        integration = importlib.import_module(module_name)._integration
    except ImportError:
        continue
    top = integration.module.split(".")[0]
    result[name] = [integration.module, top in before, sorted(m for m in set(sys.modules) - before
                                                             if m == top or m.startswith(top + "."))]
print(json.dumps(result))
"""


def test_importing_an_integration_does_not_import_its_library() -> None:
    out = subprocess.run([sys.executable, "-c", _CHECK_IMPORTS], capture_output=True, text=True, timeout=60, check=True)
    result: Dict[str, List[Any]] = json.loads(out.stdout)
    assert result, "no integration could be imported"
    for name, (library, already, imported) in result.items():
        assert imported == [], f"importing the {name} integration imported {imported}"

"""Throwaway modules for real imports: written to a temporary directory on ``sys.path``
and forgotten (``sys.modules``, import caches) after the test."""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import List


class ModuleMaker:
    """Writes ``<name>.py`` files into one directory put first on ``sys.path``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.names: List[str] = []
        sys.path.insert(0, str(root))

    def write(self, name: str, source: str) -> str:
        """Write the module ``name`` (dots make packages); returns its name, not imported."""
        parts = name.split(".")
        folder = self.root
        for package in parts[:-1]:
            folder = folder / package
            folder.mkdir(exist_ok=True)
            (folder / "__init__.py").touch()
        (folder / f"{parts[-1]}.py").write_text(textwrap.dedent(source))
        self.names.append(name)
        importlib.invalidate_caches()
        return name

    def load(self, name: str) -> ModuleType:
        return importlib.import_module(name)

    def close(self) -> None:
        sys.path.remove(str(self.root))
        for name in self.names:
            top = name.split(".")[0]
            for loaded in [m for m in sys.modules if m == top or m.startswith(top + ".")]:
                sys.modules.pop(loaded, None)

"""composer/ui is the Qt layer and only that: every module in it imports Qt (PySide6, shiboken6
or qasync). Logic that needs no Qt belongs to a layer below (domain, editing, services,
storage, client, sandbox), where the Qt-blocked test pass proves it runs without a display."""

from __future__ import annotations

import ast
from pathlib import Path

import composer.ui

UI = Path(composer.ui.__file__).parent
QT_PACKAGES = ("PySide6", "shiboken6", "qasync")

# Modules on their way out of composer/ui (module -> the layer it goes to); empty now.
MOVING: dict[str, str] = {}


def _imports_qt(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        if any(name.split(".")[0] in QT_PACKAGES for name in names):
            return True
    return False


def test_every_module_in_composer_ui_imports_qt() -> None:
    modules = [
        p
        for p in sorted(UI.rglob("*.py"))
        if p.name != "__init__.py" and p.relative_to(UI).as_posix() not in MOVING
    ]
    assert len(modules) > 10  # the scan found the package
    without_qt = [p.relative_to(UI).as_posix() for p in modules if not _imports_qt(p)]
    assert without_qt == [], f"move these out of composer/ui (they need no Qt): {without_qt}"

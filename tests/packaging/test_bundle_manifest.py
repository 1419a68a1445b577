"""What the PyInstaller spec bundles (packaging/bundle.py) against what the app really uses."""

from __future__ import annotations

import ast
import re
from importlib.metadata import entry_points

from tests.packaging.conftest import ROOT

COMPOSER = ROOT / "composer"


def imported_modules() -> set[str]:
    """Every module name imported anywhere in composer/ (absolute imports)."""
    names: set[str] = set()
    for path in COMPOSER.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_every_qt_module_the_app_imports_is_bundled_and_none_excluded(bundle):
    used = {
        name.split(".")[1]
        for name in imported_modules()
        if name.startswith("PySide6.") and name.split(".")[1].startswith("Qt")
    }
    assert used, "the app imports no Qt module: the scan is broken"
    assert used <= set(bundle.QT_MODULES), (
        f"imported but not bundled: {used - set(bundle.QT_MODULES)}"
    )
    assert not set(bundle.QT_MODULES) & set(bundle.QT_MODULES_EXCLUDED)


def test_modules_the_app_imports_by_name_are_bundled(bundle):
    # importlib.import_module("x") is invisible to PyInstaller's analysis: each such module
    # must be a hidden import (composer's own are collected whole).
    pattern = re.compile(r"""import_module\(\s*["']([\w.]+)["']""")
    by_name = {
        match.group(1)
        for path in COMPOSER.rglob("*.py")
        for match in pattern.finditer(path.read_text(encoding="utf-8"))
    }
    covered = set(bundle.HIDDEN_IMPORTS) | set(bundle.QT_MODULES)
    missing = {
        name
        for name in by_name
        if name.split(".")[0] not in bundle.HIDDEN_IMPORT_PACKAGES
        and name not in covered
        and not (name.startswith("PySide6.") and name.split(".")[1] in bundle.QT_MODULES)
    }
    assert missing == set()


def test_heavy_qt_modules_stay_out(bundle):
    for module in ("QtNetwork", "QtQml", "QtQuick", "Qt3DCore", "QtWebEngineCore", "QtMultimedia"):
        assert module in bundle.QT_MODULES_EXCLUDED


def test_no_module_the_app_imports_is_excluded(bundle):
    excluded = set(bundle.EXCLUDES)
    clashes = {
        name
        for name in imported_modules()
        if any(name == e or name.startswith(e + ".") for e in excluded)
    }
    assert clashes == set()


def test_every_resource_folder_the_code_reads_is_bundled(bundle):
    pattern = re.compile(r"""resource\(\s*["']([\w.-]+)["']""")
    read = {
        match.group(1)
        for path in COMPOSER.rglob("*.py")
        for match in pattern.finditer(path.read_text(encoding="utf-8"))
    }
    assert read, "no resource() calls found: the scan is broken"
    assert read <= set(bundle.RESOURCE_DIRS)
    for name in bundle.RESOURCE_DIRS:
        assert any((ROOT / "resources" / name).iterdir()), f"resources/{name} is empty"
    for name in bundle.RESOURCE_FILES:
        assert (ROOT / "resources" / name).is_file()
    assert "event-composer.desktop" in bundle.RESOURCE_FILES  # the folder installs itself


def test_keyring_backends_and_their_metadata_are_bundled(bundle):
    # keyring discovers its backends through entry points: its metadata must travel with it,
    # and each backend module must be in the bundle, since nothing imports them by name.
    assert "keyring" in bundle.METADATA
    backends = {ep.value.split(":")[0] for ep in entry_points(group="keyring.backends")}
    assert backends, "keyring declares no backends in this environment"
    assert backends <= set(bundle.HIDDEN_IMPORTS)


def test_the_validator_and_tls_data_are_bundled(bundle):
    # Schemas and metaschemas (jsonschema, jsonschema_specifications) and the CA bundle (certifi)
    # are data files that no import pulls in.
    assert {"jsonschema", "jsonschema_specifications", "certifi"} <= set(bundle.DATA_PACKAGES)
    assert "composer" in bundle.HIDDEN_IMPORT_PACKAGES  # CLI subcommands load by name


def test_phonenumbers_keeps_what_parsing_needs(bundle):
    excluded = set(bundle.EXCLUDES)
    assert "phonenumbers.geodata" in excluded  # 40 MB the app never reads
    assert not {"phonenumbers", "phonenumbers.data", "phonenumbers.shortdata"} & excluded


def test_qt_plugins_kept_for_desktops_and_offscreen_and_dropped_when_unused(bundle):
    keep = bundle.keep_binary
    plugins = "PySide6/Qt/plugins"
    assert keep(f"{plugins}/platforms/libqxcb.so")
    assert keep(f"{plugins}/platforms/libqwayland.so")
    assert keep(f"{plugins}/platforms/libqoffscreen.so")  # --self-test runs on it
    assert keep(f"{plugins}/platforms/qwindows.dll")
    assert keep(f"{plugins}/iconengines/libqsvgicon.so")  # the app's window icon is an SVG
    assert keep(f"{plugins}/xcbglintegrations/libqxcb-glx-integration.so")
    assert not keep(f"{plugins}/platformthemes/libqgtk3.so")  # would bundle all of GTK 3
    assert not keep(f"{plugins}/platforms/libqeglfs.so")
    assert not keep(f"{plugins}/platforminputcontexts/libqtvirtualkeyboardplugin.so")
    assert not keep(f"{plugins}/imageformats/libqpdf.so")
    assert not keep(f"{plugins}/generic/libqevdevmouseplugin.so")
    assert keep("PySide6/Qt/lib/libQt6Widgets.so.6")
    assert keep("PySide6/Qt/lib/libQt6DBus.so.6")  # QtGui links it on Linux
    assert not keep("PySide6/Qt/lib/libQt6Quick.so.6")
    assert not keep("PySide6/Qt/lib/libQt6Pdf.so.6")


def test_qt_translations_are_dropped_and_other_data_kept(bundle):
    assert not bundle.keep_data("PySide6/Qt/translations/qtbase_de.qm")
    assert bundle.keep_data("resources/schemas/create-event-2023-01-24.request.schema.json")
    assert bundle.keep_data("certifi/cacert.pem")


def test_windows_version_info_carries_the_app_version(bundle):
    from composer import __version__

    assert bundle.app_version() == __version__
    assert bundle.version_tuple("0.1.0") == (0, 1, 0, 0)
    assert bundle.version_tuple("1.2.3rc1+local") == (1, 2, 3, 1)
    text = bundle.windows_version_info(__version__)
    ast.parse(text)  # PyInstaller evaluates it as Python
    assert f"'ProductVersion', '{__version__}'" in text
    assert "filevers=(0, 1, 0, 0)" in text or __version__ != "0.1.0"


def test_spec_uses_the_manifest_and_builds_one_folder_by_default():
    spec = (ROOT / "packaging" / "event-composer.spec").read_text(encoding="utf-8")
    ast.parse(spec)
    assert "import bundle" in spec
    assert 'os.environ.get("EVENT_COMPOSER_ONEFILE") == "1"' in spec
    assert "COLLECT(" in spec and "BUNDLE(" in spec

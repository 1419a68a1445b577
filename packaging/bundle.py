"""What goes into the desktop bundle, kept apart from the spec so tests can read it.

packaging/event-composer.spec imports this module; tests/packaging checks it against the source
tree (every Qt module the app imports is bundled, every resource folder is listed, ...). Nothing
here imports PyInstaller or Qt.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_NAME = "Event Composer"
EXE_NAME = "event-composer"
BUNDLE_ID = "com.example.event-composer"
DESCRIPTION = "Compose, validate and send Klaviyo Create Event requests"

QT_MODULES = ("QtCore", "QtGui", "QtWidgets")
"""The PySide6 modules the app imports; PyInstaller's hooks bundle their libraries and plugins.
A test fails when composer/ imports a PySide6 module not listed here."""

QT_MODULES_EXCLUDED = (
    "Qt3DAnimation",
    "Qt3DCore",
    "Qt3DExtras",
    "Qt3DInput",
    "Qt3DLogic",
    "Qt3DRender",
    "QtBluetooth",
    "QtCharts",
    "QtConcurrent",
    "QtDataVisualization",
    "QtDBus",
    "QtDesigner",
    "QtGraphs",
    "QtHelp",
    "QtHttpServer",
    "QtLabsStyleKit",
    "QtLocation",
    "QtMultimedia",
    "QtMultimediaWidgets",
    "QtNetwork",
    "QtNetworkAuth",
    "QtNfc",
    "QtOpenGL",
    "QtOpenGLWidgets",
    "QtPdf",
    "QtPdfWidgets",
    "QtPositioning",
    "QtPrintSupport",
    "QtQml",
    "QtQmlFeatures",
    "QtQuick",
    "QtQuick3D",
    "QtQuickControls2",
    "QtQuickTest",
    "QtQuickWidgets",
    "QtRemoteObjects",
    "QtScxml",
    "QtSensors",
    "QtSerialBus",
    "QtSerialPort",
    "QtSpatialAudio",
    "QtSql",
    "QtStateMachine",
    "QtSvg",
    "QtSvgWidgets",
    "QtTest",
    "QtTextToSpeech",
    "QtUiTools",
    "QtWebChannel",
    "QtWebEngineCore",
    "QtWebEngineQuick",
    "QtWebEngineWidgets",
    "QtWebSockets",
    "QtWebView",
    "QtXml",
)
"""PySide6 modules that must never be bundled (PyInstaller would otherwise follow PySide6's own
optional imports into them)."""

EXCLUDES = (
    # Other GUI toolkits and bindings a hook could drag in.
    "tkinter",
    "_tkinter",
    "PyQt5",
    "PyQt6",
    "PySide2",
    # Development-only packages that may sit in the build environment.
    "pytest",
    "_pytest",
    "IPython",
    "numpy",
    "setuptools",
    "pkg_resources",
    "pip",
    "pydoc_data",
    "lib2to3",
    "test",
    "unittest.mock",
    # phonenumbers: the app parses and formats numbers; the geocoder, carrier and time-zone
    # data (about 43 MB) are never used.
    "phonenumbers.geocoder",
    "phonenumbers.geodata",
    "phonenumbers.carrier",
    "phonenumbers.carrierdata",
    "phonenumbers.timezone",
    "phonenumbers.tzdata",
    "phonenumbers.prefix",
)

HIDDEN_IMPORT_PACKAGES = ("composer",)
"""Packages whose every submodule is bundled: the CLI loads its subcommands by name, and the
composition root may do the same with the UI, so static analysis cannot see them."""

HIDDEN_IMPORTS = (
    # composer.app imports qasync by name, after PySide6, so that it binds to PySide6.
    "qasync",
    # anyio picks its event-loop backend by name at run time.
    "anyio._backends._asyncio",
    # keyring's backends are entry points, imported by name (keyring.backend._load_plugins).
    "keyring.backends.SecretService",
    "keyring.backends.libsecret",
    "keyring.backends.kwallet",
    "keyring.backends.chainer",
    "keyring.backends.fail",
    "keyring.backends.null",
    "keyring.backends.Windows",
    "keyring.backends.macOS",
)

METADATA = ("keyring", "event-composer", "jsonschema", "httpx", "email-validator")
"""Distributions whose metadata is copied into the bundle: keyring finds its backends through
entry points in its metadata, and importlib.metadata.version() must answer for the others
(the About dialog and the User-Agent read versions that way)."""

DATA_PACKAGES = ("jsonschema", "jsonschema_specifications", "certifi")
"""Packages whose data files (schemas, metaschemas, the CA bundle) are bundled."""

RESOURCE_DIRS = ("schemas", "examples", "icons")
"""Folders of resources/ the app reads at run time, bundled as resources/<name>."""

RESOURCE_FILES = ("event-composer.desktop",)
"""Single files of resources/ bundled as resources/<name>: the Linux launcher travels with the
packaged folder, whose install-desktop.sh installs it."""

QT_PLUGIN_KEEP = {
    "platforms": (
        "libqxcb",
        "libqwayland",
        "libqoffscreen",
        "libqminimal",
        "qwindows",
        "qoffscreen",
        "qminimal",
        "qcocoa",
    ),
    "platformthemes": ("libqxdgdesktopportal",),
    "platforminputcontexts": (
        "libcomposeplatforminputcontextplugin",
        "libibusplatforminputcontextplugin",
    ),
    "imageformats": ("libqico", "libqjpeg", "libqgif", "libqsvg", "qico", "qjpeg", "qgif", "qsvg"),
    "iconengines": ("libqsvgicon", "qsvgicon"),
    "styles": ("qmodernwindowsstyle", "qwindowsvistastyle", "qmacstyle"),
}
"""Qt plugins kept, by plugin folder (file-name stems, any platform); folders in neither this
nor QT_PLUGIN_DIRS_DROPPED are kept whole (xcbglintegrations, wayland-*). Dropped on purpose:
the GTK 3 platform theme (it would bundle the build machine's whole GTK stack, ~15 MB, and the
app has its own light and dark themes), the virtual keyboard (Qt Quick), PDF, TIFF and WebP
images, and the framebuffer/EGL/VNC platforms (no desktop session uses them). SVG stays:
desktop icon themes are SVG."""

QT_PLUGIN_DIRS_DROPPED = (
    "egldeviceintegrations",
    "generic",
    "designer",
    "qmltooling",
    "sqldrivers",
    "tls",
    "networkinformation",
    "printsupport",
    "vectorimageformats",
    "multimedia",
    "position",
    "sensors",
)
"""Qt plugin folders of features the app does not use (input for framebuffer platforms, SQL,
network, printing, ...)."""

QT_LIBS_DROPPED = (
    "Qt6Quick",
    "Qt6Qml",
    "Qt6Pdf",
    "Qt6VirtualKeyboard",
    "Qt6Network",
    "Qt6Designer",
    "Qt6EglFS",
    "Qt6EglFs",
)
"""Qt libraries that only the dropped plugins or excluded modules would need."""

STRIP = ("linux",)
"""Platforms whose binaries are stripped of symbols (libpython alone shrinks by ~19 MB);
PyInstaller advises against stripping on Windows and macOS (signatures, universal binaries)."""


def app_version() -> str:
    """composer.__version__, read from the source without importing the package."""
    text = (ROOT / "composer" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if match is None:
        raise ValueError('composer/__init__.py: no __version__ = "X.Y.Z" line')
    return match.group(1)


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """The four numbers Windows wants, e.g. "0.1.0" -> (0, 1, 0, 0); suffixes are ignored."""
    numbers = [int(n) for n in re.findall(r"\d+", version.split("+", maxsplit=1)[0])[:4]]
    padded = (*numbers, 0, 0, 0, 0)[:4]
    return (padded[0], padded[1], padded[2], padded[3])


def windows_version_info(version: str) -> str:
    """The text of a PyInstaller version file (VSVersionInfo) for the Windows executable."""
    numbers = version_tuple(version)
    strings = {
        "CompanyName": APP_NAME,
        "FileDescription": APP_NAME,
        "FileVersion": version,
        "InternalName": EXE_NAME,
        "LegalCopyright": f"{APP_NAME} contributors",
        "OriginalFilename": f"{EXE_NAME}.exe",
        "ProductName": APP_NAME,
        "ProductVersion": version,
    }
    table = ",\n          ".join(f"StringStruct({k!r}, {v!r})" for k, v in strings.items())
    return f"""VSVersionInfo(
  ffi=FixedFileInfo(filevers={numbers}, prodvers={numbers}, mask=0x3f, flags=0x0,
                    OS=0x40004, fileType=0x1, subtype=0x0, date=(0, 0)),
  kids=[
    StringFileInfo([StringTable('040904B0', [
          {table}])]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])]),
  ],
)
"""


def keep_binary(dest: str) -> bool:
    """Whether a binary PyInstaller collected (destination path inside the bundle) stays.

    Drops the Qt plugins outside QT_PLUGIN_KEEP and every library of an excluded Qt module that
    a plugin's dependencies would otherwise drag in (Qt Quick, QML, PDF, SVG, ...)."""
    parts = Path(dest).parts
    name = parts[-1]
    if "plugins" in parts:
        idx = parts.index("plugins")
        if idx + 2 < len(parts):
            folder = parts[idx + 1]
            if folder in QT_PLUGIN_DIRS_DROPPED:
                return False
            if folder in QT_PLUGIN_KEEP:
                return name.split(".")[0] in QT_PLUGIN_KEEP[folder]
    stem = name.removeprefix("lib")
    return not stem.startswith(QT_LIBS_DROPPED)


def keep_data(dest: str) -> bool:
    """Whether a data file PyInstaller collected stays: Qt's translations go (the app speaks
    English only, and they weigh 14 MB)."""
    parts = Path(dest).parts
    return not ("translations" in parts and parts[-1].endswith(".qm"))

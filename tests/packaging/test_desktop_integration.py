"""The Linux launcher, the icons and `make install-desktop`."""

from __future__ import annotations

import configparser
import os
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.packaging.conftest import ROOT

DESKTOP = ROOT / "resources" / "event-composer.desktop"
ICONS = ROOT / "resources" / "icons"
SIZES = (16, 32, 48, 64, 128, 256)


def read_desktop(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG file"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_desktop_entry_launches_the_app_with_a_file_and_names_its_icon():
    entry = read_desktop(DESKTOP)
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Event Composer"
    assert entry["Exec"] == "event-composer gui %f"  # a double-clicked .json opens in the composer
    assert entry["Icon"] == "event-composer"
    assert entry["Terminal"] == "false"
    assert "application/json" in entry["MimeType"].split(";")
    for key in ("Categories", "Keywords", "MimeType"):
        assert entry[key].endswith(";"), f"{key} must end with ';' (a list)"
    # Wayland matches the window to this file by the name the app sets (setDesktopFileName).
    assert entry["StartupWMClass"] == DESKTOP.stem


@pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None,
    reason="desktop-file-validate (desktop-file-utils) is not installed",
)
def test_desktop_entry_passes_desktop_file_validate():
    result = subprocess.run(
        ["desktop-file-validate", str(DESKTOP)], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("size", SIZES)
def test_icon_exists_in_every_usual_size(size):
    assert png_size(ICONS / f"event-composer-{size}.png") == (size, size)


def test_windows_icon_holds_every_size():
    data = (ICONS / "event-composer.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data, 0)
    assert (reserved, kind, count) == (0, 1, len(SIZES))
    sizes = []
    for i in range(count):
        width, _h, _c, _r, _planes, _bpp, length, offset = struct.unpack_from(
            "<BBBBHHII", data, 6 + 16 * i
        )
        assert data[offset : offset + 8] == b"\x89PNG\r\n\x1a\n"
        assert offset + length <= len(data)
        sizes.append(width or 256)
    assert sorted(sizes) == list(SIZES)


def test_macos_icon_is_an_icns_container_with_png_entries():
    data = (ICONS / "event-composer.icns").read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    offset, kinds = 8, []
    while offset < len(data):
        kind, length = (
            data[offset : offset + 4],
            struct.unpack(">I", data[offset + 4 : offset + 8])[0],
        )
        assert data[offset + 8 : offset + 16] == b"\x89PNG\r\n\x1a\n"
        kinds.append(kind)
        offset += length
    assert offset == len(data)
    assert b"ic08" in kinds and b"ic07" in kinds  # 256 and 128 pixels, what Finder shows


def test_svg_source_of_the_icon_is_square_xml():
    root = ET.parse(ICONS / "event-composer.svg").getroot()
    assert root.tag.endswith("svg")
    assert root.get("viewBox") == "0 0 256 256"


def _fake_bundle(tmp_path: Path) -> Path:
    dist = tmp_path / "dist" / "event-composer"
    (dist / "_internal").mkdir(parents=True)
    exe = dist / "event-composer"
    exe.write_text("#!/bin/sh\necho 'event-composer 0.0-test'\n")
    exe.chmod(0o755)
    return dist


def _install(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PREFIX": str(tmp_path / "prefix"),
        "DIST": str(tmp_path / "dist" / "event-composer"),
    }
    return subprocess.run(
        ["bash", str(ROOT / "packaging" / "install-desktop.sh"), *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_install_desktop_puts_app_launcher_and_icons_in_the_user_prefix(tmp_path):
    _fake_bundle(tmp_path)
    result = _install(tmp_path)
    assert result.returncode == 0, result.stderr
    prefix = tmp_path / "prefix"
    app = prefix / "lib" / "event-composer" / "event-composer"
    entry = read_desktop(prefix / "share" / "applications" / "event-composer.desktop")
    # Absolute: the menu must not depend on PATH.
    assert entry["Exec"] == f"{app} gui %f"
    assert entry["TryExec"] == str(app)
    out = subprocess.run(
        [prefix / "bin" / "event-composer"], check=True, capture_output=True, text=True
    )
    assert out.stdout.strip() == "event-composer 0.0-test"
    for size in SIZES:
        icon = (
            prefix
            / "share"
            / "icons"
            / "hicolor"
            / f"{size}x{size}"
            / "apps"
            / "event-composer.png"
        )
        assert png_size(icon) == (size, size)
    assert (
        prefix / "share" / "icons" / "hicolor" / "scalable" / "apps" / "event-composer.svg"
    ).is_file()


def test_install_desktop_uninstall_removes_everything_it_put_there(tmp_path):
    _fake_bundle(tmp_path)
    assert _install(tmp_path).returncode == 0
    prefix = tmp_path / "prefix"
    installed = [p for p in prefix.rglob("*") if p.is_file() or p.is_symlink()]
    ours = [p for p in installed if not p.name.endswith(".cache")]  # the menu's own caches stay
    assert len(ours) > len(SIZES)
    result = _install(tmp_path, "--uninstall")
    assert result.returncode == 0, result.stderr
    assert [p for p in ours if p.exists() or p.is_symlink()] == []


def test_a_packaged_folder_installs_itself_with_the_resources_it_carries(tmp_path):
    # What a user does with a copied folder: ./install-desktop.sh inside it (no source tree).
    folder = tmp_path / "copied" / "event-composer"
    resources = folder / "_internal" / "resources"
    shutil.copytree(ICONS, resources / "icons")
    shutil.copy(DESKTOP, resources / DESKTOP.name)
    shutil.copy(ROOT / "packaging" / "install-desktop.sh", folder / "install-desktop.sh")
    exe = folder / "event-composer"
    exe.write_text("#!/bin/sh\necho packaged\n")
    exe.chmod(0o755)
    prefix = tmp_path / "prefix"
    env = {k: v for k, v in os.environ.items() if k != "DIST"} | {"PREFIX": str(prefix)}
    result = subprocess.run(
        ["bash", str(folder / "install-desktop.sh")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    app = prefix / "lib" / "event-composer" / "event-composer"
    entry = read_desktop(prefix / "share" / "applications" / "event-composer.desktop")
    assert entry["Exec"] == f"{app} gui %f"
    assert png_size(
        prefix / "share" / "icons" / "hicolor" / "48x48" / "apps" / "event-composer.png"
    ) == (48, 48)
    # Running the installed copy's script again must not delete what it runs from.
    again = subprocess.run(
        ["bash", str(prefix / "lib" / "event-composer" / "install-desktop.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert app.is_file()

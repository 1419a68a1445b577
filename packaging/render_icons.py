"""Render the app icon (resources/icons/event-composer.svg) into the files each platform wants.

Writes, beside the SVG:
- event-composer-<N>.png for N in 16, 32, 48, 64, 128, 256 (Linux hicolor theme, Qt window icon),
- event-composer.ico (Windows: the PNGs packed in one icon file),
- event-composer.icns (macOS: the same, in Apple's container).

The .ico and .icns are packed here by hand (both formats accept PNG entries), so no imaging
library beyond Qt is needed. Run it after changing the SVG and commit the results:

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/render_icons.py
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SVG = ICONS / "event-composer.svg"
SIZES = (16, 32, 48, 64, 128, 256)
# Apple's PNG-bearing icns types: pixel size -> four-character code.
ICNS_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08"}


def png_path(size: int) -> Path:
    """Where the PNG of one size lives."""
    return ICONS / f"event-composer-{size}.png"


def render_png(size: int) -> bytes:
    """The SVG drawn at ``size`` x ``size`` pixels with a transparent background, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"{SVG}: not a valid SVG file")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def pack_ico(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico holding every PNG (PNG entries are valid since Windows Vista)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = 6 + 16 * len(pngs)
    directory, images = b"", b""
    for size, png in sorted(pngs.items()):
        dim = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        directory += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(png), offset)
        images += png
        offset += len(png)
    return header + directory + images


def pack_icns(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns holding the PNGs of the sizes Apple defines PNG entries for."""
    body = b""
    for size, code in ICNS_TYPES.items():
        png = pngs[size]
        body += code + struct.pack(">I", 8 + len(png)) + png
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    """Render every file; print what was written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    pngs = {size: render_png(size) for size in SIZES}
    for size, png in pngs.items():
        png_path(size).write_bytes(png)
    (ICONS / "event-composer.ico").write_bytes(pack_ico(pngs))
    (ICONS / "event-composer.icns").write_bytes(pack_icns(pngs))
    del app
    for path in sorted(ICONS.iterdir()):
        print(f"{path.relative_to(ICONS.parent.parent)}  {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

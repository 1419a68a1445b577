"""`python -m composer.ui.editor [FILE] [--raw] [--server-finding]`: the composer alone."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Show the composer with the sample event (or FILE) in a window."""
    parser = argparse.ArgumentParser(prog="python -m composer.ui.editor")
    parser.add_argument("file", nargs="?", help="a JSON file to load (kept exactly)")
    parser.add_argument("--raw", action="store_true", help="start on the Raw JSON tab")
    parser.add_argument(
        "--server-finding",
        action="store_true",
        help="show a finding as if a 400 response had reported it",
    )
    parser.add_argument("--focus", metavar="POINTER", help="focus the field a pointer names")
    parser.add_argument("--dark", action="store_true", help="a dark Fusion palette")
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication, QMainWindow

    from composer.domain.draft import sample_event
    from composer.domain.findings import Finding, Severity
    from composer.ui.editor import ComposerController, ComposerWidget

    app = QApplication.instance() or QApplication(sys.argv[:1])
    if args.dark and isinstance(app, QApplication):
        from PySide6.QtGui import QColor, QPalette

        app.setStyle("Fusion")
        palette = QPalette()
        for role, color in (
            (QPalette.ColorRole.Window, "#1e1f22"),
            (QPalette.ColorRole.Base, "#141517"),
            (QPalette.ColorRole.AlternateBase, "#1b1c1f"),
            (QPalette.ColorRole.Text, "#e6e6e6"),
            (QPalette.ColorRole.WindowText, "#e6e6e6"),
            (QPalette.ColorRole.Button, "#2b2d31"),
            (QPalette.ColorRole.ButtonText, "#e6e6e6"),
            (QPalette.ColorRole.PlaceholderText, "#8a8d93"),
        ):
            palette.setColor(role, QColor(color))
        app.setPalette(palette)
    controller = ComposerController()
    if args.file:
        controller.load_text(Path(args.file).read_text(encoding="utf-8"))
    else:
        controller.load_payload(sample_event())
    window = QMainWindow()
    window.setWindowTitle("Event Composer — composer")
    widget = ComposerWidget(controller)
    window.setCentralWidget(widget)
    window.resize(900, 820)
    if args.raw:
        widget.show_raw()
    if args.server_finding:
        controller.set_server_findings(
            [
                Finding(
                    "/data/attributes/metric/name",
                    Severity.ERROR,
                    "server",
                    "metric.name: This field may not be blank.",
                    source="server",
                )
            ]
        )
    window.show()
    if args.focus:
        finding = next(
            (f for f in controller.findings() if f.pointer == args.focus),
            Finding(args.focus, Severity.WARNING, "demo", "demo"),
        )
        widget.focus_finding(finding)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())

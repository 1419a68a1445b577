"""Starts the app as `event-composer` does, then runs the first open collection (for a README
screenshot of the collections panel and a run's results)."""
import sys

from PySide6.QtCore import QTimer

import composer.app as app_module

_build = app_module.build_window


def build_window(*args, **kwargs):
    window = _build(*args, **kwargs)

    def run_first_collection() -> None:
        from composer.ui.collection_model import Kind

        panel = window.collection_panel
        node = next(n for n in panel.model.nodes() if n.kind is Kind.COLLECTION)
        panel.select(node)
        window.run_part.run_node(node)

    QTimer.singleShot(3000, run_first_collection)
    return window


app_module.build_window = build_window
from composer.cli import main  # noqa: E402

sys.exit(main(sys.argv[1:]))

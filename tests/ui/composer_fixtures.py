"""The composer on its own (a controller and its widget, shown), as the editor's tests use it."""

from __future__ import annotations

from typing import Any

from composer.domain.draft import sample_event
from composer.ui.editor import ComposerController, ComposerWidget

SAMPLE_REVISION = "2023-01-24"
"""The revision of the flat layout that ``sample_event()`` is written in."""


def show_composer(
    qtbot: Any,
    event: Any = None,
    *,
    revision: str = SAMPLE_REVISION,
    size: tuple[int, int] = (900, 800),
) -> tuple[ComposerController, ComposerWidget]:
    """A controller holding ``event`` (the sample event by default) and its widget, shown at
    ``size`` and exposed; qtbot closes it after the test."""
    controller = ComposerController(debounce_ms=20, revision=revision)
    controller.load_payload(sample_event() if event is None else event)
    widget = ComposerWidget(controller)
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    return controller, widget

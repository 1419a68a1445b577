"""The event composer: Form and Raw JSON over one source of truth, and the Problems list.

The state lives in :mod:`composer.editing` (Qt-free); this package holds its Qt adapters.

``ComposerController(revision=DEFAULT_REVISION, parent=None)`` — a QObject over an
:class:`composer.editing.state.EditState` (``controller.state``): the text exactly as typed,
its parse, the one undo history. ``document`` is the QTextDocument the Raw JSON editor shows
(typing goes straight into it and is read back into the state edit by edit).
Signals ``textChanged()``, ``draftChanged()`` (the parsed value changed), ``findingsChanged(list)``,
``syntaxStateChanged(object)``, ``modifiedChanged(bool)``, ``busyChanged(bool)``,
``undoStateChanged()``. Methods ``load_payload``, ``load_text``, ``text``, ``document_text``,
``payload``, ``draft``, ``findings``, ``has_errors``, ``syntax_error``, ``revision``,
``set_revision``, ``set_server_findings``, ``validate_now``, ``format_json``, ``minify_json``,
``edit(operation, *args, group=None)`` (one of EditState's operations, e.g.
``edit("set_value", "/data/attributes/value", 12.5)``), ``undo``, ``redo``, ``can_undo``,
``can_redo``, ``span_of(finding)``, ``qt_range(start, end)``, ``is_modified``, ``mark_saved``.

``ComposerWidget(controller, parent=None)`` — tabs "Form" and "Raw JSON" above the Problems
list. Signal ``findingActivated(object)``; methods ``focus_finding``, ``show_form``,
``show_raw``, ``raw_page`` (the Raw JSON page, built the first time it is shown or used);
attributes ``raw_editor``, ``form`` (an ``EventForm`` bound by a ``FormShape`` table),
``tabs``, ``problems``, ``splitter``, ``format_button``, ``minify_button``.

``findingsChanged`` carries the validator's findings (or the syntax error) and the server's
(``source == "server"``), errors first; server findings are dropped on the next edit.
``python -m composer.ui.editor [FILE] [--raw] [--dark] [--server-finding] [--focus POINTER]``
shows the composer alone (a demo and a screenshot aid).
"""

from composer.ui.editor.controller import ComposerController
from composer.ui.editor.widget import ComposerWidget

__all__ = ["ComposerController", "ComposerWidget"]

"""The event composer: Form and Raw JSON over one source of truth, and the Problems list.

Public surface (issue 6, "editor"):

``ComposerController(revision=DEFAULT_REVISION, parent=None)`` — a QObject holding the JSON
text exactly as typed, the EventDraft when the text parses, the revision and the findings.
Signals ``textChanged(str)``, ``draftChanged()``, ``findingsChanged(list)``,
``syntaxStateChanged(object)``. Methods ``load_payload``, ``load_text``, ``text``, ``payload``,
``findings``, ``has_errors``, ``set_revision``, ``set_server_findings``, ``validate_now``,
``format_json``, ``minify_json``, ``is_modified`` (property), ``mark_saved``.

``ComposerWidget(controller, parent=None)`` — tabs "Form" and "Raw JSON" above the Problems
list. Signal ``findingActivated(object)``; methods ``focus_finding``, ``show_form``,
``show_raw``; attributes ``raw_editor`` (a QPlainTextEdit subclass) and ``form``.

Additions beyond the agreed interface:

- ``ComposerController.document``: the QTextDocument that holds the text (the raw editor shows
  it; user typing goes straight into it, so ``text()`` is never behind).
- ``ComposerController.modifiedChanged(bool)``: the text now differs from (or again equals)
  what was loaded or marked saved. ``load_text``/``load_payload`` start unmodified.
- ``ComposerController.busyChanged(bool)``: a large text is being checked on a worker thread.
- ``ComposerController.draft()``, ``syntax_error()``, ``revision()``.
- ``ComposerController.update_draft(edit)``: apply ``edit(draft)`` and regenerate the text
  (what the form does; returns False while the text does not parse).
- ``ComposerController.document_text()``: the text as the editor holds it (lines end in
  "\\n"); ``text()`` is exactly what was loaded until the first edit and keeps CRLF line
  ends after edits when the loaded text used them.
- ``ComposerController.span_of(finding)`` / ``qt_range(start, end)``: where a finding sits in
  ``document_text()`` (Python offsets) and the same range as Qt document positions.
- ``ComposerWidget.tabs``, ``.problems`` (ProblemsView), ``.splitter`` (remember its state),
  ``.format_button``, ``.minify_button``.

``findingsChanged`` carries the validator's findings (or the syntax error) followed by the
server's (``source == "server"``); server findings are dropped on the next edit.
``python -m composer.ui.editor [FILE] [--raw] [--dark] [--server-finding] [--focus POINTER]``
shows the composer alone (a demo and a screenshot aid).
"""

from composer.ui.editor.controller import ComposerController
from composer.ui.editor.widget import ComposerWidget

__all__ = ["ComposerController", "ComposerWidget"]

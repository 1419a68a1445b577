"""The Qt side of the composer's state: a QTextDocument that mirrors :class:`EditState`, the
debounced check (on a worker thread for long texts), and the signals the views listen to.

Every change is a minimal text edit made by :mod:`composer.editing`: typing in the Raw JSON
text is read back into the state edit by edit; a form operation is made on the state and put
into the document as the same edit. Undo and redo come from the state's one history.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from composer.domain.draft import EventDraft
from composer.domain.revisions import DEFAULT_REVISION, get_revision
from composer.editing.checked import CheckedFindings
from composer.editing.history import TextEdit
from composer.editing.locator import JsonSpan, utf16_offset
from composer.editing.rewrites import conversion, reformat, repeated_members, revision_of
from composer.editing.state import EditState
from composer.editing.values import dump
from composer.ui.editor.checks import Checks
from composer.ui.editor.heap import QuietHeap
from composer.ui.editor.text_mirror import TextMirror

if TYPE_CHECKING:
    from pathlib import Path

    from PySide6.QtGui import QTextDocument

    from composer.domain.convert import ConversionReport
    from composer.domain.findings import Finding, ValidationReport
    from composer.domain.validator import Validator
    from composer.domain.variables import Resolution, Scope
    from composer.editing.analysis import Analysis

log = logging.getLogger(__name__)

DEBOUNCE_MS = 150
# Texts up to this many characters are analysed on the UI thread (a few milliseconds);
# longer ones on a worker thread.
SYNC_LIMIT = 64_000


class ComposerController(QObject):
    """Holds the composed event: :attr:`state` (text, parse, undo history) mirrored into
    :attr:`document` for the Raw JSON editor, the API revision and the findings."""

    textChanged = Signal()
    """The text changed by a load, a form operation, undo/redo, format or minify."""
    draftChanged = Signal()
    """The parsed value changed (a form edit, undo, or typed text that parses)."""
    findingsChanged = Signal(list)
    syntaxStateChanged = Signal(object)
    modifiedChanged = Signal(bool)
    busyChanged = Signal(bool)
    undoStateChanged = Signal()
    """What Undo and Redo would do changed."""
    revisionChanged = Signal(str)
    """The revision changed (the picker, a conversion, or undo/redo of a conversion)."""

    def __init__(
        self,
        revision: str = DEFAULT_REVISION,
        parent: QObject | None = None,
        *,
        debounce_ms: int = DEBOUNCE_MS,
        sync_limit: int = SYNC_LIMIT,
    ) -> None:
        super().__init__(parent)
        get_revision(revision)  # fail early on an unknown revision
        self.state = EditState()
        self._checks = Checks(
            self.state, revision, debounce_ms=debounce_ms, sync_limit=sync_limit, parent=self
        )
        self._checks.analysed.connect(self._apply)
        self._checks.busyChanged.connect(self.busyChanged)
        self._mirror = TextMirror(lambda: self.state.text, self)
        self._mirror.typed.connect(self._on_typed)
        self._loaded: tuple[int, str] = (0, "")
        self._crlf = False
        self._checked = CheckedFindings()
        self._saved_generation = 0
        self._saved_text: str | None = ""
        """The text as saved (None: on disk nowhere); undoing back to it is no change."""
        self._was_modified = False
        self._draft: tuple[int, EventDraft | None] = (-1, None)
        self.conversion_repeats: list[str] = []
        """Pointers of the members the last conversion found given twice and kept once."""
        # full garbage collections leave a long text's parse alone while it is edited
        self._heap = QuietHeap(self)

    @property
    def document(self) -> QTextDocument:
        """The QTextDocument the Raw JSON editor shows (made when first asked for)."""
        return self._mirror.document

    # -- reading ---------------------------------------------------------------------------

    def text(self) -> str:
        """The JSON text exactly as typed: until the first edit exactly what was loaded; after
        edits a text loaded with Windows line ends (CRLF) keeps them."""
        if self.state.generation == self._loaded[0]:
            return self._loaded[1]
        plain = self.state.text
        return plain.replace("\n", "\r\n") if self._crlf else plain

    def document_text(self) -> str:
        """The text as the editor holds it (lines end in "\\n"); :meth:`span_of` counts in it."""
        return self.state.text

    def loaded_generation(self) -> int:
        """The state's generation when the document shown was loaded: it changes only when
        another text is loaded (a view that follows edits row by row starts over then)."""
        return self._loaded[0]

    def payload(self) -> Any | None:
        """The parsed body, or None while the text does not parse."""
        return self.state.value()

    def draft(self) -> EventDraft | None:
        """The body read as an :class:`EventDraft` (None while the text does not parse)."""
        gen = self.state.generation
        if self._draft[0] != gen:
            value = self.state.value()
            self._draft = (gen, None if value is None else EventDraft.from_payload(value))
        return self._draft[1]

    def findings(self) -> list[Finding]:
        """Validator findings (or the syntax error) and the server's, errors first."""
        return self._checked.findings()

    def syntax_error(self) -> Finding | None:
        """The JSON syntax error of the text, or None when it parses."""
        return self._checked.syntax

    def has_errors(self) -> bool:
        """True when the current text has an error finding (validates it first if needed)."""
        if not self._checked.is_fresh(self.state.generation):
            self.validate_now()
        return any(f.is_error for f in self.findings())

    def is_busy(self) -> bool:
        """True while the text is being checked."""
        return self._checks.is_busy()

    def revision(self) -> str:
        """The API revision findings are checked against."""
        return self._checks.revision

    def variables(self) -> Scope:
        """Where ``{{name}}`` values come from (the chosen environment, the collection)."""
        if self._checks.scope is None:
            from composer.domain.variables import Scope

            self._checks.scope = Scope()
        return self._checks.scope

    def set_variables(self, scope: Scope) -> None:
        """Resolve variables with ``scope`` from now on, and check the event again."""
        if scope == self._checks.scope:
            return
        self._checks.scope = scope
        self._checked.invalidate()
        self._checks.soon()

    def resolution(self) -> Resolution | None:
        """The variables of the text as last checked, with their preview values (None when
        the text holds none or has not been checked yet)."""
        return self._checked.resolution(self.state.generation)

    @property
    def is_modified(self) -> bool:
        """True when the text differs from what was loaded or :meth:`mark_saved` (undoing
        every change since is no change)."""
        if self.state.generation == self._saved_generation:
            return False
        # a different generation may hold the same text again (every change undone): equal
        # texts compare at memory speed, unequal lengths at once
        return self._saved_text is None or self.state.text != self._saved_text

    def span_of(self, finding: Finding) -> JsonSpan | None:
        """Where a finding sits in the current text (Python offsets), or None."""
        state = self.state
        return self._checked.span_of(finding, state.text, state.tree(), state.generation)

    def qt_range(self, span_start: int, span_end: int) -> tuple[int, int]:
        """Python offsets of the current text as Qt document positions."""
        text = self.state.text
        return utf16_offset(text, span_start), utf16_offset(text, span_end)

    # -- loading ---------------------------------------------------------------------------

    def load_payload(self, obj: Any, *, check_later: bool = False) -> None:
        """Replace everything with a payload (formatted with 2-space indent)."""
        self.load_text(dump(obj), check_later=check_later)

    def load_text(self, text: str, *, check_later: bool = False) -> None:
        """Replace everything with ``text`` (kept exactly); the result is not modified and
        has no undo history.

        With ``check_later`` the form is filled at once but the findings come from a worker
        thread (the Problems list says it is checking): the window can paint before the
        validator's libraries have loaded.
        """
        self.state.load(self._mirror.load(text))
        self._loaded = (self.state.generation, text)
        self._crlf = text.count("\r\n") * 2 > text.count("\n")
        self._saved_generation = self.state.generation
        self._saved_text = self.state.text
        self._checked.drop_server()
        if self._checks.is_short(text):
            # A short text is read at once (no validator libraries needed): the Form shows it
            # in the first paint; a long one is read on the worker thread with its check.
            self.state.parses()
        self.textChanged.emit()
        self.draftChanged.emit()
        self.undoStateChanged.emit()
        self._emit_modified()
        if check_later or not self._checks.is_short(text):
            self._checks.soon(background=True)
        else:
            self._checks.now()

    def load_file(self, path: Path, *, max_bytes: int) -> bool:
        """Load the text of the event file ``path`` (checked later, as ``check_later``);
        False, and nothing changed, when it is bigger than ``max_bytes`` or cannot be read."""
        from composer.storage.event_files import EventFileError, read_event_file

        try:
            if path.stat().st_size > max_bytes:
                return False
            text = read_event_file(path)
        except (OSError, EventFileError):
            return False
        self.load_text(text, check_later=True)
        return True

    def mark_saved(self) -> None:
        """The current text is what is on disk now."""
        self._saved_generation = self.state.generation
        self._saved_text = self.state.text
        self._emit_modified()

    def mark_unsaved(self) -> None:
        """The current text is on disk nowhere (its file was deleted): it counts as changed."""
        self._saved_generation = -1
        self._saved_text = None
        self._emit_modified()

    def set_revision(self, name: str) -> None:
        """Check findings against another API revision (re-validates at once)."""
        get_revision(name)
        if name == self._checks.revision:
            return
        self._checks.set_revision(name)
        self._checked.invalidate()
        self._checks.soon()
        self.revisionChanged.emit(name)

    def convert_to_revision(self, name: str) -> ConversionReport | None:
        """Switch to revision ``name``, rewriting the event in its shape when it differs:
        one undo step, which takes the revision back too. The report of what moved, or None
        when the text does not parse or nothing had to move."""
        get_revision(name)
        old = self.state.text
        converted = conversion(old, name, self._checks.revision)
        self.conversion_repeats = []
        if converted is not None:
            edit, label, report = converted
            # a member given twice is kept once (the last, as Klaviyo reads it): say which
            self.conversion_repeats = repeated_members(old)
            self._after_edit(self.state.apply(edit, label), old)
        self.set_revision(name)
        return None if converted is None else report

    def set_server_findings(self, findings: list[Finding]) -> None:
        """Show a response's findings beside ours until the next edit."""
        self._checked.set_server(findings, self.state.text, self.state.tree())
        self.findingsChanged.emit(self.findings())

    # -- editing ---------------------------------------------------------------------------

    def edit(self, operation: str, *args: Any, group: str | None = None, **kwargs: Any) -> Any:
        """Run one of :class:`EditState`'s operations (``set_json``, ``set_value``,
        ``remove``, ``insert``, ``rename``, ``move``, ``duplicate``) and put its text edit
        into the document. Returns what the operation returns (None: nothing changed, or the
        text does not parse, so what the user typed is never overwritten). Edits of one
        ``group`` in a row are one undo step."""
        before = self.state.text
        self.state.group = group
        try:
            result = getattr(self.state, operation)(*args, **kwargs)
        finally:
            self.state.group = None
        edit = result[0] if isinstance(result, tuple) else result
        if edit is None:
            return None
        self._after_edit(edit, before)
        return result

    def undo(self) -> bool:
        """Take back the last change, wherever it was made (Form, tree or Raw JSON)."""
        revision = revision_of(self.state.history.undo_label(), undone=True)
        done = self._replay(self.state.history.take_undo())
        if done and revision is not None:  # a conversion: its revision goes back
            self.set_revision(revision)
        return done

    def redo(self) -> bool:
        """Make the last undone change again."""
        revision = revision_of(self.state.history.redo_label(), undone=False)
        done = self._replay(self.state.history.take_redo())
        if done and revision is not None:
            self.set_revision(revision)
        return done

    def _replay(self, edits: list[TextEdit]) -> bool:
        for edit in edits:
            before = self.state.text
            self.state.replay(edit)
            self._after_edit(edit, before)
        return bool(edits)

    def batch(self) -> Any:
        """``with controller.batch():`` — the edits inside are one undo step."""
        return self.state.batch()

    def can_undo(self) -> bool:
        return self.state.history.can_undo()

    def can_redo(self) -> bool:
        return self.state.history.can_redo()

    def format_json(self) -> bool:
        """Re-indent the text (2 spaces); False when it does not parse."""
        return self._reformat(minify=False)

    def minify_json(self) -> bool:
        """Put the text on one line without spaces; False when it does not parse."""
        return self._reformat(minify=True)

    def validate_now(self) -> ValidationReport:
        """Validate the current text synchronously (for Send) and show the result."""
        from composer.domain.findings import ValidationReport, sort_findings

        analysis = self._checks.now()
        payload = None if analysis.syntax is not None else analysis.payload
        return ValidationReport(sort_findings(analysis.findings), payload)

    # -- internals -------------------------------------------------------------------------

    def _reformat(self, *, minify: bool) -> bool:
        old = self.state.text
        edit = reformat(old, minify=minify)
        if edit is None:
            return False
        if edit.new != old:
            self._after_edit(self.state.apply(edit, "minify" if minify else "format"), old)
        return True

    def _after_edit(self, edit: TextEdit, before: str) -> None:
        """Put a change the state made into the document; tell the views."""
        self._mirror.put(edit, before)
        self._changed()
        self.textChanged.emit()
        if self.state.parses():
            self.draftChanged.emit()

    def _on_typed(self, edit: TextEdit) -> None:
        """Typing in the Raw JSON text: the same edit into the state."""
        self.state.apply(edit, "typing", group="typing")
        self._changed()

    def _changed(self) -> None:
        if self._checked.drop_server():
            self.findingsChanged.emit(self.findings())
        self._emit_modified()
        self.undoStateChanged.emit()
        self._checks.after_typing()
        self._heap.touch()

    def _emit_modified(self) -> None:
        modified = self.is_modified
        if modified != self._was_modified:
            self._was_modified = modified
            self.modifiedChanged.emit(modified)

    def validator(self) -> Validator:
        """The validator of the revision (built with the first check)."""
        return self._checks.validator()

    def hold_background_checks(self) -> None:
        """Queue the checks that would run on the worker thread until
        :meth:`release_background_checks`: the window paints first."""
        self._checks.hold()

    def release_background_checks(self) -> None:
        """Run the check queued while held (for the text as it is now)."""
        self._checks.release()

    def _apply(self, analysis: Analysis) -> None:
        syntax_changed = self._checked.take(analysis)
        if analysis.tree is not None:
            self.state.adopt(analysis.payload, analysis.tree, analysis.generation)
        value_known = analysis.syntax is None and self.state.is_read()
        if syntax_changed:
            self.syntaxStateChanged.emit(analysis.syntax)
        if value_known or syntax_changed:
            self.draftChanged.emit()
        self.findingsChanged.emit(self.findings())
        # what this check left (the parse, the tree, the findings and their views) lives
        # until the next one: out of the full collections' walk while a long text is edited
        if self._checks.is_short(analysis.text):
            self._heap.let_go()
        else:
            self._heap.hold()

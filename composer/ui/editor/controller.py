"""The Qt side of the composer's state: a QTextDocument that mirrors :class:`EditState`, the
debounced check (on a worker thread for long texts), and the signals the views listen to.

Every change is a minimal text edit made by :mod:`composer.editing`: typing in the Raw JSON
text is read back into the state edit by edit; a form operation is made on the state and put
into the document as the same edit. Undo and redo come from the state's one history.
"""

from __future__ import annotations

import contextlib
import logging
import random
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QTextCursor, QTextDocument
from PySide6.QtWidgets import QPlainTextDocumentLayout

from composer.domain.convert import ConversionReport, convert
from composer.domain.draft import EventDraft
from composer.domain.findings import Finding, ValidationReport, sort_findings
from composer.domain.jsontext import parse_json_text
from composer.domain.revisions import DEFAULT_REVISION, get_revision
from composer.domain.validator import Validator
from composer.domain.variables import Resolution, Scope
from composer.editing.analysis import Analysis, analyse, dump, merge_findings, span_key, spans_for
from composer.editing.history import TextEdit
from composer.editing.locator import JsonSpan, from_utf16_offset, utf16_offset
from composer.editing.state import EditState

log = logging.getLogger(__name__)

DEBOUNCE_MS = 150
# Texts up to this many characters are analysed on the UI thread (a few milliseconds);
# longer ones on a worker thread.
SYNC_LIMIT = 64_000


class _Bridge(QObject):
    """Carries a worker's result to the UI thread (queued: the bridge lives there)."""

    done = Signal(object)


_CONVERT_LABEL = "Convert revision "
"""Undo label of a conversion: ``Convert revision <from> <to>``."""


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
        self._revision = revision
        self._validator = Validator(revision)
        self._sync_limit = sync_limit
        self.state = EditState()
        self.document = QTextDocument(self)
        self.document.setDocumentLayout(QPlainTextDocumentLayout(self.document))
        self.document.setUndoRedoEnabled(False)  # one history: the state's
        self.document.contentsChange.connect(self._on_contents_change)
        self._loaded: tuple[int, str] = (0, "")
        self._crlf = False
        self._applying = False
        self._analysis: Analysis | None = None
        self._analysed_generation = -1
        self._findings: list[Finding] = []
        self._server: list[Finding] = []
        self._server_spans: dict[str, JsonSpan] = {}
        self._syntax: Finding | None = None
        self._saved_generation = 0
        self._was_modified = False
        self._busy = False
        self._draft: tuple[int, EventDraft | None] = (-1, None)
        self._executor: ThreadPoolExecutor | None = None
        self._checks_held = False
        self._held_check = False
        self._bridge = _Bridge(self)
        self._bridge.done.connect(self._on_worker_done, Qt.ConnectionType.QueuedConnection)
        self._debounce = QTimer(self, singleShot=True, interval=debounce_ms)
        self._debounce.timeout.connect(self._analyse_soon)
        self._scope = Scope()
        # Random preview values ({{$uuid}}) stay put while the user edits: one seed per
        # composer; every send still draws its own values.
        self._preview_seed = random.getrandbits(32)

    # -- reading ---------------------------------------------------------------------------

    @property
    def _generation(self) -> int:
        return self.state.generation

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
        return merge_findings(self._findings, self._server)

    def syntax_error(self) -> Finding | None:
        """The JSON syntax error of the text, or None when it parses."""
        return self._syntax

    def has_errors(self) -> bool:
        """True when the current text has an error finding (validates it first if needed)."""
        if self._analysed_generation != self.state.generation:
            self.validate_now()
        return any(f.is_error for f in self.findings())

    def revision(self) -> str:
        """The API revision findings are checked against."""
        return self._revision

    def variables(self) -> Scope:
        """Where ``{{name}}`` values come from (the chosen environment, the collection)."""
        return self._scope

    def set_variables(self, scope: Scope) -> None:
        """Resolve variables with ``scope`` from now on, and check the event again."""
        if scope == self._scope:
            return
        self._scope = scope
        self._analysed_generation = -1
        self._analyse_soon()

    def resolution(self) -> Resolution | None:
        """The variables of the text as last checked, with their preview values (None when
        the text holds none or has not been checked yet)."""
        analysis = self._analysis
        if analysis is None or self._analysed_generation != self.state.generation:
            return None
        return analysis.resolution

    @property
    def is_modified(self) -> bool:
        """True when the text changed since it was loaded or :meth:`mark_saved`."""
        return self.state.generation != self._saved_generation

    def span_of(self, finding: Finding) -> JsonSpan | None:
        """Where a finding sits in the current text (Python offsets), or None."""
        key = span_key(finding)
        analysis = self._analysis
        fresh = analysis is not None and self._analysed_generation == self.state.generation
        if fresh and analysis is not None and key in analysis.spans:
            return analysis.spans[key]
        if finding.source == "server" and key in self._server_spans:
            return self._server_spans[key]
        return spans_for(self.state.text, (finding,), self.state.tree()).get(key)

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
        self._applying = True
        try:
            self.document.setPlainText(text)
        finally:
            self._applying = False
        # toRawText keeps non-breaking spaces; only block separators need mapping back.
        self.state.load(self.document.toRawText().replace("\u2029", "\n"))
        self._loaded = (self.state.generation, text)
        self._crlf = text.count("\r\n") * 2 > text.count("\n")
        self._saved_generation = self.state.generation
        self._server = []
        self._server_spans = {}
        if len(text) <= self._sync_limit:
            # A short text is read at once (no validator libraries needed): the Form shows it
            # in the first paint; a long one is read on the worker thread with its check.
            self.state.parses()
        self.textChanged.emit()
        self.draftChanged.emit()
        self.undoStateChanged.emit()
        self._emit_modified()
        if check_later or len(text) > self._sync_limit:
            self._analyse_soon(background=True)
        else:
            self._apply(self._run(self.state.text, self.state.generation))

    def mark_saved(self) -> None:
        """The current text is what is on disk now."""
        self._saved_generation = self.state.generation
        self._emit_modified()

    def mark_unsaved(self) -> None:
        """The current text is on disk nowhere (its file was deleted): it counts as changed."""
        self._saved_generation = -1
        self._emit_modified()

    def set_revision(self, name: str) -> None:
        """Check findings against another API revision (re-validates at once)."""
        get_revision(name)
        if name == self._revision:
            return
        self._revision = name
        self._validator = Validator(name)
        self._analysed_generation = -1
        self._analyse_soon()
        self.revisionChanged.emit(name)

    def convert_to_revision(self, name: str) -> ConversionReport | None:
        """Switch to revision ``name``, rewriting the event in its shape when it differs:
        one undo step, which takes the revision back too. The report of what moved, or None
        when the text does not parse or nothing had to move."""
        get_revision(name)
        old_revision = self._revision
        parsed = parse_json_text(self.state.text)
        report: ConversionReport | None = None
        if parsed.ok and name != old_revision:
            result = convert(parsed.value, name, old_revision)
            if result.body != parsed.value:
                old = self.state.text
                edit = TextEdit(0, len(old), dump(result.body))
                self.state.apply(edit, f"{_CONVERT_LABEL}{old_revision} {name}")
                self._after_edit(edit, old)
                report = result.report
        self.set_revision(name)
        return report

    def set_server_findings(self, findings: list[Finding]) -> None:
        """Show a response's findings beside ours until the next edit."""
        self._server = list(findings)
        self._server_spans = spans_for(self.state.text, self._server, self.state.tree())
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
        label = self.state.history.undo_label()
        done = self._replay(self.state.history.take_undo())
        if done and label.startswith(_CONVERT_LABEL):  # a conversion: its revision goes back
            self.set_revision(label[len(_CONVERT_LABEL) :].split(" ")[0])
        return done

    def redo(self) -> bool:
        """Make the last undone change again."""
        label = self.state.history.redo_label()
        done = self._replay(self.state.history.take_redo())
        if done and label.startswith(_CONVERT_LABEL):
            self.set_revision(label[len(_CONVERT_LABEL) :].split(" ")[1])
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
        analysis = self._run(self.state.text, self.state.generation)
        self._apply(analysis)
        payload = None if analysis.syntax is not None else analysis.payload
        return ValidationReport(sort_findings(analysis.findings), payload)

    # -- internals -------------------------------------------------------------------------

    def _reformat(self, *, minify: bool) -> bool:
        parsed = parse_json_text(self.state.text)
        if not parsed.ok:
            return False
        new = dump(parsed.value, minify=minify)
        old = self.state.text
        if new != old:
            edit = TextEdit(0, len(old), new)
            self.state.apply(edit, "minify" if minify else "format")
            self._after_edit(edit, old)
        return True

    def _after_edit(self, edit: TextEdit, before: str) -> None:
        """Put a change the state made into the document; tell the views."""
        start = utf16_offset(before, edit.start)
        end = start + utf16_offset(before[edit.start : edit.end], edit.end - edit.start)
        cursor = QTextCursor(self.document)
        self._applying = True
        try:
            cursor.beginEditBlock()
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            cursor.insertText(edit.new)
            cursor.endEditBlock()
        finally:
            self._applying = False
        self._changed()
        self.textChanged.emit()
        if self.state.parses():
            self.draftChanged.emit()

    def _on_contents_change(self, pos: int, removed: int, added: int) -> None:
        """Typing in the Raw JSON text: read the same edit into the state."""
        if self._applying or (removed == 0 and added == 0):
            return
        before = self.state.text
        start = from_utf16_offset(before, pos)
        end = start + from_utf16_offset(before[start:], removed)
        cursor = QTextCursor(self.document)
        cursor.setPosition(pos)
        cursor.setPosition(pos + added, QTextCursor.MoveMode.KeepAnchor)
        new = cursor.selectedText().replace("\u2029", "\n")
        if new == before[start:end]:
            return  # formats only (the highlighter), no characters changed
        self.state.apply(TextEdit(start, end, new), "typing", group="typing")
        self._changed()
        self._debounce.start()

    def _changed(self) -> None:
        if self._server:
            self._server = []
            self._server_spans = {}
            self.findingsChanged.emit(self.findings())
        self._emit_modified()
        self.undoStateChanged.emit()
        self._debounce.start()

    def _emit_modified(self) -> None:
        modified = self.is_modified
        if modified != self._was_modified:
            self._was_modified = modified
            self.modifiedChanged.emit(modified)

    def _run(self, text: str, generation: int) -> Analysis:
        return analyse(
            text,
            self._validator,
            generation,
            with_tree=not self.state.is_read(),
            scope=self._scope,
            preview_seed=self._preview_seed,
        )

    def hold_background_checks(self) -> None:
        """Queue the checks that would run on the worker thread until
        :meth:`release_background_checks`: the window paints first, and the validator's
        libraries load after (on the same core, they would slow the first paint down)."""
        self._checks_held = True

    def release_background_checks(self) -> None:
        """Run the check queued while held (for the text as it is now)."""
        self._checks_held = False
        if self._held_check:
            self._held_check = False
            self._analyse_soon(background=True)

    def _analyse_soon(self, *, background: bool = False) -> None:
        self._debounce.stop()
        text = self.state.text
        generation = self.state.generation
        if len(text) <= self._sync_limit and not background:
            self._apply(self._run(text, generation))
            return
        if self._checks_held:
            self._held_check = True
            self._set_busy(True)  # the Problems list says it is checking
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="composer-validate"
            )
            # Let queued work go when the controller goes; a running check just finishes.
            weakref.finalize(self, self._executor.shutdown, wait=False, cancel_futures=True)
        self._set_busy(True)
        validator = self._validator
        scope, seed = self._scope, self._preview_seed
        bridge = self._bridge
        state = self.state
        # The tree of positions is kept up to date edit by edit; read it anew only when the
        # last edit left it behind (a keystroke that broke and then mended the JSON).
        with_tree = not state.is_read()

        def work() -> Analysis | None:
            if generation != state.generation:
                return None  # superseded while queued
            return analyse(
                text, validator, generation, with_tree=with_tree, scope=scope, preview_seed=seed
            )

        def deliver(future: Future[Analysis | None]) -> None:
            try:
                result = future.result()
            except Exception:  # never lose the UI over a worker failure
                log.exception("validation worker failed")
                return
            if result is not None:
                with contextlib.suppress(RuntimeError):  # the controller is gone
                    bridge.done.emit(result)

        self._executor.submit(work).add_done_callback(deliver)

    def _on_worker_done(self, analysis: Analysis) -> None:
        if analysis.generation != self.state.generation:
            return  # stale: the text changed since; a newer analysis is on its way
        self._apply(analysis)

    def _apply(self, analysis: Analysis) -> None:
        if analysis.generation != self.state.generation:
            return
        self._analysis = analysis
        self._analysed_generation = analysis.generation
        self._set_busy(False)
        syntax_changed = analysis.syntax != self._syntax
        if analysis.tree is not None:
            self.state.adopt(analysis.payload, analysis.tree, analysis.generation)
        value_known = analysis.syntax is None and self.state.is_read()
        self._syntax = analysis.syntax
        self._findings = list(analysis.findings)
        if syntax_changed:
            self.syntaxStateChanged.emit(self._syntax)
        if value_known or syntax_changed:
            self.draftChanged.emit()
        self.findingsChanged.emit(self.findings())

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busyChanged.emit(busy)

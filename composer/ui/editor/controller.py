"""The single source of truth of the composed event: its text, its draft and its findings."""

from __future__ import annotations

import contextlib
import logging
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QTextCursor, QTextDocument
from PySide6.QtWidgets import QPlainTextDocumentLayout

from composer.domain.draft import EventDraft
from composer.domain.findings import Finding, ValidationReport, sort_findings
from composer.domain.jsontext import parse_json_text
from composer.domain.revisions import DEFAULT_REVISION, get_revision
from composer.domain.validator import Validator
from composer.ui.editor.analysis import (
    SYNTAX_RULES,
    Analysis,
    analyse,
    draft_only,
    dump,
    spans_for,
    syntax_key,
)
from composer.ui.editor.jsonmap import JsonLocator, JsonSpan, utf16_offset

log = logging.getLogger(__name__)

DEBOUNCE_MS = 150
# Texts up to this many characters are analysed on the UI thread (a few milliseconds);
# longer ones on a worker thread.
SYNC_LIMIT = 64_000
# Form edits to a text this long regenerate it after a short pause instead of per keystroke.
LAZY_REGEN_LIMIT = 200_000


class _Bridge(QObject):
    """Carries a worker's result to the UI thread (queued: the bridge lives there)."""

    done = Signal(object)


def _common_affixes(old: str, new: str) -> tuple[int, int]:
    """Lengths of the common prefix and (non-overlapping) common suffix of two strings."""
    limit = min(len(old), len(new))
    lo, hi = 0, limit
    while lo < hi:  # binary search with C-level slice comparisons: fast on megabytes
        mid = (lo + hi + 1) // 2
        if old[:mid] == new[:mid]:
            lo = mid
        else:
            hi = mid - 1
    prefix = lo
    lo, hi = 0, limit - prefix
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[len(old) - mid :] == new[len(new) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    return prefix, lo


class ComposerController(QObject):
    """Holds the JSON text exactly as typed (in :attr:`document`), the :class:`EventDraft`
    when the text parses, the API revision and the latest findings.

    Edits from the raw editor go straight into :attr:`document`; the controller re-parses
    them after a short pause. Edits from the form go through :meth:`update_draft`; the
    controller regenerates the text from the draft, replacing only the part that changed.
    """

    textChanged = Signal(str)
    """The text was replaced programmatically (load, form edit, format, minify)."""
    draftChanged = Signal()
    findingsChanged = Signal(list)
    syntaxStateChanged = Signal(object)
    modifiedChanged = Signal(bool)
    """Addition: the text differs from (or again equals) what was loaded or saved."""
    busyChanged = Signal(bool)
    """Addition: True while a large text is being validated on a worker thread."""

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
        self.document = QTextDocument(self)
        self.document.setDocumentLayout(QPlainTextDocumentLayout(self.document))
        self.document.contentsChange.connect(self._on_contents_change)
        self._generation = 0
        self._text_cache: tuple[int, str] = (0, "")
        self._loaded: tuple[int, str] = (0, "")
        self._crlf = False
        self._applying = False
        self._draft: EventDraft | None = None
        self._payload: Any = None
        self._payload_generation = -1
        self._draft_from_text = False
        self._regen_pending = False
        self._analysis: Analysis | None = None
        self._analysed_generation = -1
        self._findings: list[Finding] = []
        self._server: list[Finding] = []
        self._server_spans: dict[str, JsonSpan] = {}
        self._syntax: Finding | None = None
        self._saved_generation = 0
        self._was_modified = False
        self._busy = False
        self._executor: ThreadPoolExecutor | None = None
        self._bridge = _Bridge(self)
        self._bridge.done.connect(self._on_worker_done, Qt.ConnectionType.QueuedConnection)
        self._debounce = QTimer(self, singleShot=True, interval=debounce_ms)
        self._debounce.timeout.connect(self._analyse_soon)
        self._regen_timer = QTimer(self, singleShot=True, interval=0)
        self._regen_timer.timeout.connect(self._regenerate_text)

    # -- reading ---------------------------------------------------------------------------

    def text(self) -> str:
        """The JSON text, exactly as typed (pending form edits are applied first).

        Until the first edit it is exactly what was loaded; after edits, a text loaded with
        Windows line ends (CRLF) keeps them (the editor itself works with "\\n").
        """
        plain = self.document_text()
        if self._generation == self._loaded[0]:
            return self._loaded[1]
        return plain.replace("\n", "\r\n") if self._crlf else plain

    def document_text(self) -> str:
        """Addition: the text as the editor holds it (lines end in "\\n"); the offsets of
        :meth:`span_of` count in this text."""
        if self._regen_pending:
            self._regenerate_text()
        gen, cached = self._text_cache
        if gen != self._generation:
            # toRawText keeps non-breaking spaces; only block separators need mapping back.
            cached = self.document.toRawText().replace("\u2029", "\n")
            self._text_cache = (self._generation, cached)
        return cached

    def payload(self) -> Any | None:
        """The parsed body, or None while the text does not parse (or is not analysed yet)."""
        if self._regen_pending:
            self._regenerate_text()
        if self._payload_generation != self._generation:
            self._apply(self._run(self.document_text(), self._generation))
        return None if self._syntax is not None else self._payload

    def draft(self) -> EventDraft | None:
        """Addition: the draft the form edits (the last one that parsed; None before any)."""
        return self._draft

    def findings(self) -> list[Finding]:
        """Validator findings (or the syntax error) followed by the server's findings. A
        validator finding the server reported too (same field, same words) is listed once, as
        the server's."""
        if not self._server:
            return list(self._findings)
        confirmed = {(f.pointer, f.meta.get("detail")) for f in self._server}
        local = [f for f in self._findings if (f.pointer, f.message) not in confirmed]
        # errors first, whoever found them (the sort is stable within each severity)
        return sorted([*local, *self._server], key=lambda f: not f.is_error)

    def syntax_error(self) -> Finding | None:
        """Addition: the JSON syntax error of the text, or None when it parses."""
        return self._syntax

    def has_errors(self) -> bool:
        """True when the current text has an error finding (validates it first if needed)."""
        if self._analysed_generation != self._generation or self._regen_pending:
            self.validate_now()
        return any(f.is_error for f in self.findings())

    def revision(self) -> str:
        """Addition: the API revision findings are checked against."""
        return self._revision

    @property
    def is_modified(self) -> bool:
        """True when the text changed since it was loaded or :meth:`mark_saved`."""
        return self._generation != self._saved_generation

    def span_of(self, finding: Finding) -> JsonSpan | None:
        """Addition: where a finding sits in the current text (Python offsets), or None."""
        text = self.document_text()
        key = syntax_key(finding) if finding.rule in SYNTAX_RULES else finding.pointer
        fresh = self._analysis is not None and self._analysed_generation == self._generation
        if fresh and self._analysis is not None and key in self._analysis.spans:
            return self._analysis.spans[key]
        if finding.source == "server" and key in self._server_spans:
            return self._server_spans[key]
        if finding.rule in SYNTAX_RULES:
            return spans_for(text, (finding,)).get(key)
        return JsonLocator(text).locate(finding.pointer, nearest=True)

    def qt_range(self, span_start: int, span_end: int) -> tuple[int, int]:
        """Addition: Python offsets of the current text as Qt document positions."""
        text = self.document_text()
        return utf16_offset(text, span_start), utf16_offset(text, span_end)

    # -- loading ---------------------------------------------------------------------------

    def load_payload(self, obj: Any, *, check_later: bool = False) -> None:
        """Replace everything with a payload (formatted with 2-space indent)."""
        self.load_text(dump(obj), check_later=check_later)

    def load_text(self, text: str, *, check_later: bool = False) -> None:
        """Replace everything with ``text`` (kept exactly); the result is not modified.

        With ``check_later`` the form is filled at once but the findings come from a worker
        thread (the Problems list says it is checking): the window can paint before the
        validator's libraries have loaded.
        """
        self._regen_pending = False
        self._applying = True
        try:
            self.document.setPlainText(text)
        finally:
            self._applying = False
        self._generation += 1
        self._loaded = (self._generation, text)
        self._crlf = text.count("\r\n") * 2 > text.count("\n")
        self._saved_generation = self._generation
        self._draft_from_text = True
        self._server = []
        self._server_spans = {}
        self.textChanged.emit(text)
        self._emit_modified()
        if check_later:
            quick = draft_only(self.document_text(), self._generation)
            if quick is not None:
                self._apply(quick)
                self._analyse_soon(background=True)
                return
        if len(text) <= self._sync_limit:
            self._apply(self._run(self.document_text(), self._generation))
        else:
            self._analyse_soon()

    def mark_saved(self) -> None:
        """The current text is what is on disk now."""
        self.document_text()  # apply pending form edits first
        self._saved_generation = self._generation
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

    def set_server_findings(self, findings: list[Finding]) -> None:
        """Show a response's findings beside ours until the next edit."""
        self._server = list(findings)
        self._server_spans = spans_for(self.document_text(), self._server)
        self.findingsChanged.emit(self.findings())

    # -- editing ---------------------------------------------------------------------------

    def update_draft(self, edit: Callable[[EventDraft], None]) -> bool:
        """Addition: apply a form edit to the draft and regenerate the text from it.

        Returns False (and changes nothing) while the text does not parse: the form is
        read-only then, so the text the user typed is never overwritten.
        """
        if self._draft_from_text and self._analysed_generation != self._generation:
            # Raw edits are not read yet: read them now, or the edit below would be applied
            # to an older draft and overwrite what the user just typed.
            self._apply(self._run(self.document_text(), self._generation))
        if self._syntax is not None:
            return False
        if self._draft is None:
            self._draft = EventDraft.from_payload({})
        edit(self._draft)
        self._draft_from_text = False
        self._regen_pending = True
        long_text = self._text_cache[1] and len(self._text_cache[1]) > LAZY_REGEN_LIMIT
        self._regen_timer.start(DEBOUNCE_MS if long_text else 0)
        self._clear_server_findings()
        self.draftChanged.emit()
        return True

    def format_json(self) -> bool:
        """Re-indent the text (2 spaces); False when it does not parse."""
        return self._reformat(minify=False)

    def minify_json(self) -> bool:
        """Put the text on one line without spaces; False when it does not parse."""
        return self._reformat(minify=True)

    def validate_now(self) -> ValidationReport:
        """Validate the current text synchronously (for Send) and show the result."""
        text = self.document_text()
        analysis = self._run(text, self._generation)
        self._apply(analysis)
        payload = None if analysis.syntax is not None else analysis.payload
        return ValidationReport(sort_findings(analysis.findings), payload)

    # -- internals -------------------------------------------------------------------------

    def _reformat(self, *, minify: bool) -> bool:
        parsed = parse_json_text(self.document_text())
        if not parsed.ok:
            return False
        new = dump(parsed.value, minify=minify)
        if new != self.document_text():
            self._replace_text(new)
            self._draft_from_text = True
            self._after_programmatic_change()
        return True

    def _regenerate_text(self) -> None:
        self._regen_timer.stop()
        if not self._regen_pending:
            return
        self._regen_pending = False
        if self._draft is None:
            return
        payload = self._draft.to_payload()
        new = dump(payload)
        if new != self.document_text():
            self._replace_text(new)
            self._after_programmatic_change()
        self._payload = payload
        self._payload_generation = self._generation

    def _after_programmatic_change(self) -> None:
        self.textChanged.emit(self.text())
        self._emit_modified()
        self._debounce.start()

    def _replace_text(self, new: str) -> None:
        """Replace only the changed middle of the text, as one undoable edit, so the highlight,
        the undo history and cursors elsewhere in the document stay put."""
        old = self.document_text()
        prefix, suffix = _common_affixes(old, new)
        start = utf16_offset(old, prefix)
        end = utf16_offset(old, len(old) - suffix)
        cursor = QTextCursor(self.document)
        self._applying = True
        try:
            cursor.beginEditBlock()
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            cursor.insertText(new[prefix : len(new) - suffix])
            cursor.endEditBlock()
        finally:
            self._applying = False
        self._generation += 1
        self._text_cache = (self._generation, new)

    def _on_contents_change(self, _pos: int, removed: int, added: int) -> None:
        if self._applying or (removed == 0 and added == 0):
            return
        self._generation += 1
        self._draft_from_text = True
        self._regen_pending = False
        self._regen_timer.stop()
        self._clear_server_findings()
        self._emit_modified()
        self._debounce.start()

    def _clear_server_findings(self) -> None:
        if self._server:
            self._server = []
            self._server_spans = {}
            self.findingsChanged.emit(self.findings())

    def _emit_modified(self) -> None:
        modified = self.is_modified
        if modified != self._was_modified:
            self._was_modified = modified
            self.modifiedChanged.emit(modified)

    def _run(self, text: str, generation: int) -> Analysis:
        return analyse(text, self._validator, generation, build_draft=self._draft_from_text)

    def _analyse_soon(self, *, background: bool = False) -> None:
        self._debounce.stop()
        text = self.document_text()
        generation = self._generation
        if len(text) <= self._sync_limit and not background:
            self._apply(self._run(text, generation))
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="composer-validate"
            )
            # Let queued work go when the controller goes; a running check just finishes.
            weakref.finalize(self, self._executor.shutdown, wait=False, cancel_futures=True)
        self._set_busy(True)
        validator, build = self._validator, self._draft_from_text
        bridge = self._bridge

        def work() -> Analysis | None:
            if generation != self._generation:
                return None  # superseded while queued
            return analyse(text, validator, generation, build_draft=build)

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
        if analysis.generation != self._generation:
            return  # stale: the text changed since; a newer analysis is on its way
        self._apply(analysis)

    def _apply(self, analysis: Analysis) -> None:
        if analysis.generation != self._generation:
            return
        self._analysis = analysis
        self._analysed_generation = analysis.generation
        self._set_busy(False)
        syntax_changed = (analysis.syntax is None) != (self._syntax is None) or (
            analysis.syntax != self._syntax
        )
        self._syntax = analysis.syntax
        self._findings = list(analysis.findings)
        draft_changed = False
        if analysis.syntax is None:
            self._payload = analysis.payload
            self._payload_generation = analysis.generation
            if analysis.draft is not None and self._draft_from_text:
                self._draft = analysis.draft
                self._draft_from_text = False
                draft_changed = True
        if syntax_changed:
            self.syntaxStateChanged.emit(self._syntax)
        if draft_changed:
            self.draftChanged.emit()
        self.findingsChanged.emit(self.findings())

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busyChanged.emit(busy)

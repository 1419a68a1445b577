"""What the composer knows about its text's findings: the last check (an :class:`Analysis`
of one generation of the text) and the server's findings from the last response, merged for
the views, and where each finding sits in the text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from composer.domain.findings import Finding
    from composer.domain.variables import Resolution
    from composer.editing.analysis import Analysis
    from composer.editing.jsontree import EditTree
    from composer.editing.locator import JsonSpan

# composer.editing.analysis (and the validator's modules with it) loads with the first check:
# the window paints before it


class CheckedFindings:
    """The last check's findings and the server's. The server's hold until the next edit
    (:meth:`drop_server`); the check's are fresh for the one generation it read."""

    def __init__(self) -> None:
        self._spans: dict[str, JsonSpan] = {}
        self._resolution: Resolution | None = None
        self.generation = -1
        """The generation of the text the last check read (-1: check again)."""
        self.syntax: Finding | None = None
        self._local: list[Finding] = []
        self._server: list[Finding] = []
        self._server_spans: dict[str, JsonSpan] = {}

    def findings(self) -> list[Finding]:
        """The check's findings (or the syntax error) and the server's, errors first."""
        if not self._local and not self._server:
            return []
        from composer.editing.analysis import merge_findings

        return merge_findings(self._local, self._server)

    def is_fresh(self, generation: int) -> bool:
        """True when the last check read the text of ``generation``."""
        return self.generation == generation

    def invalidate(self) -> None:
        """The last check no longer counts (another revision, other variables)."""
        self.generation = -1

    def take(self, analysis: Analysis) -> bool:
        """Keep what ``analysis`` found as the last check; True when the syntax error changed.

        Only its findings, their places and the variables are kept, not its parse: the
        composer's state has its own, and a second megabyte of objects alive would only be
        more for every full garbage collection to walk."""
        self._spans = analysis.spans
        self._resolution = analysis.resolution
        self.generation = analysis.generation
        changed = analysis.syntax != self.syntax
        self.syntax = analysis.syntax
        self._local = list(analysis.findings)
        return changed

    def resolution(self, generation: int) -> Resolution | None:
        """The variables of the text of ``generation`` with their preview values (None when
        it holds none or has not been checked)."""
        if not self.is_fresh(generation):
            return None
        return self._resolution

    def set_server(self, findings: Sequence[Finding], text: str, tree: EditTree | None) -> None:
        """The findings of a response about ``text``, placed in it."""
        from composer.editing.analysis import spans_for

        self._server = list(findings)
        self._server_spans = spans_for(text, self._server, tree)

    def drop_server(self) -> bool:
        """Forget the server's findings (the text changed); True when there were any."""
        had = bool(self._server)
        self._server = []
        self._server_spans = {}
        return had

    def span_of(
        self, finding: Finding, text: str, tree: EditTree | None, generation: int
    ) -> JsonSpan | None:
        """Where ``finding`` sits in ``text`` (of ``generation``), or None."""
        from composer.editing.analysis import span_key, spans_for

        key = span_key(finding)
        if self.is_fresh(generation) and key in self._spans:
            return self._spans[key]
        if finding.source == "server" and key in self._server_spans:
            return self._server_spans[key]
        return spans_for(text, (finding,), tree).get(key)

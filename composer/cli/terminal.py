"""What the CLI prints to a terminal is text, never terminal commands.

A history entry, a server's answer or an imported file can hold escape sequences (``ESC ]0;``
retitles the window, ``ESC [2J`` clears it, ``ESC ]52;`` writes the clipboard), a carriage return
that hides what came before it on the line, or a bidi override that shows a value reversed.
Printed raw, they would act on the user's terminal instead of being seen. When a standard stream
is a terminal, every write goes through :func:`visible`; a pipe or a file still gets the exact
text (``--json`` piped into another tool, ``convert`` into a file).
"""

from __future__ import annotations

import re
import sys
from typing import Any, TextIO

__all__ = ["TerminalText", "protect_terminal_streams", "visible"]

_UNSEEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
"""C0 and C1 controls but tab and line feed, DEL, bidi marks, embeddings, overrides and
isolates, and the Unicode line and paragraph separators."""


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\r":
        return "\\r"
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, leading_return: bool = False) -> str:
    """``text`` with every character that would act on a terminal written as an escape
    (``\\x1b``, ``\\r``, ``\\u202e``). ``leading_return`` keeps a carriage return that starts the
    text: the replay's progress line redraws itself with one."""
    if leading_return and text.startswith("\r"):
        return "\r" + _UNSEEN.sub(_escape, text[1:])
    return _UNSEEN.sub(_escape, text)


class TerminalText:
    """A text stream that writes :func:`visible` text to the terminal stream it wraps; every
    other attribute is the wrapped stream's."""

    def __init__(self, stream: TextIO, *, progress: bool = False) -> None:
        self._stream = stream
        self._progress = progress

    def write(self, text: str) -> int:
        self._stream.write(visible(text, leading_return=self._progress))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def protect_terminal_streams() -> None:
    """Wrap ``sys.stdout`` and ``sys.stderr`` in :class:`TerminalText` when they are terminals
    (stderr keeps a leading carriage return: the progress line is drawn there)."""
    if _is_terminal(sys.stdout) and not isinstance(sys.stdout, TerminalText):
        sys.stdout = TerminalText(sys.stdout)
    if _is_terminal(sys.stderr) and not isinstance(sys.stderr, TerminalText):
        sys.stderr = TerminalText(sys.stderr, progress=True)

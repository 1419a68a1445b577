"""How a status should look, for every view of an outcome: its tone (the colour) and the
symbol that goes with it. A module of its own so that a view can show an idle state without
loading the words of every outcome (composer.services.outcome_text re-exports both)."""

from __future__ import annotations

from enum import StrEnum


class Tone(StrEnum):
    """How a status should look: the colour *and* the symbol that go with it."""

    OK = "ok"
    WARNING = "warning"
    ERROR = "error"
    NEUTRAL = "neutral"


SYMBOLS = {Tone.OK: "✓", Tone.WARNING: "⚠", Tone.ERROR: "✕", Tone.NEUTRAL: "•"}

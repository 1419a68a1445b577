"""Themes: the platform's own look ("system"), or Fusion with a light or a really dark palette.

Status colours carry a symbol or words beside them everywhere they are used, so the palette is
never the only signal.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from composer.storage.settings import THEMES


@dataclass(frozen=True, slots=True)
class StatusColors:
    """Foreground/background pairs for status text, readable on the current theme."""

    ok: str
    warning: str
    error: str
    neutral: str
    sandbox_bg: str
    sandbox_fg: str
    production_bg: str
    production_fg: str
    custom_bg: str
    custom_fg: str
    banner_bg: str
    banner_fg: str
    accent: str
    accent_focus: str


LIGHT_COLORS = StatusColors(
    ok="#1b7f3b",
    warning="#9a5b00",
    error="#b3261e",
    neutral="#555555",
    sandbox_bg="#dff3e4",
    sandbox_fg="#14532d",
    production_bg="#b3261e",
    production_fg="#ffffff",
    custom_bg="#fff1cc",
    custom_fg="#6b4700",
    banner_bg="#fff4d6",
    banner_fg="#4d3800",
    accent="#1f6feb",
    accent_focus="#0b3d91",
)
DARK_COLORS = StatusColors(
    ok="#6ad48a",
    warning="#f0b44c",
    error="#ff7b72",
    neutral="#b0b0b0",
    sandbox_bg="#163d24",
    sandbox_fg="#b6f0c6",
    production_bg="#c62828",
    production_fg="#ffffff",
    custom_bg="#4a3a10",
    custom_fg="#ffe2a0",
    banner_bg="#3a3010",
    banner_fg="#ffe7a8",
    accent="#2f81f7",
    accent_focus="#a5c8ff",
)

_state: dict[str, str] = {}

_DARK_INDICATORS = (
    "QCheckBox::indicator, QRadioButton::indicator { width: 13px; height: 13px;"
    " border: 1px solid #8b9098; background: #141518; }"
    " QCheckBox::indicator { border-radius: 2px; }"
    " QRadioButton::indicator { border-radius: 7px; }"
    " QCheckBox::indicator:checked, QRadioButton::indicator:checked {"
    " background: #2f81f7; border-color: #a5c8ff; }"
    " QCheckBox::indicator:disabled, QRadioButton::indicator:disabled { border-color: #4a4d52; }"
)


def _dark_palette() -> QPalette:
    p = QPalette()
    window, base, alt, text = (
        QColor("#1e1f22"),
        QColor("#141518"),
        QColor("#25272b"),
        QColor("#e6e6e6"),
    )
    disabled = QColor("#7a7a7a")
    accent = QColor("#3d8bfd")
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: alt,
        QPalette.ColorRole.ToolTipBase: QColor("#2b2d31"),
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: QColor("#8a8a8a"),
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: QColor("#2b2d31"),
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor("#ff6b6b"),
        QPalette.ColorRole.Highlight: accent,
        QPalette.ColorRole.HighlightedText: QColor("#ffffff"),
        QPalette.ColorRole.Link: QColor("#6aa9ff"),
        QPalette.ColorRole.LinkVisited: QColor("#b28dff"),
        QPalette.ColorRole.Light: QColor("#3a3c41"),
        QPalette.ColorRole.Midlight: QColor("#2f3136"),
        QPalette.ColorRole.Mid: QColor("#26282c"),
        QPalette.ColorRole.Dark: QColor("#0e0f11"),
        QPalette.ColorRole.Shadow: QColor("#000000"),
    }
    for role, color in roles.items():
        p.setColor(role, color)
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return p


def apply_theme(app: QApplication, name: str) -> str:
    """Apply ``name`` (system, light or dark; anything else means system) and return the
    theme that is now in effect."""
    if "style" not in _state:
        _state["style"] = app.style().name()
    if name not in THEMES:
        name = "system"
    if name == "system":
        app.setStyle(QStyleFactory.create(_state["style"]) or "Fusion")
        app.setPalette(app.style().standardPalette())
    else:
        app.setStyle("Fusion")
        app.setPalette(_dark_palette() if name == "dark" else app.style().standardPalette())
    # Fusion draws check boxes with an outline darker than the window: invisible on a dark
    # one, so the dark theme gives them a visible border and an accent fill when checked.
    app.setStyleSheet(_DARK_INDICATORS if name == "dark" else "")
    _state["theme"] = name
    return name


def current_theme() -> str:
    return _state.get("theme", "system")


def is_dark(app: QApplication | None = None) -> bool:
    """True when the palette in effect is dark (a dark theme, or a dark system palette)."""
    inst = app or QApplication.instance()
    if not isinstance(inst, QApplication):
        return False
    return inst.palette().color(QPalette.ColorRole.Window).lightness() < 128


def is_dark_palette(palette: QPalette) -> bool:
    """True when ``palette``'s text background is dark (pick readable text colours)."""
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def colors() -> StatusColors:
    """Status colours matching the palette in effect."""
    return DARK_COLORS if is_dark() else LIGHT_COLORS

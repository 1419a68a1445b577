"""How a target looks wherever it is shown (the toolbar's badge and Send, the Replay dialog's
badge and Start): the badge's colours and symbol by kind, and the one accent-coloured button,
red when it sends to production."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton

from composer.client.targets import TargetKind
from composer.ui import theme


def badge_colors(kind: TargetKind) -> tuple[str, str]:
    """The badge's background and text colour: green for what stays on this computer, red
    for production, another colour for a custom server."""
    c = theme.colors()
    return {
        TargetKind.SANDBOX: (c.sandbox_bg, c.sandbox_fg),
        TargetKind.LOOPBACK: (c.sandbox_bg, c.sandbox_fg),
        TargetKind.PRODUCTION: (c.production_bg, c.production_fg),
    }.get(kind, (c.custom_bg, c.custom_fg))


def badge_symbol(kind: TargetKind) -> str:
    """The symbol before the badge's words, so the kind reads without colour too."""
    return {TargetKind.PRODUCTION: "⚠", TargetKind.CUSTOM: "↗"}.get(kind, "●")


def paint_send_button(button: QPushButton, production: bool, *, focus_ring: bool) -> None:
    """Make ``button`` (by its object name) the accent-coloured one, red for production;
    with ``focus_ring``, a border shows when it has the keyboard focus."""
    c = theme.colors()
    name = button.objectName()
    accent = c.production_bg if production else c.accent
    sheet = (
        f"QPushButton#{name} {{ background: {accent}; color: #ffffff; border: none;"
        " border-radius: 4px; font-weight: 700; padding: 5px 14px; }"
        f" QPushButton#{name}:disabled {{ background: #9e9e9e; color: #eeeeee; }}"
    )
    if focus_ring:
        sheet += f" QPushButton#{name}:focus {{ border: 2px solid {c.accent_focus}; }}"
    button.setStyleSheet(sheet)

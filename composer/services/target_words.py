"""The words that say where an event goes: the headline shown beside every target (the
toolbar's badge, the status bar, the Replay dialog), so the sandbox and production are never
confused."""

from __future__ import annotations

from composer.client.targets import Target, TargetKind


def target_headline(target: Target) -> str:
    """The words shown beside the target, always visible."""
    if target.kind is TargetKind.SANDBOX:
        return "Sandbox: nothing leaves this computer"
    if target.kind is TargetKind.PRODUCTION:
        return "PRODUCTION: events go to your live Klaviyo account"
    if target.kind is TargetKind.LOOPBACK:
        return f"Local server {target.base_url}: nothing leaves this computer"
    return f"Custom server {target.base_url} (not Klaviyo)"


def target_kind_words(target: Target) -> str:
    """The headline's first words, all a narrow window has room for ("Sandbox")."""
    return target_headline(target).split(":", 1)[0].split(" http", 1)[0]

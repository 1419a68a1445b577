"""What the collections panel shows of one collection, read in one go off the UI thread: its
tree of folders and requests, a short badge per request that says what its expectation wants
("expects 202", "expects 400"), and the files it does not use."""

from __future__ import annotations

from dataclasses import dataclass, field

from composer.domain.jsontext import loads
from composer.storage.collections import Collection, CollectionError, CollectionTree


@dataclass(frozen=True, slots=True)
class CollectionListing:
    """One collection as the panel lists it."""

    collection: Collection
    tree: CollectionTree
    badges: dict[str, str] = field(default_factory=dict)
    """Request key -> badge text, for the requests that have an expectation."""
    expectations: dict[str, str] = field(default_factory=dict)
    """Request key -> the expectation in words (the badge's tool tip)."""


def expectation_badge(text: str) -> tuple[str, str]:
    """The badge and the tool tip for an expectation file's text: ``expects 202`` for
    ``{"status": 202}``; ``expects invalid`` for an expected validator verdict; the file's
    problem when it cannot be read."""
    try:
        value = loads(text)
    except ValueError as exc:
        return "expects ?", f"The expectation file is not JSON ({exc}); the run reports it."
    if not isinstance(value, dict):
        return "expects ?", "The expectation file must hold a JSON object such as {\"status\": 202}."
    status = value.get("status")
    parts: list[str] = []
    if isinstance(status, int) and not isinstance(status, bool):
        badge = f"expects {status}"
        parts.append(f"status {status}")
    else:
        badge = "expects"
    findings = value.get("findings")
    if isinstance(findings, list) and findings:
        parts.append(f"{len(findings)} finding{'s' * (len(findings) != 1)}")
    validator = value.get("validator")
    if validator is not None:
        verdict = validator.get("valid") if isinstance(validator, dict) else validator
        word = "valid" if verdict is True or verdict == "valid" else "invalid"
        parts.append(f"the validator finds it {word}")
        if badge == "expects":
            badge = f"expects {word}"
    if value.get("landed") is True:
        parts.append("that it landed")
    if badge == "expects":
        badge = "expects …"
    tip = "Expects " + ", ".join(parts) + "." if parts else "Has an expectation file."
    return badge, tip


def list_collection(collection: Collection) -> CollectionListing:
    """Read ``collection``'s tree and its requests' expectations (blocking: call it on a
    worker thread). Raises CollectionError when the collection folder cannot be read; an
    expectation file that cannot be read gets a badge that says so."""
    tree = collection.tree()
    badges: dict[str, str] = {}
    tips: dict[str, str] = {}
    for request in tree.root.requests():
        if not request.has_expectation:
            continue
        try:
            text = collection.read_expectation(request.key)
        except CollectionError as exc:
            badges[request.key], tips[request.key] = "expects ?", str(exc)
            continue
        if text is not None:
            badges[request.key], tips[request.key] = expectation_badge(text)
    return CollectionListing(collection, tree, badges, tips)

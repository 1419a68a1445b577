"""The outline of one collection that the collections panel shows, read in one go off the UI
thread: its tree of folders and requests, a short badge per request that says what its
expectation wants ("expects 202", "expects 400"), and the files it does not use."""

from __future__ import annotations

from dataclasses import dataclass, field

from composer.domain.expectations import ExpectationError, parse_expectation
from composer.storage.collections import Collection, CollectionError, CollectionTree


@dataclass(frozen=True, slots=True)
class CollectionOutline:
    """One collection as the panel lists it."""

    collection: Collection
    tree: CollectionTree
    badges: dict[str, str] = field(default_factory=dict)
    """Request key -> badge text, for the requests that have an expectation."""
    expectations: dict[str, str] = field(default_factory=dict)
    """Request key -> the expectation in words (the badge's tool tip)."""


def expectation_badge(text: str) -> tuple[str, str]:
    """The badge and the tool tip for an expectation file's text: ``expects 202`` for
    ``{"status": 202}``; ``expects invalid`` for a validator verdict without a status;
    ``expects ?`` and the file's problem when it cannot be used (the run reports it too)."""
    try:
        expectation = parse_expectation(text)
    except ExpectationError as exc:
        return "expects ?", f"The expectation file cannot be used: {exc}"
    parts: list[str] = []
    badge = "expects"
    if expectation.status is not None:
        badge = f"expects {expectation.status}"
        parts.append(f"status {expectation.status}")
    if expectation.findings:
        parts.append("server findings " + ", ".join(p.describe() for p in expectation.findings))
    if expectation.valid is not None:
        word = "valid" if expectation.valid else "invalid"
        parts.append(f"the validator finds it {word}")
        if expectation.status is None:
            badge = f"expects {word}"
    if expectation.validator_findings:
        shown = ", ".join(p.describe() for p in expectation.validator_findings)
        parts.append(f"validator findings {shown}")
    if expectation.landed is not None:
        parts.append("that it landed" if expectation.landed else "that it is not recorded")
    if expectation.response:
        parts.append("response " + ", ".join(c.describe() for c in expectation.response))
    if badge == "expects":
        badge = "expects …"
    return badge, ("Expects " + "; ".join(parts) + ".") if parts else "Expects nothing."


def read_outline(collection: Collection) -> CollectionOutline:
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
    return CollectionOutline(collection, tree, badges, tips)

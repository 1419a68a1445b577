"""What the Form does not show: the members of the body that no field of the revision's
:class:`~composer.editing.fields.FormShape` edits (a profile named by its Klaviyo id, an
attribute this revision's Form has no field for). They are sent all the same, so the Form
names them instead of leaving them out of sight."""

from __future__ import annotations

from typing import Any

from composer.domain.findings import pointer
from composer.editing.fields import FieldKind, FormShape


def unshown_members(shape: FormShape, body: Any) -> list[str]:
    """Pointers of the members of ``body`` that no field of ``shape`` shows, in the body's
    order. A resource's ``"type"`` (``"event"``, ``"profile"``…) is the shape itself, not
    a value to show, and is not counted; neither is anything inside a field's value."""
    shown = {b.pointer for b in shape.fields}
    members = {b.pointer for b in shape.fields if b.kind is FieldKind.MEMBERS}
    holders = {p[:i] for p in shown for i in range(len(p)) if p[i] == "/"}
    out: list[str] = []

    def walk(value: Any, tokens: list[str]) -> None:
        for key, child in value.items():
            if key == "type" and tokens and tokens[-1] == "data":
                continue
            path = [*tokens, key]
            ptr = pointer(path)
            if ptr in shown or any(ptr.startswith(m + "/") for m in members):
                continue
            if ptr in holders and isinstance(child, dict):
                walk(child, path)
            elif ptr not in holders or child is not None:
                out.append(ptr)

    if isinstance(body, dict):
        walk(body, [])
    return out

"""The rows of the collections panel without Qt: each open collection with its folders and
requests in run order (:class:`Node`), their last run's verdicts, their tool tips, and what a
row dropped somewhere means (a move, a refusal in words, or nothing).

The panel's item model (composer/ui/collection_model.py) shows these rows; the collections
part does the file work the model asks for.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:  # loaded with the first collection, after the window is on screen
    from composer.services.collection_outline import CollectionOutline
    from composer.storage.collections import Collection, FolderItem, RequestItem


class Kind(enum.Enum):
    """What a row of the panel is."""

    COLLECTION = "collection"
    FOLDER = "folder"
    REQUEST = "request"


@dataclass(eq=False)
class Node:
    """One row: a collection, a folder or a request."""

    kind: Kind
    name: str
    key: str
    collection: Collection
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    badge: str | None = None
    tip: str = ""

    def row(self) -> int:
        return self.parent.children.index(self) if self.parent is not None else 0

    @property
    def folder_key(self) -> str:
        """The key of the folder a new item goes into when this row is chosen: the row itself
        for a folder or collection, its folder for a request."""
        if self.kind is Kind.REQUEST:
            return self.parent.folder_key if self.parent is not None else ""
        return self.key


def collection_node(listing: CollectionOutline, root: Node) -> Node:
    """The row of the collection ``listing`` lists (under the invisible ``root``), with its
    folders and requests below."""
    node = Node(
        Kind.COLLECTION,
        listing.collection.name,
        "",
        listing.collection,
        root,
        tip="\n".join(f"Not used: {p}" for p in listing.tree.problems[:8]),
    )
    node.children = [_build(child, listing, node) for child in listing.tree.root.children]
    return node


def _build(item: FolderItem | RequestItem, listing: CollectionOutline, parent: Node) -> Node:
    collection = listing.collection
    if not hasattr(item, "children"):  # a RequestItem
        return Node(
            Kind.REQUEST,
            item.name,
            item.key,
            collection,
            parent,
            badge=listing.badges.get(item.key),
            tip=listing.expectations.get(item.key, ""),
        )
    folder = cast("FolderItem", item)
    node = Node(Kind.FOLDER, folder.name, folder.key, collection, parent)
    node.children = [_build(child, listing, node) for child in folder.children]
    return node


def find_node(node: Node, key: str) -> Node | None:
    """The row ``key`` below ``node`` (None: not there)."""
    for child in node.children:
        if child.key == key:
            return child
        if child.kind is Kind.FOLDER and key.startswith(child.key):
            found = find_node(child, key)
            if found is not None:
                return found
    return None


def is_below(node: Node, ancestor: Node) -> bool:
    """Whether ``node`` is inside ``ancestor``."""
    parent = node.parent
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.parent
    return False


class Verdicts:
    """The last run's verdict of each request, kept by collection folder and key."""

    def __init__(self) -> None:
        self._results: dict[tuple[str, str], bool] = {}

    def set(self, collection: Collection, key: str, passed: bool | None) -> None:
        """Keep a request's verdict (None forgets it)."""
        where = (str(collection.root), key)
        if passed is None:
            self._results.pop(where, None)
        else:
            self._results[where] = passed

    def of(self, node: Node) -> bool | None:
        """A request's last verdict; for a folder or collection, False when a request in it
        failed its last run, True when every request run passed (None: none was run)."""
        if node.kind is Kind.REQUEST:
            return self._results.get((str(node.collection.root), node.key))
        verdicts = [v for v in (self.of(c) for c in node.children) if v is not None]
        if not verdicts:
            return None
        return all(verdicts)


def node_tooltip(node: Node, verdict: bool | None) -> str:
    """What hovering a row says: where it is, what a run expects, and its last run."""
    if node.kind is Kind.COLLECTION:
        text = f"{node.collection.root}\nRight-click to run it, add a request or close it."
        return f"{text}\n{node.tip}" if node.tip else text
    if node.kind is Kind.FOLDER:
        text = f"{node.key} in {node.collection.name}"
        if verdict is not None:
            text += "\nLast run: every request passed" if verdict else "\nLast run: a failure"
        return text
    lines = [f"{node.key}.event.json in {node.collection.name}"]
    lines.append(node.tip or "No expectation file: a run expects 202 (accepted) from the server.")
    if verdict is not None:
        lines.append("Last run: passed" if verdict else "Last run: failed")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Move:
    """A drop that moves ``node`` into the folder ``to_folder`` before the row ``before``
    (None: at the end of that folder)."""

    node: Node
    to_folder: str
    before: str | None


def plan_drop(node: Node, target: Node, row: int) -> Move | str | None:
    """What dropping ``node`` on ``target`` at ``row`` (-1: on the row itself) means: a
    :class:`Move`, a refusal in words, or None (nothing to do: dropped where it is, or on a
    request)."""
    if target.collection is not node.collection:
        return (
            f"“{node.name}” stays in {node.collection.name}: a request does not move "
            "between collections by dragging; open it and use File ▸ Save to collection… "
            "to copy it into the other one."
        )
    if target.kind is Kind.REQUEST:
        return None
    if node.kind is Kind.FOLDER and (target is node or is_below(target, node)):
        return f"The folder “{node.name}” cannot go into itself."
    if 0 <= row < len(target.children):
        after = target.children[row:]
        before = next((c for c in after if c is not node), None)
    else:
        before = None
    if before is None and node.parent is target and node is target.children[-1]:
        return None  # dropped where it is
    if before is not None and node.parent is target:
        at = target.children.index(node)
        if at + 1 < len(target.children) and target.children[at + 1] is before:
            return None  # dropped right below itself: where it is
    return Move(node, target.key, before.key if before is not None else None)

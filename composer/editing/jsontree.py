"""JSON text with positions: the span of every value and member, and every duplicate key.

:func:`parse_tree` reads text that is valid JSON (the caller has parsed it with ``json`` first,
which gives the syntax errors their wording) into a tree of :class:`Node`. Offsets inside the
tree are *relative*: a node's ``start``/``end`` and ``key_start``/``key_end`` count from the
start of its parent's value (the root's from the start of the text). An edit inside one value
then only moves the siblings after it on the path to the root, so a form edit in a megabyte
document updates the tree in a few microseconds instead of re-reading it.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass

from composer.domain.findings import array_index, split_pointer
from composer.domain.findings import pointer as make_pointer

# Tokens of valid JSON: a string (unrolled loop: fast on long strings), a bracket or separator,
# or a bare scalar (number, true, false, null). Whitespace between tokens is skipped.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\],:]|[^\s,:{}\[\]"]+')


class Node:
    """One JSON value in the text. ``kind`` is object, array, string, number, boolean or null.

    ``key`` is the member's name when the parent is an object (None for array elements and the
    root); ``children`` the members or elements of a container, in text order (duplicates too).
    """

    __slots__ = ("_index", "children", "end", "key", "key_end", "key_start", "kind", "start")

    def __init__(self, kind: str, start: int, end: int = 0) -> None:
        self.kind = kind
        self.start = start
        self.end = end
        self.key: str | None = None
        self.key_start = 0
        self.key_end = 0
        self.children: list[Node] | None = [] if kind in ("object", "array") else None
        self._index: dict[str, int] | None = None

    def __repr__(self) -> str:
        return f"Node({self.kind}, {self.start}..{self.end}, key={self.key!r})"

    def child(self, token: str) -> tuple[int, Node] | None:
        """The member named ``token`` (the last one when the name repeats, as Klaviyo and
        ``json.loads`` keep the last) or the element at index ``token``, with its position
        in :attr:`children`."""
        children = self.children
        if children is None:
            return None
        if self.kind == "object":
            if self._index is None:
                self._index = {c.key: i for i, c in enumerate(children) if c.key is not None}
            i = self._index.get(token)
            return None if i is None else (i, children[i])
        i = array_index(token)
        if i is None:
            return None
        return (i, children[i]) if i < len(children) else None

    def forget_index(self) -> None:
        """Call after changing :attr:`children` or a child's key."""
        self._index = None


@dataclass(frozen=True, slots=True)
class Span:
    """Absolute offsets of one value (and of its member name, quotes included, if it has one)."""

    value_start: int
    value_end: int
    key_start: int | None = None
    key_end: int | None = None

    @property
    def start(self) -> int:
        """Start of the member: its name if it has one, else its value."""
        return self.key_start if self.key_start is not None else self.value_start


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    """A member name that appears again later in the same object (the earlier one is ignored).

    ``pointer`` names the member (what a lookup finds: the last one); ``key_start`` and
    ``value_end`` are the absolute offsets of the ignored, earlier member.
    """

    pointer: str
    key: str
    key_start: int
    value_end: int


@dataclass(frozen=True, slots=True)
class PathStep:
    """One node on the way from the root to a value, with its absolute start."""

    node: Node
    index: int  # position in the parent's children (-1 for the root)
    base: int  # absolute offset the node's own start is relative to


def _scalar_kind(first: str) -> str:
    if first == '"':
        return "string"
    if first in "tf":
        return "boolean"
    if first == "n":
        return "null"
    return "number"


def decode_key(raw: str) -> str:
    """The name a quoted member name stands for."""
    if "\\" not in raw:
        return raw[1:-1]
    value = json.loads(raw)
    return value if isinstance(value, str) else raw


def parse_tree(text: str, *, offset: int = 0) -> tuple[Node, list[DuplicateKey]]:
    """The tree of valid JSON ``text`` and its duplicate member names.

    ``offset``: where ``text`` starts in a larger text (the root's ``start`` then counts
    from there, as :meth:`EditTree.replace` needs for a sub-tree). Raises ValueError when
    the text is not one JSON value.
    """
    root: Node | None = None
    stack: list[tuple[Node, int]] = []  # open containers with their absolute start
    duplicates: list[DuplicateKey] = []
    seen: list[dict[str, int]] = []  # per open object: name -> child index
    key: str | None = None
    key_start = key_end = 0
    for m in _TOKEN.finditer(text):
        tok = m.group()
        first = tok[0]
        if first in ",:":
            continue
        start = m.start() + offset
        if first in "}]":
            if not stack:
                raise ValueError("unbalanced brackets")
            node, _abs_start = stack.pop()
            node.end = m.end() + offset - (stack[-1][1] if stack else 0)
            if node.kind == "object":
                seen.pop()
            continue
        parent = stack[-1] if stack else None
        if parent is not None and parent[0].kind == "object" and key is None:
            if first != '"':
                raise ValueError("a member name must be a string")
            key = decode_key(tok)
            key_start, key_end = start, m.end() + offset
            continue
        base = parent[1] if parent is not None else 0
        if first in "{[":
            node = Node("object" if first == "{" else "array", start - base)
        else:
            node = Node(_scalar_kind(first), start - base, m.end() + offset - base)
        if parent is not None:
            pnode = parent[0]
            children = pnode.children
            assert children is not None
            if pnode.kind == "object":
                node.key = key
                node.key_start, node.key_end = key_start - base, key_end - base
                names = seen[-1]
                assert key is not None
                if key in names:
                    earlier = children[names[key]]
                    path = [*_path_of(stack), key]
                    duplicates.append(
                        DuplicateKey(
                            make_pointer(path), key, earlier.key_start + base, earlier.end + base
                        )
                    )
                names[key] = len(children)
                key = None
            children.append(node)
        elif root is None:
            root = node
        else:
            raise ValueError("extra data after the JSON value")
        if first in "{[":
            stack.append((node, start))
            if first == "{":
                seen.append({})
    if root is None or stack:
        raise ValueError("the text is not one complete JSON value")
    return root, duplicates


def _path_of(stack: list[tuple[Node, int]]) -> list[str | int]:
    """The pointer tokens of the innermost open container."""
    path: list[str | int] = []
    for (parent, _), (child, _) in itertools.pairwise(stack):
        if parent.kind == "object":
            path.append(child.key or "")
        else:
            children = parent.children or []
            path.append(len(children) - 1 if children and children[-1] is child else 0)
    return path


class EditTree:
    """The tree of one text, kept in step with edits that replace one value or one member."""

    def __init__(self, root: Node) -> None:
        self.root = root

    @classmethod
    def parse(cls, text: str) -> tuple[EditTree, list[DuplicateKey]]:
        """Read valid JSON text (ValueError otherwise)."""
        root, duplicates = parse_tree(text)
        return cls(root), duplicates

    def path(self, ptr: str | list[str]) -> list[PathStep] | None:
        """The nodes from the root to the value ``ptr`` names, or None when it is absent."""
        tokens = split_pointer(ptr) if isinstance(ptr, str) else ptr
        node = self.root
        steps = [PathStep(node, -1, 0)]
        base = 0
        for token in tokens:
            found = node.child(token)
            if found is None:
                return None
            base += node.start
            index, node = found
            steps.append(PathStep(node, index, base))
        return steps

    def span(self, ptr: str | list[str]) -> Span | None:
        """Absolute offsets of the value ``ptr`` names (and its member name), or None."""
        steps = self.path(ptr)
        if steps is None:
            return None
        return span_of(steps[-1])

    def nearest(self, ptr: str) -> tuple[Span, bool] | None:
        """The span of ``ptr``, or of its deepest existing ancestor (then False)."""
        try:
            tokens = split_pointer(ptr)
        except ValueError:
            return None
        for n in range(len(tokens), -1, -1):
            steps = self.path(tokens[:n])
            if steps is not None:
                return span_of(steps[-1]), n == len(tokens)
        return None

    def shift_after(self, steps: list[PathStep], delta: int) -> None:
        """The value at the end of ``steps`` grew by ``delta`` characters: move every sibling
        after it (on each level up to the root) and stretch each ancestor."""
        if delta == 0:
            return
        for level in range(len(steps) - 1, 0, -1):
            parent = steps[level - 1].node
            children = parent.children
            assert children is not None
            for sibling in children[steps[level].index + 1 :]:
                sibling.start += delta
                sibling.end += delta
                sibling.key_start += delta
                sibling.key_end += delta
            parent.end += delta


def span_of(step: PathStep) -> Span:
    """The absolute span of one step of a path."""
    node, base = step.node, step.base
    if node.key is None:
        return Span(node.start + base, node.end + base)
    return Span(node.start + base, node.end + base, node.key_start + base, node.key_end + base)


def iter_nodes(root: Node) -> list[tuple[str, Node, int]]:
    """Every node with its pointer and absolute base (for tests and small documents)."""
    out: list[tuple[str, Node, int]] = []
    stack: list[tuple[list[str | int], Node, int]] = [([], root, 0)]
    while stack:
        path, node, base = stack.pop()
        out.append((make_pointer(path), node, base))
        for i, child in enumerate(node.children or []):
            token: str | int = child.key if node.kind == "object" and child.key is not None else i
            stack.append(([*path, token], child, base + node.start))
    return out

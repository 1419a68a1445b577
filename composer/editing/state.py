"""The composer's text and its parse, changed only by minimal text edits.

:class:`EditState` holds the exact text, the tree of its values with positions
(:mod:`composer.editing.jsontree`) and the parsed value, and the one undo history. Every
change, from the Raw JSON text or from a form operation, is a :class:`TextEdit`; a form
operation replaces only the span of the value it edits (inserting or removing a member follows
the surrounding layout), so every other byte, number spelling and escape stays as it was.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from typing import Any

from composer.domain.findings import array_index, describe_pointer, split_pointer
from composer.domain.jsontext import loads as strict_loads
from composer.editing.history import History, TextEdit
from composer.editing.jsontree import EditTree, Node, PathStep, Span, parse_tree, span_of
from composer.editing.style import Style, detect_style, escape_unshowable, line_indent

_UNKNOWN: Any = object()
_LINE_BREAK = re.compile(r"\n[ \t]*")


class EditState:
    """Text, parse and history of one composed event (Qt-free; the GUI mirrors it)."""

    def __init__(self, text: str = "") -> None:
        self.text = text
        self.generation = 0
        self.history = History()
        self._tree: EditTree | None = None
        self._value: Any = _UNKNOWN
        self._parsed = -1  # the generation _tree and _value describe (-1: none)
        self._style: tuple[int, Style] | None = None
        self.group: str | None = None
        """The undo group of the operations being made (e.g. typing in one form field)."""

    # -- reading ---------------------------------------------------------------------------

    def load(self, text: str) -> None:
        """Start over with ``text`` (the history is cleared)."""
        self.text = text
        self.generation += 1
        self.history.clear()
        self._parsed = -1

    def is_read(self) -> bool:
        """True when the current text's parse is at hand (no reading needed to answer)."""
        return self._parsed == self.generation

    def parses(self) -> bool:
        """True when the text is one JSON value."""
        return self.tree() is not None

    def tree(self) -> EditTree | None:
        """The positions of the current text's values, or None while it does not parse."""
        if self._parsed != self.generation:
            self._parse()
        return self._tree

    def value(self) -> Any:
        """The parsed value (shared: do not change it), or None while the text does not parse."""
        return self._value if self.tree() is not None else None

    def adopt(self, value: Any, tree: EditTree, generation: int) -> None:
        """Take a parse made elsewhere (a worker thread) of the text at ``generation``."""
        if generation == self.generation and self._parsed != generation:
            self._tree, self._value, self._parsed = tree, value, generation

    def value_at(self, ptr: str) -> tuple[bool, Any]:
        """(True, value) for the value ``ptr`` names, (False, None) when it is absent."""
        node = self.value()
        if self._tree is None:
            return False, None
        for token in split_pointer(ptr):
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and (i := array_index(token)) is not None and i < len(node):
                node = node[i]
            else:
                return False, None
        return True, node

    def source_at(self, ptr: str) -> str | None:
        """The exact text of the value ``ptr`` names (e.g. ``10.50``, not 10.5), or None."""
        span = self.span(ptr)
        return None if span is None else self.text[span.value_start : span.value_end]

    def span(self, ptr: str) -> Span | None:
        """Where the value ``ptr`` names sits in the text, or None."""
        tree = self.tree()
        try:
            return tree.span(ptr) if tree is not None else None
        except ValueError:
            return None

    def style(self) -> Style:
        """The layout new members follow."""
        tree = self.tree()
        if tree is None:
            return Style()
        if self._style is None or self._style[0] != self.generation:
            self._style = (self.generation, detect_style(self.text, tree.root))
        return self._style[1]

    # -- changing --------------------------------------------------------------------------

    def apply(self, edit: TextEdit, label: str, *, group: str | None = None) -> TextEdit:
        """Make ``edit`` and record it for undo; the edit made. Edits of one ``group`` in a
        row merge into one step (see :class:`History`); :attr:`group` is used when none is
        given. A character the Raw JSON editor cannot hold as itself (U+2029…) is written as
        its escape: the same value, shown as it is."""
        shown = escape_unshowable(edit.new)
        if shown is not edit.new:
            edit = TextEdit(edit.start, edit.end, shown)
        before = self.text
        self.history.record(edit, before, label, group or self.group)
        self._change(edit, before)
        return edit

    def undo(self) -> list[TextEdit]:
        """Take back the last step; the edits made (none when there is nothing to undo)."""
        edits = self.history.take_undo()
        for edit in edits:
            self._change(edit, self.text)
        return edits

    def redo(self) -> list[TextEdit]:
        """Make the last undone step again; the edits made."""
        edits = self.history.take_redo()
        for edit in edits:
            self._change(edit, self.text)
        return edits

    def replay(self, edit: TextEdit) -> None:
        """Make an edit the history handed out (undo/redo) without recording it again."""
        self._change(edit, self.text)

    def batch(self) -> _Batch:
        """``with state.batch():`` — the operations inside are one undo step."""
        return _Batch(self.history)

    def _change(self, edit: TextEdit, before: str) -> None:
        known = self._parsed == self.generation and self._tree is not None
        self.text = edit.apply(before)
        self.generation += 1
        if known and self._update_tree(edit):
            self._parsed = self.generation
        else:
            self._parsed = -1

    def _parse(self) -> None:
        self._parsed = self.generation
        self._tree, self._value = None, _UNKNOWN
        try:
            value = strict_loads(self.text)  # the validator's reader: 1e400 is no value
            root, _ = parse_tree(self.text)
        except (ValueError, RecursionError):
            return
        self._tree, self._value = EditTree(root), value

    def _update_tree(self, edit: TextEdit) -> bool:
        """Re-read only the smallest value that holds ``edit``; False when that is not enough
        (the text must be read whole, or no longer parses)."""
        tree = self._tree
        assert tree is not None
        root = tree.root
        if not _inside(edit, root.start, root.end):
            return False
        steps = [PathStep(root, -1, 0)]
        tokens: list[str | int] = []
        node, base = root, 0
        while node.children:
            rel_start = edit.start - base - node.start
            children = node.children
            i = bisect_right(children, rel_start, key=lambda c: c.start) - 1
            if i < 0:
                break
            child = children[i]
            child_base = base + node.start
            if not _inside(edit, child_base + child.start, child_base + child.end):
                break
            tokens.append(child.key if node.kind == "object" and child.key is not None else i)
            steps.append(PathStep(child, i, child_base))
            node, base = child, child_base
        old = steps[-1]
        start = old.base + old.node.start
        if (
            old.node.children
            and start < edit.start
            and edit.end < start + old.node.end - (old.node.start)
        ):
            spliced = self._splice(steps, tokens, edit)
            if spliced is not None:
                return spliced
        end = old.base + old.node.end + edit.delta
        fragment = self.text[start:end]
        try:
            value = strict_loads(fragment)
            new, _ = parse_tree(fragment)
        except (ValueError, RecursionError):
            return False
        # the value may now start or end later or earlier within the fragment (blanks typed
        # or removed at its edges): parse_tree placed it within the fragment
        new.start, new.end = old.node.start + new.start, old.node.start + new.end
        new.key, new.key_start, new.key_end = old.node.key, old.node.key_start, old.node.key_end
        if len(steps) == 1:
            tree.root = new
            self._value = value
            return True
        parent = steps[-2].node
        assert parent.children is not None
        parent.children[old.index] = new
        tree.shift_after(steps, edit.delta)
        self._set_value(tokens, parent, old.index, value)
        return True

    def _splice(
        self, steps: list[PathStep], tokens: list[str | int], edit: TextEdit
    ) -> bool | None:
        """An edit between or over whole members of a container: read only the members it
        touched (adding an item to a megabyte array costs that item). None when the
        container has to be read whole (a repeated member name is involved)."""
        holder_step = steps[-1]
        node = holder_step.node
        children = node.children
        assert children is not None
        base = holder_step.base + node.start
        old_keys = [c.key for c in children]
        if node.kind == "object" and len(set(old_keys)) != len(old_keys):
            return None
        lo = bisect_right(children, edit.start - base, key=lambda c: c.end)
        hi = bisect_left(children, edit.end - base, key=_member_start)
        if hi < lo:
            return None
        region_start = base + (children[lo - 1].end if lo > 0 else 1)
        old_end = base + (
            _member_start(children[hi]) if hi < len(children) else node.end - node.start - 1
        )
        region = self.text[region_start : old_end + edit.delta]
        blanks = " \t\n\r,"
        inner_start = len(region) - len(region.lstrip(blanks))
        inner_end = len(region.rstrip(blanks))
        inner = region[inner_start:inner_end] if inner_end > inner_start else ""
        before, after = region[:inner_start], region[max(inner_end, inner_start) :]
        # the separators around the members read: one comma between two members, none at
        # an edge of the container
        has_prev, has_next = lo > 0, hi < len(children)
        if inner:
            if before.count(",") != int(has_prev) or after.count(",") != int(has_next):
                return None
        elif region.count(",") != int(has_prev and has_next):
            return None
        opening, closing = ("{", "}") if node.kind == "object" else ("[", "]")
        wrapped = opening + inner + closing
        try:
            loaded = strict_loads(wrapped)
            members, _ = parse_tree(wrapped)
        except (ValueError, RecursionError):
            return None
        new_children = members.children or []
        if node.kind == "object":
            kept = set(old_keys[:lo] + old_keys[hi:])
            names = [c.key for c in new_children]
            if len(set(names)) != len(names) or kept.intersection(names):
                return None
        # members' offsets: from the wrapper's "{" (standing just before inner) to the holder
        shift = region_start + inner_start - 1 - base
        for c in new_children:
            c.start += shift
            c.end += shift
            c.key_start += shift
            c.key_end += shift
        delta = edit.delta
        for c in children[hi:]:
            c.start += delta
            c.end += delta
            c.key_start += delta
            c.key_end += delta
        children[lo:hi] = new_children
        node.end += delta
        node.forget_index()
        assert self._tree is not None
        self._tree.shift_after(steps, delta)
        holder = self._value
        for token in tokens:
            holder = holder[token]
        if isinstance(holder, list):
            holder[lo:hi] = loaded
        else:
            items = list(holder.items())
            holder.clear()
            holder.update([*items[:lo], *loaded.items(), *items[hi:]])
        return True

    def _set_value(self, tokens: list[str | int], parent: Node, index: int, value: Any) -> None:
        if parent.kind == "object":
            found = parent.child(str(tokens[-1]))
            if found is None or found[0] != index:
                return  # an earlier duplicate: the parsed value keeps the last one
        holder = self._value
        for token in tokens[:-1]:
            holder = holder[token]
        holder[tokens[-1]] = value

    # -- form operations -------------------------------------------------------------------

    def set_json(self, ptr: str, json_text: str, label: str = "") -> TextEdit | None:
        """Set the value ``ptr`` names to ``json_text`` (one JSON value, written as given, so
        ``10.50`` stays ``10.50``), creating missing members on the way. None when the text
        does not parse, the path cannot be made, or nothing changes."""
        strict_loads(json_text)  # ValueError for a caller's mistake, before anything changes
        return self._set(ptr, lambda indent: self._placed(json_text, indent), label)

    def set_value(self, ptr: str, value: Any, label: str = "") -> TextEdit | None:
        """Set the value ``ptr`` names to a Python value, written in the text's style
        (ValueError for one JSON cannot hold, such as NaN, before anything changes)."""
        return self._set(ptr, lambda indent: self.style().render(value, indent), label)

    def _placed(self, json_text: str, indent: str) -> str:
        """JSON text written from column 0 (later lines indented from there), placed on a
        line that starts with ``indent``: its later lines move along; in a text written on
        one line it goes on one line too. Newlines in valid JSON are only ever blanks."""
        if "\n" not in json_text:
            return json_text
        if not self.style().multiline:
            return _LINE_BREAK.sub("", json_text)
        return json_text.replace("\n", "\n" + indent)

    def _set(self, ptr: str, render: Callable[[str], str], label: str) -> TextEdit | None:
        tree = self.tree()
        if tree is None:
            return None
        tokens = split_pointer(ptr)
        steps = tree.path(tokens)
        label = label or f"edit of {_name(ptr)}"
        if steps is not None:
            span = span_of(steps[-1])
            new = render(line_indent(self.text, span.start))
            if self.text[span.value_start : span.value_end] == new:
                return None
            return self.apply(TextEdit(span.value_start, span.value_end, new), label)
        # The deepest member that exists gets the missing ones, nested around the value.
        for depth in range(len(tokens) - 1, -1, -1):
            steps = tree.path(tokens[:depth])
            if steps is not None:
                break
        assert steps is not None
        holder = steps[-1].node
        rest = tokens[depth:]
        style = self.style()
        unit = style.indent if style.multiline else ""
        member_indent = line_indent(self.text, span_of(steps[-1]).start) + unit
        if holder.children is None or (holder.kind == "array" and array_index(rest[0]) is None):
            # a scalar or an array stands where an object is needed (a member name, not an
            # index, comes next): replace it, or the field would show a value never sent
            if depth == 0:
                return None
            member_indent = line_indent(self.text, span_of(steps[-1]).start)
            text = self._nested(["", *rest], render, member_indent)
            span = span_of(steps[-1])
            return self.apply(TextEdit(span.value_start, span.value_end, text), label)
        text = self._nested(rest, render, member_indent)
        n = len(holder.children or [])
        if holder.kind == "object":
            return self._insert(steps, rest[0], text, n, label)
        if rest[0] == str(n):
            return self._insert(steps, None, text, n, label)
        return None

    def _nested(self, rest: list[str], render: Callable[[str], str], indent: str) -> str:
        """The text of the value of member ``rest[0]`` (whose line starts with ``indent``):
        objects named by ``rest[1:]`` around the rendered value."""
        style = self.style()
        unit = style.indent if style.multiline else ""
        depth = len(rest) - 1
        text = render(indent + unit * depth)
        for k in range(depth - 1, -1, -1):
            name = json.dumps(rest[k + 1], ensure_ascii=False) + style.colon
            if style.multiline:
                inner = indent + unit * (k + 1)
                text = "{\n" + inner + name + text + "\n" + indent + unit * k + "}"
            else:
                text = "{" + name + text + "}"
        return text

    def remove(self, ptr: str, label: str = "", *, holders: int = 0) -> TextEdit | None:
        """Remove the member or element ``ptr`` names (with its separator). Up to
        ``holders`` objects around it that hold nothing else go with it (the location
        object a city field made)."""
        tree = self.tree()
        steps = tree.path(ptr) if tree is not None and ptr else None
        if steps is None:
            return None
        while holders > 0 and len(steps) > 2 and len(steps[-2].node.children or ()) == 1:
            steps, holders = steps[:-1], holders - 1
            ptr = ptr.rsplit("/", 1)[0]
        parent_step, child_step = steps[-2], steps[-1]
        children = parent_step.node.children
        assert children is not None
        base = parent_step.base + parent_step.node.start
        i = child_step.index
        child = children[i]
        if len(children) == 1:
            edit = TextEdit(base + 1, base + parent_step.node.end - parent_step.node.start - 1, "")
        elif i > 0:
            edit = TextEdit(base + children[i - 1].end, base + child.end, "")
        else:
            edit = TextEdit(base + _member_start(child), base + _member_start(children[1]), "")
        return self.apply(edit, label or f"removal of {_name(ptr)}")

    def insert(
        self,
        parent_ptr: str,
        key: str | None,
        value: Any,
        index: int | None = None,
        label: str = "",
        *,
        json_text: str | None = None,
    ) -> TextEdit | None:
        """Insert a member (``key``) into the object, or an element into the array, that
        ``parent_ptr`` names, at ``index`` (default: last)."""
        tree = self.tree()
        steps = tree.path(parent_ptr) if tree is not None else None
        if steps is None or steps[-1].node.children is None:
            return None
        holder = steps[-1].node
        if (holder.kind == "object") != (key is not None):
            return None
        n = len(holder.children or [])
        at = n if index is None else max(0, min(index, n))
        indent = line_indent(self.text, span_of(steps[-1]).start) + self.style().indent
        if json_text is None:
            json_text = self.style().render(value, indent)
        else:
            strict_loads(json_text)  # ValueError for a caller's mistake
            json_text = self._placed(json_text, indent)
        return self._insert(
            steps, key, json_text, at, label or f"new member in {_name(parent_ptr)}"
        )

    def _insert(
        self, steps: list[PathStep], key: str | None, value_text: str, at: int, label: str
    ) -> TextEdit:
        style = self.style()
        holder = steps[-1]
        node = holder.node
        children = node.children or []
        start = holder.base + node.start
        end = holder.base + node.end
        outer = line_indent(self.text, span_of(holder).start)
        name = "" if key is None else json.dumps(key, ensure_ascii=False) + style.colon
        if not children:
            member = name + value_text
            if style.multiline:
                inner = f"\n{outer}{style.indent}{member}\n{outer}"
            else:
                inner = member
            return self.apply(TextEdit(start + 1, end - 1, inner), label)
        member = name + value_text
        text = self.text
        if at < len(children):
            child_start = start + _member_start(children[at])
            if not style.multiline:
                sep = style.item_sep
            elif at > 0:
                sep = "," + _after_comma(text, start + children[at - 1].end, child_start)
            else:
                sep = "," + text[start + 1 : child_start]
            return self.apply(TextEdit(child_start, child_start, member + sep), label)
        sep, at_pos = _after_last(text, start, children, style)
        return self.apply(TextEdit(at_pos, at_pos, sep + member), label)

    def set_members(
        self, parent_ptr: str, members: list[tuple[str, str]], label: str = ""
    ) -> TextEdit | None:
        """Set the values of members the object ``parent_ptr`` names already has (name,
        JSON text as written) in one edit: each value's span is replaced and every byte
        between them stays. None when none of them is there or nothing changes;
        ValueError for text that is not JSON, before anything changes."""
        tree = self.tree()
        steps = tree.path(parent_ptr) if tree is not None else None
        if steps is None or steps[-1].node.kind != "object":
            return None
        holder = steps[-1]
        base = holder.base + holder.node.start
        spans: dict[int, tuple[int, str]] = {}  # value start -> (value end, new text)
        for key, json_text in members:
            strict_loads(json_text)
            found = holder.node.child(key)
            if found is None:
                continue
            child = found[1]
            indent = line_indent(self.text, base + child.key_start)
            spans[base + child.start] = (base + child.end, self._placed(json_text, indent))
        if not spans:
            return None
        order = sorted(spans)
        first, last = order[0], spans[order[-1]][0]
        parts: list[str] = []
        pos = first
        for start in order:
            end, new_text = spans[start]
            parts.append(self.text[pos:start])
            parts.append(new_text)
            pos = end
        new = "".join(parts)
        if new == self.text[first:last]:
            return None
        return self.apply(
            TextEdit(first, last, new), label or f"edit of members of {_name(parent_ptr)}"
        )

    def insert_members(
        self, parent_ptr: str, members: list[tuple[str, str]], label: str = ""
    ) -> TextEdit | None:
        """Add members (name, JSON text as written) at the end of the object ``parent_ptr``
        names, in one edit laid out like :meth:`insert` would lay them out one by one: a
        pasted object of thousands of members is one change, not thousands. None when the
        object is not there or there is nothing to add; ValueError for text that is not
        JSON, before anything changes."""
        tree = self.tree()
        steps = tree.path(parent_ptr) if tree is not None else None
        if not members or steps is None or steps[-1].node.kind != "object":
            return None
        for _key, json_text in members:
            strict_loads(json_text)
        style = self.style()
        holder = steps[-1]
        node = holder.node
        children = node.children or []
        start = holder.base + node.start
        outer = line_indent(self.text, span_of(holder).start)
        inner = outer + style.indent
        texts = [
            json.dumps(key, ensure_ascii=False) + style.colon + self._placed(text, inner)
            for key, text in members
        ]
        label = label or f"new members in {_name(parent_ptr)}"
        if not children:
            if style.multiline:
                body = f"\n{inner}" + f",\n{inner}".join(texts) + f"\n{outer}"
            else:
                body = style.item_sep.join(texts)
            end = holder.base + node.end
            return self.apply(TextEdit(start + 1, end - 1, body), label)
        text = self.text
        sep, at = _after_last(text, start, children, style)
        return self.apply(TextEdit(at, at, "".join(sep + t for t in texts)), label)

    def rename(self, ptr: str, new_key: str, label: str = "") -> TextEdit | None:
        """Rename the member ``ptr`` names (only its name changes in the text)."""
        tree = self.tree()
        steps = tree.path(ptr) if tree is not None and ptr else None
        if steps is None or steps[-1].node.key is None:
            return None
        span = span_of(steps[-1])
        assert span.key_start is not None and span.key_end is not None
        text = json.dumps(new_key, ensure_ascii=False)
        if self.text[span.key_start : span.key_end] == text:
            return None
        return self.apply(
            TextEdit(span.key_start, span.key_end, text), label or f"rename of {_name(ptr)}"
        )

    def move(self, ptr: str, step: int, label: str = "") -> TextEdit | None:
        """Swap the member ``ptr`` names with its neighbour (``step`` -1: up, +1: down)."""
        tree = self.tree()
        steps = tree.path(ptr) if tree is not None and ptr else None
        if steps is None:
            return None
        parent = steps[-2]
        children = parent.node.children or []
        i, j = steps[-1].index, steps[-1].index + step
        if not 0 <= j < len(children):
            return None
        a, b = children[min(i, j)], children[max(i, j)]
        base = parent.base + parent.node.start
        a_start, a_end = base + _member_start(a), base + a.end
        b_start, b_end = base + _member_start(b), base + b.end
        text = self.text
        swapped = text[b_start:b_end] + text[a_end:b_start] + text[a_start:a_end]
        return self.apply(TextEdit(a_start, b_end, swapped), label or f"move of {_name(ptr)}")

    def duplicate(self, ptr: str, label: str = "") -> tuple[TextEdit, str] | None:
        """Insert a copy of the member ``ptr`` names right after it (the copy of a member is
        named "NAME copy"); the edit and the copy's pointer."""
        tree = self.tree()
        steps = tree.path(ptr) if tree is not None and ptr else None
        if steps is None:
            return None
        parent = steps[:-1]
        holder = parent[-1].node
        child = steps[-1].node
        span = span_of(steps[-1])
        value_text = self.text[span.value_start : span.value_end]
        parent_ptr = ptr.rsplit("/", 1)[0]
        if holder.kind == "object":
            taken = {c.key for c in holder.children or []}
            name = f"{child.key} copy"
            n = 2
            while name in taken:
                name, n = f"{child.key} copy {n}", n + 1
            edit = self._insert(
                parent, name, value_text, steps[-1].index + 1, label or f"copy of {_name(ptr)}"
            )
            return edit, f"{parent_ptr}/{name.replace('~', '~0').replace('/', '~1')}"
        edit = self._insert(
            parent, None, value_text, steps[-1].index + 1, label or f"copy of {_name(ptr)}"
        )
        return edit, f"{parent_ptr}/{steps[-1].index + 1}"


class _Batch:
    def __init__(self, history: History) -> None:
        self._history = history

    def __enter__(self) -> None:
        self._history.begin_batch()

    def __exit__(self, *_exc: object) -> None:
        self._history.end_batch()


def _name(ptr: str) -> str:
    """How an undo step names what it changed: ``metric.name``."""
    try:
        return describe_pointer(ptr)
    except ValueError:
        return ptr


def _inside(edit: TextEdit, start: int, end: int) -> bool:
    """True when ``edit`` changes only text strictly inside ``[start, end)`` (an insertion at
    either edge would change what stands around the value, not the value)."""
    if edit.start == edit.end:
        return start < edit.start < end
    return start <= edit.start and edit.end <= end


def _after_last(text: str, start: int, children: list[Node], style: Style) -> tuple[str, int]:
    """Where a member added after the last of ``children`` (of the container starting at
    ``start``) goes, and what separates it: the separator the members already use (the one
    between the last two, or the layout's for one), so the addition looks like its
    neighbours."""
    last_start = start + _member_start(children[-1])
    if len(children) > 1:
        sep = text[start + children[-2].end : last_start]
    elif style.multiline:
        sep = "," + text[start + 1 : last_start]
    else:
        sep = style.item_sep
    return sep, start + children[-1].end


def _member_start(node: Node) -> int:
    return node.key_start if node.key is not None else node.start


def _after_comma(text: str, after_value: int, next_start: int) -> str:
    """The whitespace between a separating comma and the next member."""
    gap = text[after_value:next_start]
    comma = gap.find(",")
    return gap[comma + 1 :] if comma >= 0 else gap

"""The composer's state without Qt: the exact text and its parse with positions, the minimal
text edit each form operation makes, the one undo history, the findings and where they sit,
and the Form's field bindings as data.

- :mod:`composer.editing.state` — :class:`EditState`: text, tree, value, history, operations.
- :mod:`composer.editing.jsontree` — the positional parser (spans, duplicate members).
- :mod:`composer.editing.history` — :class:`TextEdit` and :class:`History`.
- :mod:`composer.editing.style` — the layout new members follow.
- :mod:`composer.editing.analysis` — validate, locate findings, merge local and server ones.
- :mod:`composer.editing.locator` — pointers in text that does not parse; UTF-16 offsets.
- :mod:`composer.editing.fields` — Form field bindings (pointer per field), number input.
- :mod:`composer.editing.revision_shapes` — the field table of each revision (both shapes).

Only :mod:`composer.domain` is imported from here; :mod:`composer.ui` builds on it.
"""

"""The outline the collections panel shows: each request's expectation in two words (the
badge) and in a sentence (its tool tip), read from the files as they are."""

from __future__ import annotations

from pathlib import Path

import pytest

from composer.services.collection_outline import expectation_badge, read_outline
from composer.storage.collections import Collection


@pytest.mark.parametrize(
    ("text", "badge", "tip_has"),
    [
        ('{"status": 202}', "expects 202", "status 202"),
        ('{"status": 400, "findings": [{"rule": "invalid"}]}', "expects 400", "rule invalid"),
        ('{"validator": {"valid": false}}', "expects invalid", "finds it invalid"),
        ('{"status": 202, "landed": true}', "expects 202", "that it landed"),
        ('{"status": "202"}', "expects ?", "status"),
        ("not json", "expects ?", "cannot be used"),
    ],
)
def test_an_expectation_reads_as_a_badge_and_a_sentence(text, badge, tip_has):
    got_badge, tip = expectation_badge(text)
    assert got_badge == badge
    assert tip_has in tip


def test_the_outline_has_a_badge_per_expectation_and_none_without(tmp_path: Path) -> None:
    (tmp_path / "a.event.json").write_text("{}")
    (tmp_path / "a.expect.json").write_text('{"status": 400}')
    (tmp_path / "b.event.json").write_text("{}")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.event.json").write_text("{}")
    (tmp_path / "sub" / "c.expect.json").write_bytes(b"\xff")  # not UTF-8
    outline = read_outline(Collection(tmp_path))
    assert outline.badges == {"a": "expects 400", "sub/c": "expects ?"}
    assert "UTF-8" in outline.expectations["sub/c"]
    assert [r.key for r in outline.tree.root.requests()] == ["a", "b", "sub/c"]

"""`event-composer history`: the listing's columns line up in a terminal whatever the script
of a metric or profile (Chinese and Japanese characters take two columns each)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from composer.cli import main
from composer.storage.history import HistoryStore
from tests.storage import factories as f


def _columns(text: str) -> int:
    """How many terminal columns ``text`` takes (East Asian wide and full-width: two)."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def test_columns_line_up_with_wide_characters(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with HistoryStore(tmp_path / "history.sqlite3") as store:
        for email, metric in [
            ("ann@example.com", "Viewed Product"),
            ("東京都@example.jp", "東京都で購入"),
            ("hana@example.jp", "とても長いメトリクスの名前で購入した商品です"),
            ("zoë@example.com", "Café Zoë"),
        ]:
            req = f.request(f.body(email=email, metric=metric))
            store.complete(store.begin(req, f.context("sandbox", metric, email)), f.accepted(req))
    assert main(["--data-dir", str(tmp_path), "history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header, rows = lines[0], lines[1:5]
    # every row's target starts in the column where the header's TARGET does
    where = _columns(header[: header.index("TARGET")])
    for row in rows:
        assert _columns(row[: row.rindex("sandbox")]) == where, row
    long = next(r for r in rows if "とても" in r)
    assert "…" in long  # cut to its column, in columns, not characters

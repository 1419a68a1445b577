"""What the history's full-text index holds and how a search is asked of it.

The index (SQLite FTS5, tokenizer unicode61: case and accents ignored) splits text into words
at spaces and punctuation. Chinese and Japanese (and Korean words with their particles) are
written without spaces, so a whole run such as "東京都で購入" was one word, and searching for
part of it ("京都") found nothing. Each character of those scripts is therefore indexed as a
word of its own, and a search word holding them becomes a phrase of those characters in a
row: "京都" matches "東京都" wherever it stands, a single character ("京") too, through the
index, at any length. Latin and other spaced scripts are indexed as before, so prefix search
("Place" finds "Placed Order") and accent folding ("zoe" finds "Zoë") are unchanged.
"""

from __future__ import annotations

import json
import re
import sqlite3

from composer.domain.jsontext import JsonTextError
from composer.domain.jsontext import loads as strict_loads

# Scripts written without spaces between words (code point ranges):
_SPACELESS_RANGES = (
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3100-\u312f\u31a0-\u31bf"  # Bopomofo
    "\u31f0-\u31ff"  # Katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK unified ideographs, extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7a3"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # half-width Katakana
    "\U00020000-\U0003134f"  # CJK unified ideographs, extensions B to G, and compatibility
)
SPACELESS = re.compile(f"[{_SPACELESS_RANGES}]")
"""One character of a script written without spaces."""


def index_text(text: str) -> str:
    """``text`` as the index takes it: each character of a script without spaces set apart
    as a word of its own ("東京都で" -> " 東  京  都  で "); other text unchanged."""
    if not SPACELESS.search(text):
        return text
    return SPACELESS.sub(r" \g<0> ", text)


def as_read(text: str) -> str:
    """A response body as the index takes it: a JSON body that spells characters as escapes
    (``"\\u7121\\u52b9"``, as many servers write non-ASCII text) with the characters
    themselves, as the response view shows them, so a search for what the user read finds
    it; any other text as it is."""
    if "\\u" not in text:
        return text
    try:
        return json.dumps(strict_loads(text), ensure_ascii=False)
    except JsonTextError:
        return text


def search_words(text: str) -> list[str]:
    """The words of a search text that can match anything (those holding a letter or a
    digit), as the user typed them."""
    return [w for w in text.split() if re.search(r"\w", w)]


def symbol_words(text: str) -> list[str]:
    """The words of a search text with no letter or digit (an emoji, €, ★): the index
    holds no word for them (its tokenizer takes them for separators), so they are looked
    for as written."""
    return [w for w in text.split() if not re.search(r"\w", w)]


def fts_query(text: str) -> str | None:
    """The user's search words as an FTS5 query: every word must match, the last one as a
    prefix (type-ahead). Words are quoted, so FTS5 operators in the text are taken literally;
    a word with characters of a script without spaces is the phrase of its characters in a
    row. None when the text holds nothing searchable."""
    words = search_words(text)
    if not words:
        return None
    quoted = ['"' + index_text(w).strip().replace('"', '""') + '"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def reindex_spaceless(conn: sqlite3.Connection) -> int:
    """Index again, as :func:`index_text` and :func:`as_read` take them, the search rows an
    earlier release wrote with text in a script without spaces (or a JSON response spelling
    characters as escapes); the others stay as they are. Returns how many were rewritten.
    A migration step: it runs inside the migration's transaction. The rows are read one by
    one and sifted here (a GLOB of those scripts' ranges in SQL took 4 s on 100,000 rows;
    this takes under one), keeping only those to rewrite."""
    rewrite: list[tuple[str, str, str, str, int]] = []
    rows = conn.execute("SELECT rowid, metric, profile, properties, response FROM entry_fts")
    for rowid, *columns in rows:
        metric, profile, properties, response = (text or "" for text in columns)
        if "\\u" in response or any(
            SPACELESS.search(t) for t in (metric, profile, properties, response)
        ):
            rewrite.append(
                (
                    index_text(metric),
                    index_text(profile),
                    index_text(properties),
                    index_text(as_read(response)),
                    rowid,
                )
            )
    conn.executemany(
        "UPDATE entry_fts SET metric = ?, profile = ?, properties = ?, response = ? "
        "WHERE rowid = ?",
        rewrite,
    )
    return len(rewrite)

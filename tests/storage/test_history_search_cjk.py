"""Searching the history for part of a word in a script written without spaces (Chinese,
Japanese, Korean): "京都" finds "東京都", at any length, with Latin search unchanged."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from composer.storage.db import SCHEMA_VERSION
from composer.storage.history import HistoryQuery, HistoryStore
from tests.storage import factories as f


def _body(email: str, metric: str, **properties: object) -> bytes:
    return f.body(email, metric, **properties)


@pytest.fixture
def store(tmp_path: Path):
    with HistoryStore(tmp_path / "history.sqlite3") as s:
        yield s


def _send(store: HistoryStore, body: bytes, *, rejected: str | None = None) -> int:
    """A send as the window records it: pending first, then its outcome (the response's
    text reaches the index only then)."""
    req = f.request(body)
    entry_id = store.begin(req, f.context(metric=None, profile=None))
    store.complete(entry_id, f.rejected(req, rejected) if rejected else f.accepted(req))
    return entry_id


def _fill(store: HistoryStore) -> dict[str, int]:
    return {
        "tokyo": _send(store, _body("hana@example.jp", "東京都で購入", 店舗="渋谷店")),
        "kyoto": _send(store, _body("ken@example.jp", "Viewed Product", city="京都府京都市")),
        "beijing": _send(store, _body("li@example.cn", "下单", address="北京市朝阳区")),
        "seoul": _send(store, _body("kim@example.kr", "구매", city="서울특별시")),
        "rejected": _send(
            store, _body("yui@example.jp", "Placed Order"), rejected="メールアドレスが無効です"
        ),
        "zoe": _send(store, _body("zoë@example.com", "Placed Order", shop="Café Zoë")),
    }


def _search(store: HistoryStore, text: str) -> set[int]:
    found = {r.id for r in store.page(HistoryQuery(text=text), 0, 100)}
    assert store.count(HistoryQuery(text=text)) == len(found)
    return found


def test_part_of_a_word_is_found_at_any_length(store: HistoryStore) -> None:
    ids = _fill(store)
    assert _search(store, "京都") == {ids["tokyo"], ids["kyoto"]}  # mid-word and whole
    assert _search(store, "東京") == {ids["tokyo"]}
    assert _search(store, "京") == {ids["tokyo"], ids["kyoto"], ids["beijing"]}  # 北京 too
    assert _search(store, "都で購") == {ids["tokyo"]}  # inside the metric
    assert _search(store, "渋谷") == {ids["tokyo"]}  # a property value
    assert _search(store, "店舗") == {ids["tokyo"]}  # a property name
    assert _search(store, "朝阳") == {ids["beijing"]}  # Chinese
    assert _search(store, "下单") == {ids["beijing"]}
    assert _search(store, "특별") == {ids["seoul"]}  # Korean, inside a word
    assert _search(store, "無効") == {ids["rejected"]}  # the response body
    assert _search(store, "京都 渋谷") == {ids["tokyo"]}  # every word must match
    assert _search(store, "京都 大阪") == set()
    assert _search(store, "都京") == set()  # the characters in the order typed
    assert _search(store, "京都府京都市") == {ids["kyoto"]}


def test_latin_search_keeps_prefixes_and_ignores_accents(store: HistoryStore) -> None:
    ids = _fill(store)
    assert _search(store, "zoe") == {ids["zoe"]}
    assert _search(store, "ZOË") == {ids["zoe"]}
    assert _search(store, "cafe") == {ids["zoe"]}
    assert _search(store, "Plac") == {ids["rejected"], ids["zoe"]}  # the last word, a prefix
    assert _search(store, "hana@example.jp") == {ids["tokyo"]}
    assert _search(store, "京都 ken@example.jp") == {ids["kyoto"]}  # scripts mixed


FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("version", [7, 8])
def test_a_history_written_before_finds_part_of_a_word_after_the_upgrade(
    tmp_path: Path, version: int
) -> None:
    """history_v7_search.sqlite3 and history_v8_search.sqlite3 were written by the releases of
    schemas 7 and 8 (make_history_search.py): every entry comes back unchanged, and its search
    finds part of a word."""
    path = tmp_path / "history.sqlite3"
    shutil.copyfile(FIXTURES / f"history_v{version}_search.sqlite3", path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version
        before = conn.execute(
            "SELECT id, state, status, metric, profile, request_body, response_body FROM entry"
        ).fetchall()
    assert len(before) == 7
    with HistoryStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        entries = [store.get(b[0]) for b in before]
        after = {
            (
                e.id,
                e.row.state,
                e.row.status,
                e.row.metric,
                e.row.profile,
                e.request.body,
                e.response_body,
            )
            for e in entries
            if e is not None
        }
        assert after == set(before)
        by_profile = {r.profile: r.id for r in store.page(None, 0, 100)}

        def found(text: str) -> set[str]:
            ids = {r.id for r in store.page(HistoryQuery(text=text), 0, 100)}
            assert store.count(HistoryQuery(text=text)) == len(ids)
            return {p for p, i in by_profile.items() if i in ids}

        assert found("京都") == {"hana@example.jp", "ken@example.jp"}
        assert found("京") == {"hana@example.jp", "ken@example.jp", "li@example.cn"}
        assert found("朝阳") == {"li@example.cn"}
        assert found("특별") == {"kim@example.kr"}
        assert found("無効") == {"yui@example.jp"}  # the answer spelled it in escapes
        assert found("zoe") == {"zoë@example.com"}
        assert found("Winnie") == {"ann@example.com"}
        assert found("Plac") == {"yui@example.jp", "zoë@example.com"}
        assert store.integrity_check() == "ok"
    with sqlite3.connect(path) as conn:  # the search index is whole
        conn.execute("INSERT INTO entry_fts (entry_fts, rank) VALUES ('integrity-check', 0)")

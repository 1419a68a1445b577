"""The history store: pending-then-complete entries, listing, search, filters, retention."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from composer.storage.db import SCHEMA_VERSION, HistoryError
from composer.storage.history import HistoryQuery, HistoryStore, fts_query
from tests.storage import factories as f


@pytest.fixture
def store(tmp_path: Path):
    with HistoryStore(tmp_path / "history.sqlite3") as s:
        yield s


def test_an_entry_is_pending_until_its_outcome_is_recorded(store: HistoryStore) -> None:
    req = f.request()
    entry_id = store.begin(req, f.context())
    row = store.page()[0]
    assert (row.id, row.state, row.status, row.status_class) == (
        entry_id,
        "pending",
        None,
        "pending",
    )
    assert row.outcome_unknown and row.status_text == "unknown outcome"

    store.complete(entry_id, f.rejected(req))
    entry = store.get(entry_id)
    assert entry is not None
    assert (entry.row.state, entry.row.status, entry.row.status_class) == ("complete", 400, "4xx")
    assert entry.row.metric == "Viewed Product" and entry.row.profile == "ann.lee@example.com"
    assert entry.row.account == "Staging" and entry.row.revision == "2023-01-24"
    assert entry.request == req
    assert entry.findings[0].pointer == "/data/attributes/profile/$email"
    assert entry.findings[0].source == "server"
    assert entry.attempts[0].status == 400 and entry.row.total_ms == 30.0
    assert b"The email address is not valid." in entry.response_body
    outcome = entry.to_outcome()
    assert outcome is not None and outcome.status == 400 and outcome.findings == entry.findings


def test_a_transport_error_is_recorded_with_its_class(store: HistoryStore) -> None:
    req = f.request()
    entry_id = store.begin(req, f.context())
    store.complete(entry_id, f.refused(req))
    entry = store.get(entry_id)
    assert entry is not None and entry.row.status_class == "error"
    assert entry.error is not None and entry.error.kind == "refused"
    assert entry.row.status_text == "no response (refused)"
    assert entry.attempts[0].error == entry.error


def test_the_authorization_header_is_stored_redacted_whoever_built_the_record(
    store: HistoryStore, tmp_path: Path
) -> None:
    key = "pk_" + "abcdefghijklmnopqrstuvwxyz0123456789"
    req = f.request(auth=f"Klaviyo-API-Key {key}")
    store.complete(store.begin(req, f.context()), f.accepted(req))
    entry = store.get(1)
    assert entry is not None
    assert dict(entry.request.headers)["Authorization"] == "Klaviyo-API-Key ***"
    store.close()
    for path in tmp_path.iterdir():
        assert key.encode() not in path.read_bytes(), path


def test_listing_is_newest_first_and_pages(store: HistoryStore) -> None:
    ids = []
    for i in range(25):
        req = f.request(f.body(email=f"user{i}@example.com"))
        entry_id = store.begin(req, f.context(profile=f"user{i}@example.com"))
        store.complete(entry_id, f.accepted(req))
        ids.append(entry_id)
    assert store.count() == 25
    first = store.page(offset=0, limit=10)
    assert [r.id for r in first] == ids[::-1][:10]
    assert [r.id for r in store.page(offset=20, limit=10)] == ids[::-1][20:]
    assert store.page(offset=30) == []


def _fill(store: HistoryStore) -> dict[str, int]:
    ids = {}
    for name, metric, email, outcome, target in [
        ("viewed", "Viewed Product", "ann@example.com", f.accepted, "production"),
        ("bad-email", "Placed Order", "not-an-email", f.rejected, "production"),
        ("busy", "Placed Order", "bo@example.com", f.server_error, "sandbox"),
        ("down", "Added to Cart", "cy@example.com", f.refused, "sandbox"),
    ]:
        req = f.request(f.body(email=email, metric=metric, Brand="Acme", OrderId=name))
        entry_id = store.begin(req, f.context(target, metric, email))
        store.complete(entry_id, outcome(req))
        ids[name] = entry_id
    ids["pending"] = store.begin(
        f.request(f.body(metric="Started Checkout")),
        f.context("sandbox", "Started Checkout", "dee@example.com"),
    )
    return ids


def test_filters_by_status_class_metric_target_and_date(store: HistoryStore) -> None:
    ids = _fill(store)

    def found(**kw: object) -> set[int]:
        return {r.id for r in store.page(HistoryQuery(**kw))}  # type: ignore[arg-type]

    assert found(status_classes=("2xx",)) == {ids["viewed"]}
    assert found(status_classes=("4xx", "5xx")) == {ids["bad-email"], ids["busy"]}
    assert found(status_classes=("error",)) == {ids["down"]}
    assert found(status_classes=("pending",)) == {ids["pending"]}
    assert found(metric="Placed Order") == {ids["bad-email"], ids["busy"]}
    assert found(target="sandbox", metric="Placed Order") == {ids["busy"]}
    now = datetime.now(UTC)
    assert len(found(since=now - timedelta(minutes=5))) == 5
    assert found(until=now - timedelta(minutes=5)) == set()
    assert store.count(HistoryQuery(status_classes=("4xx",))) == 1
    assert store.metrics() == [
        "Added to Cart",
        "Placed Order",
        "Started Checkout",
        "Viewed Product",
    ]
    assert store.targets() == ["production", "sandbox"]


def test_full_text_search_covers_metric_profile_properties_and_response(
    store: HistoryStore,
) -> None:
    ids = _fill(store)

    def search(text: str) -> set[int]:
        return {r.id for r in store.page(HistoryQuery(text=text))}

    assert search("Added") == {ids["down"]}  # metric
    assert search("bo@example.com") == {ids["busy"]}  # profile, as a phrase
    assert search("bad-email") == {ids["bad-email"]}  # a property value
    assert search("OrderId") == set(ids.values()) - {ids["pending"]}  # a property key
    assert search("email address is not valid") == {ids["bad-email"]}  # the response body
    assert search("plac") == {ids["bad-email"], ids["busy"]}  # the last word as a prefix
    assert search("placed acme") == {ids["bad-email"], ids["busy"]}
    assert search("nothing-like-this") == set()
    # FTS5 syntax in the text is taken literally, never an error.
    assert search('"unbalanced OR NEAR(') == set()
    assert store.count(HistoryQuery(text="Placed", status_classes=("5xx",))) == 1


def test_search_words_are_quoted_for_fts5() -> None:
    assert fts_query('say "hi" now') == '"say" """hi""" "now"*'
    assert fts_query("  ") is None and fts_query("@@ --") is None


def test_retention_keeps_the_last_n_and_the_last_days(store: HistoryStore) -> None:
    day = 86_400_000
    now = 1_700_000_000_000
    # Recorded oldest first, one a day, the last one now.
    items = [
        (f.request(f.body(OrderId=str(i))), f.context(), None, now - (9 - i) * day)
        for i in range(10)
    ]
    store.add_many(items, state="imported")
    assert store.apply_retention(keep_days=7, now_ms=now) == 2  # 8 and 9 days old
    assert store.count() == 8
    assert store.apply_retention(keep_last=3, now_ms=now) == 5
    newest = [r.created_ms for r in store.page()]
    assert newest == [now, now - day, now - 2 * day]
    assert store.count(HistoryQuery(text="OrderId")) == 3  # the search index follows deletes
    assert store.apply_retention(None, None) == 0


def test_delete_and_clear(store: HistoryStore) -> None:
    ids = _fill(store)
    assert store.delete([ids["viewed"], 999]) == 1
    assert store.get(ids["viewed"]) is None
    assert store.count(HistoryQuery(text="ann@example.com")) == 0
    assert store.clear() == 4 and store.count() == 0


def test_completing_a_deleted_entry_is_harmless(store: HistoryStore) -> None:
    req = f.request()
    entry_id = store.begin(req, f.context())
    store.clear()
    store.complete(entry_id, f.accepted(req))
    assert store.count() == 0


def test_a_new_file_gets_the_current_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryStore(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    with HistoryStore(path) as again:  # opening again migrates nothing and keeps the data
        assert again.schema_version == SCHEMA_VERSION and again.count() == 0


def test_a_history_from_a_newer_version_is_refused_in_words(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(HistoryError, match="newer Event Composer"):
        HistoryStore(path)


def test_a_file_that_is_not_a_database_is_refused_in_words(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(HistoryError, match="damaged or is not a history database"):
        HistoryStore(path)
    assert path.read_bytes().startswith(b"this is not sqlite")  # kept for recovery


def test_two_stores_on_one_file_see_each_other(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with HistoryStore(path) as gui, HistoryStore(path) as cli:
        before = gui.data_version()
        req = f.request()
        cli.complete(cli.begin(req, f.context()), f.accepted(req))
        assert gui.data_version() != before
        assert gui.count() == 1


def test_threads_write_at_once_without_losing_entries(store: HistoryStore) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(30):
                req = f.request(f.body(OrderId=f"{n}-{i}"))
                store.complete(store.begin(req, f.context()), f.accepted(req))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert store.count(HistoryQuery(status_classes=("2xx",))) == 120
    assert store.integrity_check() == "ok"


def test_iter_entries_reads_everything_oldest_first_in_batches(store: HistoryStore) -> None:
    store.add_many(
        [(f.request(f.body(OrderId=str(i))), f.context(), None, 1000 + i) for i in range(23)],
        state="imported",
    )
    seen = [e.row.created_ms for e in store.iter_entries(batch=5)]
    assert seen == [1000 + i for i in range(23)]
    only = [e.id for e in store.iter_entries(HistoryQuery(ids=(3, 5)))]
    assert only == [3, 5]

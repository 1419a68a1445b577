"""Searching the history for a word with no letter or digit (an emoji, €, ★): the index
holds no word for it, and such a search used to list every entry as "matching"."""

from __future__ import annotations

from pathlib import Path

import pytest

from composer.domain.bulk_pack import JobPacker, split_event
from composer.domain.outcome import Attempt, RequestRecord, SendOutcome
from composer.services.ports import SendContext
from composer.storage.history import HistoryQuery, HistoryStore
from tests.storage import factories as f


@pytest.fixture
def store(tmp_path: Path):
    with HistoryStore(tmp_path / "history.sqlite3") as s:
        yield s


def _send(store: HistoryStore, **properties: object) -> int:
    req = f.request(f.body("ann@example.com", "Viewed Product", **properties))
    entry_id = store.begin(req, f.context(metric=None, profile=None))
    store.complete(entry_id, f.accepted(req))
    return entry_id


def _search(store: HistoryStore, text: str) -> set[int]:
    found = {r.id for r in store.page(HistoryQuery(text=text), 0, 100)}
    assert store.count(HistoryQuery(text=text)) == len(found)
    return found


def test_an_emoji_or_a_currency_sign_finds_the_entries_holding_it(store: HistoryStore) -> None:
    party = _send(store, Subject="🎉 Summer Sale", Price="€19")
    star = _send(store, Subject="★ Winter Sale", Price="$19")
    plain = _send(store, Subject="Spring Sale", Price="19")
    assert _search(store, "🎉") == {party}
    assert _search(store, "€") == {party}
    assert _search(store, "★") == {star}
    assert _search(store, "🎈") == set()  # listed every entry as matching
    assert _search(store, "🎉 Summer") == {party}  # with a word: the index, then the sign
    assert _search(store, "🎉 Winter") == set()
    assert _search(store, "Sale") == {party, star, plain}
    assert _search(store, "$") == {star}


def test_a_jobs_events_a_sign_finds_are_those_holding_it(store: HistoryStore) -> None:
    packer = JobPacker()
    for i, subject in enumerate(["🎉 Summer", "Winter", "🎉 Autumn"]):
        body = {
            "data": {
                "type": "event",
                "attributes": {
                    "profile": {"data": {"type": "profile", "attributes": {
                        "email": f"buyer{i}@shop.test"}}},
                    "metric": {"data": {"type": "metric", "attributes": {"name": "Opened"}}},
                    "properties": {"Subject": subject},
                },
            }
        }  # fmt: skip
        split = split_event(body)
        assert not isinstance(split, str)
        assert packer.add(i, i + 1, split) == []
    (job,) = packer.finish()
    request = RequestRecord("POST", "http://sandbox/api/event-bulk-create-jobs", (), job.body)
    context = SendContext(
        "sandbox", None, "2026-07-15", "Opened", "buyer0@shop.test and 2 more",
        job_events=job.members,
    )  # fmt: skip
    entry = store.begin(request, context)
    store.complete(entry, SendOutcome(request, status=202, attempts=(Attempt(1, 202, None, 5.0),)))
    assert _search(store, "🎉") == {entry}
    assert [e.line for e in store.job_events(entry, "🎉")] == [1, 3]

"""Delivery states in the history: written with each outcome, and derived for every entry a
history of an earlier release holds (tests/storage/fixtures/history_v*.sqlite3, made by them)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from composer.domain.outcome import Attempt, SendOutcome, TransportError, TransportErrorKind
from composer.storage.db import SCHEMA_VERSION
from composer.storage.history import HistoryQuery, HistoryStore
from tests.storage.factories import body, context, request

FIXTURES = Path(__file__).parent / "fixtures"

EXPECTED = {
    "accepted": ("accepted", "uid-0"),
    "accepted after 429": ("accepted", "uid-1"),
    "rejected 400": ("not_accepted", None),
    "timeout then 500": ("unknown", "uid-3"),
    "500 alone": ("unknown", "uid-4"),
    "refused every time": ("not_accepted", "uid-5"),
    "dropped": ("unknown", "uid-6"),
    "throttled": ("not_accepted", "uid-7"),
    "503 then 504": ("unknown", "uid-8"),
    "cancelled while waiting": ("not_sent", "uid-9"),
    "app stopped mid-send": ("unknown", "uid-10"),
    "imported": ("not_sent", "uid-imported"),
}


def old_history(tmp_path: Path, version: int = 1) -> Path:
    path = tmp_path / "history.sqlite3"
    shutil.copyfile(FIXTURES / f"history_v{version}.sqlite3", path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version
        before = conn.execute("SELECT COUNT(*) FROM entry").fetchone()[0]
    assert before == len(EXPECTED)
    return path


@pytest.mark.parametrize("version", [1, 2, 3])
def test_a_history_of_an_earlier_release_opens_with_every_entry_and_its_delivery(tmp_path, version):
    path = old_history(tmp_path, version)
    with HistoryStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        rows = store.page(limit=100)
        assert len(rows) == len(EXPECTED)
        got = {r.profile: (r.delivery, r.unique_id) for r in rows}
        assert got == EXPECTED
        # the rest of each entry is untouched
        entry = store.get(next(r.id for r in rows if r.profile == "timeout then 500"))
        assert entry is not None
        assert [a.status for a in entry.attempts] == [None, 500]
        assert entry.row.status == 500 and entry.request.body.startswith(b"{")


def test_history_filters_by_delivery(tmp_path):
    with HistoryStore(old_history(tmp_path)) as store:
        unknown = store.page(HistoryQuery(deliveries=("unknown",)))
        assert {r.profile for r in unknown} == {
            p for p, (d, _u) in EXPECTED.items() if d == "unknown"
        }
        assert store.count(HistoryQuery(deliveries=("accepted", "not_sent"))) == 4


def test_each_completed_send_records_its_delivery(tmp_path):
    timeout = TransportError(TransportErrorKind.TIMEOUT, "read timed out", True)
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        pending = store.begin(request(), context())
        assert store.get(pending).row.delivery == "unknown"
        unknown = store.begin(request(), context())
        store.complete(
            unknown,
            SendOutcome(
                request(),
                status=500,
                attempts=(Attempt(1, None, timeout, 5), Attempt(2, 500, None, 5)),
            ),
        )
        accepted = store.begin(request(), context())
        store.complete(
            accepted, SendOutcome(request(), status=202, attempts=(Attempt(1, 202, None, 5),))
        )
        row = store.get(unknown).row
        assert (row.delivery, row.status_text) == ("unknown", "500")
        assert store.get(accepted).row.delivery == "accepted"
        # the attempt's "the request had gone out" survives the round trip
        assert store.get(unknown).attempts[0].error.request_sent is True


def test_the_unique_id_sent_is_recorded(tmp_path):
    import json

    payload = json.loads(body())
    payload["data"]["attributes"]["unique_id"] = "order-77"
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        entry = store.begin(request(json.dumps(payload).encode()), context())
        assert store.get(entry).row.unique_id == "order-77"
        without = store.begin(request(), context())
        assert store.get(without).row.unique_id is None

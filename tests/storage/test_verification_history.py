"""Read-back verdicts in the history: a history written by the release before them opens with
every entry unchecked, and a verdict recorded for an entry comes back in listings, entries,
filters and after reopening."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from composer.domain.outcome import Attempt, SendOutcome
from composer.storage.db import SCHEMA_VERSION
from composer.storage.history import HistoryQuery, HistoryStore
from tests.storage.factories import context, request

FIXTURES = Path(__file__).parent / "fixtures"


def accepted(store: HistoryStore) -> int:
    entry = store.begin(request(), context())
    store.complete(
        entry, SendOutcome(request(), status=202, attempts=(Attempt(1, 202, None, 5.0),))
    )
    return entry


def test_a_history_of_the_previous_release_opens_with_every_entry_unchecked(tmp_path):
    # history_v3.sqlite3 was written by the release before verdicts (schema 3)
    path = tmp_path / "history.sqlite3"
    shutil.copyfile(FIXTURES / "history_v3.sqlite3", path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
        before = conn.execute("SELECT id, delivery, unique_id, profile FROM entry").fetchall()
    with HistoryStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        rows = store.page(limit=100)
        assert sorted((r.id, r.delivery, r.unique_id, r.profile) for r in rows) == sorted(before)
        assert all(r.verification is None and r.verification_json is None for r in rows)
        assert store.count(HistoryQuery(verifications=("unchecked",))) == len(before)
        # a verdict can be recorded on an old entry
        first = next(r.id for r in rows if r.profile == "accepted")
        assert store.record_verification(first, "landed", {"event_id": "EV1"})
    with HistoryStore(path) as store:
        row = store.page(HistoryQuery(verifications=("landed",)))[0]
        assert (row.id, row.verification) == (first, "landed")


def test_a_recorded_verdict_comes_back_with_its_evidence(tmp_path):
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        landed = accepted(store)
        missing = accepted(store)
        never = accepted(store)
        assert store.record_verification(
            landed,
            "landed",
            {"outcome": "ignored", "event_id": "EV42", "differences": ["time truncated"]},
        )
        assert store.record_verification(
            missing, "not_seen", {"likely_causes": ["a duplicate unique_id"], "reads": 7}
        )
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        got = store.get(landed)
        assert got is not None
        detail = got.row.verification_json
        assert detail is not None
        assert detail["outcome"] == "landed" and detail["event_id"] == "EV42"
        assert detail["differences"] == ["time truncated"] and "checked_at" in detail
        rows = {r.id: r for r in store.page()}
        assert rows[missing].verification_json["likely_causes"] == ["a duplicate unique_id"]
        assert rows[never].verification is None
        either = HistoryQuery(verifications=("not_seen", "unchecked"))
        assert [r.id for r in store.page(either)] == [never, missing]
        # checking again replaces the verdict
        store.record_verification(missing, "landed", {"event_id": "EV43"})
        again = store.get(missing)
        assert again is not None and again.row.verification_json is not None
        assert again.row.verification_json["event_id"] == "EV43"
        assert "likely_causes" not in again.row.verification_json


def test_a_verdict_for_a_deleted_entry_or_an_unknown_outcome_is_refused(tmp_path):
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        entry = accepted(store)
        with pytest.raises(ValueError, match="'maybe' is not one of landed"):
            store.record_verification(entry, "maybe")
        store.delete([entry])
        assert store.record_verification(entry, "landed") is False


def test_many_verdicts_are_recorded_in_one_write(tmp_path):
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        entries = [accepted(store) for _ in range(5)]
        gone = entries.pop()
        store.delete([gone])
        missing = store.record_verifications(
            [(e, "landed", {"event_id": f"EV{e}"}) for e in entries] + [(gone, "not_seen", None)]
        )
        assert missing == [gone]  # the rest are kept
        with pytest.raises(ValueError, match="'maybe' is not one of landed"):
            store.record_verifications([(entries[0], "maybe", None)])
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        rows = {r.id: r for r in store.page()}
        assert {e: rows[e].verification_json["event_id"] for e in entries} == {
            e: f"EV{e}" for e in entries
        }


@pytest.mark.parametrize(("fixture", "version"), [("v4", 4), ("v5", 5)])
def test_a_history_with_verdicts_keeps_them_when_the_verdict_index_comes(
    tmp_path, fixture, version
):
    # written by the release that first kept verdicts (schema 4) and by the one before the
    # verdict index (schema 5, fixtures/make_history_verdicts.py): landed, not_seen,
    # cannot_check and skipped entries, one accepted never checked and one rejected
    path = tmp_path / "history.sqlite3"
    shutil.copyfile(FIXTURES / f"history_{fixture}_verdicts.sqlite3", path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version
        before = conn.execute(
            "SELECT id, profile, delivery, verification, verification_evidence FROM entry"
        ).fetchall()
    with HistoryStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        rows = store.page(limit=100)
        after = [
            (r.id, r.profile, r.delivery, r.verification, r.verification_evidence) for r in rows
        ]
        assert sorted(after) == sorted(before)
        for verdict in ("landed", "not_seen", "cannot_check", "skipped"):
            only = HistoryQuery(verifications=(verdict,))
            assert [r.profile for r in store.page(only)] == [f"{verdict}@example.com"]
        unchecked = HistoryQuery(deliveries=("accepted",), verifications=("unchecked",))
        assert [r.profile for r in store.page(unchecked)] == ["unchecked@example.com"]
        assert store.count(unchecked) == 1
        plan = (
            store._conn()
            .execute(
                "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM entry e "
                "WHERE e.delivery IN ('accepted') AND (e.verification IS NULL)"
            )
            .fetchall()
        )
    assert "entry_by_verdict_delivery" in str(plan)  # one index, not a visit of every entry

"""Templates in the history: an entry of an event with variables keeps the template and the
exact resolved bytes sent; a history written before templates opens with every entry intact."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from composer.domain.outcome import Attempt, SendOutcome
from composer.storage.db import SCHEMA_VERSION
from composer.storage.history import HistoryStore
from composer.storage.records import PlainContext
from tests.storage.factories import body, request

FIXTURES = Path(__file__).parent / "fixtures"


def test_a_history_of_the_previous_release_opens_with_every_entry(tmp_path: Path) -> None:
    # history_v6.sqlite3 was written by the release before templates (schema 6)
    path = tmp_path / "history.sqlite3"
    shutil.copyfile(FIXTURES / "history_v6.sqlite3", path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 6
        before = conn.execute(
            "SELECT id, state, status, delivery, unique_id, profile, request_body FROM entry"
        ).fetchall()
    assert len(before) > 5
    with HistoryStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        rows = store.page(limit=100)
        assert sorted(
            (r.id, r.state, r.status, r.delivery, r.unique_id, r.profile) for r in rows
        ) == sorted(b[:6] for b in before)
        for entry_id, *_, raw in before:
            entry = store.get(entry_id)
            assert entry is not None and entry.request.body == raw
            assert entry.template is None and entry.row.environment is None
            # loading an old entry into the composer loads the bytes it sent
            assert entry.composer_text == raw.decode()


def test_template_and_resolved_bytes_come_back_apart(tmp_path: Path) -> None:
    template = body(email="{{$randomEmail}}").decode()
    sent = body(email="qa+k3f9x0ab@example.com")
    context = PlainContext(
        "sandbox",
        None,
        "2023-01-24",
        "Viewed Product",
        None,
        template=template,
        environment="staging",
    )
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        entry_id = store.begin(request(sent), context)
        store.complete(
            entry_id, SendOutcome(request(sent), status=202, attempts=(Attempt(1, 202, None, 3.0),))
        )
        plain = store.begin(
            request(body()), PlainContext("sandbox", None, "2023-01-24", None, None)
        )
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        entry = store.get(entry_id)
        assert entry is not None
        assert entry.request.body == sent  # Resend exactly sends these
        assert entry.template == template and entry.composer_text == template
        assert entry.row.environment == "staging"
        assert entry.row.profile == "qa+k3f9x0ab@example.com"  # listings show what was sent
        other = store.get(plain)
        assert other is not None and other.template is None
        assert other.composer_text == body().decode()

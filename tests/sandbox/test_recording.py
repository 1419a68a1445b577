"""Accepted events are recorded once per (profile, metric, unique_id), and can be inspected."""

from __future__ import annotations

from composer.sandbox.recorder import EventRecorder
from tests.sandbox.conftest import Sandbox, SandboxFactory, event_body


async def test_a_repeated_unique_id_is_recorded_once(sandbox: Sandbox) -> None:
    for _ in range(3):
        assert (await sandbox.post(event_body(unique_id="order-7"))).status_code == 202
    assert len(sandbox.app.events()) == 1
    # The same unique_id for another profile or another metric is another event.
    await sandbox.post(event_body(unique_id="order-7", email="bob@example.com"))
    await sandbox.post(event_body(unique_id="order-7", metric="Placed Order"))
    assert len(sandbox.app.events()) == 3


async def test_emails_are_the_same_profile_whatever_their_case(sandbox: Sandbox) -> None:
    await sandbox.post(event_body(unique_id="u", email="Ann@Example.com"))
    await sandbox.post(event_body(unique_id="u", email="ann@example.com"))
    assert len(sandbox.app.events()) == 1


async def test_without_unique_id_one_event_per_profile_and_metric_per_second(
    sandbox: Sandbox,
) -> None:
    await sandbox.post(event_body(unique_id=None))
    sandbox.clock.advance(0.5)
    await sandbox.post(event_body(unique_id=None))  # same second: a duplicate
    assert len(sandbox.app.events()) == 1
    sandbox.clock.advance(0.5)
    await sandbox.post(event_body(unique_id=None))  # next second: recorded
    assert len(sandbox.app.events()) == 2
    assert sandbox.app.stats_json()["duplicates"] == 1


async def test_an_explicit_time_stands_in_for_the_unique_id(sandbox: Sandbox) -> None:
    await sandbox.post(event_body(unique_id=None, time="2023-11-01T10:00:00.250Z"))
    sandbox.clock.advance(5)
    await sandbox.post(event_body(unique_id=None, time="2023-11-01T10:00:00.900+00:00"))
    events = sandbox.app.events()
    assert len(events) == 1
    assert events[0].dedup_key == "time:2023-11-01T10:00:00Z"


async def test_events_are_listed_newest_first_and_can_be_cleared(sandbox: Sandbox) -> None:
    for uid in ("first", "second", "third"):
        await sandbox.post(event_body(unique_id=uid))
        sandbox.clock.advance(1)
    listed = (await sandbox.client.get("/sandbox/events")).json()
    assert listed["count"] == 3
    assert [e["unique_id"] for e in listed["events"]] == ["third", "second", "first"]
    assert listed["events"][0]["received_at"] == "2023-11-14T22:13:22.000Z"
    assert listed["events"][0]["body"]["data"]["attributes"]["unique_id"] == "third"
    limited = (await sandbox.client.get("/sandbox/events", params={"limit": 1})).json()
    assert [e["unique_id"] for e in limited["events"]] == ["third"]
    cleared = await sandbox.client.delete("/sandbox/events")
    assert cleared.json() == {"cleared": 3}
    assert (await sandbox.client.get("/sandbox/events")).json() == {"count": 0, "events": []}
    # Clearing also forgets de-duplication: the same event records again.
    await sandbox.post(event_body(unique_id="first"))
    assert len(sandbox.app.events()) == 1


async def test_reset_forgets_events_counts_and_windows(make_sandbox: SandboxFactory) -> None:
    sandbox: Sandbox = await make_sandbox(burst_limit=1)
    await sandbox.post()
    assert (await sandbox.post()).status_code == 429
    assert (await sandbox.client.post("/sandbox/reset")).json() == {"reset": True}
    assert sandbox.app.stats_json()["requests"] == 0
    assert sandbox.app.events() == []
    assert (await sandbox.post()).status_code == 202


async def test_relationship_revisions_record_by_their_own_profile_shape(
    sandbox: Sandbox,
) -> None:
    body = {
        "data": {
            "type": "event",
            "attributes": {
                "profile": {"data": {"type": "profile", "attributes": {"email": "Cy@example.com"}}},
                "metric": {"data": {"type": "metric", "attributes": {"name": "Started Checkout"}}},
                "properties": {},
                "unique_id": "r1",
            },
        }
    }
    response = await sandbox.post(body, revision="2023-07-15")
    assert response.status_code == 202, response.text
    event = sandbox.app.events()[0]
    assert (event.profile, event.metric, event.revision) == (
        "email:cy@example.com",
        "Started Checkout",
        "2023-07-15",
    )


def test_the_recorder_keeps_a_bounded_number_of_events() -> None:
    from datetime import UTC, datetime

    from composer.domain import get_revision

    recorder = EventRecorder(max_events=3)
    now = datetime(2024, 1, 1, tzinfo=UTC)
    for i in range(5):
        assert recorder.record(event_body(unique_id=f"u{i}"), get_revision("2023-01-24"), now)
    assert [e.unique_id for e in recorder.newest_first()] == ["u4", "u3", "u2"]

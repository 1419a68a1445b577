"""Packing single Create Event bodies into Bulk Create Events jobs."""

from __future__ import annotations

import json

from composer.domain.bulk_pack import (
    BULK_MAX_BYTES,
    JobPacker,
    job_event_bodies,
    pointer_rest,
    split_event,
)


def event(i: int, *, email: str | None = None, unique_id: str | None = None, size: int = 0):
    attributes = {
        "profile": {"data": {"type": "profile", "attributes": {"email": email or f"p{i}@x.com"}}},
        "metric": {"data": {"type": "metric", "attributes": {"name": "Placed Order"}}},
        "properties": {"OrderId": f"ORD-{i}", "pad": "x" * size},
    }
    if unique_id is not None:
        attributes["unique_id"] = unique_id
    return {"data": {"type": "event", "attributes": attributes}}


def pack(events, **kw):
    packer = JobPacker(**kw)
    jobs = []
    for i, body in enumerate(events):
        split = split_event(body)
        assert not isinstance(split, str)
        jobs += packer.add(i, i + 1, split)
    return jobs + packer.finish()


def test_jobs_hold_at_most_1000_events_grouped_by_profile_and_every_event_once():
    events = [event(i, email=f"p{i % 7}@x.com", unique_id=f"u{i}") for i in range(2500)]
    jobs = pack(events)
    assert [j.events for j in jobs] == [1000, 1000, 500]
    for job in jobs:
        doc = json.loads(job.body)
        groups = doc["data"]["attributes"]["events-bulk-create"]["data"]
        emails = [g["attributes"]["profile"]["data"]["attributes"]["email"] for g in groups]
        assert len(emails) == len(set(emails)) == 7  # one group per profile
        assert doc["data"]["type"] == "event-bulk-create-job"
    indices = sorted(m.index for j in jobs for m in j.members)
    assert indices == list(range(2500))
    # the job's events, read back, are the events given (profile put back in)
    first = jobs[0]
    bodies = job_event_bodies(first.body)
    for member, body in zip(first.members, bodies, strict=True):
        assert body == events[member.index]


def test_no_job_exceeds_5_mb_and_an_event_too_large_for_any_job_is_refused():
    events = [event(i, size=400_000) for i in range(30)]
    jobs = pack(events)
    assert all(len(j.body) <= BULK_MAX_BYTES for j in jobs)
    assert max(len(j.body) for j in jobs) > BULK_MAX_BYTES - 500_000  # and they are full
    assert sum(j.events for j in jobs) == 30
    packer = JobPacker()
    huge = split_event(event(0, size=BULK_MAX_BYTES))
    assert not isinstance(huge, str) and not packer.fits_alone(huge)


def test_the_same_metric_and_unique_id_never_share_a_job():
    repeats = []
    events = [event(i, unique_id="same" if i % 3 == 0 else f"u{i}") for i in range(12)]
    jobs = pack(events, on_repeat=lambda at, first: repeats.append((at[1], first[1])))
    for job in jobs:
        ids = [m.unique_id for m in job.members]
        assert len(ids) == len(set(ids)), ids
    assert sum(j.events for j in jobs) == 12
    assert len(jobs) == 4  # "same" is on 4 events: one per job
    assert repeats[0] == (4, 1)  # line 4 repeats line 1 and is held over


def test_a_pointer_of_a_refused_job_names_its_events_and_their_lines():
    events = [event(i, email=f"p{i % 2}@x.com", unique_id=f"u{i}") for i in range(6)]
    (job,) = pack(events)
    base = "/data/attributes/events-bulk-create/data"
    hit = job.members_at(f"{base}/1/attributes/events/data/2/attributes/metric/data")
    assert [(m.index, m.line) for m in hit] == [(5, 6)]  # group 1 is p1: events 1, 3, 5
    group = job.members_at(f"{base}/0/attributes/profile/data/attributes/email")
    assert [m.line for m in group] == [1, 3, 5]
    assert len(job.members_at("/data/type")) == 6
    assert pointer_rest(f"{base}/1/attributes/events/data/2/attributes/metric") == (
        "/attributes/metric"
    )


def test_profile_meta_moves_to_where_a_job_keeps_it_and_back():
    body = event(0, unique_id="u0")
    profile = body["data"]["attributes"]["profile"]["data"]
    profile["attributes"]["meta"] = {"patch_properties": {"append": {"tags": "vip"}}}
    (job,) = pack([body])
    group = json.loads(job.body)["data"]["attributes"]["events-bulk-create"]["data"][0]
    assert group["attributes"]["profile"]["data"]["meta"] == profile["attributes"]["meta"]
    assert job_event_bodies(job.body) == [body]


def test_a_repeated_unique_id_is_reported_once_and_held_events_stay_bounded():
    """A file where many events share one metric and unique_id: each later event is reported
    once (not again at every job it waits through), every event goes in exactly one job, and
    the packer holds at most a job's worth of them while the file is read."""
    repeats: list[int] = []
    packer = JobPacker(max_events=10, on_repeat=lambda at, first: repeats.append(at[0]))
    jobs = []
    most_pending = 0
    n = 400
    for i in range(n):
        split = split_event(event(i, email="same@x.com", unique_id="same"))
        assert not isinstance(split, str)
        jobs += packer.add(i, i + 1, split)
        most_pending = max(most_pending, packer.pending)
    jobs += packer.finish()
    assert sorted(repeats) == list(range(1, n))  # each once
    assert sorted(m.index for j in jobs for m in j.members) == list(range(n))
    assert all(j.events == 1 for j in jobs)
    assert [j.members[0].index for j in jobs] == list(range(n))  # file order kept
    assert most_pending <= 11

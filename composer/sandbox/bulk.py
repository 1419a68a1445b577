"""``POST /api/event-bulk-create-jobs``: Klaviyo's Bulk Create Events, revision 2024-05-15 on.

Order of checks (each one answers and stops), as for Create Event: fault draw -> 401 key ->
400/410 revision -> 404 path (a revision before 2024-05-15 has no such endpoint; the trailing
slash up to 2024-07-15, none from 2024-10-15) -> 403 scope (events:write) -> 429 its own rate
limits (10/s, 150/min per key) -> 415 media type -> 413 size (5 MB) -> 400 body: the envelope,
then every event as the Create Event body it stands for (one error per ERROR finding, pointers
into the job body), at most 1,000 events, and from 2025-01-15 no repeated (profile, metric,
unique_id) -> 202 without a body. Any 400 refuses the whole job: nothing is recorded. An
accepted job's events are then processed one by one exactly as single creates are (dropped,
recorded, or a duplicate of an event recorded before, in this job or another request).

A job takes the event loop tens of milliseconds to validate and record, so it does so in steps
of ``STEP_EVENTS`` events, letting the loop read (and count against the limits) the requests
that arrive meanwhile: Klaviyo counts a request when it arrives, not when an earlier request's
processing is over, and a client that paces itself by arrivals must see the same count here.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from composer.domain import bulk
from composer.domain.findings import Severity
from composer.domain.jsontext import parse_json_text
from composer.domain.outcome import SANDBOX_DUPLICATES_HEADER
from composer.domain.revisions import Revision
from composer.sandbox import jsonapi
from composer.sandbox.jsonapi import ApiError, Reply
from composer.sandbox.recorder import dedup_identity, profile_identity

if TYPE_CHECKING:
    from composer.sandbox.app import Receive, SandboxApp, Scope

_DUPLICATES = SANDBOX_DUPLICATES_HEADER.encode("ascii")
STEP_EVENTS = 100
"""Events validated or recorded between two looks at the event loop (a few milliseconds)."""


def bulk_path_error(path: str, revision: Revision) -> ApiError | None:
    """The 404 for a job posted at a path ``revision`` does not have, None when it has it."""
    if not revision.bulk_create:
        return ApiError(
            "not_found",
            "Not found.",
            f"{path} does not exist at revision {revision.name}: Bulk Create Events exists "
            f"from revision {bulk.FIRST_BULK_REVISION} on. Send it with a later revision, or "
            "send the events one by one to Create Event.",
        )
    expected = bulk.bulk_path(revision)
    if path == expected:
        return None
    slash = " (with the trailing slash)" if expected.endswith("/") else " (no trailing slash)"
    return ApiError(
        "not_found",
        "Not found.",
        f"{path} does not exist at revision {revision.name}: Bulk Create Events is POST "
        f"{expected} there{slash}.",
    )


def permission_error() -> ApiError:
    return ApiError(
        "permission_denied",
        "You do not have permission to perform this action.",
        "You do not have permission to perform this action. Bulk Create Events needs an API "
        "key with the Events Write scope (events:write).",
    )


class BulkJobs:
    """The bulk endpoint of one sandbox: its validators per revision and the job handler."""

    def __init__(self, app: SandboxApp) -> None:
        self._app = app
        self._validators: dict[str, bulk.BulkValidator] = {}

    def validator(self, revision: Revision) -> bulk.BulkValidator:
        """The job validator of ``revision`` (errors only: the spelling checks that can only
        warn are left out)."""
        found = self._validators.get(revision.name)
        if found is None:
            found = bulk.BulkValidator(self._app.validator(revision), formats=False)
            self._validators[revision.name] = found
        return found

    async def create_job(self, scope: Scope, receive: Receive) -> Reply:
        """Answer one POST of a job (after the fault draw)."""
        app = self._app
        admitted = await app.admit(scope, receive, app.bulk_post)
        if isinstance(admitted, Reply):
            return admitted
        revision = admitted.revision
        report = await self._validate(admitted.body, revision)
        errors = [f for f in report.findings if f.severity is Severity.ERROR]
        profiles = _profile_identities(report, revision)
        repeats: list[ApiError] = []
        if bulk.fails_on_repeated_unique_id(revision):
            repeats = _repeated_unique_ids(report, revision, profiles)
        if errors or repeats:  # every reason at once, so one fix-and-resend is enough
            found = jsonapi.findings_errors(errors) if errors else []
            return app.refuse(400, found + repeats, admitted.verdict)
        app.stats.accepted += len(report.events)
        app.stats.jobs_accepted += 1
        received = datetime.fromtimestamp(admitted.now, UTC)
        duplicates = 0
        for n, (event, profile) in enumerate(zip(report.events, profiles, strict=True), 1):
            outcome = app.record(event.payload, revision, received, admitted.now, profile)
            duplicates += outcome is outcome.DUPLICATE
            if n % STEP_EVENTS == 0:
                await asyncio.sleep(0)
        reply = app.accepted_reply(admitted.verdict)
        if duplicates:
            reply.headers.append((_DUPLICATES, str(duplicates).encode("ascii")))
        return reply

    async def _validate(self, body: bytes, revision: Revision) -> bulk.BulkReport:
        """The job's report, validated a step at a time."""
        parsed = parse_json_text(body)
        if parsed.finding is not None:
            return bulk.BulkReport((parsed.finding,))
        await asyncio.sleep(0)
        steps = self.validator(revision).validate_in_steps(
            parsed.value, parsed.size_bytes, STEP_EVENTS
        )
        while True:
            try:
                next(steps)
            except StopIteration as done:
                return done.value
            await asyncio.sleep(0)


def _profile_identities(report: bulk.BulkReport, revision: Revision) -> list[str]:
    """Each event's profile identity, worked out once per group (its events share one)."""
    by_group: dict[int, str] = {}
    out = []
    for event in report.events:
        identity = by_group.get(event.item)
        if identity is None:
            identity = by_group[event.item] = profile_identity(event.payload, revision)
        out.append(identity)
    return out


def _repeated_unique_ids(
    report: bulk.BulkReport, revision: Revision, profiles: list[str]
) -> list[ApiError]:
    """From 2025-01-15: an error for each event whose (profile, metric, unique_id) an earlier
    event of the same job has ("the request will fail and no events will be processed")."""
    first: dict[tuple[str, str, str], str] = {}
    errors: list[ApiError] = []
    for event, profile in zip(report.events, profiles, strict=True):
        key = dedup_identity(event.payload, revision, profile)
        if key is None:
            continue  # no unique_id: de-duplicated by time when recorded, as single creates
        earlier = first.setdefault(key, event.pointer)
        if earlier != event.pointer:
            errors.append(
                ApiError(
                    "invalid",
                    jsonapi.INVALID_TITLE,
                    f"unique_id {key[2]!r} is repeated for the same profile and metric (first "
                    f"at {earlier}); from revision {bulk.FAILS_ON_REPEATED_UNIQUE_ID} the "
                    "whole request fails and no events are processed: give each event its own "
                    "unique_id, or send the repeat in another request",
                    pointer=f"{event.pointer}/attributes/unique_id",
                )
            )
    return errors

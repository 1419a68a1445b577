"""Whether a replay from the window may start, and the offer to resume an interrupted run,
in words. Qt-free: the Replay dialog (composer/ui/replay_part.py) shows what this says."""

from __future__ import annotations

from datetime import datetime

from composer.client.targets import KeyRoute, Target
from composer.services.keys import plain_http_refusal
from composer.services.outcome_text import no_key_message
from composer.services.replay_runs import ResumePlan
from composer.services.replay_session import bulk_refusal
from composer.services.retired import falls_forward_to, needs_choice


def replay_refusal(target: Target, account: str | None, revision: str, bulk: bool) -> str | None:
    """Why a replay of ``revision`` (in bulk jobs with ``bulk``) to ``target`` with the key of
    ``account`` cannot start, in words; None: it may (production still asks first)."""
    refusal = bulk_refusal(revision) if bulk else None
    if refusal is not None:
        return f"Not sent in bulk: {refusal}."
    if target.key_route is KeyRoute.NEVER:
        return plain_http_refusal(target)
    if account is None and not target.is_local:
        return no_key_message(target, None)
    if needs_choice(target, revision):
        forward, same = falls_forward_to(revision)
        handled = (
            f"with {forward.name}, by that revision's rules"
            if same
            else "with a newer revision whose layout is different"
        )
        return (
            f"Klaviyo retired API revision {revision}: it would most likely handle these "
            f"events {handled}. Choose a current revision in the Revision list to replay "
            "this file to Klaviyo."
        )
    return None


def resume_offer(plan: ResumePlan) -> str:
    """What the interrupted run of ``plan`` did, and what resuming it does."""
    run = plan.run
    when = datetime.fromtimestamp(run.started_ms / 1000).strftime("%Y-%m-%d %H:%M")
    return (
        f"Run of {when}, revision {run.revision}: the {len(plan.earlier):,} of "
        f"{run.events:,} events accepted then are not sent again; the others go with "
        "their original unique_ids, so none is recorded twice."
    )

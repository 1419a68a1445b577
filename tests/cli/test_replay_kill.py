"""`replay FILE --resume` after kill -9 at random moments: every event recorded exactly once."""

from __future__ import annotations

import random

from composer.sandbox import run_in_thread
from tests.cli.replay_kill_harness import describe, run_trial, sandbox_config

SEED = 20261130
TRIALS = 4
EVENTS = 40


def test_kill_9_at_random_moments_then_resume_records_every_event_exactly_once(tmp_path):
    """Real processes, real SIGKILL at seeded random moments (before, during and after the
    sends), resumed (and sometimes killed again) until the run finishes; the sandbox, which
    outlives every replay, says how often each event was recorded."""
    rng = random.Random(SEED)
    with run_in_thread(sandbox_config()) as url:
        trials = [run_trial(url, tmp_path, t, rng, EVENTS) for t in range(TRIALS)]
    figures = describe(trials)
    assert figures["recorded_twice"] == 0, figures
    assert figures["lost"] == 0, figures
    assert figures["recorded"] == TRIALS * EVENTS, figures
    # the seed kills processes in the middle of their sends, not only before or after them
    assert figures["kills_mid_run"] >= 2, figures

"""kill -9 trials of `event-composer replay` and `--resume`: how many kills, at what moments,
and how many events were recorded twice or lost (both must be 0).

Run it alone with `python -m tests.benchmarks replay_kill` (about two minutes on two
cores). Each trial kills a real replay process with SIGKILL at a seeded random moment (a quarter
of the time after a random delay from its start, else once the sandbox has received a random
number of its requests), resumes it with `--resume` (killing half of the resumptions again, at
most three kills per trial) until it finishes, and counts on the sandbox (uvicorn, in this
process, so it outlives every replay) how often each event was recorded. The sandbox answers
slowly (50 ms), drops 1 connection in 20 and answers 1 request in 20 with a 504, both after
recording the event, so outcomes are in doubt when a process dies and resuming has to send
them again.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

SEED = 1130
TRIALS = 20
EVENTS = 60


def main() -> None:
    from composer.sandbox import run_in_thread
    from tests.cli.replay_kill_harness import describe, run_trial, sandbox_config

    rng = random.Random(SEED)
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="replay-kill-") as work,
        run_in_thread(sandbox_config()) as url,
    ):
        trials = [run_trial(url, Path(work), t, rng, EVENTS) for t in range(TRIALS)]
    figures = describe(trials)
    elapsed = time.perf_counter() - started
    moments = sorted(figures.pop("kill_moments_s"))
    print(f"seed {SEED}: {TRIALS} trials of {EVENTS} events in {elapsed:.1f} s")
    print(json.dumps(figures, indent=2))
    print(f"kill moments (s after the process started): {moments}")
    seen = sorted(k.requests_seen for t in trials for k in t.kills)
    print(f"requests the sandbox had received in the trial when each kill landed: {seen}")
    if figures["recorded_twice"] or figures["lost"]:
        print("FAILED: events recorded twice or lost")
        sys.exit(1)


if __name__ == "__main__":
    main()

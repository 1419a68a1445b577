"""kill -9 trials of `event-composer replay`, shared by the test and the benchmark.

A trial writes a file of events (each to a profile of its own), starts a real `event-composer
replay` process against a sandbox served by uvicorn in this process (so it outlives the replay),
kills it with SIGKILL after a seeded random delay, then runs `replay FILE --resume` (killing
some of those too) until the run finishes. The sandbox then says how many times each event was
recorded: exactly once is the only right answer.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "resources" / "examples" / "viewed-product.event.json").read_text())
CONCURRENCY = 4
MAX_SESSIONS = 12


@dataclass(slots=True)
class Kill:
    """One SIGKILL: when, and how far the sandbox had got by then."""

    after_s: float
    requests_seen: int
    """Requests the sandbox had received from this trial when the process died."""


@dataclass(slots=True)
class Trial:
    number: int
    events: int
    kills: list[Kill] = field(default_factory=list)
    sessions: int = 0
    fresh_starts: int = 0
    """Runs started again from scratch because the first was killed before recording its run."""
    recorded: int = 0
    twice: int = 0
    """Events recorded more than once (must be 0)."""
    lost: int = 0
    """Events never recorded (must be 0)."""
    deduplicated: int = 0
    """Sends the sandbox answered 202 without recording again (in-doubt events sent again)."""
    exit_codes: list[int] = field(default_factory=list)


def env_without_key() -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("KLAVIYO_API_KEY", None)
    return env


def write_events(path: Path, trial: int, n: int) -> Path:
    lines = []
    for i in range(n):
        doc = json.loads(json.dumps(EXAMPLE))
        attributes = doc["data"]["attributes"]
        attributes.pop("unique_id", None)
        attributes["profile"]["$email"] = f"t{trial}-p{i}@example.com"
        lines.append(json.dumps(doc))
    path.write_text("\n".join(lines) + "\n")
    return path


def _requests(url: Any) -> int:
    app = getattr(url, "app", None)
    if app is not None:  # the sandbox runs in this process: read its count without a request
        return int(app.stats.requests)
    return int(httpx.get(f"{url}/sandbox/stats").json()["requests"])


def _kill_when(proc: subprocess.Popen[str], url: Any, rng: random.Random, n: int) -> Kill | None:
    """SIGKILL ``proc`` at a random moment: a quarter of the time after a random delay from
    its start (start-up, reading, recording the run), else once the sandbox has received a
    random number of its requests (in the middle of the sends). None when it ended first."""
    started = time.monotonic()
    if rng.random() < 0.25:
        delay = rng.uniform(0.0, 1.5)
        try:
            proc.wait(timeout=delay)
            return None
        except subprocess.TimeoutExpired:
            pass
    else:
        target = _requests(url) + rng.randint(1, n)
        while proc.poll() is None and _requests(url) < target:
            time.sleep(0.002)  # a tight, bounded poll: the process ends or the count is reached
        if proc.poll() is not None:
            return None
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return Kill(time.monotonic() - started, _requests(url))


def run_trial(url: Any, work: Path, number: int, rng: random.Random, n: int) -> Trial:
    """One trial against the sandbox at ``url`` (reset first). Kills the first session at a
    random moment, and each resumption with probability 1/2 (at most 3 kills in all)."""
    httpx.post(f"{url}/sandbox/reset")
    trial = Trial(number, n)
    path = write_events(work / f"events-{number}.ndjson", number, n)
    base = [
        sys.executable,
        "-m",
        "composer",
        "--data-dir",
        str(work / f"state-{number}"),
        "replay",
        str(path),
        "--target",
        str(url),
        "--concurrency",
        str(CONCURRENCY),
        "--attempts",
        "1",  # a dropped answer stays "unknown", so resuming must send it again
    ]
    env = env_without_key()
    resume = False
    while trial.sessions < MAX_SESSIONS:
        trial.sessions += 1
        proc = subprocess.Popen(
            [*base, *(["--resume"] if resume else [])],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        if len(trial.kills) < 3 and (not resume or rng.random() < 0.5):
            kill = _kill_when(proc, url, rng, n)
            if kill is not None:
                trial.kills.append(kill)
                resume = True
                continue
        _, err = proc.communicate(timeout=60)
        trial.exit_codes.append(proc.returncode)
        if proc.returncode == 0:
            break
        if "no replay of" in err:  # killed before the run was recorded: nothing was sent
            assert _requests(url) == 0, err
            trial.fresh_starts += 1
            resume = False
            continue
        if "nothing to resume" in err:
            break
        assert proc.returncode in (0, 1), err  # 1: some outcomes unknown, resumed next
        resume = True
    recorded = httpx.get(f"{url}/sandbox/events", params={"limit": 10_000}).json()["events"]
    stats = httpx.get(f"{url}/sandbox/stats").json()
    per_profile = Counter(e["profile"] for e in recorded)
    expected = {f"email:t{number}-p{i}@example.com" for i in range(n)}
    trial.recorded = len(recorded)
    trial.twice = sum(1 for p in expected if per_profile[p] > 1)
    trial.lost = sum(1 for p in expected if per_profile[p] == 0)
    trial.deduplicated = int(stats.get("duplicates", 0))
    return trial


def describe(trials: list[Trial]) -> dict[str, Any]:
    """The figures of a set of trials."""
    kills = [k for t in trials for k in t.kills]
    return {
        "trials": len(trials),
        "kills": len(kills),
        "kill_moments_s": [round(k.after_s, 2) for k in kills],
        "kills_before_first_send": sum(1 for k in kills if k.requests_seen == 0),
        "kills_mid_run": sum(1 for k in kills if k.requests_seen > 0),
        "sessions": sum(t.sessions for t in trials),
        "events": sum(t.events for t in trials),
        "recorded": sum(t.recorded for t in trials),
        "recorded_twice": sum(t.twice for t in trials),
        "lost": sum(t.lost for t in trials),
        "resent_and_deduplicated": sum(t.deduplicated for t in trials),
    }


def sandbox_config() -> Any:
    """Slow answers spread the run over time; some connections drop and some answers are
    504 after the event was recorded, as a real server's can."""
    from composer.sandbox import FaultKind, SandboxConfig

    kinds = (FaultKind.SLOW,) * 18 + (FaultKind.DROP, FaultKind.GATEWAY_TIMEOUT)
    return SandboxConfig(fault_rate=1.0, fault_kinds=kinds, slow_seconds=0.05, fault_seed=7)


def timed(fn: Any, *args: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - started

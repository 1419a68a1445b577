"""Read-back cost and speed.

1. The same replay of 1,000 events (50 profiles, one metric) with and without `--verify`, in one
   process against a sandbox over loopback (uvicorn, in a thread) at Klaviyo's documented read
   limits (events 350/s and 3,500/min, metrics 10/s and 150/min, profiles 75/s and 750/min:
   the sandbox's defaults) and with no processing delay, so the read limits allow the checks.
   Runs alternate (plain, verified, plain, verified, ...) so that a load change on the machine
   hits both; the fastest of each is compared, by wall clock and by the CPU time of the
   process (the sandbox's thread included: on a machine shared with other work the CPU time
   varies less than the wall clock). Issue target: at most 1.2x.
2. With a processing delay of 2 s: how long after the event becomes readable the verdict
   `landed` arrives, for a single send (`send --verify`, the window's check) and for events of
   a verified replay (the shared checks). Issue target: within 1 s. "Readable" is counted from
   before the request left plus the delay, so the figure is an upper bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from composer.cli import main as cli
from composer.sandbox import SandboxConfig, run_in_thread

EVENTS = 1000
PROFILES = 50
ROUNDS = 5
DELAY = 2.0
KEY = "pk_" + "be" * 17


def write_events(path: Path) -> None:
    lines = []
    for i in range(EVENTS):
        attributes = {
            "profile": {"$email": f"bench{i % PROFILES}@example.com"},
            "metric": {"name": "Bench Verify"},
            "properties": {"i": i},
        }
        lines.append(json.dumps({"data": {"type": "event", "attributes": attributes}}))
    path.write_text("\n".join(lines) + "\n")


def run(folder: Path, events: Path, label: str, *extra: str) -> tuple[float, float, dict[str, Any]]:
    """(wall seconds, CPU seconds of this process, the --json summary) of one replay."""
    with run_in_thread(SandboxConfig(max_recorded=100_000)) as url:
        out = io.StringIO()
        started, cpu = time.perf_counter(), time.process_time()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            args = ["--data-dir", str(folder / label), "replay", "--target", url, "--json"]
            code = cli([*args, *extra, str(events)])
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
    doc: dict[str, Any] = json.loads(out.getvalue())
    assert code == 0, doc
    return took, cpu, doc


def _body(n: int, email: str) -> dict[str, Any]:
    attributes = {
        "profile": {"data": {"type": "profile", "attributes": {"email": email}}},
        "metric": {"data": {"type": "metric", "attributes": {"name": "Bench Delay"}}},
        "properties": {"n": n},
        "unique_id": f"delay-{n}",
    }
    return {"data": {"type": "event", "attributes": attributes}}


async def _latencies() -> tuple[list[float], list[float]]:
    """Seconds from readable to the verdict landed: single checks, then shared ones."""
    from composer.client import EventClient, parse_target
    from composer.domain.revisions import get_revision
    from composer.services.verify import Verifier, VerifyOutcome
    from composer.services.verify_shared import SharedChecks

    rev = "2026-07-15"
    single: list[float] = []
    shared: list[float] = []
    with run_in_thread(SandboxConfig(processing_delay=DELAY)) as url:
        async with EventClient(parse_target(url), KEY, revision=rev) as client:
            for n in range(5):
                verifier = Verifier(client)  # a cold cache: the profile and metric are new
                payload = _body(n, f"single{n}@example.com")
                readable = time.monotonic() + DELAY
                sent_at = time.time()
                assert (await client.send(json.dumps(payload).encode())).status == 202
                verdict = await verifier.verify(payload, get_revision(rev), sent_at, timeout=10)
                assert verdict.outcome is VerifyOutcome.LANDED, verdict
                single.append(time.monotonic() - readable)
            readable_at: dict[int, float] = {}

            def got(token: object, verdict: Any) -> None:
                assert verdict.outcome is VerifyOutcome.LANDED, verdict
                assert isinstance(token, int)
                shared.append(time.monotonic() - readable_at[token])

            checks = SharedChecks(Verifier(client), get_revision(rev), timeout=15, on_verdict=got)
            runner = asyncio.ensure_future(checks.run())
            for n in range(100, 300):  # 200 events of 20 profiles, 50 a second
                payload = _body(n, f"shared{n % 20}@example.com")
                readable_at[n] = time.monotonic() + DELAY
                sent_at = time.time()
                assert (await client.send(json.dumps(payload).encode())).status == 202
                checks.submit(n, payload, sent_at)
                await asyncio.sleep(0.02)
            checks.close()
            await runner
    return single, shared


def main() -> None:
    os.environ["KLAVIYO_API_KEY"] = KEY
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    from composer.sandbox.read_api import EVENTS as EVENTS_READ
    from composer.sandbox.read_api import METRICS as METRICS_READ
    from composer.sandbox.read_api import PROFILES as PROFILES_READ
    from composer.services.verify import READ_LIMITS

    limits = SandboxConfig()
    served = ", ".join(
        f"{e.name} {e.burst}/s {e.steady}/min" for e in (EVENTS_READ, METRICS_READ, PROFILES_READ)
    )
    paced = ", ".join(
        f"{path} {lim.burst.limit}/s {lim.steady.limit}/min" for path, lim in READ_LIMITS.items()
    )
    print(f"sandbox: Create Event {limits.burst_limit}/s {limits.steady_limit}/min; {served}")
    print(f"verifier paces reads at: {paced} (Klaviyo's, NOTES.md section 8)")
    plain: list[tuple[float, float]] = []
    verified: list[tuple[float, float]] = []
    doc: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        events = folder / "events.ndjson"
        write_events(events)
        for n in range(ROUNDS):
            plain.append(run(folder, events, f"plain{n}")[:2])
            took, cpu, doc = run(folder, events, f"verify{n}", "--verify", "--verify-timeout", "10")
            verified.append((took, cpu))
    v = doc["verification"]

    def listed(runs: list[tuple[float, float]]) -> str:
        return ", ".join(f"{wall:.2f} s ({cpu:.2f} s CPU)" for wall, cpu in runs)

    print(f"replay of {EVENTS} events ({PROFILES} profiles), {ROUNDS} rounds:")
    print(f"  without read-back: {listed(plain)}")
    print(f"  with --verify:     {listed(verified)}")
    print(
        f"last --verify run: checked {v['checked']}, landed {v['landed']}, not seen "
        f"{v['not_seen']}, {v['reads']} reads"
    )
    wall = min(t for t, _ in verified) / min(t for t, _ in plain)
    cpu = min(c for _, c in verified) / min(c for _, c in plain)
    print(
        f"ratio verified / plain (fastest of each): wall clock {wall:.2f}x, CPU time of the "
        f"process (sandbox thread included) {cpu:.2f}x (issue target <= 1.2x)"
    )
    single, shared = asyncio.run(_latencies())
    print(
        f"processing delay {DELAY:g} s, landed after readable: single check max "
        f"{max(single):.2f} s (of {len(single)}); replay checks max {max(shared):.2f} s, "
        f"median {sorted(shared)[len(shared) // 2]:.2f} s (of {len(shared)}) "
        "(issue target: within 1 s)"
    )

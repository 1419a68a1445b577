"""Read-back cost: the same replay of 1,000 events with and without `--verify`, in one process
against a sandbox over loopback (uvicorn, in a thread) with no processing delay, so the read
limits are what the verifier's own limiters allow (profiles 75/s, events 350/s). Prints the
wall-clock ratio (issue target: at most 1.2x) and how many reads the checks made."""

from __future__ import annotations

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


def run(folder: Path, events: Path, label: str, *extra: str) -> tuple[float, dict[str, Any]]:
    with run_in_thread(SandboxConfig(max_recorded=100_000)) as url:
        out = io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            args = ["--data-dir", str(folder / label), "replay", "--target", url, "--json"]
            code = cli([*args, *extra, str(events)])
        took = time.perf_counter() - started
    doc: dict[str, Any] = json.loads(out.getvalue())
    assert code == 0, doc
    return took, doc


def main() -> None:
    os.environ["KLAVIYO_API_KEY"] = "pk_" + "be" * 17
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        events = folder / "events.ndjson"
        write_events(events)
        plain = [run(folder, events, f"plain{n}")[0] for n in range(2)]
        verified, doc = run(folder, events, "verify", "--verify", "--verify-timeout", "10")
    v = doc["verification"]
    base = min(plain)
    print(f"replay of {EVENTS} events ({PROFILES} profiles): {base:.2f} s without read-back")
    print(
        f"with --verify: {verified:.2f} s; checked {v['checked']}, landed {v['landed']}, "
        f"not seen {v['not_seen']}, {v['reads']} reads"
    )
    print(f"ratio verified / plain: {verified / base:.2f}x (issue target <= 1.2x)")

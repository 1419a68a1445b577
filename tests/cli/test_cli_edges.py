"""Edges of the command line a user meets: a closed stdout pipe, resuming with every option."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from composer.cli.replay import resume_hint
from composer.services.replay import ReplayProgress, ReplaySummary

ROOT = Path(__file__).resolve().parents[2]
INVALID = {"data": {"type": "event", "attributes": {"properties": {}}}}


def run_with_closed_stdout(tmp_path: Path, *args: str) -> int:
    """Run the CLI with its stdout pipe closed before it prints (as `| head -0` would)."""
    env = {**os.environ}
    env.pop("KLAVIYO_API_KEY", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "composer", "--data-dir", str(tmp_path / "state"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # the reader went away: every write to stdout fails
    _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err, err.decode()
    return proc.returncode


def test_a_closed_pipe_keeps_the_exit_code_of_a_rejected_send(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(INVALID))
    # the send happened and got a 400: `send --force bad.json | head -1` must still fail
    assert run_with_closed_stdout(tmp_path, "send", "--force", str(path)) == 1


def test_a_closed_pipe_keeps_the_exit_code_of_a_replay_with_rejections(tmp_path):
    path = tmp_path / "events.ndjson"
    path.write_text(json.dumps(INVALID) + "\n")
    assert run_with_closed_stdout(tmp_path, "replay", "--force", str(path)) == 1


def test_the_resume_command_keeps_the_timeout():
    args = argparse.Namespace(
        path="events.ndjson",
        data_dir=None,
        target="sandbox",
        account=None,
        revision="2023-01-24",
        concurrency=16,
        attempts=None,
        timeout=7.5,
        burst_limit=None,
        steady_limit=None,
        force=False,
        fill_unique_id=True,
        history=True,
    )
    summary = ReplaySummary(
        run_id="6792bd9b-c30a-4d75-a7ee-a716d8acfc38",
        total_in_file=10,
        skipped=0,
        progress=ReplayProgress(total=10, done=4),
        events=(),
        interrupted=True,
        resume_skip=4,
    )
    assert "--timeout 7.5" in resume_hint(summary, args)
    args.as_is = True  # a yes to a retired revision at Klaviyo is given again on resume
    assert "--as-is" in resume_hint(summary, args)


def test_a_closed_pipe_keeps_the_exit_code_of_validate(tmp_path):
    good = ROOT / "resources" / "examples" / "placed-order.event.json"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(INVALID))
    assert run_with_closed_stdout(tmp_path, "validate", str(good), str(bad), str(good)) == 1

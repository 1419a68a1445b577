"""`replay --bulk` from inputs that can be read only once: a named pipe (FIFO) is sent like
standard input (read once, kept in a private temporary file), and an endless device is refused
with a sentence instead of being copied to the end."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

from composer.sandbox import SandboxConfig, run_in_thread
from tests.cli.test_replay_bulk_cli import ROOT, recorded, write_events


def _popen(*args: str, data_dir: Path, **kw) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("KLAVIYO_API_KEY", None)
    return subprocess.Popen(
        [sys.executable, "-m", "composer", "--data-dir", str(data_dir), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT, **kw,
    )  # fmt: skip


def test_a_named_pipe_is_replayed_in_bulk_once_its_writer_is_done(tmp_path):
    events = write_events(tmp_path / "events.ndjson", 25)
    fifo = tmp_path / "events.pipe"
    os.mkfifo(fifo)

    def writer() -> None:
        with fifo.open("wb") as out:
            out.write(events.read_bytes())

    with run_in_thread(SandboxConfig()) as url:
        proc = _popen("replay", str(fifo), "--bulk", "--target", url, data_dir=tmp_path)
        feed = threading.Thread(target=writer, daemon=True)
        feed.start()
        try:
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:  # a replay stuck reopening the pipe: unblock it, fail
                proc.kill()
                proc.communicate()
        assert proc.returncode == 0, err
        assert len(recorded(url)) == 25
    assert "25 events sent in 1 job" in out
    assert "internal error" not in err


def test_a_named_pipe_cannot_be_resumed(tmp_path):
    fifo = tmp_path / "events.pipe"
    os.mkfifo(fifo)
    proc = _popen("replay", str(fifo), "--bulk", "--resume", data_dir=tmp_path)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "--resume needs a regular file" in err and "events.pipe" in err


def test_an_endless_stream_on_standard_input_is_refused_not_copied_to_the_end(tmp_path):
    with open("/dev/zero", "rb") as zero:
        proc = _popen("replay", "-", "--bulk", data_dir=tmp_path, stdin=zero)
        _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert "too large to be one event" in err and "<stdin>" in err


def test_lines_of_one_job_sharing_a_fate_are_never_listed_as_a_range_they_do_not_fill(tmp_path):
    """A job groups its events by profile, so its lines need not be neighbours: lines 1, 3 and
    5 of one profile are listed as such, never as "1-5" (which would take in lines 2 and 4)."""
    from composer.sandbox import FaultKind
    from tests.cli.test_replay_bulk_cli import cli

    lines = []
    for i in range(6):
        attributes = {
            "profile": {"data": {"type": "profile", "attributes": {"email": f"p{i % 2}@x.test"}}},
            "metric": {"data": {"type": "metric", "attributes": {"name": "Placed Order"}}},
            "properties": {"OrderId": f"ORD-{i}"},
        }
        lines.append(json.dumps({"data": {"type": "event", "attributes": attributes}}))
    events = tmp_path / "events.ndjson"
    events.write_text("\n".join(lines) + "\n")
    failing = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.UNAVAILABLE,))
    with run_in_thread(failing) as url:
        done = cli("replay", str(events), "--bulk", "--attempts", "1", "--target", url,
                   data_dir=tmp_path)  # fmt: skip
    listed = re.findall(r"events\.ndjson:([^:]*): ", done.stderr)
    assert listed == ["1, 3, 5", "2, 4, 6"], done.stderr


def test_the_summary_says_how_many_of_the_files_events_were_sent(tmp_path):
    from tests.cli.test_replay_bulk_cli import cli

    events = write_events(tmp_path / "events.ndjson", 3)
    with events.open("a") as out:
        out.write("{not json\n")
    with run_in_thread(SandboxConfig()) as url:
        done = cli("replay", str(events), "--bulk", "--target", url, data_dir=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "3 of 4 events sent in 1 job in " in done.stdout, done.stdout

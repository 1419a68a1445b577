"""`event-composer replay`: files, progress, invalid events, Ctrl-C and resume."""

from __future__ import annotations

import io
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from composer.cli import main
from composer.cli.replay import ProgressLine, format_progress
from composer.sandbox import FaultKind, SandboxConfig, run_in_thread
from composer.services.replay import ReplayProgress

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "resources" / "examples" / "viewed-product.event.json").read_text())


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch):
    monkeypatch.delenv("KLAVIYO_API_KEY", raising=False)


def event(i, **changes):
    doc = json.loads(json.dumps(EXAMPLE))
    attributes = doc["data"]["attributes"]
    attributes.pop("unique_id", None)
    attributes["profile"]["$email"] = f"p{i}@example.com"
    attributes.update(changes)
    return doc


def write_ndjson(path, docs, extra_lines=()):
    lines = [json.dumps(d) for d in docs]
    for at, text in extra_lines:
        lines.insert(at, text)
    path.write_text("\n".join(lines) + "\n")
    return path


def replay(tmp_path, *args):
    return main(["--data-dir", str(tmp_path / "state"), "replay", *args])


def test_every_event_is_sent_and_summarised(tmp_path, capsys):
    path = write_ndjson(tmp_path / "events.ndjson", [event(i) for i in range(25)])
    assert replay(tmp_path, str(path)) == 0
    captured = capsys.readouterr()
    assert "accepted 25" in captured.out
    assert "25/25 events" in captured.err  # the final progress line


def test_a_json_array_and_a_json_summary(tmp_path, capsys):
    path = tmp_path / "events.json"
    path.write_text(json.dumps([event(i) for i in range(5)], indent=2))
    assert replay(tmp_path, "--json", str(path)) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["sent"] == 5 and doc["counts"]["2xx"] == 5 and doc["failures"] == []


def test_invalid_events_are_reported_by_line_and_not_sent(tmp_path, capsys):
    bad = event(99)
    del bad["data"]["attributes"]["metric"]
    path = write_ndjson(
        tmp_path / "events.ndjson", [event(0), bad, event(1)], extra_lines=[(3, "{oops")]
    )
    with run_in_thread(SandboxConfig()) as url:
        assert replay(tmp_path, "--target", url, str(path)) == 1
        stats = httpx.get(f"{url}/sandbox/stats").json()
    captured = capsys.readouterr()
    assert f"{path}:2: not sent: " in captured.err and "metric" in captured.err
    assert f"{path}:4: not sent: line 4, column" in captured.err
    assert "not sent (invalid) 2" in captured.out
    assert stats["requests"] == 2


def test_force_sends_the_invalid_ones_and_reports_the_400(tmp_path, capsys):
    bad = event(99)
    del bad["data"]["attributes"]["metric"]
    path = write_ndjson(tmp_path / "events.ndjson", [bad])
    assert replay(tmp_path, "--force", str(path)) == 1
    out = capsys.readouterr().out
    assert ":1: 400 Bad request" in out


@pytest.mark.parametrize(
    "content,words",
    [
        ("", "empty"),
        ("[{}, ", "element 2"),
    ],
)
def test_unreadable_files_exit_2(tmp_path, capsys, content, words):
    path = tmp_path / "events.json"
    path.write_text(content)
    assert replay(tmp_path, str(path)) == 2
    assert words in capsys.readouterr().err


def test_skip_beyond_the_file_is_refused(tmp_path, capsys):
    path = write_ndjson(tmp_path / "events.ndjson", [event(0)])
    assert replay(tmp_path, "--skip", "5", str(path)) == 2
    assert "holds only 1" in capsys.readouterr().err


def test_progress_redraws_in_place_on_a_terminal():
    stream = io.StringIO()
    now = [0.0]
    line = ProgressLine(stream, tty=True, clock=lambda: now[0])
    progress = ReplayProgress(total=10)
    for i in range(1, 11):
        progress.done = progress.sent = i
        progress.counts["2xx"] = i
        progress.elapsed = i * 0.5
        now[0] = i * 0.5
        line.update(progress, final=i == 10)
    text = stream.getvalue()
    assert text.count("\r") == 10 and text.endswith("\n") and text.count("\n") == 1
    assert "10/10 events · 2.0/s · 2xx 10" in text


def test_progress_prints_plain_lines_now_and_then_when_not_a_terminal():
    stream = io.StringIO()
    now = [0.0]
    line = ProgressLine(stream, tty=False, every=5, clock=lambda: now[0])
    progress = ReplayProgress(total=100)
    for i in range(1, 101):
        progress.done = progress.sent = i
        progress.elapsed = now[0] = i * 0.2  # 20 s in all
        line.update(progress, final=i == 100)
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    assert 4 <= len(lines) <= 6
    assert "ETA" in lines[0] and lines[-1].startswith("100/100")


def test_format_progress_names_every_count():
    p = ReplayProgress(total=1000, done=120, sent=120, elapsed=2.5)
    p.counts.update({"2xx": 110, "4xx": 6, "5xx": 2, "error": 2})
    assert format_progress(p) == (
        "120/1000 events · 48.0/s · 2xx 110 · 4xx 6 · 5xx 2 · no response 2 · ETA 18 s"
    )


@pytest.mark.parametrize(
    "signum,code",
    [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)],
    ids=["ctrl-c", "sigterm", "sighup"],
)
def test_a_signal_stops_cleanly_and_the_printed_command_resumes(tmp_path, signum, code):
    """A real process, a real signal; the resume command it prints finishes the job, sends
    nothing that was accepted before again, and the sandbox records every event exactly once."""
    n = 40
    path = write_ndjson(tmp_path / "events.ndjson", [event(i) for i in range(n)])
    config = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.SLOW,), slow_seconds=0.1)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("KLAVIYO_API_KEY", None)
    with run_in_thread(config) as url:
        cmd = [
            sys.executable,
            "-m",
            "composer",
            "--data-dir",
            str(tmp_path / "state"),
            "replay",
            str(path),
            "--target",
            url,
            "--concurrency",
            "4",
        ]
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and url.app.stats.accepted < 6:
            time.sleep(0.02)  # polling the sandbox for progress, bounded by the deadline
        assert url.app.stats.accepted >= 6, "the replay did not start"
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == code, err
        assert "Stopping" in err and "To resume:" in err
        run_id = err.split("Run ", 1)[1].split(":", 1)[0]
        resume_line = err.split("To resume:")[1].strip().splitlines()[0]
        resume = shlex.split(resume_line)
        assert resume[resume.index("replay") + 1 :][:2] == [str(path.resolve()), "--resume"]
        assert "Stopped" in out and run_id in out
        before = url.app.stats.requests
        accepted_before = url.app.stats.recorded
        done = subprocess.run(
            [sys.executable, "-m", "composer", *resume[1:]],
            capture_output=True,
            check=False,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert f"Resuming run {run_id}" in done.stderr
        resent = url.app.stats.requests - before
        recorded = httpx.get(f"{url}/sandbox/events").json()["events"]
    ids = [e["unique_id"] for e in recorded]
    assert len(ids) == len(set(ids)) == n
    assert sorted(e["profile"] for e in recorded) == sorted(
        f"email:p{i}@example.com" for i in range(n)
    )
    # what was accepted before the stop was not sent again
    assert resent <= n - accepted_before + 4


@pytest.mark.parametrize("source", ["pipe", "stdin"])
def test_events_from_a_pipe_go_out_while_the_pipe_is_still_being_written(tmp_path, source):
    """A pipe (or standard input) is read as it comes: the first events are sent and
    recorded while the writer has not even written the rest, and the run counts them all."""
    env = {k: v for k, v in os.environ.items() if k != "KLAVIYO_API_KEY"}
    fifo = tmp_path / "events.ndjson"
    os.mkfifo(fifo)
    with run_in_thread(SandboxConfig()) as url:
        command = [sys.executable, "-m", "composer", "--data-dir", str(tmp_path / "state")]
        command += ["replay", "-" if source == "stdin" else str(fifo), "--target", url, "--json"]
        command += ["--revision", "2023-01-24"]  # event() writes its flat layout
        proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE if source == "stdin" else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )
        try:
            writer = proc.stdin if source == "stdin" else open(fifo, "wb")  # noqa: SIM115
            assert writer is not None
            writer.write(b"".join(json.dumps(event(i)).encode() + b"\n" for i in range(5)))
            writer.flush()
            deadline = time.monotonic() + 30
            while httpx.get(f"{url}/sandbox/stats").json()["accepted"] < 5:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "nothing was sent before the input ended"
                time.sleep(0.05)
            writer.write(b"".join(json.dumps(event(i)).encode() + b"\n" for i in range(5, 8)))
            writer.close()
            proc.stdin = None  # closed: the end of the input
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        stats = httpx.get(f"{url}/sandbox/stats").json()
    assert proc.returncode == 0, err.decode()
    doc = json.loads(out)
    assert doc["sent"] == 8 and doc["events_in_file"] == 8 and stats["recorded"] == 8
    assert doc["content_hash"].startswith("sha256:")


def test_a_summary_counts_every_problem_beyond_those_it_keeps(tmp_path, capsys, monkeypatch):
    """The summary keeps the first events not accepted (memory stays flat however many fail)
    but counts them all: by delivery state and by status."""
    import composer.services.replay as replay_module

    monkeypatch.setattr(replay_module, "MAX_EVENTS_KEPT", 3)
    bad = [event(i) for i in range(8)]
    for doc in bad:
        del doc["data"]["attributes"]["metric"]
    path = write_ndjson(tmp_path / "events.ndjson", [event(100), *bad])
    assert replay(tmp_path, "--force", str(path)) == 1
    out = capsys.readouterr().out
    assert "not accepted 8" in out and "accepted 1" in out
    assert "Problems (8):" in out and "... and 5 more" in out
    assert "8 x 400 Bad request" in out
    assert replay(tmp_path, "--force", "--json", str(path)) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["delivery"]["not_accepted"] == 8 and len(doc["failures"]) == 3


def test_ctrl_c_stops_a_replay_of_standard_input_still_waiting_for_lines(tmp_path):
    """Standard input stays open with no more lines coming: Ctrl-C stops the run at once,
    prints how to resume and exits 130, without waiting for the read that never ends."""
    env = {k: v for k, v in os.environ.items() if k != "KLAVIYO_API_KEY"}
    with run_in_thread(SandboxConfig()) as url:
        command = [sys.executable, "-m", "composer", "--data-dir", str(tmp_path / "state")]
        proc = subprocess.Popen(
            [*command, "replay", "-", "--target", url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )
        assert proc.stdin is not None
        try:
            proc.stdin.write(json.dumps(event(0)).encode() + b"\n")
            proc.stdin.flush()
            deadline = time.monotonic() + 30
            while httpx.get(f"{url}/sandbox/stats").json()["accepted"] < 1:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)  # standard input still open: no end of the input
            assert proc.stdout is not None and proc.stderr is not None
            out, err = proc.stdout.read(), proc.stderr.read()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    text = err.decode()
    assert proc.returncode == 130, text
    assert "Fatal" not in text and "Traceback" not in text
    assert "--skip 1 --run-id" in text and "accepted 1" in out.decode()

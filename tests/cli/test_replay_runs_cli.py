"""`event-composer replay`: the run id and the file's hash in the history, `--resume` refusals,
unknown outcomes and sends the history could not record, in words, --json and the exit status."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys

import httpx

from composer.cli import main
from composer.sandbox import FaultKind, SandboxConfig, run_in_thread
from composer.storage.history import HistoryStore
from tests.cli.replay_kill_harness import ROOT, env_without_key, write_events


def replay(tmp_path, *args):
    return main(["--data-dir", str(tmp_path / "state"), "replay", *args])


def history_rows(tmp_path, sql, *params):
    with sqlite3.connect(tmp_path / "state" / "history.sqlite3") as conn:
        return conn.execute(sql, params).fetchall()


def test_the_run_id_is_printed_and_recorded_with_the_absolute_path_and_hash(
    tmp_path, capsys, monkeypatch
):
    import hashlib

    path = write_events(tmp_path / "events.ndjson", 0, 5)
    monkeypatch.chdir(tmp_path)
    assert replay(tmp_path, "--json", "events.ndjson") == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    digest = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    assert f"Run {doc['run_id']}: {path.resolve()} (5 events, {digest})" in captured.err
    assert doc["absolute_path"] == str(path.resolve()) and doc["content_hash"] == digest
    runs = history_rows(tmp_path, "SELECT id, path, content_hash, events, state FROM replay_run")
    assert runs == [(doc["run_id"], str(path.resolve()), digest, 5, "finished")]
    tagged = history_rows(
        tmp_path, "SELECT run_index FROM entry WHERE run_id = ? ORDER BY run_index", doc["run_id"]
    )
    assert [i for (i,) in tagged] == [0, 1, 2, 3, 4]
    # the history names the run and the event of the file each entry was
    (first,) = history_rows(
        tmp_path, "SELECT id FROM entry WHERE run_id = ? AND run_index = 0", doc["run_id"]
    )[0]
    assert main(["--data-dir", str(tmp_path / "state"), "history", "show", str(first)]) == 0
    shown = capsys.readouterr().out
    assert f"Replay: event 1 of 5 in {path.resolve()} ({digest}), run {doc['run_id']}" in shown
    assert main(["--data-dir", str(tmp_path / "state"), "history", "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(e["run_index"] for e in listed) == [0, 1, 2, 3, 4]
    assert {e["run_id"] for e in listed} == {doc["run_id"]}


def test_resume_refuses_a_file_that_changed(tmp_path, capsys):
    path = write_events(tmp_path / "events.ndjson", 0, 4)
    with run_in_thread(SandboxConfig()) as url:
        # a run that was stopped half-way (as if killed): recorded, unfinished
        assert replay(tmp_path, "--target", url, str(path)) == 0
        (run_id,) = history_rows(tmp_path, "SELECT id FROM replay_run")[0]
        with sqlite3.connect(tmp_path / "state" / "history.sqlite3") as conn:
            conn.execute("UPDATE replay_run SET state = 'running', writer_pid = NULL")
        path.write_text(path.read_text().replace("t0-p3", "t0-p99"))
        capsys.readouterr()
        sent_before = url.app.stats.requests
        assert replay(tmp_path, "--target", url, str(path), "--resume") == 2
        assert url.app.stats.requests == sent_before
    err = capsys.readouterr().err
    assert f"{path.resolve()} has changed since run {run_id}" in err
    assert "start a new run without --resume" in err


def test_resume_with_nothing_recorded_or_a_finished_run_says_so(tmp_path, capsys):
    path = write_events(tmp_path / "events.ndjson", 0, 2)
    assert replay(tmp_path, str(path), "--resume") == 2
    assert "no replay of" in capsys.readouterr().err
    assert replay(tmp_path, str(path)) == 0
    assert replay(tmp_path, str(path), "--resume") == 2
    assert "nothing to resume" in capsys.readouterr().err
    assert replay(tmp_path, "--resume", "-") == 2
    assert "standard input" in capsys.readouterr().err


def test_unknown_outcomes_are_counted_listed_and_fail_the_exit_status(tmp_path, capsys):
    """Every answer is a 504 after the event was recorded: nothing is "accepted", nothing is
    "failed" either; all are unknown, and the advice resumes with the same unique_ids."""
    path = write_events(tmp_path / "events.ndjson", 0, 3)
    config = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.GATEWAY_TIMEOUT,))
    with run_in_thread(config) as url:
        code = replay(tmp_path, "--json", "--attempts", "1", "--target", url, str(path))
    captured = capsys.readouterr()
    assert code == 1
    doc = json.loads(captured.out)
    assert doc["delivery"] == {"accepted": 0, "not_accepted": 0, "unknown": 3, "not_sent": 0}
    assert [e["line"] for e in doc["unknown"]] == [1, 2, 3]
    assert all(e["delivery"] == "unknown" and e["status"] == 504 for e in doc["unknown"])
    assert doc["all_accepted"] is False
    assert "3 event(s) may or may not have been recorded" in captured.err
    assert "--resume" in captured.err
    assert history_rows(tmp_path, "SELECT state FROM replay_run") == [("stopped",)]


def test_the_words_name_unknown_apart_from_failed(tmp_path, capsys):
    path = write_events(tmp_path / "events.ndjson", 0, 2)
    config = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.GATEWAY_TIMEOUT,))
    with run_in_thread(config) as url:
        assert replay(tmp_path, "--attempts", "1", "--target", url, str(path)) == 1
    out = capsys.readouterr().out
    assert "accepted 0 · not accepted 0 · unknown 2 · not sent (invalid) 0" in out
    assert "Unknown: may have been recorded, no 202 came back (2):" in out
    assert "Problems" not in out


def in_child(prelude: str, args: list[str]) -> list[str]:
    """A command that runs ``prelude`` (Python) in the new process, then becomes
    ``python -m composer ARGS``: set-up done in the child itself, without forking a
    multi-threaded test process through ``preexec_fn``."""
    code = f"import os, sys\n{prelude}\nos.execv(sys.executable, sys.argv[1:])"
    return [sys.executable, "-c", code, sys.executable, "-m", "composer", *args]


def disk_nearly_full(limit: int) -> str:
    # EFBIG instead of death when a file would grow past the limit: SQLite reports "database
    # or disk is full", as on a full disk.
    return (
        "import resource, signal\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))"
    )


def test_sends_the_history_could_not_record_are_counted_and_exit_3(tmp_path):
    """The disk fills up mid-run: every event is still sent and accepted, and the summary, the
    --json and the exit status say how many sends have no history row."""
    n = 30
    path = write_events(tmp_path / "events.ndjson", 0, n)
    state = tmp_path / "state"
    state.mkdir()
    HistoryStore(state / "history.sqlite3").close()  # created at its full size before the run
    with run_in_thread(SandboxConfig()) as url:
        # room for the run's first few writes, not for all of them
        limit = (state / "history.sqlite3").stat().st_size + 32 * 1024
        args = ["--data-dir", str(state), "replay", "--json", "--concurrency", "1"]
        done = subprocess.run(
            in_child(disk_nearly_full(limit), [*args, "--target", url, str(path)]),
            capture_output=True,
            text=True,
            env=env_without_key(),
            cwd=ROOT,
            timeout=60,
            check=False,
        )
        recorded = httpx.get(f"{url}/sandbox/events").json()["count"]
    assert recorded == n
    doc = json.loads(done.stdout)
    missing = doc["history"]["no_history_row"]
    rows = history_rows(tmp_path, "SELECT COUNT(*) FROM entry")[0][0]
    assert 0 < missing < n, done.stderr
    assert rows == n - missing
    assert doc["delivery"]["accepted"] == n
    assert done.returncode == 3, done.stderr


def test_closing_the_terminal_stops_the_run_cleanly_and_resume_finishes_it(tmp_path):
    """The replay runs in a real pseudo-terminal that is then closed: the kernel sends SIGHUP
    and every write to the terminal fails from then on (EIO). The run stops cleanly anyway
    (exit 129, marked stopped in the history, no traceback) and `--resume` finishes it with
    every event recorded exactly once."""
    import os
    import select
    import time

    n = 40
    path = write_events(tmp_path / "events.ndjson", 0, n)
    state = tmp_path / "state"
    config = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.SLOW,), slow_seconds=0.1)
    with run_in_thread(config) as url:
        master, slave = os.openpty()
        # A session leader that opens a terminal gets it as its controlling terminal.
        on_terminal = (
            f"fd = os.open({os.ttyname(slave)!r}, os.O_RDWR)\nfor n in (0, 1, 2): os.dup2(fd, n)"
        )
        args = ["--data-dir", str(state), "replay", str(path), "--target", url]
        proc = subprocess.Popen(
            in_child(on_terminal, [*args, "--concurrency", "4"]),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env=env_without_key(),
            cwd=ROOT,
        )
        shown = b""
        deadline = time.monotonic() + 30
        while url.app.stats.accepted < 6 and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.02)  # keep the terminal drained
            if ready:
                try:
                    shown += os.read(master, 65536)
                except OSError:
                    break
        assert url.app.stats.accepted >= 6, shown.decode(errors="replace")
        os.close(slave)  # held until now: the child may open it late
        os.close(master)  # the terminal window closes
        assert proc.wait(timeout=30) == 128 + signal.SIGHUP
        assert history_rows(tmp_path, "SELECT state FROM replay_run") == [("stopped",)]
        done = subprocess.run(
            [sys.executable, "-m", "composer", *args, "--resume"],
            capture_output=True,
            text=True,
            env=env_without_key(),
            cwd=ROOT,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        recorded = [e.profile for e in url.app.events()]
    assert "Traceback" not in shown.decode(errors="replace")
    assert sorted(recorded) == sorted(f"email:t0-p{i}@example.com" for i in range(n))

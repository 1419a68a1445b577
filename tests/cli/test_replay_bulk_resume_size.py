"""`replay --bulk --resume` packs the events left in jobs of the size the run was started with
(recorded with the run), unless --job-size is given again; a run recorded before the size was
resumes in full jobs and says so."""

from __future__ import annotations

import json
import sqlite3

import pytest

from composer.cli import main
from composer.sandbox import FaultKind, SandboxConfig, run_in_thread
from composer.services.replay_input import EventFile
from composer.services.replay_runs import plan_resume
from composer.storage.history import HistoryStore

N = 50


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch):
    monkeypatch.delenv("KLAVIYO_API_KEY", raising=False)


def write_events(path):
    lines = []
    for i in range(N):
        attributes = {
            "profile": {"data": {"type": "profile", "attributes": {"email": f"r{i}@shop.test"}}},
            "metric": {"data": {"type": "metric", "attributes": {"name": "Placed Order"}}},
            "properties": {"n": i},
        }
        lines.append(json.dumps({"data": {"type": "event", "attributes": attributes}}))
    path.write_text("\n".join(lines) + "\n")
    return path


def jobs_of(tmp_path, capsys, url, *args) -> int:
    """Replay in bulk to a sandbox that answers every job 504 (so the run stays resumable);
    the number of jobs the session sent (checked against the size it announced)."""
    main(["--data-dir", str(tmp_path / "s"), "replay", str(tmp_path / "e.ndjson"), "--bulk",
          "--attempts", "1", "--json", "--target", url, *args])  # fmt: skip
    out, err = capsys.readouterr()
    jobs = int(json.loads(out)["jobs"])
    size = int(err.split("in bulk jobs of up to ", 1)[1].split(" ", 1)[0].replace(",", ""))
    assert jobs == -(-N // size), err  # the jobs it sent are of the size it announced
    return jobs


@pytest.fixture
def lost_answers():
    config = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.GATEWAY_TIMEOUT,))
    with run_in_thread(config) as url:
        yield url


def test_a_resume_packs_by_the_job_size_the_run_was_started_with(tmp_path, capsys, lost_answers):
    write_events(tmp_path / "e.ndjson")
    assert jobs_of(tmp_path, capsys, lost_answers, "--job-size", "10") == N // 10
    assert jobs_of(tmp_path, capsys, lost_answers, "--resume") == N // 10  # not 1 job of 1,000
    # given again, --job-size wins for this session; the run keeps its own size
    assert jobs_of(tmp_path, capsys, lost_answers, "--resume", "--job-size", "25") == 2
    assert jobs_of(tmp_path, capsys, lost_answers, "--resume") == N // 10


def test_a_run_recorded_without_its_job_size_resumes_in_full_jobs_and_says_so(
    tmp_path, capsys, lost_answers
):
    events = write_events(tmp_path / "e.ndjson")
    assert jobs_of(tmp_path, capsys, lost_answers, "--job-size", "10") == N // 10
    # the record as the version before this one wrote it: no job_size among the options
    history = tmp_path / "s" / "history.sqlite3"
    with sqlite3.connect(history) as raw:
        raw.execute("UPDATE replay_run SET options = json_remove(options, '$.job_size')")
    raw.close()
    with HistoryStore(history) as store:
        plan = plan_resume(store.runs, EventFile.scan(events), lost_answers)
    assert plan.run.job_size is None
    from composer.services.bulk_file import resumed_job_size

    size, note = resumed_job_size(plan, None)
    assert size == 1000 and note is not None and "--job-size" in note
    assert jobs_of(tmp_path, capsys, lost_answers, "--resume") == 1

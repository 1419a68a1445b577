"""`event-composer replay FILE --verify` / `--verify-sample N`: after the sends, the accepted
events are read back from a sandbox over loopback (uvicorn); the verdicts are counted in the
summary and --json and kept in each event's history entry."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from composer.cli import main
from composer.sandbox import SandboxConfig, run_in_thread
from composer.services.replay_verify import AcceptedSend, SampleKeeper, choose_sample

KEY = "pk_" + "b4" * 17
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLAVIYO_API_KEY", KEY)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


def events_file(tmp_path: Path, count: int) -> Path:
    lines = []
    for i in range(count):
        attributes = {
            "profile": {"$email": f"r{i % 3}@example.com"},
            "metric": {"name": "Replayed Order"},
            "properties": {"n": i},
        }
        lines.append(json.dumps({"data": {"type": "event", "attributes": attributes}}))
    path = tmp_path / "events.ndjson"
    path.write_text("\n".join(lines) + "\n")
    return path


def replay(tmp_path: Path, url: str, path: Path, *args: str) -> int:
    return main(
        ["--data-dir", str(tmp_path / "state"), "replay", "--target", url, *args, str(path)]
    )


def run_json(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    return doc


def history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert main(["--data-dir", str(tmp_path / "state"), "history", "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_dropped_events_are_not_seen_and_the_rest_landed(tmp_path, capsys) -> None:
    config = SandboxConfig(drop_rate=0.4, drop_seed=11)
    with run_in_thread(config) as url:
        code = replay(
            tmp_path, url, events_file(tmp_path, 12), "--verify", "--verify-timeout", "1", "--json"
        )
        recorded = {e.properties.get("$event_id") for e in url.app.store.events}
    doc = run_json(capsys)
    assert code == 0  # every event was accepted (a 202 each): the verdicts do not change it
    v = doc["verification"]
    assert 0 < len(recorded) < 12  # the seed drops some and keeps some
    assert (v["checked"], v["accepted"], v["unchecked"]) == (12, 12, 0)
    assert v["landed"] == len(recorded)
    assert v["not_seen"] == 12 - len(recorded)
    assert v["cannot_check"] == v["skipped"] == 0
    assert len(v["events"]) == v["not_seen"]
    assert all(e["outcome"] == "not_seen" and e["likely_causes"] for e in v["events"])
    lines = [e["line"] for e in v["events"]]
    assert lines == sorted(lines)  # in file order, whatever order the 202s came in
    # each entry keeps its own verdict, and it matches what the sandbox recorded
    entries = history(tmp_path, capsys)
    assert len(entries) == 12
    for entry in entries:
        expected = "landed" if entry["unique_id"] in recorded else "not_seen"
        assert entry["verification"]["outcome"] == expected, entry


def test_a_denied_read_scope_cannot_be_checked_and_is_named(tmp_path, capsys) -> None:
    config = SandboxConfig(denied_scopes=frozenset({"events:read"}))
    with run_in_thread(config) as url:
        code = replay(tmp_path, url, events_file(tmp_path, 4), "--verify")
    out = capsys.readouterr().out
    assert code == 0
    assert "read back 4 of 4 accepted (every one): landed 0 · not seen 0 · cannot check 4" in out
    assert "events:read" in out
    entries = history(tmp_path, capsys)
    assert {e["verification"]["missing_scope"] for e in entries} == {"events:read"}


def test_a_sample_checks_n_events_spread_over_the_file(tmp_path, capsys) -> None:
    with run_in_thread(SandboxConfig()) as url:
        code = replay(tmp_path, url, events_file(tmp_path, 10), "--verify-sample", "3", "--json")
    doc = run_json(capsys)
    assert code == 0
    v = doc["verification"]
    assert (v["sample"], v["chosen"], v["checked"], v["landed"], v["unchecked"]) == (
        3,
        3,
        3,
        3,
        7,
    )
    checked = {e["run_index"] for e in history(tmp_path, capsys) if e["verification"]}
    assert checked == {1, 5, 8}


def test_without_verify_nothing_is_read_back(tmp_path, capsys) -> None:
    with run_in_thread(SandboxConfig()) as url:
        assert replay(tmp_path, url, events_file(tmp_path, 3), "--json") == 0
    doc = run_json(capsys)
    assert "verification" not in doc
    assert all(e["verification"] is None for e in history(tmp_path, capsys))


def test_a_bad_sample_size_is_refused_naming_the_option(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["replay", "--verify-sample", "0", str(events_file(tmp_path, 1))])
    assert stop.value.code == 2
    assert "--verify-sample" in capsys.readouterr().err


def sends(n: int) -> list[AcceptedSend]:
    return [AcceptedSend(i, i + 1, b"{}", 0.0, i, None) for i in range(n)]


@pytest.mark.parametrize(
    ("pool", "size", "expected"),
    [
        (10, 3, [1, 5, 8]),
        (10, None, list(range(10))),
        (4, 9, [0, 1, 2, 3]),
        (1000, 4, [125, 375, 625, 875]),
        (5, 5, [0, 1, 2, 3, 4]),
    ],
)
def test_the_sample_is_spread_evenly_and_the_same_every_time(pool, size, expected) -> None:
    chosen = [a.index for a in choose_sample(list(reversed(sends(pool))), size)]
    assert chosen == expected
    assert len(set(chosen)) == len(chosen)


@pytest.mark.parametrize("size", [1, 3, 20])
def test_a_sample_keeps_memory_bounded_by_its_size_however_long_the_run(size) -> None:
    keeper = SampleKeeper(size)
    most = 0
    for sent in sends(50_000):
        keeper.add(sent)
        most = max(most, len(keeper.kept))
    assert most <= max(2 * size, 1024) + 1  # not one send per accepted event
    chosen = [a.index for a in keeper.chosen()]
    assert len(chosen) == len(set(chosen)) == size
    assert chosen == sorted(chosen)
    # spread over the whole run, not bunched at its start: no gap wider than two slices
    width = 50_000 / size
    gaps = [b - a for a, b in zip([-1, *chosen], [*chosen, 50_000], strict=True)]
    assert max(gaps) <= 2 * width, gaps


@pytest.mark.parametrize(("pool", "size"), [(10, 3), (1000, 4), (4, 9), (1024, 20)])
def test_a_run_of_up_to_1024_accepted_events_gets_the_sample_of_all_of_them(pool, size) -> None:
    keeper = SampleKeeper(size)
    for sent in reversed(sends(pool)):  # answers come back in any order
        keeper.add(sent)
    assert keeper.chosen() == choose_sample(sends(pool), size)


def test_sigterm_during_the_read_back_stops_it_and_prints_the_summary(tmp_path) -> None:
    path = events_file(tmp_path, 10)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "KLAVIYO_API_KEY": KEY}
    with run_in_thread(SandboxConfig(drop_rate=1.0)) as url:
        cmd = [sys.executable, "-m", "composer", "--data-dir", str(tmp_path / "state")]
        cmd += ["replay", str(path), "--target", url, "--verify", "--verify-timeout", "120"]
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and url.app.stats.accepted < 10:
            time.sleep(0.02)  # polling the sandbox for progress, bounded by the deadline
        time.sleep(0.5)  # the checks are polling now (every event was dropped)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert time.monotonic() - started < 10  # not the 120 s the checks would have waited
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    assert "read back 0 of 10 accepted" in out
    assert "the read-back was stopped: 10 chosen events were not checked" in out


def test_the_checks_share_their_reads(tmp_path, capsys) -> None:
    # 30 events of 3 profiles and one metric: a listing per metric serves them all, instead of
    # a listing (or more) per event within the events endpoint's limits
    with run_in_thread(SandboxConfig()) as url:
        code = replay(tmp_path, url, events_file(tmp_path, 30), "--verify", "--json")
    v = run_json(capsys)["verification"]
    assert code == 0
    assert (v["checked"], v["landed"]) == (30, 30)
    assert v["reads"] <= 12, v["reads"]  # 3 profiles, the metric list, a few listings


def test_an_event_not_seen_of_a_one_line_array_is_named_by_number_and_column(
    tmp_path, capsys
) -> None:
    path = events_file(tmp_path, 12)
    docs = [json.loads(line) for line in path.read_text().splitlines()]
    one_line = tmp_path / "events.json"
    one_line.write_text(json.dumps(docs, separators=(",", ":")))
    with run_in_thread(SandboxConfig(drop_rate=0.4, drop_seed=11)) as url:
        replay(tmp_path, url, one_line, "--verify", "--verify-timeout", "1")
    out = capsys.readouterr().out
    missing = [line.strip() for line in out.splitlines() if "not seen (" in line]
    assert missing, out
    for line in missing:  # events.json:1:245: event 3: not seen (...)
        place, rest = line.split(": event ", 1)
        assert place.startswith(f"{one_line}:1:") and rest.split(":")[0].isdigit(), line

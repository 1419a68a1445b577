"""`send` records the unique_id it filled in and its advice resends with that id
(`event-composer history resend ID`), against a sandbox over loopback: never a duplicate."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from composer.cli import main
from composer.sandbox import FaultKind, SandboxConfig, run_in_thread

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "placed-order.event.json"


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch):
    monkeypatch.delenv("KLAVIYO_API_KEY", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


def cli(tmp_path, *args):
    return main(["--data-dir", str(tmp_path / "state"), *args])


def without_unique_id(tmp_path) -> str:
    doc = json.loads(EXAMPLE.read_text())
    doc["data"]["attributes"].pop("unique_id", None)
    path = tmp_path / "event.json"
    path.write_text(json.dumps(doc))
    return str(path)


def recorded(url):
    return httpx.get(f"{url}/sandbox/events").json()["events"]


def test_the_advice_after_an_unknown_outcome_resends_with_the_same_id(tmp_path, capsys):
    event = without_unique_id(tmp_path)
    drop = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.DROP,))
    with run_in_thread(drop) as url:
        assert cli(tmp_path, "send", "--attempts", "1", "--target", url, event) == 2
        out = capsys.readouterr().out
        first = recorded(url)
    assert "Outcome unknown" in out and "delivery: unknown" in out
    command = re.search(r"event-composer history resend (\d+)", out)
    assert command, out
    filled = re.search(r"unique_id (\S+) was filled in", out).group(1)
    assert [e["unique_id"] for e in first] == [filled]  # it was recorded after all
    assert cli(tmp_path, "history", "--json") == 0
    [row] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (row["delivery"], row["unique_id"]) == ("unknown", filled)

    # Following the advice, against the same sandbox state (same recorder), records nothing twice.
    with run_in_thread(SandboxConfig()) as url2:
        assert cli(tmp_path, "send", "--target", url2, "--json", event) == 0
        doc = json.loads(capsys.readouterr().out)
        fresh = doc["unique_id"]
        assert fresh != filled and doc["delivery"] == "accepted"
        entry = command.group(1)
        assert cli(tmp_path, "history", "resend", entry, "--target", url2) == 0
        resent = capsys.readouterr().out
        assert cli(tmp_path, "history", "resend", entry, "--target", url2) == 0
        again = capsys.readouterr().out
        events = recorded(url2)
    assert f"with its unique_id {filled}" in resent and "only once" in resent
    assert "202 Accepted: queued" in resent
    assert "not recorded again: a duplicate" in again
    assert sorted(e["unique_id"] for e in events) == sorted([fresh, filled])


def test_resend_refuses_an_entry_without_unique_id_that_may_have_been_recorded(tmp_path, capsys):
    event = without_unique_id(tmp_path)
    with run_in_thread(SandboxConfig()) as url:
        assert cli(tmp_path, "send", "--no-unique-id", "--target", url, event) == 0
        out = capsys.readouterr().out
        assert "history resend" not in out
        assert cli(tmp_path, "history", "resend", "1") == 2
        assert "records it twice" in capsys.readouterr().err
        assert cli(tmp_path, "history", "resend", "1", "--allow-duplicate") == 0
        # The example has a time: Klaviyo (and the sandbox) de-duplicate on it to the second.
        assert "not recorded again" in capsys.readouterr().out
        assert len(recorded(url)) == 1


def test_resend_of_a_missing_entry_says_so(tmp_path, capsys):
    assert cli(tmp_path, "history", "resend", "7") == 2
    assert "no entry 7" in capsys.readouterr().err


def test_history_show_says_the_delivery_and_how_to_resend(tmp_path, capsys):
    event = without_unique_id(tmp_path)
    server_error = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.SERVER_ERROR,))
    with run_in_thread(server_error) as url:
        assert cli(tmp_path, "send", "--attempts", "2", "--target", url, event) == 1
        capsys.readouterr()
    assert cli(tmp_path, "history", "show", "1") == 0
    out = capsys.readouterr().out
    assert "Delivery: Unknown: the event may have been recorded" in out
    assert "event-composer history resend 1" in out
    assert cli(tmp_path, "history", "--delivery", "unknown", "--json") == 0
    assert json.loads(capsys.readouterr().out)["id"] == 1


@pytest.mark.parametrize("allow_duplicate", [False, True])
def test_resend_of_a_bulk_job_sends_nothing_and_says_how_to_send_it_again(
    tmp_path, capsys, allow_duplicate
):
    """A job's body is not a Create Event body: resending it to /api/events can only be
    refused, and its events do have unique_ids, so "it has no unique_id" would be untrue."""
    from composer.storage.history import HistoryStore
    from tests.flows.test_job_events_gui import record_job

    state = tmp_path / "state"
    state.mkdir()
    entry = record_job(state, 3)
    with run_in_thread(SandboxConfig()) as url:
        extra = ["--allow-duplicate"] if allow_duplicate else []
        code = cli(tmp_path, "history", "resend", str(entry), "--target", url, *extra)
        sent = httpx.get(f"{url}/sandbox/stats").json()["requests"]
    err = capsys.readouterr().err
    assert code == 2
    assert sent == 0
    assert "is a bulk job" in err and "--bulk --resume" in err
    assert "no unique_id" not in err
    with HistoryStore(state / "history.sqlite3") as store:
        assert store.count() == 1

"""`send --env` and `validate --env`: variables resolved afresh on every send, environments
found beside the event, their target applied, the history keeping template and resolved bytes,
and bad environments refused with a message."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest

from composer.cli import main
from composer.domain.environments import Environment, write_environment_file
from composer.sandbox import SandboxConfig, run_in_thread

TEMPLATE = {
    "data": {
        "type": "event",
        "attributes": {
            "profile": {"$email": "{{$randomEmail}}", "$phone_number": "{{$randomPhone}}"},
            "metric": {"name": "Placed Order at {{store}}"},
            "properties": {"note": "{{quote}}", "at": "{{$now-1h}}"},
            "unique_id": "{{$uuid}}",
        },
    }
}


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch):
    monkeypatch.delenv("KLAVIYO_API_KEY", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.fixture
def collection(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / "orders").mkdir(parents=True)
    (root / "orders" / "placed.event.json").write_text(json.dumps(TEMPLATE, indent=2) + "\n")
    write_environment_file(
        root / "environments" / "staging.json",
        Environment(
            "staging",
            email_domain="qa.shop.example",
            variables={"store": "Berlin", "quote": 'say "hi" \\ now'},
        ),
    )
    return root


def run(tmp_path: Path, *args: str) -> int:
    return main(["--data-dir", str(tmp_path / "state"), *args])


def entries(tmp_path: Path) -> list:
    from composer.storage.history import HistoryStore

    with HistoryStore(tmp_path / "state" / "history.sqlite3") as store:
        return [store.get(row.id) for row in reversed(store.page())]


def test_send_resolves_with_the_collections_environment_and_keeps_the_template(
    tmp_path, collection, capsys
):
    event = collection / "orders" / "placed.event.json"
    assert run(tmp_path, "send", "--env", "staging", "--json", str(event)) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == 202 and doc["template"] == event.read_text()
    sent = json.loads(doc["resolved_body"])
    attrs = sent["data"]["attributes"]
    assert attrs["metric"]["name"] == "Placed Order at Berlin"
    assert attrs["properties"]["note"] == 'say "hi" \\ now'  # escaped, read back exactly
    assert attrs["profile"]["$email"].endswith("@qa.shop.example")
    assert str(uuid.UUID(attrs["unique_id"])) == attrs["unique_id"]
    assert doc["valid"] and doc["validation"] == []
    assert {v["name"]: v["source"] for v in doc["variables"]}["store"] == "environment"
    [entry] = entries(tmp_path)
    assert entry.template == event.read_text()
    assert entry.request.body.decode() == doc["resolved_body"]  # the exact bytes sent
    assert entry.row.environment == "staging"
    assert entry.row.unique_id == attrs["unique_id"]


def test_every_send_resolves_afresh_and_resend_sends_the_recorded_bytes(
    tmp_path, collection, capsys
):
    event = str(collection / "orders" / "placed.event.json")
    assert run(tmp_path, "send", "--env", "staging", event) == 0
    assert run(tmp_path, "send", "--env", "staging", event) == 0
    out = capsys.readouterr().out
    assert "Variables:" in out and '{{store}} = "Berlin"  (environment)' in out
    first, second = entries(tmp_path)
    assert first.request.body != second.request.body
    assert first.template == second.template
    assert run(tmp_path, "history", "resend", str(first.id), "--json") == 0
    capsys.readouterr()
    resent = entries(tmp_path)[-1]
    assert resent.request.body == first.request.body  # Resend exactly: the resolved bytes
    assert resent.template == first.template


def test_an_unknown_variable_is_not_sent_and_names_its_field(tmp_path, collection, capsys):
    event = collection / "orders" / "placed.event.json"
    # without --env: the built-ins resolve, {{store}} and {{quote}} are unknown
    assert run(tmp_path, "send", str(event)) == 2
    out = capsys.readouterr().out
    assert "NOT SENT" in out
    assert "metric.name: {{store}} has no value: no environment is chosen" in out
    assert "[variable-unknown]" in out
    assert not (tmp_path / "state" / "history.sqlite3").exists() or entries(tmp_path) == []


def test_the_environments_target_applies_unless_the_command_line_names_one(
    tmp_path, collection, capsys
):
    event = str(collection / "orders" / "placed.event.json")
    with run_in_thread(SandboxConfig()) as url:
        env = Environment("local", target=url, variables={"store": "S", "quote": "Q"})
        write_environment_file(collection / "environments" / "local.json", env)
        assert run(tmp_path, "send", "--env", "local", event) == 0
        assert httpx.get(f"{url}/sandbox/events").json()["count"] == 1
        # --target wins over the environment's: the in-process sandbox gets this one
        assert run(tmp_path, "send", "--env", "local", "--target", "sandbox", event) == 0
        assert httpx.get(f"{url}/sandbox/events").json()["count"] == 1
    assert [e.row.target for e in entries(tmp_path)] == [url, "sandbox"]


def test_env_by_path_and_user_folder(tmp_path, collection, capsys):
    event = tmp_path / "loose.json"
    event.write_text(json.dumps(TEMPLATE))
    user_env = tmp_path / "state" / "environments" / "mine.json"
    write_environment_file(user_env, Environment("mine", variables={"store": "U", "quote": "q"}))
    assert run(tmp_path, "send", "--env", "mine", "--json", str(event)) == 0
    doc = json.loads(capsys.readouterr().out)
    assert json.loads(doc["resolved_body"])["data"]["attributes"]["metric"]["name"].endswith("U")
    path = collection / "environments" / "staging.json"
    assert run(tmp_path, "send", "--env", str(path), "--json", str(event)) == 0
    doc = json.loads(capsys.readouterr().out)
    assert "Berlin" in doc["resolved_body"]


def test_a_missing_or_hostile_environment_is_refused_with_a_message(tmp_path, collection, capsys):
    event = str(collection / "orders" / "placed.event.json")
    assert run(tmp_path, "send", "--env", "prod", event) == 2
    err = capsys.readouterr().err
    assert "'prod' not found" in err and "staging" in err
    hostile = collection / "environments" / "leaky.json"
    hostile.write_text('{"variables": {"key": "pk_' + "a1" * 17 + '"}}')
    assert run(tmp_path, "send", "--env", "leaky", event) == 2
    err = capsys.readouterr().err
    assert str(hostile) in err and "private API key" in err and "a1a1a1" not in err
    assert not (tmp_path / "state" / "history.sqlite3").exists() or entries(tmp_path) == []


def test_validate_resolves_and_shows_the_resolved_body(tmp_path, collection, capsys):
    event = str(collection / "orders" / "placed.event.json")
    assert run(tmp_path, "validate", "--env", "staging", "--json", event) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["valid"] and "Berlin" in doc["resolved_body"]
    assert run(tmp_path, "validate", event) == 1
    out = capsys.readouterr().out
    assert "INVALID" in out and "{{quote}} has no value" in out

"""resources/examples is an example collection: `event-composer run resources/examples --env
sandbox --junit FILE` over loopback to the sandbox under uvicorn holds every expectation
(good payloads accepted, bad ones refused with the findings expected, a validator-only case,
variables resolved afresh on every run), and its JUnit report is valid."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import xmlschema

from composer.cli import main
from composer.sandbox import SandboxConfig, run_in_thread

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"
XSD = Path(__file__).parent / "junit" / "junit-10.xsd"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.fixture(autouse=True)
def _no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KLAVIYO_API_KEY", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


def test_the_example_collection_passes_against_the_sandbox_over_loopback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "examples.xml"
    args = ["--data-dir", str(tmp_path / "state"), "run", str(EXAMPLES), "--env", "sandbox"]
    with run_in_thread(SandboxConfig()) as url:
        assert main([*args, "--target", url, "--junit", str(junit)]) == 0, capsys.readouterr()
        assert main([*args, "--target", url]) == 0  # again: fresh variables, nothing de-duped
        events = url.app.events()
    out = capsys.readouterr().out
    assert "PASS  invalid/metric-name-too-long  400" in out
    assert "PASS  invalid/time-not-iso  ---" in out  # the validator's verdict only: not sent
    schema = xmlschema.XMLSchema(XSD)
    schema.validate(junit)
    suite = schema.to_dict(junit)["testsuite"][0]
    assert int(suite["@tests"]) >= 9 and suite["@failures"] == "0" and suite["@errors"] == "0"
    subscribers = [e.body for e in events if e.metric == "Subscribed In Store"]
    assert len(subscribers) == 2
    first, second = (s["data"]["attributes"] for s in subscribers)
    assert first["properties"]["Store"] == "Berlin"  # the environment's, over the collection's
    assert re.fullmatch(r"WELCOME-[0-9]+", first["properties"]["Coupon"])  # collection.json
    assert UUID.fullmatch(first["unique_id"]) and first["unique_id"] != second["unique_id"]
    assert first["profile"]["$email"].endswith("@example.com")


def test_the_templates_are_the_top_level_requests() -> None:
    from composer.storage.event_files import templates

    titles = [t.title for t in templates()]
    assert titles == ["Added to cart", "Placed order", "Started checkout", "Viewed product"]


def test_a_subfolder_runs_as_part_of_its_collection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--data-dir", str(tmp_path / "state"), "run", str(EXAMPLES / "variables")]
    with run_in_thread(SandboxConfig()) as url:
        assert main([*args, "--target", url]) == 0
        [event] = url.app.events()
    assert "PASS  variables/new-subscriber  202" in capsys.readouterr().out
    properties = event.body["data"]["attributes"]["properties"]
    assert properties["Store"] == "Online"  # collection.json, no environment chosen


def test_the_example_collection_is_in_the_stable_layout() -> None:
    from composer.domain.collection_rules import format_json

    files = [
        p
        for p in EXAMPLES.rglob("*.json")
        if not p.name.endswith(".event.json")  # request bodies are as their authors wrote them
    ]
    assert len(files) >= 10
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert format_json(json.loads(text)) == text, path

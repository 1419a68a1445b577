"""`event-composer run`: a collection sent over loopback to the sandbox under uvicorn, a line
per request and a summary, --json, JUnit XML valid against the Jenkins xUnit plugin's JUnit
schema, --bail, --data (CSV and NDJSON), --delay, and the exit codes (0 all held, 1 any
failed, 2 the collection or an option cannot be used)."""

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
import xmlschema

from composer.cli import main
from composer.sandbox import FaultKind, SandboxConfig, run_in_thread
from tests.services.conftest import example

KEY = "pk_" + "c4" * 17
XSD = Path(__file__).parent / "junit" / "junit-10.xsd"
METRIC = "/data/attributes/metric/name"


@pytest.fixture(autouse=True)
def _env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLAVIYO_API_KEY", KEY)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.fixture(scope="module")
def sandbox() -> Any:
    with run_in_thread(SandboxConfig()) as url:
        yield url


def write(root: Path, rel: str, value: Any) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value if isinstance(value, str) else json.dumps(value))
    return path


def collection(tmp_path: Path, *, failing: bool = False) -> Path:
    root = tmp_path / "checkout"
    write(root, "viewed.event.json", example().decode())
    write(root, "viewed.expect.json", {"status": 202})
    doc = json.loads(example())
    doc["data"]["attributes"]["metric"]["name"] = "M" * 200
    write(root, "invalid/long-name.event.json", doc)
    write(
        root,
        "invalid/long-name.expect.json",
        {
            "status": 202 if failing else 400,
            "findings": [] if failing else [{"rule": "invalid", "pointer": METRIC}],
            "validator": {"valid": False, "findings": [{"rule": "metric-name-length"}]},
        },
    )
    return root


def run(tmp_path: Path, url: str, *args: str) -> int:
    return main(["--data-dir", str(tmp_path / "state"), "run", "--target", str(url), *args])


def test_every_expectation_holds_exit_0_and_junit_is_valid(
    tmp_path: Path, sandbox: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "out" / "report.xml"
    junit.parent.mkdir()
    assert run(tmp_path, sandbox, str(collection(tmp_path)), "--junit", str(junit)) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("Running checkout (2 requests) against ")
    assert lines[1].startswith("PASS  viewed  202  history #1")
    assert lines[2].startswith("PASS  invalid/long-name  400  history #2")
    assert "2 requests: 2 passed, 0 failed in " in out and "All expectations held." in out
    xmlschema.XMLSchema(XSD).validate(junit)
    doc = xmlschema.XMLSchema(XSD).to_dict(junit)
    suite = doc["testsuite"][0]
    assert (suite["@name"], suite["@tests"], suite["@failures"], suite["@errors"]) == (
        "checkout",
        "2",
        "0",
        "0",
    )
    names = [(c["@classname"], c["@name"]) for c in suite["testcase"]]
    assert names == [("checkout", "viewed"), ("checkout.invalid", "invalid/long-name")]


def test_a_failed_expectation_exits_1_with_its_reason_in_every_output(
    tmp_path: Path, sandbox: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    root = collection(tmp_path, failing=True)
    junit = tmp_path / "report.xml"
    assert run(tmp_path, sandbox, str(root), "--junit", str(junit)) == 1
    out = capsys.readouterr().out
    assert "FAIL  invalid/long-name  ---" in out
    assert "      status 202: not sent: the validator found 1 error(s), first " in out
    assert "1 passed, 1 failed" in out
    schema = xmlschema.XMLSchema(XSD)
    schema.validate(junit)
    [failed] = [c for c in schema.to_dict(junit)["testsuite"][0]["testcase"] if "failure" in c]
    assert failed["failure"][0]["@message"].startswith("status 202: not sent")
    assert run(tmp_path, sandbox, str(root), "--json") == 1
    doc = json.loads(capsys.readouterr().out)
    assert (doc["ok"], doc["passed"], doc["failed"]) == (False, 1, 1)
    bad = doc["results"][1]
    assert bad["request"] == "invalid/long-name" and bad["sent"] is False
    assert [c["check"] for c in bad["checks"] if not c["passed"]] == ["status 202"]


def test_bail_stops_and_junit_lists_the_rest_as_skipped(
    tmp_path: Path, sandbox: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    root = collection(tmp_path)
    write(root, "viewed.expect.json", {"status": 400})
    junit = tmp_path / "report.xml"
    assert run(tmp_path, sandbox, str(root), "--bail", "--junit", str(junit), "--json") == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["bailed"] and doc["not_run"] == [{"request": "invalid/long-name", "row": None}]
    schema = xmlschema.XMLSchema(XSD)
    schema.validate(junit)
    suite = schema.to_dict(junit)["testsuite"][0]
    assert suite["@skipped"] == "1" and "skipped" in suite["testcase"][1]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("rows.csv", "sku,qty\nA-1,1\n\nB-2,2\n"),
        ("rows.ndjson", '{"sku": "A-1", "qty": 1}\n\n{"sku": "B-2", "qty": 2}\n'),
    ],
)
def test_data_runs_the_collection_once_per_row(
    tmp_path: Path, sandbox: Any, capsys: pytest.CaptureFixture[str], name: str, text: str
) -> None:
    data = write(tmp_path, name, text)
    junit = tmp_path / "report.xml"
    root = collection(tmp_path)
    body = json.loads(example(unique_id="{{$uuid}}"))
    body["data"]["attributes"]["properties"] = {"SKU": "{{sku}}", "Qty": "{{qty}}"}
    write(root, "viewed.event.json", body)
    assert run(tmp_path, sandbox, str(root), "--data", str(data), "--junit", str(junit)) == 0
    sent = [e.body["data"]["attributes"] for e in sandbox.app.events(2)]
    assert [a["properties"] for a in reversed(sent)] == [
        {"SKU": "A-1", "Qty": "1"},
        {"SKU": "B-2", "Qty": "2"},
    ]
    assert sent[0]["unique_id"] != sent[1]["unique_id"]  # resolved afresh for each send
    out = capsys.readouterr().out
    assert "(2 requests x 2 data rows)" in out
    assert "PASS  row 2  invalid/long-name  400" in out
    schema = xmlschema.XMLSchema(XSD)
    schema.validate(junit)
    assert [s["@name"] for s in schema.to_dict(junit)["testsuite"]] == [
        "checkout [row 1]",
        "checkout [row 2]",
    ]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.csv", "sku,qty\nA-1\n", "bad.csv, line 2: 1 values for 2 columns (sku, qty)"),
        ("bad.ndjson", '{"sku": [1]}\n', "bad.ndjson, line 1: sku must be text, a number"),
        ("empty.csv", "", "empty.csv: has no rows"),
        ("dup.csv", "a,a\n1,2\n", "dup.csv, line 1: the column 'a' is named twice"),
    ],
)
def test_a_bad_data_file_exits_2_and_sends_nothing(
    tmp_path: Path,
    sandbox: Any,
    capsys: pytest.CaptureFixture[str],
    name: str,
    text: str,
    message: str,
) -> None:
    data = write(tmp_path, name, text)
    before = len(sandbox.app.events())
    assert run(tmp_path, sandbox, str(collection(tmp_path)), "--data", str(data)) == 2
    assert message in capsys.readouterr().err
    assert len(sandbox.app.events()) == before


def test_a_collection_that_cannot_be_read_exits_2(
    tmp_path: Path, sandbox: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, sandbox, str(tmp_path / "nowhere")) == 2
    assert "nowhere: no such folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert run(tmp_path, sandbox, str(tmp_path / "empty")) == 2
    assert "holds no requests" in capsys.readouterr().err
    notes = write(tmp_path, "notes.json", "{}")
    assert run(tmp_path, sandbox, str(notes)) == 2
    assert "give a collection folder or a NAME.event.json" in capsys.readouterr().err


def test_one_request_file_runs_alone_and_hostile_files_are_warnings(
    tmp_path: Path, sandbox: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    root = collection(tmp_path)
    outside = write(tmp_path, "secret.event.json", example().decode())
    (root / "leak.event.json").symlink_to(outside)
    assert run(tmp_path, sandbox, str(root / "invalid" / "long-name.event.json")) == 0
    out = capsys.readouterr().out
    assert "(1 request)" in out and "PASS  long-name  400" in out
    assert run(tmp_path, sandbox, str(root)) == 0
    captured = capsys.readouterr()
    assert "warning: checkout/leak.event.json: a link to " in captured.err
    assert "outside the collection; not followed (skipped)" in captured.err


def test_delay_is_checked(tmp_path: Path, sandbox: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        run(tmp_path, sandbox, str(collection(tmp_path)), "--delay", "-5")
    assert stop.value.code == 2
    assert "must be from 0 to 600000 milliseconds" in capsys.readouterr().err
    assert run(tmp_path, sandbox, str(collection(tmp_path)), "--delay", "50") == 0


def test_environments_and_unknown_variables(
    tmp_path: Path, sandbox: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    root = collection(tmp_path)
    body = json.loads(example())
    body["data"]["attributes"]["properties"] = {"Store": "{{store}}"}
    write(root, "viewed.event.json", body)
    assert run(tmp_path, sandbox, str(root), "--json") == 1
    [viewed] = [r for r in json.loads(capsys.readouterr().out)["results"] if r["sent"] is False]
    assert viewed["request"] == "viewed"
    assert viewed["error"].startswith("viewed.event.json: /data/attributes/properties/Store: ")
    assert "{{store}} has no value" in viewed["error"] and viewed["error"].endswith("(not sent)")
    write(root, "environments/staging.json", {"variables": {"store": "Lyon"}})
    before = len(sandbox.app.events())
    assert run(tmp_path, sandbox, str(root / "invalid"), "--env", "staging") == 0  # found above
    assert run(tmp_path, sandbox, str(root), "--env", "staging") == 0
    assert sandbox.app.events(1)[0].body["data"]["attributes"]["properties"] == {"Store": "Lyon"}
    assert len(sandbox.app.events()) == before + 1  # the 400s are not recorded
    capsys.readouterr()
    assert run(tmp_path, sandbox, str(root), "--env", "prod") == 2
    err = capsys.readouterr().err
    assert "--env: environment 'prod' not found" in err and "staging" in err
    (root / "environments" / "leak.json").symlink_to(write(tmp_path, "x.json", "{}"))
    assert run(tmp_path, sandbox, str(root), "--env", "leak") == 2
    assert "outside the collection" in capsys.readouterr().err


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_cancels_the_send_under_way_and_still_reports(
    tmp_path: Path, signum: int, code: int
) -> None:
    root = collection(tmp_path)
    junit = tmp_path / "report.xml"
    env = {**os.environ, "KLAVIYO_API_KEY": KEY}
    slow = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.SLOW,), slow_seconds=30)
    with run_in_thread(slow) as url:
        cmd = [sys.executable, "-m", "composer", "--data-dir", str(tmp_path / "state")]
        cmd += ["run", str(root), "--target", str(url), "--junit", str(junit)]
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and url.app.stats.requests < 1:
            time.sleep(0.02)  # until the first send is at the sandbox, bounded by the deadline
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert "FAIL  viewed  ---" in out and "cancelled" in out
    assert "1 not run (interrupted)" in out
    schema = xmlschema.XMLSchema(XSD)
    schema.validate(junit)
    cases = schema.to_dict(junit)["testsuite"][0]["testcase"]
    assert "error" in cases[0] and "skipped" in cases[1]
    from composer.storage.history import HistoryStore
    from composer.storage.paths import StoragePaths

    with HistoryStore(StoragePaths.resolve(tmp_path / "state").history_db) as store:
        entry = store.get(1)
        assert store.count() == 1
    assert entry is not None and entry.row.state == "complete"
    outcome = entry.to_outcome()
    assert outcome.error is not None and outcome.error.kind.value == "cancelled"


def test_a_broken_collection_file_exits_2_before_any_send(
    tmp_path: Path, sandbox: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    root = collection(tmp_path)
    write(root, "collection.json", '{"variables": {"store": {"city": "Berlin"}}}')
    before = sandbox.app.stats.requests
    assert run(tmp_path, sandbox, str(root)) == 2
    assert "checkout/collection.json: variables.store must be a string" in capsys.readouterr().err
    assert sandbox.app.stats.requests == before


def test_landed_and_not_seen_against_a_sandbox_that_drops_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "drops"
    write(root, "kept.event.json", example(unique_id="{{$uuid}}").decode())
    write(root, "kept.expect.json", {"status": 202, "landed": True, "landed_within": 0.5})
    write(root, "lost.event.json", example(unique_id="{{$uuid}}").decode())
    write(root, "lost.expect.json", {"status": 202, "landed": False, "landed_within": 0.5})
    with run_in_thread(SandboxConfig(drop_rate=1.0)) as url:  # `sandbox --drop-rate 1`
        assert run(tmp_path, url, str(root), "--json") == 1
    results = {r["request"]: r for r in json.loads(capsys.readouterr().out)["results"]}
    assert results["lost"]["passed"] and results["lost"]["verification"] == "not_seen"
    kept = results["kept"]
    assert not kept["passed"] and kept["verification"] == "not_seen"
    [failed] = [c for c in kept["checks"] if not c["passed"]]
    assert failed["check"] == "landed" and failed["reason"].startswith("Not seen: ")


def test_a_key_typed_as_account_is_refused_and_never_sent(
    tmp_path: Path, sandbox: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sandbox.app.stats.requests
    key = "pk_" + "ab" * 17
    assert run(tmp_path, sandbox, str(collection(tmp_path)), "--account", key) == 2
    err = capsys.readouterr().err
    assert "looks like an API key" in err and key not in err
    assert sandbox.app.stats.requests == before


def test_a_junit_file_that_cannot_be_written_exits_2(
    tmp_path: Path, sandbox: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "no-such-folder" / "report.xml"
    assert run(tmp_path, sandbox, str(collection(tmp_path)), "--junit", str(target)) == 2
    captured = capsys.readouterr()
    assert f"--junit {target}: cannot be written" in captured.err
    assert "2 requests: 2 passed, 0 failed" in captured.out  # the run itself is reported

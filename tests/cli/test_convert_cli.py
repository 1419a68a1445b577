"""`event-composer convert` as a user runs it: a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from composer.domain.validator import validate_payload

ROOT = Path(__file__).resolve().parents[2]
ORDER = ROOT / "resources" / "examples" / "placed-order.event.json"


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "composer", "convert", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode()
    )


def test_old_file_to_newest_body_on_stdout_report_on_stderr() -> None:
    result = run("--to", "2026-07-15", str(ORDER))
    # the example has $consent, which no later revision can hold: exit 1, data kept
    assert result.returncode == 1, result.stderr
    body = json.loads(result.stdout)
    attrs = body["data"]["attributes"]["profile"]["data"]["attributes"]
    assert attrs["email"] == "ann.lee@example.com"
    assert attrs["properties"]["$consent"] == ["email", "sms"]
    assert "no equivalent  /data/attributes/profile/$consent" in result.stderr
    assert "moved          /data/attributes/profile/$email" in result.stderr
    assert validate_payload(body, "2026-07-15").valid


def test_exit_0_when_everything_finds_a_home_and_back_again(tmp_path: Path) -> None:
    body = json.loads(ORDER.read_text())
    del body["data"]["attributes"]["profile"]["$consent"]
    src = tmp_path / "order.json"
    src.write_text(json.dumps(body))
    up = run("--to", "2024-10-15", str(src))
    assert up.returncode == 0, up.stderr
    assert "every member found a home" in up.stderr
    down = run("--to", "2023-01-24", "--from", "2024-10-15", "-", stdin=up.stdout.encode())
    assert down.returncode == 0, down.stderr
    assert json.loads(down.stdout) == body


def test_report_as_json() -> None:
    result = run("--to", "2025-01-15", "--report-json", str(ORDER))
    report = json.loads(result.stderr)
    assert report["from"] == "2023-01-24" and report["to"] == "2025-01-15"
    assert report["complete"] is False
    assert [e["from"] for e in report["no_equivalent"]] == ["/data/attributes/profile/$consent"]


def test_unreadable_and_unparsable_input_exit_2(tmp_path: Path) -> None:
    missing = run("--to", "2026-07-15", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
    broken = run("--to", "2026-07-15", "-", stdin=b'{"data": ')
    assert broken.returncode == 2 and "line 1" in broken.stderr
    assert broken.stdout == "" and "Traceback" not in broken.stderr


def test_an_unknown_revision_is_refused_with_the_choices() -> None:
    result = run("--to", "2024-01-01", str(ORDER))
    assert result.returncode == 2
    assert "2026-07-15" in result.stderr


SPELLED = (
    '{"data": {"type": "event", "attributes": {"profile": {"$email": "a@b.co", "$latitude": '
    '40.71280}, "metric": {"name": "M"}, "properties": {"Price": 1.10, "Big": 1e2, "Long": '
    '0.30000000000000000001, "Tiny": 1E-7, "Neg": -0.0, "Many": [2.50, 3.0e0]}, "value": 9.990}}}'
)
LITERALS = ["40.71280", "1.10", "1e2", "0.30000000000000000001", "1E-7", "-0.0", "2.50", "3.0e0"]


def test_numbers_keep_their_spelling_there_and_back() -> None:
    up = run("--to", "2026-07-15", "--from", "2023-01-24", "-", stdin=SPELLED.encode())
    assert up.returncode == 0, up.stderr
    numbers = {token.strip(",[]") for token in up.stdout.split()}
    assert set(LITERALS) | {"9.990"} <= numbers
    down = run("--to", "2023-01-24", "--from", "2026-07-15", "-", stdin=up.stdout.encode())
    assert down.returncode == 1, down.stderr  # location.latitude is the legacy $latitude there
    assert json.dumps(json.loads(down.stdout)) == json.dumps(json.loads(SPELLED))
    # the same text once the layout is compared: every literal as it was written
    assert "".join(down.stdout.split()) == SPELLED.replace(" ", "").replace("\n", "")

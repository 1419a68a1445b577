"""`event-composer validate` as a user runs it: a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "resources" / "examples").glob("*.event.json"))


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "composer", "validate", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode()
    )


def test_examples_are_valid() -> None:
    assert len(EXAMPLES) >= 4
    result = run(*map(str, EXAMPLES))
    assert result.returncode == 0, result.stdout
    assert result.stdout.count(": valid") == len(EXAMPLES)


def test_json_output_one_line_per_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "data": {
                    "type": "event",
                    "attributes": {"profile": {}, "metric": {"name": "X"}, "properties": {}},
                }
            }
        )
    )
    result = run("--json", str(EXAMPLES[0]), str(bad))
    assert result.returncode == 1
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    # the examples are in the flat layout, so they are checked at its revision
    assert first == {
        "path": str(EXAMPLES[0]),
        "revision": "2023-01-24",
        "valid": True,
        "findings": [],
    }
    assert second["valid"] is False
    rules = {f["rule"]: f for f in second["findings"]}
    assert rules["profile-identifier"]["pointer"] == "/data/attributes/profile"
    assert rules["profile-identifier"]["severity"] == "error"
    assert rules["unique-id-missing"]["severity"] == "warning"


def test_stdin_and_syntax_error_exit_2() -> None:
    result = run("--json", "-", stdin=b'{\n  "data": [\n}')
    assert result.returncode == 2
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["rule"] == "json-syntax" and finding["line"] == 3
    assert "column" in finding


@pytest.mark.parametrize("make", ["missing", "folder", "binary"])
def test_unreadable_inputs_exit_2_without_traceback(tmp_path: Path, make: str) -> None:
    path = tmp_path / "x.json"
    if make == "folder":
        path.mkdir()
    elif make == "binary":
        path.write_bytes(b"\xff\xfe\x00junk")
    result = run("--json", str(path), str(EXAMPLES[0]))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    finding = json.loads(result.stdout.splitlines()[0])["findings"][0]
    assert finding["rule"] == "unreadable"


def test_readable_report_names_field_and_fix() -> None:
    body = json.dumps(
        {
            "data": {
                "type": "event",
                "attributes": {
                    "profile": {"$email": "a@example.com"},
                    "metric": {"name": "X"},
                    "properties": {},
                    "value": "9.99",
                    "unique_id": "u",
                },
            }
        }
    ).encode()
    result = run("-", stdin=body)
    assert result.returncode == 1
    assert "/data/attributes/value" in result.stdout
    assert "write 9.99 without quotes" in result.stdout


def test_valid_at_a_retired_revision_says_what_klaviyo_does_instead(tmp_path: Path) -> None:
    """A body checked at a retired revision is 'valid' for that revision's contract; Klaviyo
    today handles it as a newer one, and stderr says which and how to check or convert."""
    from composer.domain.convert import convert
    from composer.domain.revisions import REVISIONS, get_revision, oldest_supported

    flat = json.loads(EXAMPLES[0].read_text())
    later = tmp_path / "later.json"
    later.write_text(json.dumps(convert(flat, "2024-07-15").body))
    current = tmp_path / "current.json"
    current.write_text(json.dumps(convert(flat, "2026-07-15").body))
    same = run("--revision", "2024-07-15", str(later))
    other = run("--revision", "2023-01-24", str(EXAMPLES[0]))
    supported = run("--revision", "2026-07-15", str(current))
    assert same.returncode == other.returncode == supported.returncode == 0
    assert "retired" not in supported.stderr
    if not get_revision("2024-07-15").is_retired():
        return  # before 2026-07-15 it is not retired yet
    forward = oldest_supported().name
    assert "revision 2024-07-15 is retired" in same.stderr
    assert f"as {forward} (same layout)" in same.stderr and f"--revision {forward}" in same.stderr
    assert "revision 2023-01-24 is retired" in other.stderr
    assert "another layout" in other.stderr and f"convert --to {list(REVISIONS)[-1]}" in (
        other.stderr
    )
    assert "retired" not in run("--json", "--revision", "2024-07-15", str(later)).stderr

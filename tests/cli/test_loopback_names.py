"""Only what is certainly this machine is treated as this machine: a loopback address or
`localhost`. Another name that looks local (`app.localhost`, `localhost.localdomain`) is
resolved by DNS, which may answer with any host, so a key must not go there over plain http
as if it stayed on this machine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from composer.cli import main
from composer.client import TargetKind, parse_target

KEY = "pk_" + "a9" * 17


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1:8787", TargetKind.LOOPBACK),
        ("http://[::1]:8787", TargetKind.LOOPBACK),
        ("http://localhost:8787", TargetKind.LOOPBACK),
        ("http://app.localhost:8787", TargetKind.CUSTOM),
        ("http://localhost.localdomain:8787", TargetKind.CUSTOM),
    ],
)
def test_only_certain_names_are_this_machine(url: str, kind: TargetKind) -> None:
    assert parse_target(url).kind is kind


def test_no_key_goes_in_clear_to_a_name_dns_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KLAVIYO_API_KEY", KEY)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    event = tmp_path / "event.json"
    attributes = {"profile": {"$email": "a@example.com"}, "metric": {"name": "M"}}
    event.write_text(json.dumps({"data": {"type": "event", "attributes": attributes}}))
    code = main(["--data-dir", str(tmp_path / "state"), "send", "--target",
                 "http://app.localhost:8787", str(event)])  # fmt: skip
    said = capsys.readouterr()
    assert code == 2
    assert "NOT SENT" in said.err and "plain http" in said.err
    assert "on this machine" not in said.out + said.err
    assert KEY not in said.out + said.err

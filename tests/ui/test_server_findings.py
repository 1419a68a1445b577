"""A 400's findings join the Problems list once: what the server confirms is not listed twice."""

from __future__ import annotations

from typing import Any

from composer.domain.draft import sample_event
from composer.domain.findings import Finding, Severity
from composer.ui.editor import ComposerController

SAMPLE_REVISION = "2023-01-24"
"""The revision of the flat layout these tests' events (``sample_event()``) are written in."""


def _server(pointer: str, detail: str) -> Finding:
    return Finding(
        pointer,
        Severity.ERROR,
        "server-invalid",
        f"Invalid input. {detail}",
        source="server",
        meta={"detail": detail},
    )


def test_a_problem_the_server_confirms_is_listed_once(qtbot: Any) -> None:
    controller = ComposerController(debounce_ms=20, revision=SAMPLE_REVISION)
    body = sample_event()
    body["data"]["attributes"]["metric"]["name"] = ""
    controller.load_payload(body)
    (local,) = [f for f in controller.findings() if f.is_error]
    assert local.pointer == "/data/attributes/metric/name"

    other = _server("/data/attributes/time", "a problem only the server saw")
    controller.set_server_findings([_server(local.pointer, local.message), other])

    listed = controller.findings()
    assert [f.is_error for f in listed] == sorted((f.is_error for f in listed), reverse=True)
    errors = [f for f in listed if f.is_error]
    assert [f.source for f in errors] == ["server", "server"]
    assert [f.pointer for f in errors] == [local.pointer, other.pointer]

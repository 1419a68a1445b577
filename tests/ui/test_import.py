"""File ▸ Import requests: NDJSON and HAR into the history, a single request into the composer."""

from __future__ import annotations

import json

from composer.domain.draft import sample_event
from tests.ui.window_fixtures import message_box


def _event(metric: str) -> dict:  # type: ignore[type-arg]
    body = sample_event()
    body["data"]["attributes"]["metric"]["name"] = metric
    return body


def test_ndjson_lands_in_the_history_and_bad_lines_are_named(qtbot, make_window, tmp_path):
    window = make_window()
    path = tmp_path / "events.ndjson"
    lines = [json.dumps(_event("Placed Order")), "{not json", json.dumps(_event("Viewed Product"))]
    path.write_text("\n".join(lines) + "\n")
    typed = window.controller.text()

    window.import_path(path)

    qtbot.waitUntil(lambda: window.history_pane.model.total() == 2, timeout=5000)
    qtbot.waitUntil(lambda: message_box(window, "warning") is not None, timeout=5000)
    assert "line 2" in message_box(window, "warning").text()
    assert "Imported 2 requests" in window.statusBar().currentMessage()
    assert window.controller.text() == typed  # several requests: the composer is untouched


def test_a_har_with_one_request_also_opens_in_the_composer(qtbot, make_window, tmp_path):
    window = make_window()
    body = _event("Started Checkout")
    har = {
        "log": {
            "version": "1.2",
            "creator": {"name": "t", "version": "1"},
            "entries": [
                {
                    "startedDateTime": "2024-05-01T10:00:00.000Z",
                    "time": 12,
                    "request": {
                        "method": "POST",
                        "url": "https://a.klaviyo.com/api/events/",
                        "httpVersion": "HTTP/1.1",
                        "headers": [
                            {"name": "revision", "value": "2023-01-24"},
                            {"name": "Content-Type", "value": "application/json"},
                        ],
                        "queryString": [],
                        "cookies": [],
                        "headersSize": -1,
                        "bodySize": len(json.dumps(body)),
                        "postData": {"mimeType": "application/json", "text": json.dumps(body)},
                    },
                    "response": {
                        "status": 202,
                        "statusText": "Accepted",
                        "httpVersion": "HTTP/1.1",
                        "headers": [],
                        "cookies": [],
                        "content": {"size": 0, "mimeType": ""},
                        "redirectURL": "",
                        "headersSize": -1,
                        "bodySize": 0,
                    },
                    "cache": {},
                    "timings": {"send": 1, "wait": 10, "receive": 1},
                }
            ],
        }
    }
    path = tmp_path / "capture.har"
    path.write_text(json.dumps(har))

    window.import_path(path)

    qtbot.waitUntil(lambda: window.history_pane.model.total() == 1, timeout=5000)
    qtbot.waitUntil(lambda: json.loads(window.controller.text()) == body, timeout=5000)
    assert "into the composer" in window.statusBar().currentMessage()


def test_an_unreadable_file_is_explained(qtbot, make_window, tmp_path):
    window = make_window()
    window.import_path(tmp_path / "missing.ndjson")
    qtbot.waitUntil(lambda: message_box(window, "warning") is not None, timeout=5000)
    assert "missing.ndjson" in message_box(window, "warning").text()
    assert window.history_pane.model.total() == 0

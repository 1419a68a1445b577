"""Exports (HAR 1.2, NDJSON, cURL) and imports (NDJSON, JSON array, HAR)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from composer.domain.validator import Validator
from composer.storage.exports import curl_command
from composer.storage.history import HistoryQuery, HistoryStore
from composer.storage.imports import read_file
from tests.storage import factories as f

KEY = "pk_" + "exportsecret0123456789abcdef"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    with HistoryStore(tmp_path / "history.sqlite3") as s:
        for email, outcome in [
            ("ann@example.com", f.accepted),
            ("bad", f.rejected),
            ("cy@example.com", f.refused),
        ]:
            req = f.request(
                f.body(email=email, OrderId='O\'Brien & "Sons"'), auth=f"Klaviyo-API-Key {KEY}"
            )
            s.complete(s.begin(req, f.context(profile=email)), outcome(req))
        s.begin(f.request(f.body(metric="Started Checkout")), f.context())  # left pending
        yield s


def _export(store: HistoryStore, fmt: str, query: HistoryQuery | None = None) -> str:
    out = io.StringIO()
    store.export(fmt, out, query)
    return out.getvalue()


def test_har_export_is_har_1_2_with_every_entry(store: HistoryStore) -> None:
    har = json.loads(_export(store, "har"))
    log = har["log"]
    assert log["version"] == "1.2" and log["creator"]["name"] == "Event Composer"
    entries = log["entries"]
    assert len(entries) == 4
    for e in entries:  # the members HAR 1.2 requires
        assert {"startedDateTime", "time", "request", "response", "cache", "timings"} <= set(e)
        assert {
            "method",
            "url",
            "httpVersion",
            "cookies",
            "headers",
            "queryString",
            "headersSize",
            "bodySize",
        } <= set(e["request"])
        assert {
            "status",
            "statusText",
            "httpVersion",
            "cookies",
            "headers",
            "content",
            "redirectURL",
            "headersSize",
            "bodySize",
        } <= set(e["response"])
        assert e["startedDateTime"].endswith("Z")
    ok, bad, down, pending = entries
    assert (ok["response"]["status"], ok["response"]["statusText"]) == (202, "Accepted")
    assert bad["response"]["status"] == 400
    assert "not valid" in bad["response"]["content"]["text"]
    assert bad["_eventComposer"]["findings"][0]["source"] == "server"
    assert down["response"]["status"] == 0 and "refused" in down["response"]["_error"]
    assert pending["_eventComposer"]["state"] == "pending"
    assert json.loads(ok["request"]["postData"]["text"])["data"]["type"] == "event"
    assert KEY not in json.dumps(har)


def test_ndjson_export_is_one_valid_event_body_per_line(store: HistoryStore) -> None:
    text = _export(store, "ndjson")
    lines = text.splitlines()
    assert len(lines) == 4
    validator = Validator("2023-01-24")
    bodies = [json.loads(line) for line in lines]
    assert bodies[0]["data"]["attributes"]["profile"]["$email"] == "ann@example.com"
    assert validator.validate_payload(bodies[0]).valid
    only_4xx = _export(store, "ndjson", HistoryQuery(status_classes=("4xx",))).splitlines()
    assert [json.loads(x)["data"]["attributes"]["profile"]["$email"] for x in only_4xx] == ["bad"]


def test_ndjson_export_skips_bodies_that_are_not_json(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as s:
        s.begin(f.request(b"{not json"), f.context())
        s.begin(f.request(), f.context())
        out = io.StringIO()
        assert s.export("ndjson", out) == 1


def test_ndjson_round_trips_through_import(store: HistoryStore, tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    path.write_text(_export(store, "ndjson"))
    with HistoryStore(tmp_path / "other.sqlite3") as other:
        result = other.import_file(path)
        assert result.imported == 4 and result.problems == []
        rows = other.page()
        assert {r.state for r in rows} == {"imported"}
        assert {r.status_text for r in rows} == {"not sent"}
        assert other.count(HistoryQuery(text="cy@example.com")) == 1
        assert other.count(HistoryQuery(metric="Started Checkout")) == 1
        exported_again = io.StringIO()
        other.export("ndjson", exported_again)
        assert exported_again.getvalue() == path.read_text()


def test_events_import_reads_a_json_array_and_reports_bad_lines(tmp_path: Path) -> None:
    array = tmp_path / "events.json"
    array.write_text(json.dumps([json.loads(f.body()), json.loads(f.body(email="b@x.io"))]))
    assert len(read_file(array).bodies) == 2
    ndjson = tmp_path / "mixed.ndjson"
    ndjson.write_text(f.body().decode().replace("\n", "") + "\n\n{oops\n[1]\n")
    result = read_file(ndjson)
    assert len(result.requests) == 1
    assert result.problems[0].startswith("line 3: not JSON")
    assert result.problems[1] == "line 4: an event body is a JSON object, not list"


def test_har_round_trips_through_import_with_responses(store: HistoryStore, tmp_path: Path) -> None:
    path = tmp_path / "history.har"
    path.write_text(_export(store, "har"))
    with HistoryStore(tmp_path / "other.sqlite3") as other:
        result = other.import_file(path)
        assert result.imported == 4 and result.problems == []
        bad = other.page(HistoryQuery(status_classes=("4xx",)))[0]
        entry = other.get(bad.id)
        assert entry is not None
        assert entry.row.profile == "bad" and entry.row.account == "Staging"
        assert entry.findings[0].pointer == "/data/attributes/profile/$email"
        assert b"not valid" in entry.response_body
        assert other.count(HistoryQuery(status_classes=("2xx",))) == 1
        assert other.count(HistoryQuery(status_classes=("none",))) == 2  # no response recorded


def test_har_import_skips_other_requests_and_redacts_keys(tmp_path: Path) -> None:
    har = {
        "log": {
            "version": "1.2",
            "entries": [
                {
                    "startedDateTime": "2024-05-01T10:00:00.000Z",
                    "time": 12,
                    "request": {"method": "GET", "url": "https://www.example.com/", "headers": []},
                    "response": {"status": 200, "headers": [], "content": {"text": ""}},
                },
                {
                    "startedDateTime": "2024-05-01T10:00:01.000Z",
                    "time": 80,
                    "request": {
                        "method": "POST",
                        "url": "https://a.klaviyo.com/api/events/",
                        "headers": [
                            {"name": "Authorization", "value": f"Klaviyo-API-Key {KEY}"},
                            {"name": "revision", "value": "2023-01-24"},
                        ],
                        "postData": {"mimeType": "application/json", "text": f.body().decode()},
                    },
                    "response": {"status": 202, "headers": [], "content": {"text": ""}},
                },
            ],
        }
    }
    path = tmp_path / "browser.har"
    path.write_text(json.dumps(har))
    with HistoryStore(tmp_path / "h.sqlite3") as s:
        result = s.import_file(path)
        assert result.imported == 1
        assert "1 other request(s)" in result.problems[0]
        entry = s.get(1)
        assert entry is not None and entry.row.target == "production"
        assert entry.row.status == 202 and entry.row.metric == "Viewed Product"
        assert dict(entry.request.headers)["Authorization"] == "Klaviyo-API-Key ***"
    assert KEY.encode() not in (tmp_path / "h.sqlite3").read_bytes()


def test_a_file_that_is_not_har_says_so(tmp_path: Path) -> None:
    path = tmp_path / "x.har"
    path.write_text('{"nope": 1}')
    assert read_file(path).problems[0].startswith("not a HAR file")


class _Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.seen.append((self.path, dict(self.headers), self.rfile.read(length)))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_the_curl_export_repeats_the_request_with_the_key_from_the_environment(
    tmp_path: Path,
) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/api/events/"
        tricky = f.body(OrderId='O\'Brien & "Sons" $HOME `id`')
        req = f.request(tricky, auth=f"Klaviyo-API-Key {KEY}")
        req = type(req)(req.method, url, req.headers, req.body)
        with HistoryStore(tmp_path / "h.sqlite3") as s:
            s.complete(s.begin(req, f.context()), f.accepted(req))
            script = tmp_path / "requests.sh"
            with script.open("w") as out:
                s.export("curl", out)
            entry = s.get(1)
            assert entry is not None
            assert "$KLAVIYO_API_KEY" in curl_command(entry)
        assert KEY not in script.read_text()
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env.update(KLAVIYO_API_KEY=KEY, NO_PROXY="127.0.0.1")
        run = subprocess.run(
            ["sh", str(script)], check=False, env=env, capture_output=True, timeout=30
        )
        assert run.returncode == 0, run.stderr
        path, headers, sent = _Recorder.seen[-1]
        assert path == "/api/events/"
        assert headers["Authorization"] == f"Klaviyo-API-Key {KEY}"
        assert headers["revision"] == "2023-01-24"
        assert sent == tricky  # byte for byte, shell metacharacters and all
    finally:
        server.shutdown()
        server.server_close()

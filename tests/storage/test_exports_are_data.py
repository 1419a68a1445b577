"""Exports are data, never code: whatever text the history holds (targets, methods, URLs,
header names and values, bodies, status words; from sends or from an imported HAR), the cURL
script parses as a shell script (`bash -n`), and run against a loopback listener it makes
exactly the intended requests (same method, path and body bytes) and nothing else runs (a canary
file an injected command would create never appears). HAR and NDJSON stay valid JSON holding
the same values."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from composer.domain.outcome import RequestRecord
from composer.storage.exports import write_curl, write_har, write_ndjson
from composer.storage.records import HistoryEntry, HistoryRow
from tests.netns import listener

pytestmark = pytest.mark.skipif(
    shutil.which("bash") is None or shutil.which("curl") is None, reason="needs bash and curl"
)

CANARY = "CANARY"
HOSTILE = [
    f"$(touch {CANARY})",
    f"`touch {CANARY}`",
    f"'; touch {CANARY}; '",
    f'"; touch {CANARY}; "',
    f"\n touch {CANARY}\n",
    f"\r\ntouch {CANARY}\n#",
    f"\\\ntouch {CANARY}",
    "\x00",
    "%s%n%%\\n\\0",
    "$HOME ${PATH} $KLAVIYO_API_KEY",
    "\u2028\u2029\u202e\x1b[31m",
    "{a,b}[1-3]",
    "/../..",
    "@/etc/passwd",
    "-o/tmp/x",
    "é漢字🙂",
    "\ud800",
]
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

text = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=4).map("".join),
    st.tuples(st.text(max_size=10), st.sampled_from(HOSTILE), st.text(max_size=10)).map("".join),
)
method = st.one_of(st.sampled_from(["POST", "PUT", "PATCH", "DELETE", "GET"]), text)
body = st.one_of(st.binary(max_size=200), text.map(lambda t: t.encode("utf-8", "surrogatepass")))
header = st.tuples(st.one_of(st.sampled_from(["revision", "X-Note", "Content-Type"]), text), text)


def entry(
    number: int, *, base: str, target: str, method: str, path: str, headers, body: bytes, word: str
) -> HistoryEntry:
    # the path keeps the hostile characters: percent-encoded where a URL must, raw where it may
    url = f"{base}/x/" + quote(path, safe="/[]{}@$!*,;=", errors="surrogatepass")
    row = HistoryRow(
        id=number,
        created_ms=1_700_000_000_000 + number,
        state="imported",
        target=target,
        account=None,
        revision="2023-01-24",
        method=method,
        url=url,
        metric=word,
        profile=word,
        status=None,
        status_class="none",
        total_ms=None,
        error_kind=word or None,
        finding_count=0,
    )
    request = RequestRecord(method, url, tuple(headers), body)
    return HistoryEntry(row=row, request=request, completed_ms=None)


def entries_strategy(base: str):
    one = st.fixed_dictionaries(
        {
            "target": text,
            "method": method,
            "path": text,
            "headers": st.lists(header, max_size=3),
            "body": body,
            "word": text,
        }
    )
    return st.lists(one, min_size=1, max_size=3).map(
        lambda items: [entry(i + 1, base=base, **kw) for i, kw in enumerate(items)]
    )


SHELLS = ["bash"] + (["sh"] if shutil.which("sh") else [])
"""bash, and the system's sh (dash on Debian), which the script's #!/bin/sh names."""


def run_script(script: Path, cwd: Path, shell: str = "bash") -> subprocess.CompletedProcess[bytes]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd),
        "KLAVIYO_API_KEY": "pk_" + "a1" * 17,
    }
    return subprocess.run(
        [shell, str(script)],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=20,
        check=False,
    )


BASE = "http://listener.invalid"  # replaced by the running listener's address


def test_the_curl_export_makes_exactly_the_intended_requests(tmp_path):
    with listener(tmp_path) as server:
        # no shrinking: each example runs bash and curl; the first failure is shown as found
        @settings(
            max_examples=25,
            deadline=None,
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(entries=entries_strategy(BASE))
        def check(entries: list[HistoryEntry]) -> None:
            entries = [_moved(e, server.url) for e in entries]
            folder = Path(tempfile.mkdtemp(dir=tmp_path))
            script = folder / "requests.sh"
            with script.open("w", encoding="utf-8", newline="") as out:
                write_curl(entries, out)
            raw = script.read_bytes()
            # nothing a reader (or a terminal showing the script) would not see as itself
            unseen = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
            hidden = [
                c for c in raw.decode() if c not in "\n\t" and unicodedata.category(c) in unseen
            ]
            assert not hidden, raw.decode()
            parsed = subprocess.run(
                ["bash", "-n", str(script)], capture_output=True, timeout=30, check=False
            )
            assert parsed.returncode == 0, parsed.stderr
            intended = [e.request for e in entries if TOKEN.fullmatch(e.request.method)]
            want = [(r.method, urlsplit(r.url).path, r.body) for r in intended]
            for shell in SHELLS:
                before = len(server.requests())
                done = run_script(script, folder, shell)
                received = server.requests()[before:]
                assert not (folder / CANARY).exists(), raw.decode()
                got = [(r["method"], r["path"], bytes.fromhex(str(r["body"]))) for r in received]
                assert got == want, (shell, raw.decode(), done.stderr)

        check()


def _moved(e: HistoryEntry, base: str) -> HistoryEntry:
    url = e.request.url.replace(BASE, base, 1)
    request = RequestRecord(e.request.method, url, e.request.headers, e.request.body)
    return HistoryEntry(row=replace(e.row, url=url), request=request, completed_ms=None)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_har_and_ndjson_exports_hold_the_same_values_as_json(data):
    entries = data.draw(entries_strategy(BASE))
    # written as files are: UTF-8, where a lone surrogate cannot go as it is
    har = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    nd = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    assert write_har(entries, har) == len(entries)
    har.flush()
    doc = json.loads(har.buffer.getvalue().decode("utf-8"))
    for item, e in zip(doc["log"]["entries"], entries, strict=True):
        assert item["request"]["method"] == e.request.method
        assert item["request"]["url"] == e.request.url
        assert item["_eventComposer"]["target"] == e.row.target
        assert [[h["name"], h["value"]] for h in item["request"]["headers"]] == [
            list(h) for h in e.request.headers
        ]
    written = write_ndjson(entries, nd)
    nd.flush()
    lines = nd.buffer.getvalue().decode("utf-8").split("\n")
    assert lines[-1] == "" and len(lines) - 1 == written
    for line in lines[:-1]:
        json.loads(line)


def test_a_hostile_har_imported_then_exported_as_curl_stays_data(tmp_path, monkeypatch):
    """End to end through the command line: `history import` of a HAR whose target, headers
    and body hold shell code, then `history export --format curl`, then the script run."""
    from composer.cli import main

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    hostile = f"x\n touch {CANARY}\n# $(touch {CANARY}) `touch {CANARY}` '\"\\"
    body = json.dumps({"data": {"type": "event", "attributes": {"properties": {"n": hostile}}}})
    with listener(tmp_path) as server:
        har = {
            "log": {
                "entries": [
                    {
                        "startedDateTime": "2024-05-01T10:00:00Z",
                        "request": {
                            "method": "POST",
                            "url": f"{server.url}/api/events/",
                            "headers": [
                                {"name": "revision", "value": hostile},
                                {"name": "X-Note", "value": "'; touch CANARY; '"},
                            ],
                            "postData": {"text": body},
                        },
                        "response": {"status": 0},
                        "_eventComposer": {"target": hostile, "revision": hostile},
                    }
                ]
            }
        }
        source = tmp_path / "hostile.har"
        source.write_text(json.dumps(har), encoding="utf-8")
        state = ["--data-dir", str(tmp_path / "state")]
        assert main([*state, "history", "import", str(source)]) == 0
        script = tmp_path / "out.sh"
        assert main([*state, "history", "export", "--format", "curl", str(script)]) == 0
        parsed = subprocess.run(["bash", "-n", str(script)], capture_output=True, check=False)
        assert parsed.returncode == 0, parsed.stderr
        for shell in SHELLS:
            done = run_script(script, tmp_path, shell)
            assert done.returncode == 0, done.stderr
        received = server.requests()
    assert not (tmp_path / CANARY).exists()
    assert [(r["method"], r["path"], bytes.fromhex(str(r["body"]))) for r in received] == [
        ("POST", "/api/events/", body.encode())
    ] * len(SHELLS)
    # the header that can be sent as recorded is; the one with a line break is left out, saying so
    notes = {str(k).lower(): v for k, v in received[0]["headers"]}
    assert notes["x-note"] == "'; touch CANARY; '"
    assert "revision" not in notes and "left out" in script.read_text()

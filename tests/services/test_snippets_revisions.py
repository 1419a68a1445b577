"""Copy as Python per revision: the SDK release that speaks the request's revision, the body in
that revision's shape, and httpx with the revision's path and content type. The snippets run
against a loopback sandbox with the SDK they name (24.x in this venv, 1.1.0 from its cache)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from composer.domain.convert import body_shape
from composer.domain.outcome import RequestRecord
from composer.domain.revisions import REVISIONS, get_revision
from composer.sandbox import SandboxConfig, run_in_thread
from composer.services.snippets import as_python, as_python_httpx, as_python_sdk
from tests.sandbox.test_klaviyo_sdk import _sdk_1_1_0

ROOT = Path(__file__).resolve().parents[2]
FLAT = json.loads((ROOT / "resources" / "examples" / "viewed-product.event.json").read_text())
KEY = "pk_" + "d4" * 17


def recorded(
    revision: str,
    base: str = "https://a.klaviyo.com",
    *,
    path: str | None = None,
    media: str | None = None,
) -> RequestRecord:
    rev = get_revision(revision)
    return RequestRecord(
        "POST",
        base + (path or rev.path),
        (
            ("Authorization", "Klaviyo-API-Key ***"),
            ("revision", revision),
            ("Content-Type", media or rev.content_type),
        ),
        json.dumps(FLAT).encode(),
    )


def sdk_body(code: str) -> object:
    tree = ast.parse(code)
    [value] = [
        n.value
        for n in tree.body
        if isinstance(n, ast.Assign) and [ast.unparse(t) for t in n.targets] == ["body"]
    ]
    return ast.literal_eval(value)


@pytest.mark.parametrize("revision", list(REVISIONS))
def test_the_sdk_release_and_body_shape_follow_the_revision(revision: str) -> None:
    rev = get_revision(revision)
    req = recorded(revision)
    code = as_python(req)
    assert f"pip install klaviyo-api=={rev.sdk_version}" in code
    assert f"klaviyo-api {rev.sdk_version} sends revision {revision}" in as_python_sdk(req)
    assert body_shape(sdk_body(as_python_sdk(req))) is rev.shape


def test_httpx_gets_the_revision_path_and_content_type() -> None:
    req = recorded("2026-07-15", path="/api/events/", media="application/json")
    tree = ast.parse(as_python_httpx(req))
    [call] = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and ast.unparse(n.func) == "httpx.request"
    ]
    assert ast.literal_eval(call.args[1]) == "https://a.klaviyo.com/api/events"
    headers = ast.literal_eval(
        next(
            n.value
            for n in tree.body
            if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "headers"
        )
    )
    assert headers["Content-Type"] == "application/vnd.api+json"
    old = recorded("2023-01-24", path="/api/events")
    assert "https://a.klaviyo.com/api/events/'" in as_python_httpx(old)


def _run(code: str, url: str, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    code = code.replace("max_retries=3)", f"max_retries=3, test_host={url!r})")
    env = {**os.environ, "KLAVIYO_API_KEY": KEY}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_the_2026_07_15_sdk_snippet_runs_and_is_accepted() -> None:
    with run_in_thread(SandboxConfig()) as url:
        done = _run(as_python_sdk(recorded("2026-07-15")), url)
        events = url.app.events()
    assert done.returncode == 0, done.stderr[-2000:]
    assert [e.revision for e in events] == ["2026-07-15"]


def test_the_2023_01_24_sdk_snippet_runs_with_sdk_1_1_0() -> None:
    target = _sdk_1_1_0()
    with run_in_thread(SandboxConfig()) as url:
        done = _run(as_python_sdk(recorded("2023-01-24")), url, target)
        events = url.app.events()
    assert done.returncode == 0, done.stderr[-2000:]
    assert [e.revision for e in events] == ["2023-01-24"]

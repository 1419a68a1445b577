"""`event-composer --self-test` from the source install (the frozen run is `make
package-selftest`), and its reporting."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from composer.ui.selftest import SelfTest, StepFailed
from tests.packaging.conftest import ROOT


def test_a_failing_step_prints_fail_with_the_reason_and_fails_the_run(tmp_path):
    out = io.StringIO()
    test = SelfTest(tmp_path, out)

    def broken() -> str:
        raise StepFailed("the sandbox answered 500, expected 202")

    assert test.step("works", lambda: "fine") is True
    assert test.step("send", broken) is False
    assert test.step("crash", lambda: 1 / 0) is False
    lines = out.getvalue().splitlines()
    assert lines == [
        "PASS  works: fine",
        "FAIL  send: the sandbox answered 500, expected 202",
        "FAIL  crash: ZeroDivisionError: division by zero",
    ]


@pytest.mark.skipif(
    os.environ.get("EVENT_COMPOSER_BLOCK_QT") == "1",
    reason="the self-test starts Qt; this pass proves the rest runs without it",
)
def test_self_test_passes_every_step_from_the_source_install(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "KLAVIYO_API_KEY"}
    env["HOME"] = str(tmp_path)  # proves nothing is written to the user's folders
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    result = subprocess.run(
        [sys.executable, "-m", "composer", "--self-test"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    steps = [line for line in lines if line.startswith(("PASS", "FAIL"))]
    assert len(steps) == 7 and all(line.startswith("PASS") for line in steps), steps
    assert any("202" in line for line in steps)
    assert lines[-1] == "self-test: PASS (all 7 steps)"
    assert not any(
        (tmp_path / d).exists() and any((tmp_path / d).rglob("*.sqlite3"))
        for d in ("data", "config")
    )

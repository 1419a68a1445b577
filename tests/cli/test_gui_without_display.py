"""Over SSH or in a container there is no display: the app says so and points to the CLI."""

from __future__ import annotations

import os
import subprocess
import sys

from composer.cli.gui import no_display_reason


def test_no_display_is_explained_and_the_command_line_offered(tmp_path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    result = subprocess.run(
        [sys.executable, "-m", "composer", "--data-dir", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "no display" in result.stderr and "event-composer --help" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_display_or_an_explicit_platform_is_enough() -> None:
    assert no_display_reason({"DISPLAY": ":0"}) is None
    assert no_display_reason({"WAYLAND_DISPLAY": "wayland-0"}) is None
    assert no_display_reason({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert no_display_reason({}) is not None

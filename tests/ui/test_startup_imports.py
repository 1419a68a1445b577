"""The window paints before the network stack and the validator's libraries load: importing
the main window must not import them (they load on a worker thread after the first paint)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HEAVY = ("httpx", "jsonschema", "phonenumbers", "email_validator", "starlette", "uvicorn")


def test_the_main_window_module_leaves_heavy_libraries_for_later() -> None:
    code = (
        "import json, sys; import composer.app, composer.ui.main_window; "
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []

"""`event-composer --self-test`: proves that an installed or packaged copy of the app works.

Runs the steps a first session depends on, each against the real components, and prints one
``PASS``/``FAIL`` line per step:

1. the Qt application starts (offscreen: no display is needed, nothing is shown);
2. the bundled resources and data are there (schemas, templates, icons, the CA bundle);
3. the keyring's backends are discoverable (entry points survive freezing);
4. the sample event a new user starts with validates;
5. it is sent through the real send service to the in-process sandbox and answered 202;
6. the send's history entry is written to, and read back from, a temporary data folder;
7. the main window opens over that folder (the app's own start-up path), paints, and closes.

Exit status 0 only when every step passed, 1 otherwise. Nothing is written outside a temporary
folder (no user settings, no history, no keyring entry) and nothing reaches a network.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

SEND_TIMEOUT_S = 30.0
WINDOW_TIMEOUT_S = 30.0


class StepFailed(Exception):
    """A step's check did not hold; the message says what was expected and what was found."""


@dataclass
class SelfTest:
    """State shared between the steps of one run."""

    data_dir: Path
    out: TextIO
    results: list[tuple[str, bool, str]] = field(default_factory=list)
    qt_app: Any = None
    entry_id: int | None = None
    expected_metric: str | None = None
    run_gui: Callable[[Path], int] | None = None
    """The app's start (composer.app.run_gui), given by the caller: ui sits below app."""
    probe_env: str = ""
    """The variable that makes ``run_gui`` print ``window-shown`` on the first paint and quit."""

    def step(self, name: str, check: Callable[[], str]) -> bool:
        """Run one check; print and record PASS with its detail, or FAIL with the reason."""
        try:
            detail = check()
            ok = True
        except StepFailed as exc:
            ok, detail = False, str(exc)
        except Exception as exc:  # a self-test reports every failure as a line, never a trace
            ok = False
            detail = f"{type(exc).__name__}: {exc}"
            if os.environ.get("EVENT_COMPOSER_SELFTEST_TRACE") == "1":
                traceback.print_exc(file=self.out)
        self.results.append((name, ok, detail))
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}", file=self.out, flush=True)
        return ok

    # -- the steps -------------------------------------------------------------------------

    def qt_application(self) -> str:
        from PySide6 import __version__ as pyside_version
        from PySide6.QtCore import qVersion
        from PySide6.QtWidgets import QApplication, QLabel

        app = QApplication.instance() or QApplication([sys.argv[0], "-platform", "offscreen"])
        self.qt_app = app
        platform = QApplication.platformName()
        if platform != "offscreen":
            raise StepFailed(f"platform plugin is {platform!r}, expected 'offscreen'")
        # A widget drawn into an image proves the Widgets library, fonts and styles load.
        label = QLabel("Event Composer")
        label.adjustSize()
        pixmap = label.grab()
        if pixmap.isNull() or pixmap.width() == 0:
            raise StepFailed("a QLabel could not be drawn offscreen (fonts or style missing)")
        return f"Qt {qVersion()} (PySide6 {pyside_version}) on the offscreen platform"

    def resources(self) -> str:
        import certifi

        from composer.resources import resource, resources_dir

        missing = [
            str(p)
            for p in (
                resource("schemas"),
                resource("examples"),
                resource("icons", "event-composer-256.png"),
                Path(certifi.where()),
            )
            if not p.exists()
        ]
        if missing:
            raise StepFailed("missing from the bundle: " + ", ".join(missing))
        schemas = len(list(resource("schemas").glob("*.json")))
        examples = len(list(resource("examples").glob("*.event.json")))
        if schemas == 0 or examples == 0:
            raise StepFailed(f"{resources_dir()} holds {schemas} schemas and {examples} templates")
        return f"{schemas} schemas, {examples} templates, icons and the CA bundle in place"

    def keyring_backends(self) -> str:
        from importlib.metadata import entry_points

        import keyring.backend

        names = sorted(ep.name for ep in entry_points(group="keyring.backends"))
        if not names:
            raise StepFailed(
                "keyring finds no backends (its package metadata is missing from the bundle)"
            )
        viable = sorted(
            type(k).__module__.rsplit(".", 1)[-1] for k in keyring.backend.get_all_keyring()
        )
        return f"backends declared: {', '.join(names)}; usable here: {', '.join(viable) or 'none'}"

    def validate_sample(self) -> str:
        from composer.domain.convert import sample_event_in
        from composer.domain.revisions import DEFAULT_REVISION
        from composer.domain.validator import Validator

        report = Validator(DEFAULT_REVISION).validate_payload(sample_event_in(DEFAULT_REVISION))
        errors = [f for f in report.findings if f.severity.name == "ERROR"]
        if errors:
            raise StepFailed("the sample event has errors: " + "; ".join(f.message for f in errors))
        return f"sample event valid for revision {DEFAULT_REVISION} ({len(report.findings)} notes)"

    def send_to_sandbox(self) -> str:
        import asyncio
        import json

        from composer.domain.convert import sample_event_in
        from composer.domain.revisions import DEFAULT_REVISION, get_revision
        from composer.services.send import Sender
        from composer.storage import open_storage

        # The sample in the default revision's layout, sent with that revision (Sender's default).
        sample = sample_event_in(DEFAULT_REVISION)
        body = json.dumps(sample)
        metric = sample
        for key in get_revision(DEFAULT_REVISION).metric_name_path:
            metric = metric[key]

        async def send() -> Any:
            # environ={}: the sandbox's own key, never a KLAVIYO_API_KEY from the environment.
            async with Sender.open("sandbox", history=storage.history, environ={}) as sender:
                return await asyncio.wait_for(sender.send(body), SEND_TIMEOUT_S)

        with open_storage(self.data_dir, apply_retention=False) as storage:
            result = asyncio.run(send())
        outcome = result.outcome
        if outcome is None:
            raise StepFailed("the sample event was refused before sending (found invalid)")
        if outcome.error is not None:
            raise StepFailed(f"the sandbox could not be reached: {outcome.error}")
        if outcome.status != 202:
            raise StepFailed(f"the sandbox answered {outcome.status}, expected 202")
        if result.history_problem:
            raise StepFailed(result.history_problem)
        self.entry_id = result.history_id
        self.expected_metric = metric
        return f"202 from the sandbox in {outcome.total_ms:.0f} ms"

    def history_roundtrip(self) -> str:
        if self.entry_id is None:
            raise StepFailed("no history entry to read: the send step did not record one")
        from composer.storage import open_storage

        # A fresh open proves the entry reached the database file, not just a cache.
        with open_storage(self.data_dir, apply_retention=False) as storage:
            entry = storage.history.get(self.entry_id)
            total = storage.history.count()
        if entry is None:
            raise StepFailed(f"history entry {self.entry_id} was not found after the send")
        row = entry.row
        if (row.state, row.status, row.metric) != ("complete", 202, self.expected_metric):
            raise StepFailed(
                f"history entry {row.id} reads state={row.state!r} status={row.status} "
                f"metric={row.metric!r}; expected complete, 202, {self.expected_metric!r}"
            )
        return f"entry {row.id} (202, {row.metric}) read back; {total} entry in the history"

    def main_window(self) -> str:
        import io
        from contextlib import redirect_stdout

        from PySide6.QtCore import QTimer

        if self.run_gui is None or not self.probe_env:
            raise StepFailed("no way to start the app was given to the self-test")
        run_gui, STARTUP_PROBE_ENV = self.run_gui, self.probe_env

        # The app's own start-up path with its start-up probe: the window is built over the
        # temporary data folder, painted once (offscreen), and the app quits.
        previous = os.environ.get(STARTUP_PROBE_ENV)
        os.environ[STARTUP_PROBE_ENV] = "1"
        timed_out: list[bool] = []

        def give_up() -> None:
            timed_out.append(True)
            self.qt_app.quit()

        QTimer.singleShot(int(WINDOW_TIMEOUT_S * 1000), give_up)
        printed = io.StringIO()
        try:
            with redirect_stdout(printed):
                status = run_gui(self.data_dir)
        finally:
            if previous is None:
                os.environ.pop(STARTUP_PROBE_ENV, None)
            else:
                os.environ[STARTUP_PROBE_ENV] = previous
        if "window-shown" not in printed.getvalue():
            why = f"not painted within {WINDOW_TIMEOUT_S:.0f} s" if timed_out else "not painted"
            raise StepFailed(f"the main window was {why} (exit status {status})")
        if status != 0:
            raise StepFailed(f"the main window was shown but the app ended with status {status}")
        return "built over the temporary data folder, painted and closed"

    # -- the run ---------------------------------------------------------------------------

    def run(self) -> int:
        """Every step in order; 0 when all passed, 1 otherwise."""
        self.step("Qt application", self.qt_application)
        self.step("bundled data", self.resources)
        self.step("keyring backends", self.keyring_backends)
        self.step("sample event validates", self.validate_sample)
        self.step("send to the in-process sandbox", self.send_to_sandbox)
        self.step("history entry written and read", self.history_roundtrip)
        if self.results[0][1]:  # the window needs the Qt application of the first step
            self.step("main window opens", self.main_window)
        failed = [name for name, ok, _ in self.results if not ok]
        total = len(self.results)
        if failed:
            print(
                f"self-test: FAIL ({len(failed)} of {total} steps: {', '.join(failed)})",
                file=self.out,
            )
            return 1
        print(f"self-test: PASS (all {total} steps)", file=self.out)
        return 0


def run(
    out: TextIO | None = None,
    *,
    run_gui: Callable[[Path], int] | None = None,
    probe_env: str = "",
) -> int:
    """Run the self-test in a temporary data folder and return the exit status; the window
    step starts the app through ``run_gui`` with ``probe_env`` set."""
    # Before Qt is imported: the self-test must never need or open a display.
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    with tempfile.TemporaryDirectory(prefix="event-composer-selftest-") as tmp:
        test = SelfTest(Path(tmp), out or sys.stdout, run_gui=run_gui, probe_env=probe_env)
        return test.run()

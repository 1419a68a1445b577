"""The window's side of the runner: run a folder, a whole collection or one request of the
collections panel with the toolbar's target, account and revision (and the environment's
variables), show it in the runner view as it goes, cancel it, and open a result's request
and history entry. The run is a task on the window's loop: the composer stays usable, and
each send goes through the same history and rate limits as a Send from the composer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from composer.client.targets import Target
from composer.services.ports import SendGateway
from composer.storage.collections import Collection, CollectionError, RequestItem
from composer.ui.collection_model import CollectionTreeModel, Kind, Node
from composer.ui.dialogs import ask, question
from composer.ui.run_view import RunView
from composer.ui.tasks import TaskRunner, off_thread

if TYPE_CHECKING:  # the runner loads the network stack: with the first run, not at start
    from composer.domain.environments import Environment
    from composer.services.runner import RequestResult, Runner, RunProgress, RunReport
    from composer.ui.main_window import MainWindow


def _no_environment() -> Environment | None:
    return None


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    """Where a run sends and with which variables, read when a run starts: ``target``,
    ``account`` and ``revision`` from the toolbar, ``environment`` the one chosen in the
    toolbar (its variables fill ``{{name}}``; None: built-in variables only)."""

    target: Callable[[], Target]
    account: Callable[[], str | None]
    revision: Callable[[], str]
    environment: Callable[[], Environment | None] = _no_environment


class RunPart(QObject):
    """Runs collections through ``gateway`` into ``view``. ``started`` and ``finished(report)``
    bracket a run; ``resultOpened(collection, result)`` asks the window to open a result's
    request and history entry; ``message(text, ms)`` goes to the status bar."""

    message = Signal(str, int)
    started = Signal()
    finished = Signal(object)
    resultOpened = Signal(object, object)
    historyRequested = Signal(object)
    stepped = Signal(object)

    def __init__(
        self,
        parent: QWidget,
        *,
        gateway: SendGateway,
        view: RunView,
        model: CollectionTreeModel,
        settings: RunSettings,
        tasks: TaskRunner,
    ) -> None:
        super().__init__(parent)
        self._window = parent
        self._gateway = gateway
        self.view = view
        self._model = model
        self._settings = settings
        self._tasks = tasks
        self._runner: Runner | None = None
        self._task: asyncio.Task[RunReport | None] | None = None
        self._last: tuple[Collection, str, tuple[RequestItem, ...] | None] | None = None
        self._collection: Collection | None = None
        self.report: RunReport | None = None
        view.cancelRequested.connect(self.cancel)
        view.rerunRequested.connect(self.rerun)
        view.resultActivated.connect(self._open_result)
        view.historyRequested.connect(self.historyRequested.emit)

    def is_running(self) -> bool:
        return self._task is not None and not self._task.done()

    def run_node(self, node: Node | None) -> None:
        """Run the node's folder or collection (every request in run order), or one request."""
        if node is None:
            self.message.emit(
                "Choose a folder or a collection in the Collections panel to run.", 8000
            )
            return
        if node.kind is Kind.REQUEST:
            folder, _, name = node.key.rpartition("/")
            item = RequestItem(name, folder, node.badge is not None)
            self.run(node.collection, node.key, (item,))
        else:
            self.run(node.collection, node.key)

    def run(
        self, collection: Collection, folder: str, items: tuple[RequestItem, ...] | None = None
    ) -> asyncio.Task[RunReport | None] | None:
        """Start a run (one at a time; a second waits for the first to be cancelled)."""
        if self.is_running():
            self.message.emit("A run is under way: cancel it before starting another.", 8000)
            return None
        self._last = (collection, folder, items)
        self._task = self._tasks.spawn(self._run(collection, folder, items), "Run")
        return self._task

    def rerun(self) -> None:
        if self._last is not None:
            self.run(*self._last)

    def cancel(self) -> None:
        """Stop the run: the request under way is cancelled (its history entry says so)."""
        if self._runner is not None and self.is_running():
            self._runner.cancel()
            self.view.set_cancelling()

    async def stop(self) -> None:
        """The window closes: cancel a run and wait for it to end."""
        if self.is_running() and self._task is not None:
            self.cancel()
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 5)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()

    async def _run(
        self, collection: Collection, folder: str, items: tuple[RequestItem, ...] | None
    ) -> RunReport | None:
        what = collection.name + (f" / {folder.rstrip('/')}" if folder else "")
        settings = self._settings
        target = settings.target()
        environment = settings.environment()
        where = environment.name if environment is not None else target.label
        title = f"Run {what} · {where}"
        self._collection = collection
        try:
            todo = (
                list(items) if items is not None else await off_thread(collection.requests, folder)
            )
        except CollectionError as exc:
            self.view.start(title, [])
            self.view.show_problem(f"The run did not start: {exc}")
            self.started.emit()
            return None
        self.view.start(title, [i.key for i in todo])
        self.started.emit()
        if target.is_klaviyo and not await self._confirm_production(len(todo)):
            self.view.show_problem("Not run: nothing was sent to Klaviyo.")
            self.finished.emit(None)
            return None
        for item in todo:
            self._model.set_result(collection, item.key, None)
        try:
            if environment is not None:  # as this collection defines it, when it does
                environment = await off_thread(environment_for, collection, environment)
            sender = await self._gateway.run_sender(
                target=target, account=settings.account(), revision=settings.revision()
            )
        except Exception as exc:  # no key, a key that may not go there: said in words
            self.view.show_problem(f"The run did not start: {exc}")
            self.finished.emit(None)
            return None
        from composer.services.runner import Runner

        # a request in another layout than the toolbar revision's goes at its own, as opening
        # it in the composer switches the picker to it
        runner = Runner(sender, environment=environment, follow_layout=True)
        self._runner = runner
        try:
            report = await runner.run(collection, folder, progress=self._step, items=todo)
        except CollectionError as exc:
            self.view.show_problem(f"The run stopped: {exc}")
            self.finished.emit(None)
            return None
        finally:
            self._runner = None
            await sender.aclose()
        self.report = report
        self.view.finish(report)
        self.message.emit(f"{title}: {report.passed} passed, {report.failed} failed.", 10000)
        self.finished.emit(report)
        return report

    async def _confirm_production(self, count: int) -> bool:
        """A run to Klaviyo itself is asked every time: it sends many events at once."""
        account = self._settings.account()
        who = f"with the key of account “{account}”" if account else "(no account chosen)"
        box = question(
            self._window,
            "confirmProductionRun",
            "Run against Klaviyo production?",
            f"This sends {count} event{'s' * (count != 1)} to your live Klaviyo account {who}. "
            "They will show on real profiles and may trigger flows (emails, SMS).",
            QMessageBox.Icon.Warning,
        )
        go = box.addButton("&Run against production", QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        return await ask(box) is go

    def _step(self, progress: RunProgress) -> None:
        self.view.step(progress)
        result = progress.result
        if result is not None and self._collection is not None:
            self._model.set_result(self._collection, result.key, result.passed)
            self.stepped.emit(result)

    def _open_result(self, result: RequestResult) -> None:
        if self._collection is not None:
            self.resultOpened.emit(self._collection, result)


def environment_for(collection: Collection, chosen: Environment) -> Environment:
    """The environment ``chosen`` in the toolbar as the run's ``collection`` defines it (its
    ``environments/NAME.json`` of that name), else as chosen. Raises EnvironmentFileError
    when the collection's file cannot be used."""
    from composer.domain.environments import environment_path, read_environment_file

    path = environment_path(collection.root / "environments", chosen.name)
    if path.is_file():
        return read_environment_file(path).environment
    return chosen


def build_run_part(window: MainWindow) -> RunPart:
    """The window's runner and its view (a tab beside the response), wired to the window's
    parts: a result opens through the history part, each result refreshes the history."""
    layout = window.layout_parts
    assert window.gateway is not None  # the parts are built with it
    view = RunView()
    target_bar = window.target_bar
    part = RunPart(
        window,
        gateway=window.gateway,
        view=view,
        model=layout.collection_model,
        settings=RunSettings(
            target=target_bar.target,
            account=target_bar.account,
            revision=target_bar.revision,
            environment=window.environments.current,
        ),
        tasks=window.tasks,
    )
    part.message.connect(window.statusBar().showMessage)
    part.started.connect(lambda: layout.show_run_view(view))
    part.stepped.connect(lambda _r: window.history_part.refresh())
    part.resultOpened.connect(window.history_part.open_run_result)
    part.historyRequested.connect(lambda result: window.history_part.reveal(result.history_id))
    return part

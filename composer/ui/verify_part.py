"""After a 202: read the event back in the background and show in the response view whether it
was recorded. One check at a time; a new send, Check again or closing the window cancels the
one running. The reading and the wording are Qt-free (composer.services.verify,
composer.services.verify_text); this part only runs them through the window's TaskRunner."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from composer.services.ports import SendGateway
from composer.services.verify_text import (
    CheckRequest,
    checking_text,
    checks_automatically,
    failed_text,
    not_checked_text,
    offer_text,
    verdict_text,
)
from composer.ui.response_view import ResponseView
from composer.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from composer.services.verify import Verification

log = logging.getLogger(__name__)


class VerifyPart(QObject):
    """Runs the read-back check of the send on show. ``verified`` carries each
    :class:`Verification` once it is shown (None when the check itself could not run)."""

    verified = Signal(object)

    def __init__(
        self,
        parent: QObject,
        *,
        gateway: SendGateway,
        response_view: ResponseView,
        tasks: TaskRunner,
    ) -> None:
        super().__init__(parent)
        self._gateway = gateway
        self._view = response_view
        self._tasks = tasks
        self._settings: Any = None
        self._request: CheckRequest | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopped = False
        response_view.checkRequested.connect(self.check_again)

    def set_settings(self, settings: Any) -> None:
        """The settings that say which targets are checked automatically."""
        self._settings = settings

    def is_checking(self) -> bool:
        return self._task is not None and not self._task.done()

    def accepted(self, request: CheckRequest) -> None:
        """A send on show was accepted: check it now, or say that checks are off."""
        self.cancel()
        self._request = request
        if self._settings is not None and not checks_automatically(self._settings, request.target):
            self._view.show_not_checked(not_checked_text(request.target))
            return
        self._start()

    def offer(self, request: CheckRequest) -> None:
        """An older accepted send is on show (a history entry): offer Check now."""
        self.cancel()
        self._request = request
        self._view.show_not_checked(offer_text(request.target))

    def check_again(self) -> None:
        """Check the send on show again (Check again / Check now)."""
        if self._request is not None:
            self.cancel()
            self._start()

    def cancel(self) -> None:
        """Stop the check that is running (a new send starts, or the window closes)."""
        if self.is_checking() and self._task is not None:
            self._task.cancel()
        self._task = None

    def forget(self) -> None:
        """A new send is starting: stop checking, and nothing to check again."""
        self.cancel()
        self._request = None

    def stop(self) -> None:
        """The window is closing: cancel the check, start none."""
        self._stopped = True
        self.forget()

    def _start(self) -> None:
        if self._stopped or self._request is None:
            return
        request = self._request
        self._view.show_checking(checking_text(request.target))
        self._task = self._tasks.spawn(self._check(request), "Checking whether it was recorded")

    async def _check(self, request: CheckRequest) -> None:
        try:
            verdict: Verification = await self._gateway.verify(request)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a key gone, the app closing: say it, never a traceback
            log.warning("the read-back check failed: %s", exc)
            self._view.show_verdict(failed_text(str(exc)))
            self.verified.emit(None)
            return
        if self._stopped:
            return
        if request is self._request:
            self._view.show_verdict(verdict_text(verdict, request.target))
        self.verified.emit(verdict)

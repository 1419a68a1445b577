"""Send (Ctrl+Enter) and Cancel (Esc): validate, ask when the event has errors or goes to
production, hand the bytes to the send gateway, and show what came back."""

from __future__ import annotations

import asyncio
import time

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from composer.client.targets import KeyRoute, Target
from composer.domain.draft import new_unique_id
from composer.domain.findings import ValidationReport
from composer.domain.outcome import SendOutcome
from composer.services.keys import plain_http_refusal
from composer.services.outcome_text import cancelled_text, no_key_message
from composer.services.ports import SendGateway
from composer.services.retired import PlannedSend, needs_choice, plan
from composer.services.verify_text import CheckRequest
from composer.ui.dialogs import ask, question
from composer.ui.editor import ComposerController
from composer.ui.response_view import ResponseView
from composer.ui.retired_dialog import ask_retired_choice
from composer.ui.target_bar import TargetBar, target_headline
from composer.ui.tasks import TaskRunner
from composer.ui.verify_part import VerifyPart


class SendPart(QObject):
    """The send flow of the window ``parent``. ``sendingChanged(bool)`` drives the Send and
    Cancel controls; ``finished`` carries each :class:`SendOutcome`; ``cancelled`` fires when a
    send was stopped (the history has a row for it); ``message`` goes to the status bar."""

    sendingChanged = Signal(bool)
    finished = Signal(object)
    cancelled = Signal()
    message = Signal(str, int)
    nextUniqueIdChanged = Signal(object)
    """The unique_id the next Send from the composer carries (str), or None: the event's own."""

    def __init__(
        self,
        parent: QWidget,
        *,
        gateway: SendGateway,
        controller: ComposerController,
        target_bar: TargetBar,
        response_view: ResponseView,
        tasks: TaskRunner,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._window = parent
        self.gateway = gateway
        self.controller = controller
        self.target_bar = target_bar
        self.response_view = response_view
        self._task: asyncio.Task[None] | None = None
        self._production_confirmed = False
        self._key_hosts_confirmed: set[tuple[str, str]] = set()
        """(host, account) pairs the user agreed to send that account's key to, this session."""
        self.closing = False
        self._fresh_unique_id = True
        self._next_unique_id = new_unique_id()
        self.verify = VerifyPart(self, gateway=gateway, response_view=response_view, tasks=tasks)
        """The read-back check after a 202."""

    # -- the unique_id of the next Send --------------------------------------------------------

    def set_fresh_unique_id(self, fresh: bool) -> None:
        """Whether each Send from the composer gets a new unique_id (the setting)."""
        self._fresh_unique_id = fresh
        self.nextUniqueIdChanged.emit(self.next_unique_id())

    def next_unique_id(self) -> str | None:
        """The unique_id the next Send from the composer will carry (None: the event's own,
        when the setting to give each Send a new one is off)."""
        return self._next_unique_id if self._fresh_unique_id else None

    def _draw_next_unique_id(self) -> None:
        self._next_unique_id = new_unique_id()
        self.nextUniqueIdChanged.emit(self.next_unique_id())

    # -- sending -------------------------------------------------------------------------------

    def is_sending(self) -> bool:
        return self._task is not None and not self._task.done()

    def refusal(self, what: str) -> str | None:
        """Why ``what`` (e.g. "Not resent: history entry #12") cannot start now, in a
        sentence saying what to do; None when a send can start. One send at a time: the
        answer on screen and the history entry it completes belong to it."""
        if self.closing:
            return f"{what}: the window is closing."
        if self.is_sending():
            return (
                f"{what}: a send is under way. Wait for its answer, or press Esc to cancel "
                "it, then try again."
            )
        return None

    def _refused(self, what: str) -> bool:
        """Say in the status bar why ``what`` cannot start now (True), or nothing (False)."""
        reason = self.refusal(what)
        if reason is not None:
            self.message.emit(reason, 10000)
        return reason is not None

    def request_send(self) -> None:
        """Send (Ctrl+Enter): validate, confirm when needed, send, show the outcome."""
        if self._refused("Not sent"):
            return
        self.verify.forget()
        self._task = self._tasks.spawn(self._send_flow(self.controller.text()), "Send")

    def send_recorded(
        self, body: bytes, *, entry_id: int | None = None, template: str | None = None
    ) -> None:
        """Resend exactly: recorded bytes again, as they were, unique_id included (no
        re-validation). ``entry_id`` names the history entry they come from; ``template`` is
        the event with variables they were resolved from (kept in the new entry too)."""
        what = "Not resent" if entry_id is None else f"Not resent: history entry #{entry_id}"
        if self._refused(what):
            return
        text = body.decode("utf-8", "replace")
        self.verify.forget()
        self._task = self._tasks.spawn(
            self._send_flow(
                text, skip_validation=True, exactly=True, entry_id=entry_id, template=template
            ),
            "Send",
        )

    def cancel_send(self) -> None:
        """Cancel (Esc): stop the send that is running."""
        if self.is_sending() and self._task is not None:
            self._task.cancel()

    async def _send_flow(
        self,
        text: str,
        *,
        skip_validation: bool = False,
        exactly: bool = False,
        entry_id: int | None = None,
        template: str | None = None,
    ) -> None:
        """Validate (unless ``skip_validation``), confirm, send and show. ``exactly`` sends the
        bytes as they are (Resend exactly of history entry ``entry_id``: its unique_id kept);
        otherwise the event gets the next unique_id when each Send is to be a new event."""
        target = self.target_bar.target()
        revision = self.target_bar.revision()
        account = self.target_bar.account()
        if not skip_validation:
            report = self.controller.validate_now()
            if not report.valid and not await self._confirm_send_anyway(report):
                self.message.emit("Not sent: fix the problems or choose Send anyway.", 0)
                return
        if target.key_route is KeyRoute.NEVER:
            self.response_view.show_failure("Not sent: plain http", plain_http_refusal(target))
            return
        if account is None and not target.is_local:
            # no key can sign it: say so now rather than after the production question
            self.response_view.show_failure("Not sent: no API key", no_key_message(target, None))
            return
        if target.is_klaviyo and not await self._confirm_production(account):
            return
        confirmed = False
        if account is not None and target.key_route is KeyRoute.NAMED_ONLY:
            confirmed = await self._confirm_key_host(target, account)
            if not confirmed:
                self.response_view.show_failure(
                    "Not sent: the key stays here",
                    f"{target.base_url} is not Klaviyo, so the key of “{account}” was not sent. "
                    "Send again and choose “Send the key” to send it to that server.",
                )
                return
        body, extra_headers = text.encode("utf-8"), None
        if needs_choice(target, revision):
            planned = await self._retired_plan(body, revision)
            if planned is None:
                return
            body, revision, extra_headers = planned.body, planned.revision, planned.headers
        self.sendingChanged.emit(True)
        self.response_view.show_sending(target_headline(target).split(":")[0])
        fresh = None if exactly else self.next_unique_id()
        sent_at = time.time()
        try:
            result = await self.gateway.send_event(
                body,
                target=target,
                account=account,
                revision=revision,
                account_confirmed=confirmed,
                extra_headers=extra_headers or None,
                fresh_unique_id=fresh,
                exactly=exactly,
                # every Send resolves the event's {{variables}} afresh; Resend exactly does not
                variables=None if exactly else self.controller.variables(),
                template=template,
            )
        except asyncio.CancelledError as stop:
            # The send service's cancel carries the outcome it recorded (did the request leave?).
            # Imported here: the client (httpx) loads with the first send, not at start-up.
            from composer.client import SendCancelled
            from composer.services.send import finished

            recorded = stop.outcome if isinstance(stop, SendCancelled) else None
            if recorded is not None and finished(recorded):
                # the answer had come; the cancel met it while the history recorded it
                self._show_outcome(
                    recorded,
                    note="The answer came before the cancel took effect: this is what the "
                    "server said, and what the history keeps.",
                )
                return
            self.response_view.show_failure(*cancelled_text(recorded))
            self.cancelled.emit()
            return
        finally:
            self.sendingChanged.emit(False)
            if fresh is not None:
                self._draw_next_unique_id()  # the next Send is a new event, whatever happened
        note = None
        if exactly and result.unique_id:
            which = f"history entry #{entry_id}" if entry_id is not None else "the request"
            note = (
                f"Resent {which} exactly, with its unique_id: Klaviyo records an event with "
                "the same unique_id only once."
            )
        assert result.outcome is not None  # the gateway always sends
        self._show_outcome(
            result.outcome,
            unique_id=result.unique_id,
            history_problem=result.history_problem,
            note=note,
        )
        status = result.outcome.status
        if status is not None and 200 <= status < 300 and not self.closing:
            self.verify.accepted(
                CheckRequest(
                    result.body,
                    target,
                    account,
                    revision,
                    sent_at,
                    account_confirmed=confirmed,
                    entry_id=result.history_id,
                )
            )

    def _show_outcome(
        self,
        outcome: SendOutcome,
        *,
        unique_id: str | None = None,
        history_problem: str | None = None,
        note: str | None = None,
    ) -> None:
        self.response_view.show_outcome(
            outcome, unique_id=unique_id, history_problem=history_problem, note=note
        )
        if history_problem:
            self.message.emit(f"Not in the history: {history_problem}", 15000)
        if outcome.status == 400 and outcome.findings:
            self.controller.set_server_findings(list(outcome.findings))
        self.finished.emit(outcome)

    async def _retired_plan(self, body: bytes, revision: str) -> PlannedSend | None:
        """Ask how to send with a retired revision; the send it makes, or None (not sent)."""
        choice = await ask_retired_choice(self._window, revision)
        if choice is None:
            self.message.emit(f"Not sent: revision {revision} is retired.", 0)
            return None
        planned = plan(body, revision, choice)
        if planned.problem:
            self.response_view.show_failure("Not sent", planned.problem)
            return None
        if planned.report is not None:
            report = planned.report
            words = f"Sent as {planned.revision}: {len(report.moved)} member(s) moved"
            if report.homeless:
                where = "; ".join(f"{e.source} → {e.target}" for e in report.homeless[:3])
                words += f", {len(report.homeless)} without an equivalent, kept at {where}"
            self.message.emit(words, 20000)
        return planned

    async def _confirm_send_anyway(self, report: ValidationReport) -> bool:
        errors = report.errors
        listed = "\n".join(f"• {f.message}" for f in errors[:5])
        more = f"\n…and {len(errors) - 5} more" if len(errors) > 5 else ""
        box = question(
            self._window,
            "confirmSendAnyway",
            "The event has problems",
            f"Klaviyo will reject this event ({len(errors)} error"
            f"{'s' * (len(errors) != 1)}):\n\n{listed}{more}\n\n"
            "Send it anyway, for example to see how the server answers a bad payload?",
            QMessageBox.Icon.Warning,
        )
        anyway = box.addButton("&Send anyway", QMessageBox.ButtonRole.AcceptRole)
        fix = box.addButton("&Don't send", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(fix)
        box.setEscapeButton(fix)
        return await ask(box) is anyway

    async def _confirm_production(self, account: str | None) -> bool:
        if self._production_confirmed:
            return True
        who = f"with the key of account “{account}”" if account else "(no account chosen)"
        box = question(
            self._window,
            "confirmProduction",
            "Send to Klaviyo production?",
            f"This sends the event to your live Klaviyo account {who}. It will show on real "
            "profiles and may trigger flows (emails, SMS).\n\nYou are asked once per session.",
            QMessageBox.Icon.Warning,
        )
        go = box.addButton("&Send to production", QMessageBox.ButtonRole.AcceptRole)
        stay = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(stay)
        box.setEscapeButton(stay)
        if await ask(box) is go:
            self._production_confirmed = True
            return True
        return False

    async def _confirm_key_host(self, target: Target, account: str) -> bool:
        """Ask once per session, host and account before a key leaves for a server that is
        neither Klaviyo nor this machine."""
        slot = (target.host, account)
        if slot in self._key_hosts_confirmed:
            return True
        box = question(
            self._window,
            "confirmKeyHost",
            "Send the API key to another server?",
            f"{target.host} is not Klaviyo and not this machine. Sending there gives it the "
            f"private API key of the account “{account}”, with which it can act on your "
            "Klaviyo account.\n\nSend the key only to a server you trust. You are asked once "
            "per session for each server and account.",
            QMessageBox.Icon.Warning,
        )
        go = box.addButton(f"Send the &key to {target.host}", QMessageBox.ButtonRole.AcceptRole)
        stay = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(stay)
        box.setEscapeButton(stay)
        if await ask(box) is go:
            self._key_hosts_confirmed.add(slot)
            return True
        return False

    async def stop(self) -> None:
        """No new sends; cancel the one running and close the gateway's HTTP clients."""
        self.closing = True
        self.verify.stop()
        if self.is_sending() and self._task is not None:
            self._task.cancel()
        await self.gateway.aclose()

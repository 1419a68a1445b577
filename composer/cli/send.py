"""`event-composer send PATH|- [--target sandbox|production|URL] [--account NAME] [--json]`

Exit 0 when the event was accepted (2xx), 1 on an HTTP error status, 2 on bad input (unreadable
or invalid event, bad target, no key) or when no answer came back (no connection), 3 with
``--verify`` when it was accepted but not seen when read back."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from composer.cli import EXIT_BAD_INPUT, EXIT_INVALID, EXIT_OK, data_dir_from, print_out
from composer.cli.env_option import (
    add_env_option,
    apply_environment,
    layout_note,
    load_environment,
    revision_for_body,
)
from composer.cli.verify_option import add_verify_options, render_verification, verified_exit

if TYPE_CHECKING:
    from composer.client import ClientSettings, Target
    from composer.domain.outcome import SendOutcome
    from composer.services.send import Sender, SendResult
    from composer.services.verify import Verification

EXIT_HTTP_ERROR = EXIT_INVALID
EXIT_INTERRUPTED = 130


def add_common_options(p: argparse.ArgumentParser) -> None:
    """Options shared by `send` and `replay`."""
    from composer.domain.revisions import DEFAULT_REVISION, REVISIONS

    p.add_argument(
        "--target",
        default="sandbox",
        metavar="sandbox|production|URL",
        help="where to send: the built-in sandbox (default, in-process), Klaviyo production "
        "(https://a.klaviyo.com), or a base URL such as http://127.0.0.1:8787 (e.g. "
        "`event-composer sandbox`; any other URL is not Klaviyo)",
    )
    p.add_argument(
        "--account",
        metavar="NAME",
        help="use the API key stored in the OS keyring for account NAME (see `event-composer "
        "key set`); without it, KLAVIYO_API_KEY is used. The sandbox needs no key",
    )
    p.add_argument(
        "--revision",
        default=DEFAULT_REVISION,
        choices=sorted(REVISIONS),
        help=f"API revision (default {DEFAULT_REVISION}; without it, an event in the flat "
        "layout of 2023-01-24 goes at 2023-01-24, and --bulk converts it)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="send events that fail validation too (to reproduce bad payloads)",
    )
    p.add_argument(
        "--no-unique-id",
        dest="fill_unique_id",
        action="store_false",
        help="do not fill a unique_id into events that lack one (then a retry "
        "could record an event twice, so such events are never retried)",
    )
    p.add_argument(
        "--no-history",
        dest="history",
        action="store_false",
        help="do not record the send in the history",
    )
    p.add_argument(
        "--attempts",
        type=int,
        default=None,
        metavar="N",
        help="tries per event, the first included (default 4; 1 = no retries)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="give up on one event after this long, retries included (default 180)",
    )


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "send",
        help="validate and send one event",
        description="Validate one Create Event body, then send it and print the answer. "
        "Exit 0 when accepted (202), 1 on an HTTP error, 2 on bad input or no connection, "
        "3 with --verify when accepted but not seen. "
        "The API key comes from the OS keyring (--account) or KLAVIYO_API_KEY, never from "
        "the command line.",
    )
    p.add_argument("path", metavar="PATH", help="a JSON file, or - for stdin")
    add_common_options(p)
    add_env_option(p)
    # None: not given, so that --env can fill them (sandbox and the default revision else).
    p.set_defaults(target=None, revision=None)
    p.add_argument("--json", action="store_true", help="print one JSON object, for scripts")
    retired = p.add_argument_group(
        "retired revisions",
        "Sending to Klaviyo with a revision retired two years after its release (such as "
        "2023-01-24) needs one of these; without one nothing is sent.",
    )
    choice = retired.add_mutually_exclusive_group()
    choice.add_argument(
        "--convert-to",
        metavar="newest|REVISION",
        help="convert the event to that revision and send it with it (recommended: newest); "
        "what has no equivalent is listed on stderr",
    )
    choice.add_argument(
        "--as-is",
        action="store_true",
        help="send as it is (Klaviyo most likely falls forward to a newer revision: a "
        "flat 2023-01-24 body is refused 400, a later layout is judged by its rules)",
    )
    choice.add_argument(
        "--opt-out-fall-forward",
        action="store_true",
        help="send with X-Klaviyo-Revision-Fall-Forward-Opt-Out: 1 (Klaviyo answers 410)",
    )
    add_verify_options(p)
    p.set_defaults(handler=run)


def err(command: str, message: str) -> None:
    print(f"event-composer {command}: {message}", file=sys.stderr)


def client_settings(args: argparse.Namespace, **overrides: Any) -> ClientSettings:
    """ClientSettings from --attempts and --timeout (and rate limits, for replay)."""
    import dataclasses

    from composer.client import ClientSettings, RetryPolicy, Timeouts

    settings = ClientSettings(**overrides)
    if args.attempts is not None:
        settings = dataclasses.replace(
            settings, retry=dataclasses.replace(RetryPolicy(), max_attempts=args.attempts)
        )
    if args.timeout is not None:
        settings = dataclasses.replace(
            settings, timeouts=dataclasses.replace(Timeouts(), total=args.timeout)
        )
    return settings


def check_common(args: argparse.Namespace) -> str | None:
    """A sentence about a bad option value, or None."""
    if args.attempts is not None and not 1 <= args.attempts <= 20:
        return "--attempts: give a number from 1 to 20"
    if args.timeout is not None and not 0 < args.timeout <= 3600:
        return "--timeout: give seconds above 0 and at most 3600"
    if args.account and args.account.strip().startswith(("pk_", "sk_")):
        return (
            "--account takes an account NAME, and this looks like an API key: keys are "
            "never taken from the command line (store it with `event-composer key set "
            "NAME`, or set KLAVIYO_API_KEY); consider rotating a key that was typed here"
        )
    return None


def open_storage(args: argparse.Namespace, command: str) -> Any | None:
    """The app's storage (history, settings, keyring), or None when this build has none or it
    cannot be opened (sending goes on without history; the user is told why)."""
    try:
        from composer.storage import open_storage as _open
    except ImportError:
        return None
    try:
        return _open(data_dir_from(args))
    except Exception as exc:  # HistoryError, OSError: say so, send anyway
        from composer.cli.history import damaged_advice

        advice = damaged_advice(exc, args)
        why = f"{str(exc).rstrip('.')}.{advice}"
        err(command, f"warning: the history cannot be opened: {why} Sending without it.")
        return None


def open_sender(
    args: argparse.Namespace,
    storage: Any | None,
    command: str,
    settings: ClientSettings,
    *,
    endpoint: str = "",
) -> tuple[Sender | None, int]:
    """A Sender for the options, or None and the exit code after explaining why not.
    ``endpoint="bulk"``: for Bulk Create Events, with that endpoint's own limiter."""
    from composer.client import KeyFormatError, KeyRoute, TargetError, parse_target
    from composer.services.keys import KeyRefused, KeyUnavailable
    from composer.services.send import Sender

    try:
        target = parse_target(args.target)
    except TargetError as exc:
        err(command, f"--target: {exc}")
        return None, EXIT_BAD_INPUT
    named = (args.account or "").strip() or None
    # An environment's account is named for Klaviyo and this machine, but not for another
    # host: the file may be someone else's (a cloned collection), and choosing an environment
    # is not choosing to send a key to a host it names; --account NAME does that.
    env_account = (getattr(args, "env_account", None) or "").strip() or None
    if named is None and target.key_route is not KeyRoute.NAMED_ONLY:
        named = env_account
    # Without the history, the settings and the keyring still hold the accounts.
    accounts = storage if storage is not None else _accounts_without_history(args)
    account = (
        named
        or env_account
        or getattr(args, "recorded_account", None)
        or _default_account(accounts)
    )
    keys = accounts.secrets if accounts is not None else _secret_store()
    history = storage.history if (storage is not None and args.history) else None
    try:
        sender = Sender.open(
            target,
            account=account,
            account_named=named is not None,
            keys=keys,
            history=history,
            revision=args.revision,
            settings=settings,
            endpoint=endpoint,
        )
    except KeyRefused as exc:
        err(command, f"NOT SENT: {exc}")
        return None, EXIT_BAD_INPUT
    except KeyUnavailable as exc:
        message = str(exc)
        status = _keyring_problem(keys) if named else None
        if status:
            message += f" (the keyring: {status})"
        err(command, message)
        return None, EXIT_BAD_INPUT
    except KeyFormatError as exc:
        err(command, f"the API key from {sender_key_name(named, account)}: {exc}")
        return None, EXIT_BAD_INPUT
    warning = target.warning()
    if warning:
        err(command, f"warning: {warning}")
    return sender, EXIT_OK


def sender_key_name(named: str | None, default: str | None) -> str:
    """Which key a KeyFormatError is about, for the message (never the key itself)."""
    from composer.services.keys import ENV_KEY

    if named or not os.environ.get(ENV_KEY):
        return f"account {named or default!r}"
    return ENV_KEY


def _accounts_without_history(args: argparse.Namespace) -> Any | None:
    """The settings and the keyring alone (composer.storage.AccountStorage), for a send whose
    history cannot be opened: the default account does not depend on the history. None when
    this build has no storage or the settings folder cannot be used either."""
    try:
        from composer.storage import open_accounts
    except ImportError:
        return None
    try:
        return open_accounts(data_dir_from(args))
    except Exception:  # an unusable folder: send as without any settings, as before
        return None


def _secret_store() -> Any | None:
    try:
        from composer.storage.secrets import SecretStore
    except ImportError:
        return None
    return SecretStore()


def _default_account(storage: Any | None) -> str | None:
    if storage is None:
        return None
    try:
        from composer.storage import default_account

        return str(default_account(storage.settings.settings))
    except Exception:
        return None


def _keyring_problem(keys: Any | None) -> str | None:
    try:
        status = keys.status if keys is not None else None
    except Exception:
        return None
    return None if status is None or status.available else str(status)


def target_line(sender: Sender) -> str:
    return f"Target: {sender.target.describe()}; key: {sender.key_source}"


def run(args: argparse.Namespace) -> int:
    import asyncio

    from composer.cli.validate import read_input

    problem = check_common(args)
    if problem:
        err("send", problem)
        return EXIT_BAD_INPUT
    env, problem = load_environment(args, [args.path])
    if problem:
        err("send", problem)
        return EXIT_BAD_INPUT
    from composer.domain.variables import Scope

    apply_environment(args, env)
    args.variables = Scope.of(env)
    raw, unreadable = read_input(args.path)
    if raw is None:
        err("send", unreadable or "the input cannot be read")
        return EXIT_BAD_INPUT
    if args.revision is None:
        args.revision = revision_for_body(raw)
        note = layout_note(args.revision)
        if note:
            err("send", note)
    storage = open_storage(args, "send")
    try:
        sender, code = open_sender(args, storage, "send", client_settings(args))
        if sender is None:
            return code
        planned, code = _retired_plan(args, raw, sender.target)
        if planned is None:
            asyncio.run(sender.aclose())
            return code
        if planned[1] != sender.client.revision.name:
            from composer.domain.revisions import get_revision

            sender.client.revision = get_revision(planned[1])  # converted: the new revision
        try:
            result, verdict = asyncio.run(_send(sender, *planned, args))
        except KeyboardInterrupt:
            err(
                "send",
                "cancelled: the send was stopped before an answer arrived; the "
                "server may or may not have received it (the history records it as "
                "cancelled)",
            )
            return EXIT_INTERRUPTED
    finally:
        if storage is not None:
            storage.close()
    name = "<stdin>" if args.path == "-" else args.path
    if args.json:
        doc = result_to_json(result, sender, name)
        if verdict is not None:
            doc["verification"] = verdict.to_json()
        print_out(json.dumps(doc, ensure_ascii=False))
    else:
        print_out(render_result(result, sender, name))
        if verdict is not None:
            print_out(render_verification(verdict))
    return verified_exit(exit_code(result), verdict)


async def _send(
    sender: Sender,
    raw: bytes,
    revision: str,
    extra_headers: dict[str, str],
    args: argparse.Namespace,
) -> tuple[SendResult, Verification | None]:
    import time

    from composer.cli.verify_option import verify_after
    from composer.services.verdicts import record_verdict

    async with sender:
        sent_at = time.time()
        result = await sender.send(
            raw,
            revision=revision,
            force=args.force,
            fill_unique_id=args.fill_unique_id,
            extra_headers=extra_headers or None,
            variables=args.variables,
        )
        if not getattr(args, "verify", False):
            return result, None
        verdict = await verify_after(sender, result, sent_at, args.verify_timeout)
        problem = record_verdict(sender.history, result.history_id, verdict)
        if problem:
            err("send", f"warning: {problem}")
        return result, verdict


def _retired_plan(
    args: argparse.Namespace, raw: bytes, target: Target
) -> tuple[tuple[bytes, str, dict[str, str]] | None, int]:
    """The body, revision and extra headers to send after the retired-revision question, or
    None and the exit code after saying why nothing is sent."""
    from composer.domain.revisions import NEWEST_REVISION, REVISIONS
    from composer.services import retired

    choice: retired.RetiredChoice | None = None
    to = NEWEST_REVISION
    if args.convert_to:
        to = NEWEST_REVISION if args.convert_to == "newest" else args.convert_to
        if to not in REVISIONS:
            err("send", f"--convert-to: give newest or one of {', '.join(REVISIONS)}")
            return None, EXIT_BAD_INPUT
        choice = retired.RetiredChoice.CONVERT
    elif args.as_is:
        choice = retired.RetiredChoice.AS_IS
    elif args.opt_out_fall_forward:
        choice = retired.RetiredChoice.OPT_OUT
    if choice is None:
        if retired.needs_choice(target, args.revision):
            lines = [
                retired.question(args.revision),
                "Nothing was sent. Choose one:",
                "  --convert-to newest     "
                + retired.explanation(retired.RetiredChoice.CONVERT, args.revision),
                "  --as-is                 "
                + retired.explanation(retired.RetiredChoice.AS_IS, args.revision),
                "  --opt-out-fall-forward  "
                + retired.explanation(retired.RetiredChoice.OPT_OUT, args.revision),
            ]
            err("send", "\n".join(lines))
            return None, EXIT_BAD_INPUT
        return (raw, args.revision, {}), EXIT_OK
    planned = retired.plan(raw, args.revision, choice, to)
    if planned.problem:
        err("send", planned.problem)
        return None, EXIT_BAD_INPUT
    if planned.report is not None:
        print("\n".join(planned.report.lines()), file=sys.stderr)
    elif retired.needs_choice(target, args.revision):
        err("send", "note: " + retired.explanation(choice, args.revision))
    return (planned.body, planned.revision, planned.headers), EXIT_OK


def exit_code(result: SendResult) -> int:
    outcome = result.outcome
    if outcome is None or outcome.status is None:
        return EXIT_BAD_INPUT
    return EXIT_OK if 200 <= outcome.status < 300 else EXIT_HTTP_ERROR


def result_to_json(result: SendResult, sender: Sender, name: str) -> dict[str, Any]:
    from composer.services.outcome_json import outcome_to_json

    doc: dict[str, Any] = {
        "path": name,
        "target": sender.target.label,
        "is_klaviyo": sender.target.is_klaviyo,
        "revision": sender.client.revision.name,
        "valid": result.report.valid,
        "validation": [f.to_json() for f in result.report.findings],
        "sent": result.sent,
        "unique_id_filled": result.unique_id_filled,
        "unique_id": result.unique_id,
        "history_id": result.history_id,
        "delivery": result.delivery.value,
    }
    if result.history_problem:
        doc["history_problem"] = result.history_problem
    if result.template is not None:
        doc["template"] = result.template
        doc["resolved_body"] = result.body.decode("utf-8", "replace")
        doc["variables"] = [
            {"name": u.use.name, "pointer": u.use.pointer, "value": u.value, "source": u.source}
            for u in result.variables
        ]
    if result.outcome is not None:
        doc.update(outcome_to_json(result.outcome))
    return doc


def render_result(result: SendResult, sender: Sender, name: str) -> str:
    """The answer in words: status and meaning, findings, body, attempts, rate limit."""
    lines = [target_line(sender)]
    lines.extend(variable_lines(result.variables))
    warnings = result.report.warnings
    if not result.sent:
        lines.append(
            f"{name}: NOT SENT: the event fails validation "
            "(--force sends it anyway to reproduce a bad payload)"
        )
        lines.extend(_finding_lines(result.report.findings))
        return "\n".join(lines)
    if not result.report.valid:
        lines.append(
            f"{name}: sent despite {len(result.report.errors)} validation error(s) (--force)"
        )
    elif warnings:
        lines.append(f"{name}: valid, with {len(warnings)} warning(s):")
        lines.extend(_finding_lines(warnings))
    if result.unique_id_filled:
        lines.append(
            f"unique_id {result.unique_id_filled} was filled in, so a retry cannot "
            "record the event twice (--no-unique-id turns this off)"
        )
    outcome = result.outcome
    assert outcome is not None
    lines.append(f"{outcome.request.method} {outcome.request.url}")
    lines.append("")
    resend = (
        f"event-composer history resend {result.history_id}"
        if result.history_id is not None
        else None
    )
    lines.extend(render_outcome(outcome, unique_id=result.unique_id, resend=resend))
    if result.history_problem:
        lines.append(f"warning: {result.history_problem}")
    return "\n".join(lines)


def variable_lines(uses: Any) -> list[str]:
    """One line per variable and the value it was given (``ResolvedUse`` items)."""
    if not uses:
        return []
    lines = ["Variables:"]
    for u in uses:
        value = "(unknown)" if u.value is None else json.dumps(u.value, ensure_ascii=False)
        source = f"  ({u.source})" if u.source else ""
        lines.append(f"  {u.use.text} = {value}{source}")
    return lines


def render_outcome(
    outcome: SendOutcome, *, unique_id: str | None = None, resend: str | None = None
) -> list[str]:
    """The outcome in the words the window uses too (composer.services.outcome_text), the
    delivery state first, then the details a terminal can show."""
    from composer.services.outcome_json import body_text
    from composer.services.outcome_text import (
        delivery_of,
        delivery_text,
        describe_outcome,
        rate_limit_words,
    )

    text = describe_outcome(outcome, unique_id=unique_id, resend=resend)
    delivery = delivery_of(outcome)
    lines = [text.headline, f"delivery: {delivery_text(delivery).label}", text.explanation]
    if outcome.error is None and not outcome.accepted:
        lines.extend(_finding_lines(outcome.findings))
        if outcome.response_body and not outcome.findings:
            lines.append(f"  body: {body_text(outcome.response_body, 2000)}")
    attempts = outcome.attempts
    timing = f"{len(attempts)} attempt{'s' * (len(attempts) != 1)}, {outcome.total_ms:.0f} ms"
    lines.append(timing)
    if len(attempts) > 1:
        from composer.services.attempt_text import attempt_words

        for a in attempts:
            what = attempt_words(a.status, a.error)
            lines.append(
                f"  #{a.number}: {what} after {a.duration_ms:.0f} ms"
                f" (waited {a.waited_ms / 1000:.1f} s before)"
            )
    rate = rate_limit_words(outcome)
    if rate is not None:
        lines.append(f"rate limit: {rate}")
    for note in outcome.extra.get("notes", []):
        lines.append(f"note: {note}")
    return lines


def _finding_lines(findings: Any) -> list[str]:
    from composer.domain.findings import describe_pointer

    out = []
    for f in findings:
        where = f"{describe_pointer(f.pointer)}: " if f.pointer else ""
        if f.line is not None:
            where = f"line {f.line}, column {f.column}: "
        out.append(f"  {f.severity.value:7} {where}{f.message}  [{f.rule}]")
    return out

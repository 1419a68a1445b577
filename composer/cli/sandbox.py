"""`event-composer sandbox [--host H] [--port P] [--burst-limit N] [--steady-limit N]
[--bulk-burst-limit N] [--bulk-steady-limit N] [--max-recorded N]
[--fault-rate X --fault-seed N] [--fault-kinds K,...] [--deny-events-write]`"""

from __future__ import annotations

import argparse
import errno
import signal
import sys
from typing import Any, NoReturn

from composer.cli import EXIT_BAD_INPUT, EXIT_OK

_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number; give a share such as 0.1"
        ) from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(
            f"{text} is outside 0..1; give a share such as 0.1"
        ) from None
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1") from None
    return value


def _delay(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"{text} must be from 0 to 3600 seconds") from None
    return value


def _read_scopes(text: str) -> frozenset[str]:
    from composer.sandbox.config import READ_SCOPES

    names = frozenset(n.strip() for n in text.split(",") if n.strip())
    unknown = sorted(names - set(READ_SCOPES))
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"{(unknown or [text])[0]!r} is not a read scope: use {', '.join(READ_SCOPES)}"
        )
    return names


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text} must be above 0 and at most 3600") from None
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"{text} is not a port (0..65535; 0 picks a free one)"
        ) from None
    return value


def _kinds(text: str) -> tuple[Any, ...]:
    from composer.sandbox.config import FaultKind

    names = [part.strip() for part in text.split(",") if part.strip()]
    known = ", ".join(k.value for k in FaultKind)
    out = []
    for name in names:
        try:
            out.append(FaultKind(name))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"unknown fault kind {name!r}; known: {known}"
            ) from None
    if not out:
        raise argparse.ArgumentTypeError(f"no fault kind given; known: {known}") from None
    return tuple(out)


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "sandbox",
        help="run the local emulator of Klaviyo's Create Event API",
        description="Serve a local emulator of Klaviyo's POST /api/events (/api/events/ up to "
        "revision 2024-07-15) and "
        "POST /api/event-bulk-create-jobs (not Klaviyo: "
        "nothing leaves this machine). It validates bodies like the app, applies per-key rate "
        "limits, records accepted events (GET /sandbox/events, GET /sandbox/stats) and can "
        "inject faults. The first line printed is 'Sandbox listening on URL'. Ctrl-C stops it.",
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)"
    )
    p.add_argument(
        "--port", type=_port, default=8787, help="port to bind (default 8787; 0 picks a free port)"
    )
    p.add_argument(
        "--burst-limit",
        type=_positive,
        default=350,
        metavar="N",
        help="requests per key per second (default 350, as Klaviyo)",
    )
    p.add_argument(
        "--steady-limit",
        type=_positive,
        default=3500,
        metavar="N",
        help="requests per key per minute (default 3500, as Klaviyo)",
    )
    p.add_argument(
        "--bulk-burst-limit",
        type=_positive,
        default=10,
        metavar="N",
        help="Bulk Create Events jobs per key per second (default 10, as Klaviyo)",
    )
    p.add_argument(
        "--bulk-steady-limit",
        type=_positive,
        default=150,
        metavar="N",
        help="Bulk Create Events jobs per key per minute (default 150, as Klaviyo)",
    )
    p.add_argument(
        "--max-recorded",
        type=_positive,
        default=10_000,
        metavar="N",
        help="accepted events kept in memory, and de-duplicated against (default 10000; the "
        "oldest are forgotten first)",
    )
    p.add_argument(
        "--fault-rate",
        type=_share,
        default=0.0,
        metavar="X",
        help="share of POSTs (0..1) answered with an injected fault (default 0: off)",
    )
    p.add_argument(
        "--fault-seed",
        type=int,
        default=None,
        metavar="N",
        help="seed of the fault draw, for reproducible runs",
    )
    p.add_argument(
        "--fault-kinds",
        type=_kinds,
        default=None,
        metavar="K,...",
        help="faults to draw from: 429, 429-bare (no Retry-After), 500, 503, 504, "
        "slow, drop (default: all)",
    )
    p.add_argument(
        "--slow-seconds",
        type=float,
        default=2.0,
        metavar="S",
        help="delay of a 'slow' fault (default 2)",
    )
    p.add_argument(
        "--deny-events-write",
        "--deny-scope",
        dest="deny_events_write",
        action="store_true",
        help="treat every API key as lacking the Events Write scope (answers 403 "
        "permission_denied)",
    )
    p.add_argument(
        "--deny-read",
        type=_read_scopes,
        default=frozenset(),
        metavar="SCOPES",
        help="read scopes every API key lacks, comma-separated: events:read, metrics:read, "
        "profiles:read (their GET endpoints answer 403)",
    )
    p.add_argument(
        "--processing-delay",
        type=_delay,
        default=0.0,
        metavar="S",
        help="seconds after its 202 before an accepted event can be read back with "
        "GET /api/events (default 0)",
    )
    p.add_argument(
        "--drop-rate",
        type=_share,
        default=0.0,
        metavar="X",
        help="share of accepted events (0..1) answered 202 and then never recorded, like a "
        "downstream drop (default 0)",
    )
    p.add_argument(
        "--drop-seed",
        type=int,
        default=None,
        metavar="N",
        help="seed of the drop draw (default: random)",
    )
    p.add_argument(
        "--read-timeout",
        type=_seconds,
        default=5.0,
        metavar="S",
        help="seconds a request's headers, and then its body, may take to arrive before the "
        "answer is 408 and the connection is closed (default 5)",
    )
    p.add_argument(
        "--max-connections",
        type=_positive,
        default=256,
        metavar="N",
        help="connections served at once; a request beyond them gets 503 (default 256)",
    )
    p.add_argument(
        "--retired-revisions",
        choices=("serve", "fall-forward", "gone"),
        default="serve",
        help="what a revision retired two years after its release (such as 2023-01-24) gets: "
        "serve it as published (default); fall-forward, as production most likely does today "
        "(the body is validated as the oldest supported revision, and 410 with the header "
        "X-Klaviyo-Revision-Fall-Forward-Opt-Out: 1); or gone (always 410)",
    )
    p.set_defaults(handler=run)


def _stop_cleanly(signum: int, frame: Any) -> NoReturn:
    raise SystemExit(EXIT_OK)


def run(args: argparse.Namespace) -> int:
    from composer.sandbox.app import SandboxApp
    from composer.sandbox.config import ALL_FAULT_KINDS, RetiredRevisionPolicy, SandboxConfig
    from composer.sandbox.server import base_url_of, bind_socket, serve_forever

    if args.slow_seconds < 0:
        print("--slow-seconds must not be negative", file=sys.stderr)
        return EXIT_BAD_INPUT
    config = SandboxConfig(
        burst_limit=args.burst_limit,
        steady_limit=args.steady_limit,
        bulk_burst_limit=args.bulk_burst_limit,
        bulk_steady_limit=args.bulk_steady_limit,
        max_recorded=args.max_recorded,
        fault_rate=args.fault_rate,
        fault_seed=args.fault_seed,
        fault_kinds=args.fault_kinds or ALL_FAULT_KINDS,
        slow_seconds=args.slow_seconds,
        deny_events_write=args.deny_events_write,
        retired_revisions=RetiredRevisionPolicy(args.retired_revisions),
        header_timeout=args.read_timeout,
        body_timeout=args.read_timeout,
        max_connections=args.max_connections,
        processing_delay=args.processing_delay,
        drop_rate=args.drop_rate,
        drop_seed=args.drop_seed,
        denied_scopes=args.deny_read,
    )
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(
                f"port {args.port} on {args.host} is in use: choose another with --port, "
                "or --port 0 for a free one",
                file=sys.stderr,
            )
        else:
            print(
                f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr
            )
        return EXIT_BAD_INPUT
    print(f"Sandbox listening on {base_url_of(sock)}", flush=True)
    print(
        "This is a local emulator of Klaviyo's Create Event API (POST /api/events, and "
        "POST /api/event-bulk-create-jobs), NOT "
        "Klaviyo: events sent here are only kept in memory. Press Ctrl-C to stop."
    )
    faults = (
        "off"
        if config.fault_rate == 0
        else (
            f"{config.fault_rate:g} of requests "
            f"({', '.join(k.value for k in config.fault_kinds)}), "
            f"seed {config.fault_seed if config.fault_seed is not None else 'random'}"
        )
    )
    scope = "; every key lacks Events Write (403)" if config.deny_events_write else ""
    if config.denied_scopes:
        scope += f"; every key lacks {', '.join(sorted(config.denied_scopes))} (403)"
    if config.processing_delay or config.drop_rate:
        scope += (
            f"; events readable {config.processing_delay:g} s after the 202, "
            f"{config.drop_rate:g} of them dropped"
        )
    print(
        f"Limits per key: {config.burst_limit}/s burst, {config.steady_limit}/min steady "
        f"(bulk jobs: {config.bulk_burst_limit}/s, {config.bulk_steady_limit}/min); "
        f"faults: {faults}{scope}. Inspect: GET /sandbox/events, GET /sandbox/stats; "
        "read back: GET /api/events, /api/metrics, /api/profiles.",
        flush=True,
    )
    if args.host not in _LOOPBACK:
        print(
            f"warning: bound to {args.host}, so other machines may reach the sandbox",
            file=sys.stderr,
        )
    # uvicorn handles SIGINT/SIGTERM (graceful shutdown) and re-raises them afterwards: both
    # then end the process with exit 0 here, not with a traceback or a signal status.
    signal.signal(signal.SIGTERM, _stop_cleanly)
    try:
        serve_forever(SandboxApp(config), sock, log_level="info" if args.verbose else "warning")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        sock.close()
    print("Sandbox stopped.", flush=True)
    return EXIT_OK

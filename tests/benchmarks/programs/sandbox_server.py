"""The sandbox in a process of its own, with the limits and faults a benchmark sets, so the
client under measurement gets the other core. Prints ``Sandbox listening on URL`` first;
SIGINT stops it cleanly.

    python -m tests.benchmarks.programs.sandbox_server [--speedup X] [--burst N] [--steady N]
        [--fault-rate R] [--seed N] [--bulk-burst N] [--bulk-steady N] [--keep N]
"""

from __future__ import annotations

import argparse
import contextlib
import time

from composer.sandbox import SandboxApp, SandboxConfig
from composer.sandbox.server import base_url_of, bind_socket, serve_forever


def config_of(argv: list[str] | None = None) -> SandboxConfig:
    """The sandbox's settings from the command line (the defaults are the sandbox's own)."""
    defaults = SandboxConfig()
    p = argparse.ArgumentParser()
    p.add_argument("--speedup", type=float, default=1.0, help="sandbox seconds per real one")
    p.add_argument("--burst", type=int, default=defaults.burst_limit)
    p.add_argument("--steady", type=int, default=defaults.steady_limit)
    p.add_argument("--fault-rate", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--bulk-burst", type=int, default=defaults.bulk_burst_limit)
    p.add_argument("--bulk-steady", type=int, default=defaults.bulk_steady_limit)
    p.add_argument("--keep", type=int, default=100_000, help="recorded events kept")
    args = p.parse_args(argv)
    start = time.time()
    speedup: float = args.speedup

    def clock() -> float:
        return start + (time.time() - start) * speedup

    return SandboxConfig(
        burst_limit=args.burst,
        steady_limit=args.steady,
        clock=clock,
        fault_rate=args.fault_rate,
        fault_seed=args.seed,
        slow_seconds=0.5,
        bulk_burst_limit=args.bulk_burst,
        bulk_steady_limit=args.bulk_steady,
        max_recorded=args.keep,
    )


def main(argv: list[str] | None = None) -> None:
    config = config_of(argv)
    sock = bind_socket("127.0.0.1", 0)
    print(f"Sandbox listening on {base_url_of(sock)}", flush=True)
    # SIGINT is how a benchmark stops it: its clean shutdown
    with contextlib.suppress(KeyboardInterrupt):
        serve_forever(SandboxApp(config), sock)


if __name__ == "__main__":
    main()

"""Run a command and print its exit status, seconds taken and peak resident memory (KB):
``python -m tests.benchmarks.programs.peak_rss COMMAND ARGS...`` (bench_replay_memory). The
end of the command's stderr goes to stderr when it failed."""

from __future__ import annotations

import resource
import subprocess
import sys
import time


def main(command: list[str]) -> None:
    started = time.perf_counter()
    proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    sys.stderr.write(proc.stderr.decode(errors="replace")[-600:] if proc.returncode else "")
    print(proc.returncode, f"{took:.2f}", peak)


if __name__ == "__main__":
    main(sys.argv[1:])

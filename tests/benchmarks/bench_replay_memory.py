"""Peak memory of a single (non-bulk) replay and of the window's Replay dialog, whatever the
size of the file: both read it as a stream.

- `event-composer replay FILE` (one request per event) against a sandbox over loopback in a
  process of its own, with the limits raised on both sides so that the replay's own work is
  measured. Files of 1,000 and 10,000 lines are sent in full (about 300 events a second on
  this shared 2-core machine); the 100,000- and 1,000,000-line files are counted and hashed,
  then read again through the same reader with `--skip N` so that every line passes the
  reader and the last 1,000 are checked and sent: sending them all, one request each, would
  take 6 and 55 minutes here.
- File > Replay a file… on the largest file in the real window (offscreen): the time
  until the dialog shows the file's count and offers Start, the window's peak memory over its
  memory before, and the longest time its event loop went without running a 10 ms timer
  meanwhile (the file is read on a worker thread).

SIZES=1000,100000 picks the files; NO_CLI=1 or NO_DIALOG=1 leaves a part out.

Peak memory is each process's own maximum resident set (``ru_maxrss``), measured by a small
wrapper process around each replay. The 1,000-line replay is the baseline in the same run: a
flat replay stays near it whatever the file's size.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIZES = (1_000, 10_000, 100_000, 1_000_000)
FULL_UP_TO = 10_000
"""Files up to this many lines are sent in full; larger ones with --skip (see above)."""
SENT_OF_LARGE = 1_000

EVENT = (
    '{"data":{"type":"event","attributes":{"properties":{"ProductName":"Winter Jacket",'
    '"ItemId":"SKU-EMAIL","Value":49.95},"metric":{"data":{"type":"metric","attributes":'
    '{"name":"Viewed Product"}}},"profile":{"data":{"type":"profile","attributes":'
    '{"email":"EMAIL"}}}}}}'
)
"""A small valid event at revision 2026-07-15 (EMAIL is replaced per line)."""
REVISION = "2026-07-15"


def write_file(path: Path, lines: int) -> None:
    with path.open("w") as out:
        batch = []
        for i in range(lines):
            batch.append(EVENT.replace("EMAIL", f"m{i}@example.com"))
            if len(batch) == 10_000:
                out.write("\n".join(batch) + "\n")
                batch.clear()
        if batch:
            out.write("\n".join(batch) + "\n")


def measured(command: list[str]) -> tuple[int, float, float]:
    """(exit code, seconds, peak resident MB) of ``command`` in a wrapper process."""
    out = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.programs.peak_rss", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    if out.stderr:
        print(out.stderr.strip())
    code, took, peak_kb = out.stdout.split()
    return int(code), float(took), int(peak_kb) / 1024


def bench_cli(folder: Path, files: dict[int, Path]) -> None:
    from tests.benchmarks.bench_replay import SandboxProcess

    sandbox = SandboxProcess(1.0, 1_000_000, 100_000_000)
    try:
        base = None
        for lines, path in files.items():
            command = [sys.executable, "-m", "composer", "--data-dir", str(folder / f"d{lines}")]
            command += ["replay", str(path), "--target", sandbox.url, "--revision", REVISION]
            command += ["--burst-limit", "1000000", "--steady-limit", "100000000"]
            skip = 0 if lines <= FULL_UP_TO else lines - SENT_OF_LARGE
            if skip:
                command += ["--skip", str(skip)]
            code, took, peak = measured(command)
            base = base or peak
            how = (
                "sent in full" if not skip else f"--skip {skip:,} (the last {lines - skip:,} sent)"
            )
            print(
                f"  replay of {lines:>9,} lines ({path.stat().st_size / 2**20:,.0f} MB), {how}: "
                f"exit {code}, {took:.1f} s, peak {peak:,.0f} MB ({peak / base:.2f}x the "
                "1,000-line replay)"
            )
    finally:
        sandbox.stop()


def bench_dialog(folder: Path, path: Path, lines: int) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.programs.replay_dialog_memory",
            str(folder / "gui"),
            str(path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    figures = out.stdout.strip().splitlines()[-1:] if out.stdout.strip() else []
    if out.returncode or not figures:
        print(f"  the dialog benchmark failed: {out.stderr[-800:]}")
        return
    numbers, shown = figures[0].split("|", 1)
    took, before, peak, gap, rest = numbers.split()
    print(
        f"  Replay dialog on {lines:,} lines ({path.stat().st_size / 2**20:,.0f} MB): ready in "
        f"{float(took):.1f} s; window peak {float(peak):,.0f} MB, {float(before):,.0f} MB "
        f"before opening it (+{float(peak) - float(before):,.0f} MB); longest event-loop gap "
        f"meanwhile {gap} ms ({rest} ms at rest before)"
    )
    print(f"    the dialog says: {shown.strip()}")


def main() -> None:
    sizes = [int(s) for s in os.environ.get("SIZES", "").split(",") if s] or list(SIZES)
    with tempfile.TemporaryDirectory(prefix="bench-replay-memory-") as tmp:
        folder = Path(tmp)
        files = {}
        for lines in sizes:
            files[lines] = folder / f"events-{lines}.ndjson"
            write_file(files[lines], lines)
        if not os.environ.get("NO_CLI"):
            print(f"single replay (one request per event), revision {REVISION}:")
            bench_cli(folder, files)
        if not os.environ.get("NO_DIALOG"):
            biggest = max(files)
            bench_dialog(folder, files[biggest], biggest)


if __name__ == "__main__":
    main()

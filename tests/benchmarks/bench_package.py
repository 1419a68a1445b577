"""The packaged app (`make package`): bundle size, and time to the main window beside the
source install measured the same way in the same run.

Each start is a fresh process with EVENT_COMPOSER_STARTUP_PROBE=1 (the app prints
``window-shown <unix time>`` when the main window is first painted, then quits); the time is
from just before the process is spawned to that line. Starts alternate between the bundle and
the source install after one warm-up each, and the medians are compared.
Targets: one-folder bundle at most 120 MB; bundle start at most 1.5x the source install.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dist" / "event-composer"
ONEFILE = ROOT / "dist" / "event-composer-onefile"
RUNS = 5
SIZE_TARGET_MB = 120.0
START_TARGET_RATIO = 1.5


def tree_bytes(folder: Path) -> int:
    """Bytes of the files under ``folder`` (symbolic links count as nothing)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def largest_parts(folder: Path, count: int = 6) -> list[tuple[str, int]]:
    """The heaviest top-level entries of the bundle's _internal folder."""
    internal = folder / "_internal"
    parts = []
    for entry in internal.iterdir():
        if entry.is_symlink():
            continue
        size = tree_bytes(entry) if entry.is_dir() else entry.stat().st_size
        parts.append((entry.name, size))
    qt = internal / "PySide6" / "Qt"
    if qt.is_dir():  # Qt itself, split out of the PySide6 total
        parts += [(f"PySide6/Qt/{d.name}", tree_bytes(d)) for d in qt.iterdir() if d.is_dir()]
    return sorted(parts, key=lambda item: -item[1])[:count]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # The source install runs from compiled bytecode, as the bundle does (its first run writes it).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["EVENT_COMPOSER_STARTUP_PROBE"] = "1"
    # No keyring probing: it would measure the Secret Service, not the start-up.
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    return env


def time_to_window(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from spawning ``argv`` to its window-shown line."""
    started = time.time()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("window-shown "):
            return float(line.split()[1]) - started
    raise RuntimeError(f"no window-shown line from {argv[0]}: {proc.stderr[-500:]}")


def main() -> None:
    """Print the size and the start-up figures, or say why they were skipped."""
    exe = BUNDLE / "event-composer"
    if not exe.is_file():
        print(f"bundle: {BUNDLE.relative_to(ROOT)} is absent; run `make package` first. Skipped.")
        return
    size = tree_bytes(BUNDLE)
    verdict = "within" if size / 1e6 <= SIZE_TARGET_MB else "OVER"
    print(
        f"bundle size (one folder): {size / 1e6:.1f} MB ({size / 2**20:.1f} MiB), "
        f"target <= {SIZE_TARGET_MB:.0f} MB: {verdict}"
    )
    for name, part in largest_parts(BUNDLE):
        print(f"  {name:<40} {part / 1e6:6.1f} MB")
    onefile = ONEFILE
    if onefile.is_file():
        print(f"one-file executable: {onefile.stat().st_size / 1e6:.1f} MB")

    env = _env()
    with tempfile.TemporaryDirectory(prefix="bench-package-") as tmp:
        bundle_argv = [str(exe), "--data-dir", str(Path(tmp) / "bundle")]
        source_argv = [sys.executable, "-m", "composer", "--data-dir", str(Path(tmp) / "source")]
        candidates = {"bundle": bundle_argv, "source": source_argv}
        if onefile.is_file():
            candidates["one-file"] = [str(onefile), "--data-dir", str(Path(tmp) / "onefile")]
        for argv in candidates.values():  # warm-up: first-run folders, the disk cache
            time_to_window(argv, env)
        samples: dict[str, list[float]] = {name: [] for name in candidates}
        for _ in range(RUNS):
            for name, argv in candidates.items():
                samples[name].append(time_to_window(argv, env))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    for name, values in samples.items():
        spread = f"{min(values) * 1000:.0f}-{max(values) * 1000:.0f} ms"
        print(
            f"time to main window, {name}: median {medians[name] * 1000:.0f} ms "
            f"({spread}, {RUNS} runs)"
        )
    ratio = medians["bundle"] / medians["source"]
    verdict = "within" if ratio <= START_TARGET_RATIO else "OVER"
    print(f"bundle / source start-up: {ratio:.2f}x, target <= {START_TARGET_RATIO}x: {verdict}")


if __name__ == "__main__":
    main()

"""`make bench`: run every tests/benchmarks/bench_*.py module's main() and print its figures.

Each benchmark runs in a process of its own, so none is measured on a heap or with threads
that another one left behind. A benchmark that fails is reported and the others still run;
the exit status is 1 if any failed. Pass names to run only some:
`python -m tests.benchmarks validate history`.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).resolve().parent
    names = sorted(p.stem for p in here.glob("bench_*.py"))
    if argv:
        names = [n for n in names if any(a in n for a in argv)]
    failed = []
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        code = f"import tests.benchmarks.{name} as bench; bench.main()"
        result = subprocess.run([sys.executable, "-c", code], cwd=here.parent.parent, check=False)
        if result.returncode != 0:
            failed.append(name)
        print(f"--- {name}: {time.perf_counter() - started:.1f} s", flush=True)
    if failed:
        print(f"\nbenchmarks that failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

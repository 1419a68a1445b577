"""A process that records sends as fast as it can, the way a replay does, and prints the id of
each entry once its outcome is committed. The crash test kills it with SIGKILL mid-stream."""

from __future__ import annotations

import sys
from pathlib import Path

from composer.storage.history import HistoryStore
from tests.storage import factories as f


def main() -> None:
    path, limit = Path(sys.argv[1]), int(sys.argv[2])
    store = HistoryStore(path)
    for i in range(limit):
        req = f.request(f.body(email=f"crash{i}@example.com", OrderId=str(i), Blob="x" * 2000))
        entry_id = store.begin(req, f.context(profile=f"crash{i}@example.com"))
        store.complete(entry_id, f.rejected(req) if i % 3 else f.accepted(req))
        print(entry_id, flush=True)


if __name__ == "__main__":
    main()

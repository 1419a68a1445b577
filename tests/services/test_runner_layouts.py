"""A run whose revision's layout is not a request's: with ``follow_layout`` (the window's Run,
and `run` without --revision) a request in the flat layout goes at 2023-01-24 and lands, one in
the newest layout at the run's revision; without it the run's revision applies to all."""

from __future__ import annotations

import json
from pathlib import Path

from composer.domain.convert import sample_event_in
from composer.sandbox import SandboxApp, SandboxConfig
from composer.services.runner import Runner
from composer.services.send import Sender
from composer.storage.collections import Collection
from composer.storage.history import HistoryStore
from tests.services.conftest import example


def collection(root: Path) -> Collection:
    root.mkdir()
    (root / "flat.event.json").write_text(example().decode())
    (root / "newest.event.json").write_text(json.dumps(sample_event_in("2026-07-15")))
    (root / "mid.event.json").write_text(json.dumps(sample_event_in("2024-10-15")))
    return Collection(root)


async def run(tmp_path: Path, revision: str, follow: bool) -> dict[str, tuple[bool, str | None]]:
    app = SandboxApp(SandboxConfig())
    with HistoryStore(tmp_path / f"{revision}-{follow}.sqlite3") as store:
        async with Sender.open(
            "sandbox", sandbox=app, history=store, environ={}, revision=revision
        ) as sender:
            report = await Runner(sender, follow_layout=follow).run(
                collection(tmp_path / f"c-{revision}-{follow}")
            )
        out = {}
        for r in report.results:
            entry = store.get(r.history_id) if r.history_id else None
            out[r.key] = (r.passed, entry.row.revision if entry else None)
    return out


async def test_following_the_layout_each_request_goes_at_a_revision_of_its_own_layout(tmp_path):
    assert await run(tmp_path, "2026-07-15", follow=True) == {
        "flat": (True, "2023-01-24"),
        "mid": (True, "2026-07-15"),  # the run's revision has its layout
        "newest": (True, "2026-07-15"),
    }
    assert await run(tmp_path, "2023-06-15", follow=True) == {
        "flat": (True, "2023-06-15"),  # the run's revision has its layout
        "mid": (True, "2026-07-15"),
        "newest": (True, "2026-07-15"),
    }


async def test_without_following_the_runs_revision_applies_to_every_request(tmp_path):
    result = await run(tmp_path, "2026-07-15", follow=False)
    assert result["newest"] == (True, "2026-07-15")
    assert result["flat"] == (False, None)  # refused before sending: not its layout

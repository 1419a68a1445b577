"""The built-in sandbox follows the Settings choice for retired revisions (no restart)."""

from __future__ import annotations

import json
from pathlib import Path

from composer.client.targets import parse_target
from composer.services.send_gateway import ServiceGateway
from composer.storage import open_storage
from composer.storage.settings import Settings

from .conftest import example


def test_the_setting_round_trips_and_a_bad_value_falls_back() -> None:
    s, problems = Settings.from_json({"sandbox_retired_revisions": "fall-forward"})
    assert s.sandbox_retired_revisions == "fall-forward" and problems == []
    s, problems = Settings.from_json({"sandbox_retired_revisions": "later"})
    assert s.sandbox_retired_revisions == "serve"
    assert "sandbox_retired_revisions" in problems[0]
    assert Settings.from_json(Settings(sandbox_retired_revisions="gone").to_json())[0] == Settings(
        sandbox_retired_revisions="gone"
    )


async def test_the_gateway_applies_the_choice_on_the_next_send(tmp_path: Path) -> None:
    storage = open_storage(tmp_path)
    gateway = ServiceGateway(storage)
    try:
        sandbox = parse_target("sandbox")
        body = example()
        # today 2023-01-24 is retired: served as published by default ...
        first = await gateway.send(body, target=sandbox, account=None, revision="2023-01-24")
        assert first.status == 202
        # ... 410 once Settings say gone ...
        storage.settings.update(sandbox_retired_revisions="gone")
        gone = await gateway.send(body, target=sandbox, account=None, revision="2023-01-24")
        assert gone.status == 410
        # ... and a 400 for the flat body when it falls forward, as production does
        storage.settings.update(sandbox_retired_revisions="fall-forward")
        ff = await gateway.send(body, target=sandbox, account=None, revision="2023-01-24")
        assert ff.status == 400
        assert json.loads(ff.response_body)["errors"]
    finally:
        await gateway.aclose()
        storage.close()

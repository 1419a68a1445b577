"""Over real loopback a slow fault trips a client's read timeout, as a slow server would."""

from __future__ import annotations

import json

import httpx
import pytest

from composer.sandbox import FaultKind, SandboxConfig
from composer.sandbox.server import run_in_thread
from tests.sandbox.conftest import event_body, headers


async def test_a_slow_fault_times_a_short_client_out() -> None:
    config = SandboxConfig(
        fault_rate=1.0, fault_seed=1, fault_kinds=(FaultKind.SLOW,), slow_seconds=1.0
    )
    with run_in_thread(config) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=0.2) as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.post(
                    "/api/events/", content=json.dumps(event_body()), headers=headers()
                )

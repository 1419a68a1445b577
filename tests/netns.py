"""A test host of our own: a network namespace joined to this one by a private veth pair.

Tests that must reach a server that is *not* on loopback (for the rules that depend on it) use
:func:`private_host`, which creates the namespace and the pair with addresses in a random
10.213.x.y/30, and :func:`listener`, which starts tests/listener.py inside it. Both clean up
after themselves (only what they created). No other address than that namespace's is used.
Needs root and ``ip netns``; the tests skip with the reason when that is impossible."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

LISTENER = Path(__file__).resolve().parent / "listener.py"


@dataclass(frozen=True)
class PrivateHost:
    namespace: str
    address: str
    """The address of the namespace's end of the pair (not loopback)."""


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20, check=False)


@contextmanager
def private_host() -> Iterator[PrivateHost]:
    """A network namespace with a veth pair to this namespace; skips when impossible."""
    if shutil.which("ip") is None:
        pytest.skip("`ip` (iproute2) is not installed: no private test host can be made")
    if os.geteuid() != 0:
        pytest.skip("creating a network namespace (`ip netns add`) needs root here")
    tag = f"{os.getpid() % 100000}{random.randrange(1000):03d}"
    namespace, outer, inner = f"ec-test-{tag}", f"ect{tag}a", f"ect{tag}b"
    made = _ip("netns", "add", namespace)
    if made.returncode != 0:
        pytest.skip(f"`ip netns add` is not possible on this machine: {made.stderr.strip()}")
    octet, base = random.randrange(1, 255), random.randrange(0, 64) * 4
    here, there = f"10.213.{octet}.{base + 1}", f"10.213.{octet}.{base + 2}"
    try:
        steps = [
            ("link", "add", outer, "type", "veth", "peer", "name", inner),
            ("link", "set", inner, "netns", namespace),
            ("addr", "add", f"{here}/30", "dev", outer),
            ("link", "set", outer, "up"),
            ("-n", namespace, "addr", "add", f"{there}/30", "dev", inner),
            ("-n", namespace, "link", "set", inner, "up"),
            ("-n", namespace, "link", "set", "lo", "up"),
        ]
        for step in steps:
            done = _ip(*step)
            if done.returncode != 0:
                pytest.skip(f"`ip {' '.join(step)}` failed: {done.stderr.strip()}")
        yield PrivateHost(namespace, there)
    finally:
        _ip("link", "del", outer)  # removes both ends of the pair
        _ip("netns", "del", namespace)


@dataclass
class Listener:
    url: str
    log: Path

    def requests(self) -> list[dict[str, object]]:
        """What reached the listener, oldest first."""
        if not self.log.exists():
            return []
        lines = self.log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def authorizations(self) -> list[str | None]:
        """The Authorization header of every request received (None where there was none)."""
        out: list[str | None] = []
        for record in self.requests():
            headers = {str(k).lower(): str(v) for k, v in record["headers"]}  # type: ignore[union-attr]
            out.append(headers.get("authorization"))
        return out


def make_certificate(folder: Path, address: str) -> tuple[Path, Path]:
    """A self-signed certificate (and key) for ``address``: its own CA for the test client."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out", str(cert),
            "-days", "1", "-subj", "/CN=event-composer-test",
            "-addext", f"subjectAltName=IP:{address}",
        ],
        capture_output=True,
        check=True,
        timeout=30,
    )  # fmt: skip
    return cert, key


@contextmanager
def listener(
    folder: Path,
    *,
    host: PrivateHost | None = None,
    address: str = "127.0.0.1",
    tls: tuple[Path, Path] | None = None,
) -> Iterator[Listener]:
    """tests/listener.py inside ``host``'s namespace (or on loopback), stopped afterwards."""
    bind = host.address if host is not None else address
    log = folder / f"listener-{random.randrange(10**9)}.ndjson"
    command = [sys.executable, str(LISTENER), bind, "0", str(log)]
    if tls is not None:
        command += [str(tls[0]), str(tls[1])]
    if host is not None:
        command = ["ip", "netns", "exec", host.namespace, *command]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        ready = proc.stdout.readline().split()
        if not ready or ready[0] != "ready":
            problem = proc.stderr.read() if proc.stderr else ""
            raise RuntimeError(f"the listener did not start: {problem}")
        scheme = "https" if tls is not None else "http"
        yield Listener(f"{scheme}://{bind}:{ready[1]}", log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

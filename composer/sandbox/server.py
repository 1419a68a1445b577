"""Serving the sandbox over loopback with uvicorn: in the foreground (the CLI) or in a
background thread (tests, the GUI, other modules).

The sandbox binds its socket itself, so ``port=0`` gives a free port that is known before the
server starts, and connections made right away wait in the listen backlog.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from composer.sandbox.app import SandboxApp
from composer.sandbox.config import SandboxConfig
from composer.sandbox.memory import CollectWhenIdle
from composer.sandbox.protocol import SandboxHttpProtocol

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
_START_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 5.0


class SandboxServer(uvicorn.Server):
    """uvicorn's server, whose event loop reports running out of file descriptors (or
    memory for sockets) in one warning line every 10 s at most, not a stack trace per
    refused accept."""

    def __init__(self, config: uvicorn.Config, collector: CollectWhenIdle | None = None) -> None:
        super().__init__(config)
        self._last_exhaustion_warning: float | None = None
        self._collector = collector
        self._collecting: asyncio.Task[None] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(self._loop_exception)
        if self._collector is not None:
            self._collecting = loop.create_task(self._collector.run())
        await super().startup(sockets)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._collecting is not None:
            self._collecting.cancel()
        await super().shutdown(sockets)

    def _loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if self.should_exit and isinstance(exc, OSError | ValueError):
            # Stopping: asyncio's retry of an accept refused for lack of descriptors can fire
            # after the listening socket is closed. Nothing is lost; no trace for it.
            log.debug("while stopping: %s", context.get("message") or exc)
            return
        if not (isinstance(exc, OSError) and exc.errno in _RESOURCE_ERRNOS):
            loop.default_exception_handler(context)
            return
        # asyncio stops accepting for a second and tries again; open connections are served.
        now = loop.time()
        last = self._last_exhaustion_warning
        if last is None or now - last >= 10.0:
            self._last_exhaustion_warning = now
            log.warning(
                "the sandbox cannot accept new connections for now (%s); it keeps serving "
                "the open ones and accepts again as they close",
                exc.strerror or exc,
            )


_RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


def bind_socket(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> socket.socket:
    """A listening TCP socket; port 0 picks a free one. Raises OSError (e.g. port in use)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(512)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def base_url_of(sock: socket.socket) -> str:
    """``http://HOST:PORT`` of a bound socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def make_server(
    app: SandboxApp, *, log_level: str = "warning", own_process: bool = False
) -> uvicorn.Server:
    """A uvicorn server for ``app``: no access log, no lifespan, no logging set-up of its own;
    the read deadlines, connection cap and host check of ``app.config`` (see protocol.py).
    ``own_process``: the process serves nothing else, so its garbage collection is the
    sandbox's (see memory.py)."""
    protocol = functools.partial(SandboxHttpProtocol, sandbox_config=app.config)
    config = uvicorn.Config(
        app,
        http=protocol,  # type: ignore[arg-type]
        ws="none",
        lifespan="off",
        log_config=None,
        log_level=log_level,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=2,
        timeout_keep_alive=int(max(1, app.config.header_timeout)),
    )
    collector = CollectWhenIdle(lambda: app.stats.requests) if own_process else None
    return SandboxServer(config, collector)


class RunningSandbox(str):
    """The base URL of a sandbox served in a background thread (it *is* that string), with
    the app (for inspection without HTTP) and the port."""

    app: SandboxApp
    port: int

    def __new__(cls, base_url: str, app: SandboxApp, port: int) -> RunningSandbox:
        self = super().__new__(cls, base_url)
        self.app = app
        self.port = port
        return self

    @property
    def base_url(self) -> str:
        return str(self)


@contextmanager
def run_in_thread(
    config: SandboxConfig | SandboxApp | None = None, *, host: str = DEFAULT_HOST, port: int = 0
) -> Iterator[RunningSandbox]:
    """Serve a sandbox on loopback in a background thread for the ``with`` block.

    ``config`` is a :class:`SandboxConfig` (a new app is made) or an existing app (its state is
    shared with in-process users). Yields the base URL, e.g. ``http://127.0.0.1:40123``.
    """
    app = config if isinstance(config, SandboxApp) else SandboxApp(config)
    sock = bind_socket(host, port)
    url = base_url_of(sock)
    server = make_server(app)
    failure: list[BaseException] = []

    def serve() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # reported to the caller, not lost in the thread
            failure.append(exc)

    thread = threading.Thread(target=serve, name=f"sandbox {url}", daemon=True)
    thread.start()
    try:
        deadline = _START_TIMEOUT_S
        step = 0.005
        while not server.started and thread.is_alive() and deadline > 0:
            thread.join(step)  # bounded wait for uvicorn's start-up, not a fixed sleep
            deadline -= step
        if not server.started:
            server.should_exit = True
            reason = failure[0] if failure else None
            raise RuntimeError(f"the sandbox did not start on {url}") from reason
        yield RunningSandbox(url, app, sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(_STOP_TIMEOUT_S)
        if thread.is_alive():
            server.force_exit = True
            thread.join(_STOP_TIMEOUT_S)
        sock.close()


def serve_forever(app: SandboxApp, sock: socket.socket, *, log_level: str = "warning") -> None:
    """Serve in the foreground until SIGINT/SIGTERM (uvicorn's graceful shutdown), in a
    process of the sandbox's own."""
    make_server(app, log_level=log_level, own_process=True).run(sockets=[sock])

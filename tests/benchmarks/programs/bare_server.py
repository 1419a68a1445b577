"""A bare ASGI app that answers 202 to anything, over the sandbox's own server and HTTP
settings: the baseline the sandbox's throughput is measured against (bench_sandbox). Prints
``Sandbox listening on URL`` first; SIGTERM or SIGINT stops it."""

from __future__ import annotations

import contextlib

from composer.sandbox import SandboxApp, SandboxConfig
from composer.sandbox.app import Receive, Scope, Send
from composer.sandbox.server import base_url_of, bind_socket, make_server


class Bare(SandboxApp):
    """Answers 202 to anything: the sandbox's server with none of the sandbox's work."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            more = bool((await receive()).get("more_body", False))
        await send({"type": "http.response.start", "status": 202,
                    "headers": [(b"content-length", b"0")]})  # fmt: skip
        await send({"type": "http.response.body", "body": b""})


def main() -> None:
    sock = bind_socket("127.0.0.1", 0)
    print(f"Sandbox listening on {base_url_of(sock)}", flush=True)
    # SIGINT is how a benchmark stops it: its clean shutdown
    with contextlib.suppress(KeyboardInterrupt):
        make_server(Bare(SandboxConfig())).run(sockets=[sock])


if __name__ == "__main__":
    main()

"""A recording HTTP(S) listener for tests: ``python tests/listener.py HOST PORT LOG [CERT KEY]``.

Every request is appended to LOG as one JSON line (method, path, headers, body in hex) before the
answer goes out, so a test can tell exactly what reached the server. It answers 202 with an
empty body, or, when the path starts with ``/echo`` (a base URL such as ``http://127.0.0.1:PORT/echo``),
400 with the Authorization header echoed back in a header and in a JSON:API error body: as
written, spelled with JSON escapes, in base64 (as a Basic credential) and shortened to a "hint"
of its first 24 characters (a server that leaks what it was given, whole or in part). Prints
``ready`` on stdout once it listens. Runs inside a test's private network namespace or on
loopback; nothing else."""

from __future__ import annotations

import base64
import json
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    log_path = ""

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        record = {
            "method": self.command,
            "path": self.path,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body": body.hex(),
        }
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(json.dumps(record) + "\n")
        if self.path.startswith("/echo"):
            given = self.headers.get("Authorization", "")
            escaped = "".join(f"\\u{ord(c):04x}" for c in given)
            key = given.removeprefix("Klaviyo-API-Key ")
            basic = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
            answer = (
                json.dumps(
                    {
                        "errors": [
                            {
                                "id": "echo",
                                "status": 400,
                                "code": "invalid",
                                "title": "Echo",
                                "detail": f"you sent {given}",
                                "source": {"pointer": "/data"},
                                "meta": {
                                    "escaped": "ESCAPED",
                                    "credential": basic,
                                    "hint": f"{key[:24]}...",
                                },
                            }
                        ]
                    }
                )
                .replace('"ESCAPED"', f'"{escaped}"')
                .encode()
            )
            self.send_response(400)
            self.send_header("X-Seen-Authorization", given)
            self.send_header("X-Seen-Credential", basic)
            self.send_header("Content-Type", "application/vnd.api+json")
        else:
            answer = b""
            self.send_response(202)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def __getattr__(self, name: str) -> object:
        if name.startswith("do_"):  # every method, however odd, is recorded
            return self._handle
        raise AttributeError(name)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


def main(argv: list[str]) -> None:
    host, port, log_path = argv[0], int(argv[1]), argv[2]
    Handler.log_path = log_path
    server = ThreadingHTTPServer((host, port), Handler)
    if len(argv) > 3:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(argv[3], argv[4])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print("ready", server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])

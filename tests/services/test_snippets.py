"""Copy as Python is data, never code: whatever the history holds (method, URL, header names
and values, body), the httpx and SDK snippets parse (``ast``) into exactly the intended
statements, with the recorded values as literals; and the httpx snippet, run against a loopback
listener, makes exactly the recorded request and nothing else runs."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from composer.domain.outcome import RequestRecord
from composer.services.snippets import as_python, as_python_httpx, as_python_sdk
from composer.storage.exports import header_problem
from tests.netns import listener

CANARY = "CANARY"
HOSTILE = [
    '"""',
    "'''",
    "\\",
    "\n",
    "\r\n",
    "\x00",
    f"__import__('os').system('touch {CANARY}')",
    f'"); open("{CANARY}", "w"); ("',
    f"\n# \nopen('{CANARY}', 'w')\n",
    "{body}",
    "$(touch CANARY) `touch CANARY`",
    "\u2028\u202e\x1b[31m",
    "\ud800",
    "é漢字🙂",
]
text = st.one_of(
    st.text(max_size=30),
    st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=4).map("".join),
    st.tuples(st.text(max_size=8), st.sampled_from(HOSTILE), st.text(max_size=8)).map("".join),
)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
body = st.one_of(
    st.binary(max_size=100),
    text.map(lambda t: t.encode("utf-8", "surrogatepass")),
    json_value.map(lambda v: json.dumps(v).encode()),
    st.sampled_from([b"NaN", b'{"a": Infinity}', b"[" * 50 + b"]" * 50]),
)
header = st.tuples(st.one_of(st.sampled_from(["revision", "Content-Type"]), text), text)
request = st.builds(
    RequestRecord,
    method=st.one_of(st.sampled_from(["POST", "PUT"]), text),
    url=text.map(lambda t: "http://127.0.0.1:9/x/" + quote(t, errors="surrogatepass")),
    headers=st.lists(header, max_size=3).map(tuple),
    body=body,
)


def assigned(tree: ast.Module, name: str) -> ast.expr:
    [value] = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == [name]
    ]
    return value


def calls(tree: ast.Module) -> list[str]:
    return sorted(ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call))


@settings(max_examples=150, deadline=None)
@given(req=request)
def test_the_httpx_snippet_holds_the_recorded_values_as_literals_and_nothing_else(req):
    code = as_python_httpx(req)
    tree = ast.parse(code)
    assert calls(tree) == ["body.encode", "httpx.request", "print"] or calls(tree) == [
        "httpx.request",
        "print",
    ]
    statements = [ast.unparse(n) for n in tree.body]
    assert statements[:2] == ["import os", "import httpx"]
    assert len(statements) == 7
    headers = ast.literal_eval(assigned(tree, "headers"))
    # what HTTP can carry: blanks around a value dropped, unsendable headers left out
    kept = ((n, v.strip(" \t")) for n, v in req.headers if n.lower() not in _SKIPPED)
    want = {n: v for n, v in kept if header_problem(n, v) is None}
    assert headers == want
    sent_body = ast.literal_eval(assigned(tree, "body"))
    raw = sent_body.encode() if isinstance(sent_body, str) else sent_body
    assert raw == req.body
    [call] = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and ast.unparse(n.func) == "httpx.request"
    ]
    assert [ast.literal_eval(a) for a in call.args] == [req.method, req.url]


_SKIPPED = {
    "content-length",
    "host",
    "accept-encoding",
    "connection",
    "user-agent",
    "authorization",
}


@settings(max_examples=150, deadline=None)
@given(req=request)
def test_the_sdk_snippet_is_one_create_event_call_with_the_parsed_body(req):
    code = as_python_sdk(req)
    tree = ast.parse(code)
    if not tree.body:  # the body cannot go through the SDK: only a fixed comment
        assert code.startswith("# The recorded body is not a JSON document")
        return
    assert calls(tree) == ["KlaviyoAPI", "klaviyo.Events.create_event"]
    assert ast.literal_eval(assigned(tree, "body")) == json.loads(req.body)
    ast.parse(as_python(req))


def test_the_httpx_snippet_run_makes_exactly_the_recorded_request(tmp_path):
    pytest.importorskip("httpx")
    with listener(tmp_path) as server:

        @settings(
            max_examples=12,
            deadline=None,
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(path=text, payload=body, note=text.filter(lambda t: t.isprintable() and t.isascii()))
        def check(path: str, payload: bytes, note: str) -> None:
            url = f"{server.url}/x/" + quote(path, errors="surrogatepass")
            req = RequestRecord("POST", url, (("X-Note", note),), payload)
            script = tmp_path / "snippet.py"
            script.write_text(as_python_httpx(req), encoding="utf-8")
            before = len(server.requests())
            env = {**os.environ, "KLAVIYO_API_KEY": "pk_" + "c4" * 17}
            done = subprocess.run(
                [sys.executable, str(script)],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                timeout=60,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            got = [
                (r["method"], r["path"], bytes.fromhex(str(r["body"])))
                for r in server.requests()[before:]
            ]
            assert got == [("POST", urlsplit(url).path, payload)]
            assert not (tmp_path / CANARY).exists()

        check()


def test_a_body_with_nan_or_not_json_gets_no_sdk_call():
    for raw in (b"NaN", b'{"a": Infinity}', b"not json", b"\xff"):
        code = as_python_sdk(RequestRecord("POST", "http://127.0.0.1:9/", (), raw))
        assert "create_event" not in code and code.startswith("#")


def test_the_httpx_snippet_sends_headers_http_can_carry_and_says_which_it_left_out(tmp_path):
    """Blanks around a recorded header value are not part of it in HTTP (httpx refuses them),
    and a value with a control character cannot be sent at all: the snippet still runs."""
    pytest.importorskip("httpx")
    with listener(tmp_path) as server:
        headers = (("X-Note", " o "), ("X-Bad", "a\x01b"))
        req = RequestRecord("POST", f"{server.url}/x/", headers, b"{}")
        code = as_python_httpx(req)
        assert "# left out: the value of header 'X-Bad'" in code
        script = tmp_path / "snippet.py"
        script.write_text(code, encoding="utf-8")
        env = {**os.environ, "KLAVIYO_API_KEY": "pk_" + "c4" * 17}
        done = subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert [(r["method"], r["path"]) for r in server.requests()] == [("POST", "/x/")]

"""Environments: named sets of target, account, revision, email domain and variables, kept as
plain JSON files without secrets.

One file per environment, named after it: ``environments/staging.json`` in a collection, or
the same in the user's folder (see ``composer.storage.paths``) when no collection is open::

    {
      "account": "staging",
      "email_domain": "qa.example.com",
      "revision": "2024-10-15",
      "target": "production",
      "variables": {
        "store": "Berlin"
      }
    }

Every member is optional (an empty object is the sandbox with no variables). ``account`` is
the *name* of an account whose key is in the keyring: a file that holds anything that looks
like a private API key (``pk_…``) is refused. Members this version does not know are kept and
written back. Files are written with sorted members, an indent of 2, UTF-8 and a final newline,
and a file that is saved unchanged keeps its exact bytes (:func:`environment_text`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from composer.domain.jsontext import loads

SUFFIX = ".json"
MAX_FILE_BYTES = 1_000_000
"""An environment is a few lines: a bigger file is refused rather than read."""

_KEY_LIKE = re.compile(r"\b[ps]k_[A-Za-z0-9]{16,}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_VARIABLE_USE = re.compile(r"\{\{[^\s{}]+\}\}")
"""A ``{{name}}`` as an event would resolve it (no blanks inside the braces)."""
_DOMAIN = re.compile(
    r"(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_FILE_NAME = re.compile(r"[^\x00-\x1f/\\:*?\"<>|]{1,100}")
_KNOWN = ("account", "email_domain", "revision", "target", "variables")


class EnvironmentFileError(ValueError):
    """A file that is not a usable environment. The message names the file and the field, says
    what is wrong and what would be right."""


@dataclass(frozen=True)
class Environment:
    """One environment. ``name`` is the file's name without ``.json``.

    ``target`` is ``"sandbox"``, ``"production"`` or a base URL (None: leave the window's
    target as it is); ``account`` an account name (None: the target's default); ``revision``
    an API revision date (None: leave it). ``variables`` are ``{{name}}`` values (strings,
    numbers, booleans). ``extra`` holds members this version does not know, kept as read.
    """

    name: str
    target: str | None = None
    account: str | None = None
    revision: str | None = None
    email_domain: str | None = None
    variables: Mapping[str, Any] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        """True when the environment sends to Klaviyo itself."""
        target = (self.target or "").strip().lower().rstrip("/")
        return target in ("production", "https://a.klaviyo.com")

    def to_json(self) -> dict[str, Any]:
        """The file's members (without the name, which is the file's)."""
        out: dict[str, Any] = dict(self.extra)
        for key in _KNOWN:
            value = getattr(self, key)
            if key == "variables":
                if value:
                    out[key] = dict(value)
            elif value is not None:
                out[key] = value
        return out


@dataclass(frozen=True)
class EnvironmentFile:
    """An environment read from ``path``, with the exact text it was read from."""

    path: Path
    environment: Environment
    text: str


def format_environment(env: Environment) -> str:
    """The stable text of an environment: sorted members, indent 2, a final newline."""
    import json

    return json.dumps(env.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def environment_text(env: Environment, previous: EnvironmentFile | None = None) -> str:
    """The text to write for ``env``: the text it was read from when nothing changed (so
    saving an untouched file keeps its bytes), else :func:`format_environment`."""
    if previous is not None and previous.environment == env:
        return previous.text
    return format_environment(env)


def parse_environment(text: str, name: str, where: str | None = None) -> Environment:
    """The environment in ``text`` (named ``name``); ``where`` names the file in messages.

    Raises :class:`EnvironmentFileError` for text that is not JSON, a member of the wrong type,
    a variable name that cannot be used as ``{{name}}``, or anything that looks like an API key.
    """
    where = where or f"environment {name!r}"
    key = _KEY_LIKE.search(text)
    if key is not None:
        raise EnvironmentFileError(
            f"{where}: refused, it holds something that looks like a Klaviyo private API key "
            f"({key.group()[:3]}…) at line {text.count(chr(10), 0, key.start()) + 1}; keys stay "
            'in the keyring: remove it from the file, store the key with "event-composer key '
            'set NAME" (or Account > Manage keys), and name that account in "account"'
        )
    try:
        data = loads(text)
    except ValueError as exc:
        raise EnvironmentFileError(f"{where}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise EnvironmentFileError(
            f"{where}: an environment is a JSON object such as "
            '{"target": "sandbox", "variables": {}}, not ' + _kind(data)
        )
    values: dict[str, Any] = {}
    for member in ("target", "account", "revision", "email_domain"):
        value = data.get(member)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise EnvironmentFileError(
                f"{where}: {member} must be a non-empty string (or left out), not {_kind(value)}"
            )
        values[member] = value
        used = _VARIABLE_USE.search(value or "")
        if used is not None:
            # only an event's strings are resolved; a variable here would be taken literally
            raise EnvironmentFileError(
                f"{where}: {member} holds the variable {used.group()}, but variables are "
                f"filled in only inside the event, not in an environment's {member}: write "
                f"the {member} itself"
            )
    target = values["target"]
    if target is not None and not (
        target.strip().lower() in ("sandbox", "production")
        or target.strip().lower().startswith(("http://", "https://"))
    ):
        raise EnvironmentFileError(
            f'{where}: target {target!r} is not a target: write "sandbox", "production" or a '
            'base URL such as "http://127.0.0.1:8787"'
        )
    revision = values["revision"]
    if (
        revision is not None
        and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(\.pre)?", revision) is None
    ):
        raise EnvironmentFileError(
            f"{where}: revision {revision!r} is not an API revision: write a date such as "
            '"2024-10-15"'
        )
    domain = values["email_domain"]
    if domain is not None and _DOMAIN.fullmatch(domain) is None:
        raise EnvironmentFileError(
            f"{where}: email_domain {domain!r} is not a domain name: write one such as "
            '"qa.example.com" (no @)'
        )
    variables = data.get("variables", {})
    if variables is None:
        variables = {}
    if not isinstance(variables, dict):
        raise EnvironmentFileError(
            f'{where}: variables must be an object such as {{"store": "Berlin"}}, not '
            + _kind(variables)
        )
    for var, value in variables.items():
        if _NAME.fullmatch(var) is None:
            raise EnvironmentFileError(
                f"{where}: variables.{var} is not a usable name: use letters, digits, _, - and "
                ". starting with a letter or _ (it is written {{name}} in an event)"
            )
        if not isinstance(value, str | int | float):
            raise EnvironmentFileError(
                f"{where}: variables.{var} must be a string, a number or true/false, not "
                + _kind(value)
            )
    extra = {k: v for k, v in data.items() if k not in _KNOWN}
    return Environment(
        name=name,
        target=target,
        account=values["account"],
        revision=revision,
        email_domain=domain,
        variables=dict(variables),
        extra=extra,
    )


def read_environment_file(path: Path) -> EnvironmentFile:
    """Read one environment file (its name is the file's name without ``.json``).

    Raises :class:`EnvironmentFileError` naming the file for any problem (unreadable, too big,
    not UTF-8, not an environment).
    """
    where = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise EnvironmentFileError(
                f"{where}: {size:,} bytes is too big for an environment (at most "
                f"{MAX_FILE_BYTES:,}); is it the right file?"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise EnvironmentFileError(f"{where}: cannot be read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EnvironmentFileError(
            f"{where}: not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    text = text.removeprefix("\ufeff")
    return EnvironmentFile(path, parse_environment(text, environment_name(path), where), text)


def write_environment_file(
    path: Path, env: Environment, previous: EnvironmentFile | None = None
) -> EnvironmentFile:
    """Write ``env`` to ``path`` (atomically: a temporary file renamed over it) and return what
    was written. An environment that did not change since ``previous`` keeps its bytes."""
    import os
    import tempfile

    text = environment_text(env, previous)
    parse_environment(text, env.name, str(path))  # never write a file that could not be read
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return EnvironmentFile(path, env, text)


def environment_name(path: Path) -> str:
    """The environment's name: the file's name without ``.json``."""
    return path.name[: -len(SUFFIX)] if path.name.endswith(SUFFIX) else path.name


def environment_path(folder: Path, name: str) -> Path:
    """Where the environment ``name`` lives in ``folder``; raises for a name that cannot be a
    file's name."""
    if _FILE_NAME.fullmatch(name) is None or name.strip(" .") == "":
        raise EnvironmentFileError(
            f"environment name {name!r} cannot be a file name: use letters, digits, blanks, "
            "- and _ (at most 100)"
        )
    return folder / f"{name}{SUFFIX}"


def list_environments(folder: Path) -> tuple[list[EnvironmentFile], list[str]]:
    """The environments in ``folder`` sorted by name, and a message per file that could not be
    read (a bad file never hides the good ones). A missing folder has none."""
    found: list[EnvironmentFile] = []
    problems: list[str] = []
    try:
        paths = sorted(p for p in folder.iterdir() if p.name.endswith(SUFFIX))
    except FileNotFoundError:
        return found, problems
    except OSError as exc:
        return found, [f"{folder}: cannot be listed ({exc.strerror or exc})"]
    for path in paths:
        if path.name.startswith("."):
            continue
        try:
            found.append(read_environment_file(path))
        except EnvironmentFileError as exc:
            problems.append(str(exc))
    found.sort(key=lambda f: f.environment.name.casefold())
    return found, problems


def find_environment(folders: list[Path], name_or_path: str) -> EnvironmentFile:
    """The environment a user named: a path to a ``.json`` file, or a name looked up in each
    of ``folders`` in turn. Raises :class:`EnvironmentFileError` saying where it looked."""
    candidate = Path(name_or_path)
    if name_or_path.endswith(SUFFIX) or os_sep_in(name_or_path):
        if candidate.is_file():
            return read_environment_file(candidate)
        raise EnvironmentFileError(f"environment file {name_or_path}: no such file")
    for folder in folders:
        path = folder / f"{name_or_path}{SUFFIX}"
        if path.is_file():
            return read_environment_file(path)
    names = sorted({f.environment.name for folder in folders for f in list_environments(folder)[0]})
    looked = ", ".join(str(f) for f in folders) or "no folder"
    known = f"; the environments there are: {', '.join(names)}" if names else ""
    raise EnvironmentFileError(
        f"environment {name_or_path!r} not found (looked in {looked}){known}; give a name or "
        "the path of a .json file"
    )


def os_sep_in(text: str) -> bool:
    return "/" in text or "\\" in text


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__

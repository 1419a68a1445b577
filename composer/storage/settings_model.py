"""The settings as data: every field with its default, and the reading of a parsed settings
file in which any value may be of the wrong type (see :func:`parse_settings`)."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from composer.domain.revisions import DEFAULT_REVISION

MAX_RECENT_FILES = 10


@dataclass(frozen=True, slots=True)
class Target:
    """A named place to send to besides the built-in sandbox and production."""

    name: str
    base_url: str


@dataclass(frozen=True, slots=True)
class RateLimits:
    """The client-side limits for the Create Event endpoint (Klaviyo's documented windows)."""

    burst_per_second: int = 350
    steady_per_minute: int = 3500


@dataclass(frozen=True, slots=True)
class Retention:
    """How much history to keep; None on a count means no limit on it."""

    keep_last: int | None = None
    keep_days: int | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    """Every user setting, with its default."""

    targets: tuple[Target, ...] = ()
    accounts: tuple[str, ...] = ()
    """Account labels ("Staging", "Production"); their keys are in the OS keyring."""
    default_target: str = "sandbox"
    default_account: str | None = None
    default_revision: str = DEFAULT_REVISION
    retention: Retention = field(default_factory=Retention)
    auto_unique_id: bool = True
    fresh_unique_id: bool = True
    """Each Send from the composer gets a new unique_id (so a repeated Send is a new event, never
    a duplicate Klaviyo drops without a word); off: the event's own unique_id is sent."""
    rate_limits: RateLimits = field(default_factory=RateLimits)
    theme: str = "system"
    window_layout: str | None = None
    """Opaque window state (base64); see :meth:`layout_bytes`."""
    recent_files: tuple[str, ...] = ()
    sandbox_retired_revisions: str = "serve"
    """What the built-in sandbox does with a retired revision: serve, fall-forward or gone."""
    verify_sandbox: bool = True
    """After a 202 from the sandbox (or this machine), read the event back automatically."""
    verify_klaviyo: bool = True
    """After a 202 from Klaviyo (or another server), read the event back automatically; a key
    without the read scopes gets "cannot check" naming the scope to add."""
    collections: tuple[str, ...] = ()
    """The collection folders open in the window's side panel, in the order they were opened."""

    def layout_bytes(self) -> bytes | None:
        """The saved window layout as the bytes the GUI stored."""
        if not self.window_layout:
            return None
        try:
            return base64.b64decode(self.window_layout, validate=True)
        except ValueError:
            return None

    def with_layout(self, state: bytes | None) -> Settings:
        encoded = base64.b64encode(state).decode("ascii") if state else None
        return dataclasses.replace(self, window_layout=encoded)

    def with_account(self, name: str) -> Settings:
        """These settings with ``name`` among the accounts (kept in the order added)."""
        if name in self.accounts:
            return self
        return dataclasses.replace(self, accounts=(*self.accounts, name))

    def without_account(self, name: str) -> Settings:
        default = None if self.default_account == name else self.default_account
        return dataclasses.replace(
            self, accounts=tuple(a for a in self.accounts if a != name), default_account=default
        )

    def with_recent_file(self, path: str) -> Settings:
        recent = (path, *(p for p in self.recent_files if p != path))[:MAX_RECENT_FILES]
        return dataclasses.replace(self, recent_files=recent)

    def with_collection(self, path: str) -> Settings:
        """These settings with the collection folder ``path`` open (once, last)."""
        if path in self.collections:
            return self
        return dataclasses.replace(self, collections=(*self.collections, path))

    def without_collection(self, path: str) -> Settings:
        return dataclasses.replace(
            self, collections=tuple(p for p in self.collections if p != path)
        )

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["targets"] = [dataclasses.asdict(t) for t in self.targets]
        out["accounts"] = list(self.accounts)
        out["recent_files"] = list(self.recent_files)
        out["collections"] = list(self.collections)
        return {"version": 1, **out}

    @classmethod
    def from_json(cls, obj: Any) -> tuple[Settings, list[str]]:
        """Settings from a parsed file, and one sentence per value that had to be replaced by
        its default (the other values are kept). See :func:`parse_settings`."""
        settings, problems, _invalid = parse_settings(obj)
        return settings, problems


THEMES = ("system", "light", "dark")


def parse_settings(obj: Any) -> tuple[Settings, list[str], set[str]]:
    """Settings from a parsed file object, one sentence per value that was not usable (naming
    the field, what it holds and what would be right), and the top-level fields that were
    not taken as written. A value of the wrong type falls back to the field's default; in a
    list, only the unusable items are left out; in an object, only the unusable members."""
    if not isinstance(obj, dict):
        return Settings(), ["the settings file does not hold a JSON object"], set()
    problems: list[str] = []
    invalid: set[str] = set()
    defaults = Settings()
    values: dict[str, Any] = {}

    def complain(name: str, exc: Exception, default: Any) -> None:
        problems.append(f"settings: {name} is not valid ({exc}); using the default {default!r}")

    def take(name: str, convert: Callable[[Any], Any]) -> None:
        if name not in obj:
            return
        try:
            values[name] = convert(obj[name])
        except (TypeError, ValueError) as exc:
            invalid.add(name)
            complain(name, exc, getattr(defaults, name))

    def items(name: str, convert: Callable[[Any], Any], limit: int | None = None) -> None:
        """A list field: the usable items are kept, each unusable one named."""
        if name not in obj:
            return
        raw = obj[name]
        if not isinstance(raw, list):
            invalid.add(name)
            complain(
                name, TypeError(f"expected a list, found {_kind(raw)}"), getattr(defaults, name)
            )
            return
        kept = []
        for index, item in enumerate(raw):
            try:
                kept.append(convert(item))
            except (TypeError, ValueError) as exc:
                invalid.add(name)
                problems.append(f"settings: {name}[{index}] is not valid ({exc}); left out")
        values[name] = tuple(kept[:limit] if limit else kept)

    def members(name: str, fields: dict[str, tuple[Callable[[Any], Any], Any]]) -> dict[str, Any]:
        """An object field: each member converted, an unusable one replaced by its default."""
        raw = obj[name]
        if not isinstance(raw, dict):
            raise TypeError(f"expected an object, found {_kind(raw)}")
        out: dict[str, Any] = {}
        for member, (convert, default) in fields.items():
            if member not in raw:
                continue
            try:
                out[member] = convert(raw[member])
            except (TypeError, ValueError) as exc:
                invalid.add(name)
                complain(f"{name}.{member}", exc, default)
        return out

    items("targets", _target)
    items("accounts", _string)
    take("default_target", _default_target)
    take("default_account", lambda v: None if v is None else _string(v))
    take("default_revision", _revision)
    if "retention" in obj:
        keep = Retention()
        take(
            "retention",
            lambda v: Retention(
                **members(
                    "retention",
                    {"keep_last": (_count, keep.keep_last), "keep_days": (_count, keep.keep_days)},
                )
            ),
        )
    take("auto_unique_id", _bool)
    take("fresh_unique_id", _bool)
    if "rate_limits" in obj:
        limits = RateLimits()
        take(
            "rate_limits",
            lambda v: RateLimits(
                **members(
                    "rate_limits",
                    {
                        "burst_per_second": (_positive, limits.burst_per_second),
                        "steady_per_minute": (_positive, limits.steady_per_minute),
                    },
                )
            ),
        )
    take("theme", _theme)
    take("window_layout", lambda v: None if v is None else _string(v))
    items("recent_files", _string, MAX_RECENT_FILES)
    take("sandbox_retired_revisions", _retired_policy)
    take("verify_sandbox", _bool)
    take("verify_klaviyo", _bool)
    items("collections", _string)
    return Settings(**values), problems, invalid


def _kind(v: Any) -> str:
    """What a JSON value is, in the words of the settings file."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return f"{str(v).lower()}"
    if isinstance(v, (int, float)):
        return f"the number {v!r}"
    if isinstance(v, str):
        return f"the text {v[:40]!r}"
    if isinstance(v, list):
        return "a list"
    return "an object"


RETIRED_POLICIES = ("serve", "fall-forward", "gone")


def _retired_policy(v: Any) -> str:
    if v not in RETIRED_POLICIES:
        raise ValueError(f"expected one of {', '.join(RETIRED_POLICIES)}, found {v!r}")
    return str(v)


def _string(v: Any) -> str:
    if not isinstance(v, str):
        raise TypeError(f"expected text, found {_kind(v)}")
    return v


def _target(v: Any) -> Target:
    if not isinstance(v, dict) or not {"name", "base_url"} <= v.keys():
        raise TypeError(
            'expected an object such as {"name": "Local", "base_url": "http://127.0.0.1:8787"}'
            f", found {_kind(v)}"
        )
    return Target(_string(v["name"]), _string(v["base_url"]))


def _default_target(v: Any) -> str:
    """``sandbox``, ``production`` or an http(s) base URL (the window and the CLI would
    otherwise fall back to the sandbox without a word)."""
    text = _string(v).strip()
    scheme, sep, rest = text.partition("://")
    url = sep and scheme.lower() in ("http", "https") and rest.strip("/")
    if text.lower() not in ("sandbox", "production") and not url:
        raise ValueError(
            "expected sandbox, production or a base URL such as http://127.0.0.1:8787, found "
            + _kind(v)
        )
    return str(v)


def _revision(v: Any) -> str:
    from composer.domain.revisions import REVISIONS

    if not isinstance(v, str) or v not in REVISIONS:
        raise ValueError(
            f"expected a revision this app knows ({', '.join(REVISIONS)}), found {_kind(v)}"
        )
    return v


def _theme(v: Any) -> str:
    if not isinstance(v, str) or v not in THEMES:
        raise ValueError(f"expected one of {', '.join(THEMES)}, found {_kind(v)}")
    return v


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise TypeError(f"expected true or false, found {_kind(v)}")
    return v


def _count(v: Any) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise ValueError(f"expected a whole number of 0 or more, or null; found {_kind(v)}")
    return v


def _positive(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ValueError(f"expected a whole number of 1 or more, found {_kind(v)}")
    return v

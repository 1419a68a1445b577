"""GET /api/events, /api/events/{id}, /api/metrics and /api/profiles as revision 2026-07-15
publishes them: JSON:API documents, filters, sort, sparse fields, include, cursor paging, each
endpoint's own rate limits and read scope.

The app has already authenticated the key and checked the revision header; this module
answers from the :class:`ReadStore`, showing only what is readable at ``now``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, urlencode

from composer.sandbox import jsonapi
from composer.sandbox.filters import (
    EVENT_FILTERS,
    METRIC_FILTERS,
    PROFILE_FILTERS,
    Condition,
    FieldRule,
    FilterError,
    matches,
    parse_filter,
)
from composer.sandbox.jsonapi import ApiError, Headers, Reply
from composer.sandbox.ratelimit import RateLimiter, Verdict
from composer.sandbox.readstore import Metric, Profile, ReadStore, StoredEvent, klaviyo_datetime

JSONAPI = "application/vnd.api+json"
_T = TypeVar("_T")
_EVENT_ID_PATH = re.compile(r"/api/events/([^/]+)/?")

EVENT_FIELDS = frozenset({"datetime", "event_properties", "id", "timestamp", "uuid"})
METRIC_FIELDS = frozenset({"created", "id", "integration", "name", "updated"})
PROFILE_FIELDS = frozenset(
    {
        "created", "email", "external_id", "first_name", "id", "image", "last_event_date",
        "last_name", "locale", "location", "organization", "phone_number", "properties",
        "title", "updated",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One read endpoint: its scope, limits (burst/s, steady/min) and parameters."""

    name: str
    scope: str
    burst: int
    steady: int
    params: frozenset[str]
    filters: Mapping[str, FieldRule] | None = None
    sorts: frozenset[str] = frozenset()
    default_size: int = 0
    max_size: int = 0
    """0: no page[size] parameter (metrics: fixed 200 a page)."""


_COMMON = frozenset({"fields[event]", "fields[metric]", "fields[profile]"})
EVENTS = Endpoint(
    "get_events", "events:read", 350, 3500,
    _COMMON | {"fields[attribution]", "filter", "include", "page[cursor]", "page[size]", "sort"},
    EVENT_FILTERS, frozenset({"datetime", "-datetime", "timestamp", "-timestamp"}), 200, 1000,
)  # fmt: skip
EVENT = Endpoint("get_event", "events:read", 10, 150, _COMMON | {"fields[attribution]", "include"})
METRICS = Endpoint(
    "get_metrics", "metrics:read", 10, 150,
    frozenset({"fields[metric]", "fields[flow]", "filter", "include", "page[cursor]"}),
    METRIC_FILTERS,
)  # fmt: skip
PROFILES = Endpoint(
    "get_profiles", "profiles:read", 75, 750,
    frozenset({"fields[profile]", "fields[conversation]", "fields[push-token]", "filter",
               "include", "page[cursor]", "page[size]", "sort", "additional-fields[profile]"}),
    PROFILE_FILTERS,
    frozenset({"created", "-created", "id", "-id", "email", "-email", "updated", "-updated"}),
    20, 100,
)  # fmt: skip
_METRICS_PAGE = 200

ScopeCheck = Callable[[str, str], bool]
"""(key, scope) -> whether the key has the scope."""


def read_endpoint(path: str) -> tuple[Endpoint, str | None] | None:
    """The read endpoint a path names (with the event id for /api/events/{id}), else None."""
    if path in ("/api/events", "/api/events/"):
        return EVENTS, None
    if path in ("/api/metrics", "/api/metrics/"):
        return METRICS, None
    if path in ("/api/profiles", "/api/profiles/"):
        return PROFILES, None
    m = _EVENT_ID_PATH.fullmatch(path)
    if m is not None:
        return EVENT, m.group(1)
    return None


class ReadApi:
    """Answers the read endpoints for one sandbox."""

    def __init__(self, store: ReadStore, has_scope: ScopeCheck, media: str) -> None:
        self.store = store
        self.has_scope = has_scope
        self.media = media
        self.limiters = {
            e.name: RateLimiter(e.burst, e.steady) for e in (EVENTS, EVENT, METRICS, PROFILES)
        }

    def reset(self) -> None:
        """Forget the rate windows."""
        for limiter in self.limiters.values():
            limiter.reset()

    def handle(
        self,
        endpoint: Endpoint,
        item_id: str | None,
        *,
        query: bytes,
        key: str,
        base: str,
        path: str,
        now: float,
    ) -> Reply:
        """The answer to one authenticated GET (403 scope, 429, 400, 404 or 200)."""
        limiter = self.limiters[endpoint.name]
        if not self.has_scope(key, endpoint.scope):
            return self._error(403, _scope_error(endpoint), limiter.state(key, now))
        verdict = limiter.hit(key, now)
        if not verdict.allowed:
            retry = str(verdict.retry_after).encode("ascii")
            return jsonapi.error_reply(
                429, [jsonapi.throttled_error(verdict.retry_after)], self.media,
                [(b"retry-after", retry)],
            )  # fmt: skip
        try:
            params = _params(query, endpoint)
            if endpoint is EVENT:
                assert item_id is not None
                document = self._event(item_id, params, base, now)
                if document is None:
                    return self._error(404, _no_event(item_id), verdict)
            elif endpoint is EVENTS:
                document = self._events(params, base, path, now)
            elif endpoint is METRICS:
                document = self._metrics(params, base, path, now)
            else:
                document = self._profiles(params, base, path, now)
        except FilterError as problem:
            return self._error(400, problem.api_error, verdict)
        except _ParamError as problem:
            return self._error(400, problem.api_error, verdict)
        body = jsonapi.encode_json(document)
        headers: Headers = [
            (b"content-type", JSONAPI.encode("ascii")),
            (b"content-length", str(len(body)).encode("ascii")),
            *_rate_headers(verdict),
        ]
        return Reply(200, headers, body)

    # -- documents --------------------------------------------------------------------------

    def _event(self, item_id: str, params: _Params, base: str, now: float) -> Any:
        event = self.store.events_by_id.get(item_id)
        if event is None or event.available_at > now:
            return None
        document: dict[str, Any] = {
            "data": self._event_resource(event, params, base),
            "links": {"self": f"{base}/api/events/{quote(item_id)}/"},
        }
        included = self._included([event], params, base)
        if included is not None:
            document["included"] = included
        return document

    def _events(self, params: _Params, base: str, path: str, now: float) -> Any:
        conditions = params.conditions
        items = [
            e for e in self.store.events
            if e.available_at <= now and all(_event_matches(c, e) for c in conditions)
        ]  # fmt: skip
        sort = params.sort or "datetime"
        descending = sort.startswith("-")
        page, after = _page(
            items, lambda e: e.sort_key, descending, params, params.size or EVENTS.default_size
        )
        document = {
            "data": [self._event_resource(e, params, base) for e in page],
            "links": _links(base, path, params, after),
        }
        included = self._included(page, params, base)
        if included is not None:
            document["included"] = included
        return document

    def _metrics(self, params: _Params, base: str, path: str, now: float) -> Any:
        items = [
            m for m in self.store.metrics.values()
            if m.available_at <= now
            and all(matches(c, "API") for c in params.conditions)  # every metric is the API's
        ]  # fmt: skip
        page, after = _page(items, lambda m: (m.seq,), False, params, _METRICS_PAGE)
        return {
            "data": [_metric_resource(m, params.fields.get("metric"), base) for m in page],
            "links": _links(base, path, params, after),
        }

    def _profiles(self, params: _Params, base: str, path: str, now: float) -> Any:
        items = [
            p for p in self.store.profiles.values()
            if p.available_at <= now and all(_profile_matches(c, p) for c in params.conditions)
        ]  # fmt: skip
        sort = params.sort or "id"
        name = sort.lstrip("-")

        def key(p: Profile) -> tuple[Any, ...]:
            if name == "id":
                return (p.id,)
            if name == "email":
                return (p.attributes.get("email") or "", p.seq)
            return (p.created if name == "created" else p.updated, p.seq)

        page, after = _page(
            items, key, sort.startswith("-"), params, params.size or PROFILES.default_size
        )
        return {
            "data": [_profile_resource(p, params.fields.get("profile"), base) for p in page],
            "links": _links(base, path, params, after),
        }

    def _event_resource(self, event: StoredEvent, params: _Params, base: str) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "timestamp": event.timestamp,
            "event_properties": event.properties,
            "datetime": klaviyo_datetime(event.timestamp),
            "uuid": event.uuid,
        }
        wanted = params.fields.get("event")
        if wanted is not None:
            attributes = {k: v for k, v in attributes.items() if k in wanted}
        self_link = f"{base}/api/events/{event.id}/"
        return {
            "type": "event",
            "id": event.id,
            "attributes": attributes,
            "relationships": {
                "profile": {
                    "data": {"type": "profile", "id": event.profile_id},
                    "links": {
                        "self": f"{self_link}relationships/profile/",
                        "related": f"{self_link}profile/",
                    },
                },
                "metric": {
                    "data": {"type": "metric", "id": event.metric_id},
                    "links": {
                        "self": f"{self_link}relationships/metric/",
                        "related": f"{self_link}metric/",
                    },
                },
            },
            "links": {"self": self_link},
        }

    def _included(
        self, events: Sequence[StoredEvent], params: _Params, base: str
    ) -> list[dict[str, Any]] | None:
        if not params.include:
            return None
        out: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for event in events:
            if "metric" in params.include and ("metric", event.metric_id) not in seen:
                seen.add(("metric", event.metric_id))
                metric = self.store.metrics_by_id[event.metric_id]
                out.append(_metric_resource(metric, params.fields.get("metric"), base))
            if "profile" in params.include and ("profile", event.profile_id) not in seen:
                seen.add(("profile", event.profile_id))
                profile = self.store.profiles_by_id[event.profile_id]
                out.append(_profile_resource(profile, params.fields.get("profile"), base))
        return out

    def _error(self, status: int, error: ApiError, verdict: Verdict) -> Reply:
        return jsonapi.error_reply(status, [error], self.media, _rate_headers(verdict))


# -- resources --------------------------------------------------------------------------------


def _metric_resource(metric: Metric, wanted: frozenset[str] | None, base: str) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "name": metric.name,
        "created": klaviyo_datetime(metric.created),
        "updated": klaviyo_datetime(metric.created),
        "integration": {"object": "integration", "id": "7FtS4J", "name": "API",
                        "category": "API"},
    }  # fmt: skip
    if wanted is not None:
        attributes = {k: v for k, v in attributes.items() if k in wanted}
    return {
        "type": "metric",
        "id": metric.id,
        "attributes": attributes,
        "links": {"self": f"{base}/api/metrics/{metric.id}/"},
    }


def _profile_resource(profile: Profile, wanted: frozenset[str] | None, base: str) -> dict[str, Any]:
    a = profile.attributes
    attributes: dict[str, Any] = {
        name: a.get(name)
        for name in ("email", "phone_number", "external_id", "first_name", "last_name",
                     "organization", "locale", "title", "image")
    }  # fmt: skip
    attributes["created"] = klaviyo_datetime(profile.created)
    attributes["updated"] = klaviyo_datetime(profile.updated)
    attributes["last_event_date"] = (
        klaviyo_datetime(profile.last_event) if profile.last_event else None
    )
    attributes["location"] = a.get("location")
    attributes["properties"] = a.get("properties", {})
    if wanted is not None:
        attributes = {k: v for k, v in attributes.items() if k in wanted}
    return {
        "type": "profile",
        "id": profile.id,
        "attributes": attributes,
        "links": {"self": f"{base}/api/profiles/{profile.id}/"},
    }


def _event_matches(condition: Condition, event: StoredEvent) -> bool:
    actual: Any = {
        "metric_id": event.metric_id,
        "profile_id": event.profile_id,
        "profile": event.profile_id,
        "metric": event.metric_id,
        "datetime": float(event.timestamp),
        "timestamp": float(event.timestamp),
    }[condition.field]
    return matches(condition, actual)


def _profile_matches(condition: Condition, profile: Profile) -> bool:
    if condition.field == "id":
        actual: Any = profile.id
    else:
        actual = profile.attributes.get(condition.field)
        if condition.field == "email" and isinstance(condition.value, str):
            return matches(
                Condition(condition.op, condition.field, condition.value.strip().lower()), actual
            )
    return matches(condition, actual)


# -- parameters ------------------------------------------------------------------------------


class _ParamError(ValueError):
    def __init__(self, parameter: str, detail: str) -> None:
        super().__init__(detail)
        self.api_error = jsonapi.invalid_parameter_error(parameter, detail)


@dataclass(frozen=True, slots=True)
class _Params:
    pairs: list[tuple[str, str]]
    conditions: list[Condition]
    sort: str | None
    fields: dict[str, frozenset[str]]
    include: frozenset[str]
    size: int | None
    cursor: tuple[Any, ...] | None


_FIELD_SETS = {"event": EVENT_FIELDS, "metric": METRIC_FIELDS, "profile": PROFILE_FIELDS}
_INCLUDES = {
    "get_events": frozenset({"metric", "profile", "attributions"}),
    "get_event": frozenset({"metric", "profile", "attributions"}),
    "get_metrics": frozenset({"flow-triggers"}),
    "get_profiles": frozenset({"conversations", "push-tokens"}),
}


def _params(query: bytes, endpoint: Endpoint) -> _Params:
    try:
        pairs = parse_qsl(query.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise _ParamError("filter", "The query string is not UTF-8.") from None
    seen: dict[str, str] = {}
    for name, value in pairs:
        if name not in endpoint.params:
            raise _ParamError(name, f"'{name}' is not a parameter of {endpoint.name}.")
        if name in seen:
            raise _ParamError(name, f"'{name}' is given more than once.")
        seen[name] = value
    conditions: list[Condition] = []
    if "filter" in seen:
        assert endpoint.filters is not None
        conditions = parse_filter(seen["filter"], endpoint.filters)
    sort = seen.get("sort")
    if sort is not None and sort not in endpoint.sorts:
        options = ", ".join(sorted(endpoint.sorts)) or "none"
        raise _ParamError("sort", f"'{sort}' is not a valid sort for {endpoint.name}: {options}.")
    fields: dict[str, frozenset[str]] = {}
    for kind, allowed in _FIELD_SETS.items():
        raw = seen.get(f"fields[{kind}]")
        if raw is None:
            continue
        names = frozenset(n for n in raw.split(",") if n)
        unknown = sorted(names - allowed)
        if unknown:
            raise _ParamError(
                f"fields[{kind}]",
                f"'{unknown[0]}' is not a valid field for the resource '{kind}'.",
            )
        fields[kind] = names
    include = frozenset(n for n in seen.get("include", "").split(",") if n)
    bad = sorted(include - _INCLUDES[endpoint.name])
    if bad:
        raise _ParamError("include", f"'{bad[0]}' is not a valid relationship to include.")
    size: int | None = None
    if "page[size]" in seen:
        raw = seen["page[size]"]
        if not re.fullmatch(r"[0-9]{1,7}", raw, re.ASCII) or not (
            1 <= int(raw) <= endpoint.max_size
        ):
            raise _ParamError(
                "page[size]", f"page[size] must be a whole number from 1 to {endpoint.max_size}."
            )
        size = int(raw)
    cursor = _read_cursor(seen["page[cursor]"]) if "page[cursor]" in seen else None
    return _Params(pairs, conditions, sort, fields, include, size, cursor)


def _read_cursor(text: str) -> tuple[Any, ...]:
    try:
        padded = text + "=" * (-len(text) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeEncodeError):
        value = None
    if not isinstance(value, list) or not value:
        raise _ParamError("page[cursor]", "page[cursor] is not a cursor this API gave out.")
    return tuple(value)


def _cursor(key: tuple[Any, ...]) -> str:
    raw = json.dumps(list(key), separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _page(
    items: list[_T],
    key: Callable[[_T], tuple[Any, ...]],
    descending: bool,
    params: _Params,
    size: int,
) -> tuple[list[_T], tuple[Any, ...] | None]:
    """One page after ``params.cursor`` (the key of the previous page's last item) and the
    key to continue after, or None on the last page. Keyed, not by offset, so events that
    arrive while a client pages do not shift what it sees."""
    ordered = sorted(items, key=key, reverse=descending)
    if params.cursor is not None:
        after = params.cursor
        try:
            if descending:
                ordered = [i for i in ordered if list(key(i)) < list(after)]
            else:
                ordered = [i for i in ordered if list(key(i)) > list(after)]
        except TypeError:
            raise _ParamError(
                "page[cursor]", "page[cursor] belongs to another sort or endpoint."
            ) from None
    page = ordered[:size]
    more = len(ordered) > size
    return page, (key(page[-1]) if more and page else None)


def _links(base: str, path: str, params: _Params, after: tuple[Any, ...] | None) -> dict[str, str]:
    query = urlencode(params.pairs)
    links = {"self": f"{base}{path}" + (f"?{query}" if query else "")}
    if after is not None:
        pairs = [(k, v) for k, v in params.pairs if k != "page[cursor]"]
        pairs.append(("page[cursor]", _cursor(after)))
        links["next"] = f"{base}{path}?{urlencode(pairs)}"
    return links


def _scope_error(endpoint: Endpoint) -> ApiError:
    return ApiError(
        "permission_denied",
        "You do not have permission to perform this action.",
        f"You do not have permission to perform this action. {endpoint.name} needs an API key "
        f"with the {endpoint.scope} scope.",
    )


def _no_event(item_id: str) -> ApiError:
    shown = item_id if len(item_id) <= 40 else item_id[:40] + "..."
    return ApiError("not_found", "Not found.", f"No event with id {shown!r} exists (yet).")


def _rate_headers(verdict: Verdict) -> Headers:
    return [
        (b"ratelimit-limit", str(verdict.limit).encode("ascii")),
        (b"ratelimit-remaining", str(verdict.remaining).encode("ascii")),
        (b"ratelimit-reset", str(verdict.reset_seconds).encode("ascii")),
    ]

"""Validation of every sandbox request and response against Discord's official OpenAPI description.

The description (``shared/specs/discord-openapi.json``) takes seconds to load, so it is loaded once per
process and shared. Requests are matched against the description's server, ``https://discord.com/api/v10``,
whatever local base URL the sandbox actually serves on.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from multidict import CIMultiDict, MultiDict
from openapi_core.exceptions import OpenAPIError

SPEC_ENV = "BOUNTYBOT_DISCORD_OPENAPI"
_CANDIDATES = (
    Path(__file__).resolve().parents[3] / "specs" / "discord-openapi.json",
    Path(__file__).resolve().parents[4] / "shared" / "specs" / "discord-openapi.json",
)


def spec_path() -> Path | None:
    if env := os.environ.get(SPEC_ENV):
        return Path(env)
    return next((p for p in _CANDIDATES if p.exists()), None)


@functools.cache
def _openapi() -> Any:
    from openapi_core import OpenAPI

    path = spec_path()
    if path is None:
        raise RuntimeError(
            "Discord's OpenAPI description was not found; set BOUNTYBOT_DISCORD_OPENAPI to discord-openapi.json"
        )
    return OpenAPI.from_dict(json.loads(path.read_text(encoding="utf-8")))


def available() -> bool:
    try:
        import openapi_core  # noqa: F401
    except ImportError:
        return False
    return spec_path() is not None


@functools.cache
def _document() -> Any:
    path = spec_path()
    if path is None:
        raise RuntimeError("Discord's OpenAPI description was not found")
    return json.loads(path.read_text(encoding="utf-8"))


@functools.cache
def _schema_validator(name: str) -> Any:
    """A validator for one of the description's component schemas, its references resolved in the document."""
    from openapi_schema_validator import OAS31Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resource(
        "urn:discord", Resource.from_contents(_document(), default_specification=DRAFT202012)
    )
    return OAS31Validator({"$ref": f"urn:discord#/components/schemas/{name}"}, registry=registry)


def check_schema(name: str, value: Any, where: str) -> list[str]:
    """Problems with `value` as the description's `name` schema: for gateway payloads, which the REST
    description does not list as operations but whose objects it describes (users, guilds, roles, channels,
    members, messages, scheduled events)."""
    errors = sorted(_schema_validator(name).iter_errors(value), key=lambda e: list(e.absolute_path))
    return [
        f"gateway {where} as {name}: {'/'.join(map(str, e.absolute_path)) or '(object)'}: {e.message[:200]}"
        for e in errors[:3]
    ]


@dataclass
class _Request:
    method: str
    path: str
    body: bytes | None
    content_type: str
    query: MultiDict[str]
    headers: CIMultiDict[str]
    host_url: str = "https://discord.com"

    def __post_init__(self) -> None:
        from openapi_core.datatypes import RequestParameters

        # One object: openapi-core fills in the path parameters it matched on this very instance.
        self.parameters = RequestParameters(query=self.query, header=self.headers, cookie=MultiDict())


@dataclass
class _Response:
    status_code: int
    data: bytes
    content_type: str
    headers: CIMultiDict[str]


class SpecValidator:
    """Validates one exchange; returns a list of problems (empty when the spec is satisfied)."""

    def __init__(self, api_prefix: str = "/api/v10") -> None:
        self.api_prefix = api_prefix
        self.api = _openapi()

    def _request(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes | None,
        content_type: str,
    ) -> _Request:
        spec_path = "/api/v10" + path[len(self.api_prefix) :]
        return _Request(method.lower(), spec_path, body, content_type, MultiDict(query), CIMultiDict(headers))

    def check_request(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes | None,
        content_type: str,
    ) -> list[str]:
        req = self._request(method, path, query, headers, _stringify_snowflakes(body), content_type)
        try:
            self.api.validate_request(req)
        except OpenAPIError as exc:  # every kind of mismatch means "not what Discord accepts"
            return [f"request {method} {path}: {_describe(exc)}"]
        return []

    def check_response(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes | None,
        content_type: str,
        status: int,
        data: bytes,
    ) -> list[str]:
        req = self._request(method, path, query, headers, body, content_type)
        resp = _Response(status, data, "application/json" if data else "", CIMultiDict())
        try:
            self.api.validate_response(req, resp)
        except OpenAPIError as exc:
            return [f"response {status} to {method} {path}: {_describe(exc)}"]
        return []


def _stringify_snowflakes(body: bytes | None) -> bytes | None:
    """Render integer snowflakes as strings before validating a request body.

    Discord accepts a snowflake as a JSON integer as well as a string, and discord.py sends some that
    way (permission overwrite ids); the description types snowflakes as strings only. Only integers under
    keys named ``id`` or ``*_id`` and in ``users``/``roles`` lists (allowed_mentions) are touched; discord.py
    also numbers multipart attachments with integer ids. Everything else is validated as sent.
    """
    if not body:
        return body
    try:
        data = json.loads(body)
    except ValueError:
        return body

    def is_int(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for k, v in value.items():
                if (k == "id" or k.endswith("_id")) and is_int(v):
                    out[k] = str(v)
                elif k in ("users", "roles") and isinstance(v, list):
                    out[k] = [str(x) if is_int(x) else x for x in v]  # allowed_mentions
                else:
                    out[k] = walk(v)
            return out
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return json.dumps(walk(data)).encode()


def _describe(exc: BaseException) -> str:
    """The precise schema errors first (where and what), then the summary, which quotes whole payloads."""
    details: list[str] = []
    cause = exc.__cause__
    while cause is not None:
        for e in getattr(cause, "schema_errors", None) or []:
            details.append(f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {_leaf(e)}")
        cause = cause.__cause__
    summary = str(exc)
    return ("; ".join(details) + " || " + summary[:300]) if details else summary[:1500]


def _leaf(error: Any) -> str:
    """For oneOf/anyOf failures, the deepest sub-error is the useful one."""
    while getattr(error, "context", None):
        error = max(error.context, key=lambda e: len(list(e.absolute_path)))
    path = "/".join(map(str, error.absolute_path))
    return f"{error.message[:200]}" + (f" (at {path})" if path else "")

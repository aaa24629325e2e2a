"""A stand-in for GitHub on 127.0.0.1: the REST endpoints the mirror uses and the Projects GraphQL mutations.

REST requests and responses are validated against GitHub's official OpenAPI description (npm
`@octokit/openapi`, `generated/api.github.com.json`, cut down to the operations served here with every
schema they reference). GraphQL is executed by graphql-core against a schema of the Projects types used.
It enforces GitHub's documented limits (5,000 requests an hour; 80 content-generating requests a minute and
500 an hour; a 304 to a conditional request costs nothing) on an injectable clock, so a benchmark can run an
hour in seconds, and pages its listings as GitHub does (`per_page` at most 100, `page`, a `Link` header, `since`).
It can lose a response after doing the work (drop the connection, answer 502, or hang past the client's
timeout), answer 429 or a secondary-limit 403 with Retry-After, or fail with 5xx for a while.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode

from aiohttp import web

from bot.sandbox.http import LocalServer

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "tools" / "node_modules" / "@octokit" / "openapi" / "generated" / "api.github.com.json"
OPERATIONS = {
    ("/repos/{owner}/{repo}/labels", "post"),
    ("/repos/{owner}/{repo}/labels/{name}", "get"),
    ("/repos/{owner}/{repo}/issues", "get"),
    ("/repos/{owner}/{repo}/issues", "post"),
    ("/repos/{owner}/{repo}/issues/{issue_number}", "get"),
    ("/repos/{owner}/{repo}/issues/{issue_number}", "patch"),
    ("/repos/{owner}/{repo}/issues/{issue_number}/comments", "get"),
    ("/repos/{owner}/{repo}/issues/{issue_number}/comments", "post"),
    ("/repos/{owner}/{repo}/issues/comments", "get"),
    ("/repos/{owner}/{repo}/issues/{issue_number}/labels", "post"),
    ("/repos/{owner}/{repo}/releases", "get"),
}
# GitHub's limits, from "Rate limits for the REST API"
# (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api): a token may make 5,000
# requests an hour (primary), and "no more than 80 content-generating requests per minute and no more than 500
# content-generating requests per hour are allowed" (#about-secondary-rate-limits), REST and GraphQL together.
# A secondary limit is refused with 403 or 429, a message naming it and, when present, `retry-after`.
# "Making a conditional request does not count against your primary rate limit if a 304 response is returned"
# ("Best practices for using the REST API", #use-conditional-requests-if-appropriate).
REQUESTS_PER_HOUR = 5000
CONTENT_WRITES_PER_MINUTE = 80
CONTENT_WRITES_PER_HOUR = 500
MAX_PER_PAGE = 100  # "The number of results per page (max 100)"
GRAPHQL_SCHEMA = """
type Query { organization(login: String!): Organization }
type Mutation {
  addProjectV2ItemById(input: AddProjectV2ItemByIdInput!): AddProjectV2ItemByIdPayload
  updateProjectV2ItemFieldValue(input: UpdateProjectV2ItemFieldValueInput!): UpdateProjectV2ItemFieldValuePayload
}
type Organization { login: String! projectV2(number: Int!): ProjectV2 }
type ProjectV2 { id: ID! number: Int! title: String! field(name: String!): ProjectV2FieldConfiguration }
union ProjectV2FieldConfiguration = ProjectV2SingleSelectField | ProjectV2Field
type ProjectV2Field { id: ID! name: String! }
type ProjectV2SingleSelectField { id: ID! name: String! options: [ProjectV2SingleSelectFieldOption!]! }
type ProjectV2SingleSelectFieldOption { id: String! name: String! }
type ProjectV2Item { id: ID! }
input AddProjectV2ItemByIdInput { projectId: ID! contentId: ID! clientMutationId: String }
type AddProjectV2ItemByIdPayload { item: ProjectV2Item }
input ProjectV2FieldValue { singleSelectOptionId: String text: String number: Float date: String iterationId: String }
input UpdateProjectV2ItemFieldValueInput {
  projectId: ID! itemId: ID! fieldId: ID! value: ProjectV2FieldValue! clientMutationId: String
}
type UpdateProjectV2ItemFieldValuePayload { projectV2Item: ProjectV2Item }
"""


@functools.cache
def _validator() -> Any:
    """The official description cut to the operations served here, with every component they reference."""
    from openapi_core import OpenAPI

    full = json.loads(SPEC.read_text())
    keep_paths: dict[str, Any] = {}
    for path, method in OPERATIONS:
        item = keep_paths.setdefault(path, {k: v for k, v in full["paths"][path].items() if k == "parameters"})
        item[method] = full["paths"][path][method]
    needed: set[tuple[str, str]] = set()
    todo: list[Any] = [keep_paths]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/"):
                _, _, section, name = ref.split("/", 3)
                if (section, name) not in needed:
                    needed.add((section, name))
                    todo.append(full["components"][section][name])
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    components: dict[str, dict[str, Any]] = {}
    for section, name in needed:
        components.setdefault(section, {})[name] = full["components"][section][name]
    spec = {
        "openapi": full["openapi"],
        "info": full["info"],
        "servers": full["servers"],
        "paths": keep_paths,
        "components": components,
    }
    return OpenAPI.from_dict(spec)


def available() -> bool:
    return SPEC.exists()


@dataclass
class _Req:
    method: str
    path: str
    body: bytes | None
    content_type: str
    query: Any
    headers: Any
    host_url: str = "https://api.github.com"

    def __post_init__(self) -> None:
        from multidict import MultiDict
        from openapi_core.datatypes import RequestParameters

        self.parameters = RequestParameters(query=self.query, header=self.headers, cookie=MultiDict())


@dataclass
class _Resp:
    status_code: int
    data: bytes
    content_type: str
    headers: Any


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int  # 0: do the work, then drop the connection without answering
    remaining: int
    headers: dict[str, str] = field(default_factory=dict)
    message: str = ""
    performed: bool = False  # do the work, then answer `status` instead of the result
    hang: float = 0.0  # with the work done, wait this long before answering (past the client's timeout)

    @property
    def does_the_work(self) -> bool:
        return self.status == 0 or self.performed


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _is_mutation(raw: bytes) -> bool:
    from graphql import GraphQLError, OperationType, parse
    from graphql.language import OperationDefinitionNode

    try:
        document = parse(json.loads(raw)["query"])
    except (ValueError, KeyError, TypeError, GraphQLError):
        return False  # not a query at all: the GraphQL handler answers it with an error
    return any(
        isinstance(d, OperationDefinitionNode) and d.operation is OperationType.MUTATION for d in document.definitions
    )


def content_generating(method: str, path: str, raw: bytes) -> bool:
    """GitHub does not list which requests "generate content"; every REST write and every GraphQL mutation is
    counted here, so that the stand-in is never the lenient one."""
    if path == "/graphql":
        return method == "POST" and _is_mutation(raw)
    return method in ("POST", "PATCH", "PUT", "DELETE") and path.startswith("/repos/")


class GitHubSandbox(LocalServer):
    def __init__(
        self,
        *,
        token: str = "sandbox-github-token",
        login: str = "bountybot",
        clock: Callable[[], float] = time.time,
        validate: bool = True,
        writes_per_minute: int = CONTENT_WRITES_PER_MINUTE,
        writes_per_hour: int = CONTENT_WRITES_PER_HOUR,
        requests_per_hour: int = REQUESTS_PER_HOUR,
    ) -> None:
        """`clock` is Unix time in seconds: it dates issues and comments and runs the rate-limit windows."""
        self.token = token
        self.login = login
        self.clock = clock
        self.validate = validate and available()
        self.writes_per_minute = writes_per_minute
        self.writes_per_hour = writes_per_hour
        self.requests_per_hour = requests_per_hour
        self.violations: list[str] = []
        self.faults: list[Fault] = []
        self.refused: list[tuple[str, str, int]] = []  # requests refused for rate limits
        self.log: list[tuple[str, str, int]] = []
        self.issues: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.labels: dict[str, dict[str, Any]] = {}
        self.project: dict[str, Any] = {
            "id": "PVT_sandbox7",
            "number": 7,
            "field": "PVTSSF_status",
            "options": {
                "Open": "opt-open",
                "Assigned": "opt-assigned",
                "Submitted": "opt-submitted",
                "Merged": "opt-merged",
                "Paid": "opt-paid",
            },
        }
        self.releases: list[dict[str, Any]] = []  # newest first, as GitHub lists them
        self.board_items: dict[str, dict[str, Any]] = {}  # item id -> {"content": node id, "status": name}
        self._ids = itertools.count(1_000_001)
        self._writes: deque[float] = deque()  # content-generating requests in the last minute
        self._hourly_writes: deque[float] = deque()  # … and in the last hour
        self._requests: deque[float] = deque()
        self.repository = "hummingbot/hummingbot"

    # --- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        if self.validate:
            await asyncio.to_thread(_validator)  # a few seconds the first time; once per process
        await super().start()

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{tail:.*}", self._handle)

    def fault(
        self,
        method: str,
        pattern: str,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        message: str = "",
        performed: bool = False,
        hang: float = 0.0,
    ) -> Fault:
        """Fail the next `times` requests matching `method` and `pattern` (a regex searched in the path).

        By default the request is refused with `status` and nothing happens. `status=0` does the work and drops
        the connection; `performed=True` does the work and answers `status` (a 502 after the write, say). `hang`
        (with either) waits that many seconds after the work, so that a client with a shorter timeout gives up.
        """
        f = Fault(method.upper(), re.compile(pattern), status, times, headers or {}, message, performed, hang)
        if hang and not f.does_the_work:
            raise ValueError("hang needs the work done first: status=0 or performed=True")
        self.faults.append(f)
        return f

    # --- objects -------------------------------------------------------------------------------------

    def _user(self, login: str) -> dict[str, Any]:
        base = f"{self.url}/users/{login}"
        return {
            "login": login,
            "id": 4242,
            "node_id": "MDQ6VXNlcjQyNDI=",
            "avatar_url": f"{self.url}/avatars/{login}",
            "gravatar_id": "",
            "url": base,
            "html_url": f"https://github.com/{login}",
            "followers_url": f"{base}/followers",
            "following_url": f"{base}/following{{/other_user}}",
            "gists_url": f"{base}/gists{{/gist_id}}",
            "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{base}/subscriptions",
            "organizations_url": f"{base}/orgs",
            "repos_url": f"{base}/repos",
            "events_url": f"{base}/events{{/privacy}}",
            "received_events_url": f"{base}/received_events",
            "type": "Bot",
            "site_admin": False,
        }

    def _label(self, name: str, color: str = "5319e7", description: str | None = None) -> dict[str, Any]:
        return {
            "id": next(self._ids),
            "node_id": f"LA_{name}",
            "url": f"{self.url}/repos/{self.repository}/labels/{name}",
            "name": name,
            "description": description,
            "color": color,
            "default": False,
        }

    def _iso(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock()))

    def add_issue(self, title: str, body: str = "", *, author: str = "someone") -> dict[str, Any]:
        """Someone opens an issue on GitHub."""
        number = len(self.issues) + 1
        self.issues[number] = self._issue(number, title, body, [], author)
        return self.issues[number]

    def add_pull_request(self, title: str, body: str, *, author: str = "dev", merged: bool = False) -> dict[str, Any]:
        """A pull request by someone else (it appears in the issues list, as on GitHub)."""
        number = len(self.issues) + 1
        issue = self._issue(number, title, body, [], author)
        issue["pull_request"] = {
            "url": f"{self.url}/repos/{self.repository}/pulls/{number}",
            "html_url": f"https://github.com/{self.repository}/pull/{number}",
            "diff_url": f"https://github.com/{self.repository}/pull/{number}.diff",
            "patch_url": f"https://github.com/{self.repository}/pull/{number}.patch",
            "merged_at": self._iso() if merged else None,
        }
        self.issues[number] = issue
        return issue

    def add_release(
        self, tag: str, body: str, *, name: str | None = None, draft: bool = False, prerelease: bool = False
    ) -> dict[str, Any]:
        """Someone publishes a release (or saves a draft): the `release` object GitHub lists and a `release`
        webhook carries ("Get a release", components/schemas/release)."""
        release_id = next(self._ids)
        base = f"{self.url}/repos/{self.repository}/releases/{release_id}"
        release = {
            "url": base,
            "html_url": f"https://github.com/{self.repository}/releases/tag/{tag}",
            "assets_url": f"{base}/assets",
            "upload_url": f"https://uploads.github.com/repos/{self.repository}/releases/{release_id}/assets{{?name,label}}",
            "tarball_url": f"{self.url}/repos/{self.repository}/tarball/{tag}",
            "zipball_url": f"{self.url}/repos/{self.repository}/zipball/{tag}",
            "id": release_id,
            "node_id": f"RE_sandbox{release_id}",
            "tag_name": tag,
            "target_commitish": "master",
            "name": name if name is not None else tag,
            "body": body,
            "draft": draft,
            "prerelease": prerelease,
            "created_at": self._iso(),
            # A draft has no publication date until it is published.
            "published_at": None if draft else self._iso(),
            "author": self._user("hummingbot-release"),
            "assets": [],
        }
        self.releases.insert(0, release)
        return release

    def merge(self, number: int) -> None:
        issue = self.issues[number]
        issue["pull_request"]["merged_at"] = self._iso()
        issue["state"] = "closed"
        issue["closed_at"] = self._iso()
        issue["updated_at"] = self._iso()

    def set_open(self, number: int, is_open: bool) -> None:
        """Someone closes or reopens an issue on GitHub."""
        issue = self.issues[number]
        issue["state"] = "open" if is_open else "closed"
        issue["closed_at"] = None if is_open else self._iso()
        issue["updated_at"] = self._iso()

    def add_comment(self, number: int, body: str, *, author: str) -> dict[str, Any]:
        """Someone comments on an issue on GitHub."""
        return self._comment(self.issues[number], body, author)

    def _comment(self, issue: dict[str, Any], body: str, author: str) -> dict[str, Any]:
        comment_id = next(self._ids)
        comment = {
            "id": comment_id,
            "node_id": f"IC_{comment_id}",
            "url": f"{self.url}/repos/{self.repository}/issues/comments/{comment_id}",
            "html_url": f"{issue['html_url']}#issuecomment-{comment_id}",
            "issue_url": issue["url"],
            "body": body,
            "user": self._user(author),
            "created_at": self._iso(),
            "updated_at": self._iso(),
            "author_association": "NONE",
        }
        self.comments.setdefault(issue["number"], []).append(comment)
        issue["comments"] += 1
        issue["updated_at"] = self._iso()
        return comment

    def _issue(self, number: int, title: str, body: str | None, labels: list[str], author: str) -> dict[str, Any]:
        url = f"{self.url}/repos/{self.repository}/issues/{number}"
        now = self._iso()
        return {
            "id": next(self._ids),
            "node_id": f"I_sandbox{number}",
            "url": url,
            "repository_url": f"{self.url}/repos/{self.repository}",
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "html_url": f"https://github.com/{self.repository}/issues/{number}",
            "number": number,
            "state": "open",
            "title": title,
            "body": body,
            "user": self._user(author),
            "labels": [self.labels.get(name) or self._label(name) for name in labels],
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "locked": False,
            "comments": 0,
            "closed_at": None,
            "created_at": now,
            "updated_at": now,
            "author_association": "NONE",
        }

    # --- request handling ------------------------------------------------------------------------------

    def _limits(self, write: bool) -> tuple[tuple[int, dict[str, str], str] | None, float]:
        """Admit one request now, or say how GitHub would refuse it: (refusal or None, the request's stamp)."""
        now = self.clock()
        while self._requests and now - self._requests[0] >= 3600:
            self._requests.popleft()
        while self._writes and now - self._writes[0] >= 60:
            self._writes.popleft()
        while self._hourly_writes and now - self._hourly_writes[0] >= 3600:
            self._hourly_writes.popleft()
        if len(self._requests) >= self.requests_per_hour:
            headers = {
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Limit": str(self.requests_per_hour),
                "X-RateLimit-Reset": self._reset(),
            }
            return (403, headers, "API rate limit exceeded."), now
        secondary = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
        # Both content limits answer as the per-minute one always has here: 403 with Retry-After.
        if write and len(self._writes) >= self.writes_per_minute:
            return (403, {"Retry-After": str(int(60 - (now - self._writes[0])) + 1)}, secondary), now
        if write and len(self._hourly_writes) >= self.writes_per_hour:
            return (403, {"Retry-After": str(int(3600 - (now - self._hourly_writes[0])) + 1)}, secondary), now
        self._requests.append(now)
        if write:
            self._writes.append(now)
            self._hourly_writes.append(now)
        return None, now

    def _reset(self) -> str:
        """When the oldest request of the hour leaves the window, in Unix seconds (X-RateLimit-Reset)."""
        oldest = self._requests[0] if self._requests else self.clock()
        return str(math.ceil(oldest + 3600))

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> web.Response:
        body = b"" if payload is None else json.dumps(payload).encode()
        all_headers = {
            "Content-Type": "application/json; charset=utf-8",
            **self._quota_headers(),
            **(headers or {}),
        }
        return web.Response(status=status, body=body, headers=all_headers)

    def _quota_headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.requests_per_hour),
            "X-RateLimit-Remaining": str(max(0, self.requests_per_hour - len(self._requests))),
            "X-RateLimit-Used": str(len(self._requests)),
            "X-RateLimit-Reset": self._reset(),
        }

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
        return self._json(status, {"message": message, "documentation_url": "https://docs.github.com/rest"}, headers)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path, method = request.path, request.method
        raw = await request.read()
        if request.headers.get("Authorization") not in (f"token {self.token}", f"Bearer {self.token}"):
            return self._error(401, "Bad credentials")
        fault = next(
            (
                f
                for f in self.faults
                if f.remaining > 0 and f.method in (method, "*") and f.pattern.search(path) is not None
            ),
            None,
        )
        if fault is not None and not fault.does_the_work:
            # Refused before anything happened (an outage, an injected limit): nothing is counted.
            fault.remaining -= 1
            self.log.append((method, path, fault.status))
            return self._error(fault.status, fault.message or "Service unavailable", fault.headers)
        refusal, stamp = self._limits(content_generating(method, path, raw))
        if refusal is not None:
            status, headers, message = refusal
            self.refused.append((method, path, status))
            return self._error(status, message, headers)
        response = await self._dispatch(request, path, method, raw)  # the work is done…
        if response.status == 304:
            self._requests.remove(stamp)  # a 304 is free against the primary limit
            response.headers.update(self._quota_headers())
        if fault is not None:
            fault.remaining -= 1
            if fault.hang:
                await asyncio.sleep(fault.hang)  # …the client gives up waiting…
            if fault.status == 0:
                assert request.transport is not None
                request.transport.close()  # …and the answer is lost
                return web.Response(status=500)
            self.log.append((method, path, fault.status))
            return self._error(fault.status, fault.message or "Bad gateway", fault.headers)  # …or is an error
        self.log.append((method, path, response.status))
        return response

    async def _dispatch(self, request: web.Request, path: str, method: str, raw: bytes) -> web.Response:
        if path == "/graphql":
            return await self._graphql(raw)
        body = json.loads(raw) if raw else None
        status, payload, headers = self._rest(method, path, request, body)
        response = self._json(status, payload, headers)
        if self.validate:
            self._check(request, raw, response)
        return response

    def _check(self, request: web.Request, raw: bytes, response: web.Response) -> None:
        from multidict import CIMultiDict, MultiDict

        req = _Req(
            request.method.lower(),
            request.path,
            raw or None,
            "application/json",
            MultiDict(request.query),
            CIMultiDict(request.headers),
        )
        api = _validator()
        try:
            api.validate_request(req)
        except Exception as exc:  # noqa: BLE001 - every openapi-core error is a mismatch to report
            self.violations.append(
                f"request {request.method} {request.path}: {exc} {getattr(exc, '__cause__', '')}"[:800]
            )
        if response.status == 304:
            # GitHub answers any conditional GET with 304 (its documented "conditional requests"), a status
            # the description does not repeat under every operation: nothing to validate in an empty body.
            return
        resp = _Resp(response.status, response.body or b"", "application/json", CIMultiDict())  # type: ignore[arg-type]
        try:
            api.validate_response(req, resp)
        except Exception as exc:  # noqa: BLE001
            self.violations.append(
                f"response {response.status} {request.path}: {exc} {getattr(exc, '__cause__', '')}"[:800]
            )

    @staticmethod
    def _since(request: web.Request, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """`since`: "Only show results that were last updated after the given time" (strictly after, as worded:
        a client that counts on GitHub also returning the boundary second is caught here)."""
        since = request.query.get("since")
        if since is None:
            return items
        moment = _epoch(since)
        return [i for i in items if _epoch(i["updated_at"]) > moment]

    def _listing(self, request: web.Request, path: str, items: list[dict[str, Any]]) -> tuple[int, Any, dict[str, str]]:
        """One page of a listing, as GitHub pages: `per_page` (default 30, at most 100), `page`, and a `Link` header
        with next / last / first / prev; an ETag of the page, and 304 when the client already has it."""
        per_page = min(MAX_PER_PAGE, max(1, int(request.query.get("per_page", "30"))))
        page = max(1, int(request.query.get("page", "1")))
        chunk = items[(page - 1) * per_page : page * per_page]
        last = max(1, math.ceil(len(items) / per_page))

        def page_url(n: int) -> str:
            return f"{self.url}{path}?{urlencode({**request.query, 'page': str(n)})}"

        links = []
        if page < last:
            links += [f'<{page_url(page + 1)}>; rel="next"', f'<{page_url(last)}>; rel="last"']
        if page > 1:
            links += [f'<{page_url(1)}>; rel="first"', f'<{page_url(min(page, last + 1) - 1)}>; rel="prev"']
        etag = '"' + hashlib.sha1(json.dumps(chunk, sort_keys=True).encode()).hexdigest() + '"'
        if request.headers.get("If-None-Match") == etag:
            return 304, None, {"ETag": etag}
        headers = {"ETag": etag}
        if links:
            headers["Link"] = ", ".join(links)
        return 200, chunk, headers

    def _rest(self, method: str, path: str, request: web.Request, body: Any) -> tuple[int, Any, dict[str, str]]:
        prefix = f"/repos/{self.repository}"
        if not path.startswith(prefix):
            return 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}, {}
        rest = path[len(prefix) :]
        if rest == "/labels" and method == "POST":
            if body["name"] in self.labels:
                return 422, {"message": "Validation Failed", "errors": [{"code": "already_exists"}]}, {}
            self.labels[body["name"]] = self._label(body["name"], body.get("color", "ededed"), body.get("description"))
            return 201, self.labels[body["name"]], {}
        if (m := re.fullmatch(r"/labels/([^/]+)", rest)) and method == "GET":
            label = self.labels.get(unquote(m.group(1)))
            return (200, label, {}) if label else (404, {"message": "Not Found"}, {})
        if rest == "/issues" and method == "POST":
            number = len(self.issues) + 1
            for name in body.get("labels", []):
                self.labels.setdefault(name, self._label(name))
            self.issues[number] = self._issue(
                number, str(body["title"]), body.get("body"), body.get("labels", []), self.login
            )
            return 201, self.issues[number], {}
        if rest == "/issues" and method == "GET":
            q = request.query
            order = {"updated": "updated_at", "comments": "comments"}.get(q.get("sort", ""), "created_at")
            items = sorted(
                self.issues.values(),
                key=lambda i: (i[order], i["number"]),
                reverse=q.get("direction", "desc") == "desc",
            )
            state = q.get("state", "open")
            if state != "all":
                items = [i for i in items if i["state"] == state]
            if "creator" in q:
                items = [i for i in items if i["user"]["login"].lower() == q["creator"].lower()]
            if "labels" in q:
                wanted = {name for name in q["labels"].split(",") if name}
                items = [i for i in items if wanted <= {label["name"] for label in i["labels"]}]
            return self._listing(request, path, self._since(request, items))
        if rest == "/releases" and method == "GET":
            # "List releases": newest first; drafts only for those with push access (the bot's token has it).
            return self._listing(request, path, list(self.releases))
        if rest == "/issues/comments" and method == "GET":
            q = request.query
            every = [c for comments in self.comments.values() for c in comments]
            if "sort" in q:
                field_ = "updated_at" if q["sort"] == "updated" else "created_at"
                every.sort(key=lambda c: (c[field_], c["id"]), reverse=q.get("direction", "desc") == "desc")
            else:
                every.sort(key=lambda c: c["id"])  # "By default, issue comments are ordered by ascending ID."
            return self._listing(request, path, self._since(request, every))
        if m := re.fullmatch(r"/issues/(\d+)(/comments|/labels)?", rest):
            issue = self.issues.get(int(m.group(1)))
            if issue is None:
                return 404, {"message": "Not Found"}, {}
            if m.group(2) is None and method == "GET":
                return 200, issue, {}
            if m.group(2) is None and method == "PATCH":
                if "state" in body and body["state"] != issue["state"]:
                    issue["closed_at"] = self._iso() if body["state"] == "closed" else None
                for key in ("title", "body", "state"):
                    if key in body:
                        issue[key] = body[key]
                if "labels" in body:
                    issue["labels"] = [self.labels.setdefault(n, self._label(n)) for n in body["labels"]]
                issue["updated_at"] = self._iso()
                return 200, issue, {}
            if m.group(2) == "/comments" and method == "GET":
                # "Issue comments are ordered by ascending ID."
                return self._listing(request, path, self._since(request, list(self.comments.get(issue["number"], []))))
            if m.group(2) == "/comments" and method == "POST":
                return 201, self._comment(issue, body["body"], self.login), {}
            if m.group(2) == "/labels" and method == "POST":
                names = body["labels"] if isinstance(body, dict) else body
                for name in names:
                    label = self.labels.setdefault(name, self._label(name))
                    if all(existing["name"] != name for existing in issue["labels"]):
                        issue["labels"].append(label)
                return 200, issue["labels"], {}
        return 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}, {}

    async def _graphql(self, raw: bytes) -> web.Response:
        from graphql import build_schema, graphql

        schema = _schema(build_schema)
        request = json.loads(raw)
        result = await graphql(
            schema, request["query"], root_value=_Root(self), variable_values=request.get("variables")
        )
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [{"message": e.message} for e in result.errors]
            self.violations.append(f"graphql: {payload['errors']}")
        return self._json(200, payload)

    # --- webhooks --------------------------------------------------------------------------------------

    @staticmethod
    def sign(secret: str, body: bytes) -> str:
        return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@functools.cache
def _schema(build: Callable[[str], Any]) -> Any:
    schema = build(GRAPHQL_SCHEMA)
    schema.get_type("ProjectV2FieldConfiguration").resolve_type = lambda value, info, union: (
        "ProjectV2SingleSelectField" if "options" in value else "ProjectV2Field"
    )
    return schema


class _Root:
    def __init__(self, sandbox: GitHubSandbox) -> None:
        self.sandbox = sandbox

    def organization(self, info: Any, login: str) -> dict[str, Any] | None:
        s = self.sandbox
        if login != s.repository.split("/")[0]:
            return None

        def project(info: Any, number: int) -> dict[str, Any] | None:
            if number != s.project["number"]:
                return None

            def status_field(info: Any, name: str) -> dict[str, Any] | None:
                if name != "Status":
                    return None
                return {
                    "id": s.project["field"],
                    "name": "Status",
                    "options": [{"id": v, "name": k} for k, v in s.project["options"].items()],
                }

            return {"id": s.project["id"], "number": number, "title": "Bounties Board", "field": status_field}

        return {"login": login, "projectV2": project}

    def addProjectV2ItemById(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        s = self.sandbox
        for item_id, item in s.board_items.items():
            if item["content"] == input["contentId"]:
                return {"item": {"id": item_id}}  # GitHub answers with the existing item: adding is idempotent
        item_id = f"PVTI_{next(s._ids)}"
        s.board_items[item_id] = {"content": input["contentId"], "status": None}
        return {"item": {"id": item_id}}

    def updateProjectV2ItemFieldValue(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        s = self.sandbox
        names = {v: k for k, v in s.project["options"].items()}
        s.board_items[input["itemId"]]["status"] = names[input["value"]["singleSelectOptionId"]]
        return {"projectV2Item": {"id": input["itemId"]}}

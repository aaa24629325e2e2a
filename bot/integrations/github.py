"""GitHub: issues, labels and comments through PyGithub (run off the event loop), the Projects board through
the GraphQL API with httpx. Typed results; rate limits and outages become typed errors; no bounty rules.

PyGithub is built with `retry=None` (its own retry re-sends POSTs, so one lost response would make two
issues) and without its sleeps between requests; pacing is :class:`Pacer`'s job, and retrying the outbox's.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from github import Auth, Github, GithubException
from requests import exceptions as requests_errors

T = TypeVar("T")
MAX_PER_PAGE = 100  # GitHub's listings: "The number of results per page (max 100)"


class GitHubError(Exception):
    pass


class GitHubRateLimited(GitHubError):
    """GitHub asked us to wait (429, a secondary-limit 403, or the hourly quota used up)."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class GitHubUnavailable(GitHubError):
    """A 5xx, a timeout or a dropped connection: the write may or may not have happened."""


class GitHubRejected(GitHubError):
    """GitHub refused the request itself (401, 404, 422 …); retrying will not help."""


@dataclass(frozen=True)
class IssueRef:
    number: int
    url: str  # html_url
    node_id: str
    body: str


@dataclass(frozen=True)
class Board:
    project_id: str
    status_field_id: str
    options: dict[str, str]  # status name -> option id


class Pacer:
    """Keeps under GitHub's documented limits so that no request is refused: at most `writes_per_minute`
    content-generating requests in any 60 s and `writes_per_hour` in any hour (GitHub's secondary limits, 80
    and 500), at most `per_hour` requests in any hour (the primary limit, 5,000), and nothing at all before a
    `Retry-After` or quota reset GitHub announced. A 304 to a conditional request is given back (:meth:`refund`):
    GitHub does not count it against the primary limit.

    It never sleeps: a request that would break a limit raises :class:`GitHubRateLimited` with the wait, and
    the outbox reschedules it durably on the bot's (injectable) clock.
    """

    def __init__(
        self,
        writes_per_minute: int,
        per_hour: int,
        *,
        writes_per_hour: int = 500,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`clock`: Unix seconds, the bot's clock (GitHub's X-RateLimit-Reset is read against it)."""
        self.writes_per_minute = writes_per_minute
        self.writes_per_hour = writes_per_hour
        self.per_hour = per_hour
        self.clock = clock
        self.writes: deque[float] = deque()  # content writes in the last minute
        self.hourly_writes: deque[float] = deque()  # … and in the last hour
        self.requests: deque[float] = deque()
        self.not_before = 0.0

    def hold_until(self, moment: float) -> None:
        self.not_before = max(self.not_before, moment)

    def delay(self, write: bool, requests: int = 1) -> float:
        """Seconds before `requests` requests (one of them a content write if `write`) may go; 0: now."""
        now = self.clock()
        while self.writes and now - self.writes[0] >= 60:
            self.writes.popleft()
        while self.hourly_writes and now - self.hourly_writes[0] >= 3600:
            self.hourly_writes.popleft()
        while self.requests and now - self.requests[0] >= 3600:
            self.requests.popleft()
        delay = self.not_before - now
        if write and len(self.writes) >= self.writes_per_minute:
            delay = max(delay, 60 - (now - self.writes[0]))
        if write and len(self.hourly_writes) >= self.writes_per_hour:
            delay = max(delay, 3600 - (now - self.hourly_writes[0]))
        if len(self.requests) + requests > self.per_hour:
            delay = max(delay, 3600 - (now - self.requests[0]))
        return max(0.0, delay)

    def admit(self, write: bool, requests: int = 1) -> float:
        """Let `requests` requests (one of them a content write if `write`) through now, or raise the wait.
        All or nothing: a deferred call leaves no phantom requests counted against the hour.
        Returns the moment they were counted at (what :meth:`refund` takes back)."""
        delay = self.delay(write, requests)
        if delay > 0:
            raise GitHubRateLimited(f"pacing GitHub requests: next in {delay:.0f}s", delay)
        now = self.clock()
        self.requests.extend([now] * requests)
        if write:
            self.writes.append(now)
            self.hourly_writes.append(now)
        return now

    def refund(self, moment: float) -> None:
        """Give back one request counted at `moment`: GitHub answered 304 to a conditional request, which
        "does not count against your primary rate limit"."""
        if moment in self.requests:  # (unless it has left the window already)
            self.requests.remove(moment)


def _retry_after(headers: dict[str, str], now_epoch: float) -> float | None:
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    if "retry-after" in lowered:
        return float(lowered["retry-after"])
    if lowered.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in lowered:
        return max(1.0, float(lowered["x-ratelimit-reset"]) - now_epoch)
    return None


class GitHubClient:
    def __init__(
        self, token: str, repository: str, *, base_url: str, graphql_url: str, pacer: Pacer, timeout: float = 15.0
    ) -> None:
        self.repository = repository
        self.pacer = pacer
        self.base_url = base_url.rstrip("/")
        self.graphql_url = graphql_url
        self.token = token
        self.gh = Github(
            auth=Auth.Token(token),
            base_url=base_url,
            retry=None,
            timeout=int(timeout),
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        self.repo = self.gh.get_repo(repository, lazy=True)
        self.http = httpx.AsyncClient(timeout=timeout, headers={"Authorization": f"Bearer {token}"})
        self.requests = 0

    async def close(self) -> None:
        await self.http.aclose()
        await asyncio.to_thread(self.gh.close)

    def _error(self, status: int, headers: dict[str, str], message: str, what: str) -> GitHubError:
        """The typed error for an error answer; a rate limit also holds every request until it ends."""
        wait = _retry_after(headers, self.pacer.clock())
        if status == 429 or (status == 403 and (wait is not None or "rate limit" in message.lower())):
            self.pacer.hold_until(self.pacer.clock() + (wait or 60.0))
            return GitHubRateLimited(f"GitHub rate limit ({status}) on {what}: {message}", wait or 60.0)
        if status >= 500:
            return GitHubUnavailable(f"GitHub answered {status} to {what}")
        return GitHubRejected(f"GitHub refused {what} ({status}): {message}")

    def pace(self, *, write: bool) -> None:
        """Raise :class:`GitHubRateLimited` now if the pacer would hold the request (nothing is counted): a
        caller can skip its own preparations for a request that cannot go yet."""
        delay = self.pacer.delay(write)
        if delay > 0:
            raise GitHubRateLimited(f"pacing GitHub requests: next in {delay:.0f}s", delay)

    def _raise_for(self, response: httpx.Response, what: str) -> None:
        if response.status_code < 400:
            return
        try:
            message = str(response.json().get("message", ""))
        except (ValueError, AttributeError):
            message = response.text[:200]
        raise self._error(response.status_code, dict(response.headers), message, what)

    async def get(
        self, url: str, params: dict[str, str] | None = None, *, etag: str | None = None
    ) -> httpx.Response | None:
        """One GET (conditional when `etag` is given); None for a 304, which GitHub does not count against the
        hour, and neither does the pacer."""
        moment = self.pacer.admit(False)
        self.requests += 1
        headers = {"If-None-Match": etag} if etag else {}
        try:
            response = await self.http.get(url, params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise GitHubUnavailable(f"GitHub unreachable: {type(exc).__name__}") from exc
        if response.status_code == 304:
            self.pacer.refund(moment)
            return None
        self._raise_for(response, f"GET {httpx.URL(url).path}")
        return response

    async def listing(
        self, url: str, params: dict[str, str], *, etag: str | None = None
    ) -> tuple[str | None, list[dict[str, Any]]] | None:
        """Every page of a listing: the first page's ETag and all the items, or None when the first page is
        unchanged (a conditional request answered 304). Pages are followed by their `Link: rel="next"` until a
        short page; only the first is conditional (the ETag is the first page's)."""
        per_page = int(params.get("per_page", "30"))
        response = await self.get(url, params, etag=etag)
        if response is None:
            return None
        tag = response.headers.get("ETag")
        page: list[dict[str, Any]] = response.json()
        items = list(page)
        while len(page) >= per_page and (link := response.links.get("next", {}).get("url")):
            response = await self.get(link)
            assert response is not None  # (not conditional)
            page = response.json()
            items.extend(page)
        return tag, items

    async def _rest(self, fn: Callable[[], T], *, write: bool, requests: int = 1) -> T:
        self.pacer.admit(write, requests)
        self.requests += requests
        try:
            return await asyncio.to_thread(fn)
        except GithubException as exc:
            message = str(exc.data.get("message", "")) if isinstance(exc.data, dict) else str(exc.data)
            raise self._error(exc.status, dict(exc.headers or {}), message, "a REST call") from exc
        except (requests_errors.ConnectionError, requests_errors.Timeout, requests_errors.ChunkedEncodingError) as exc:
            raise GitHubUnavailable(f"GitHub unreachable: {type(exc).__name__}") from exc

    # --- issues --------------------------------------------------------------------------------

    async def ensure_labels(self, names: tuple[str, ...], colors: dict[str, str] | None = None) -> None:
        for name in names:
            try:
                await self._rest(lambda n=name: self.repo.get_label(n), write=False)  # type: ignore[misc]
            except GitHubRejected:
                color = (colors or {}).get(name, "5319e7")
                try:
                    await self._rest(lambda n=name, c=color: self.repo.create_label(n, c), write=True)  # type: ignore[misc]
                except GitHubRejected as exc:
                    if "already_exists" not in str(exc) and "422" not in str(exc):
                        raise

    async def find_marked_issue(self, marker: str, *, label: str | None = None) -> IssueRef | None:
        """The issue whose body holds `marker`, among the newest 100 (one request) carrying `label`.

        A listing, not the search API: GitHub's search index trails writes, and the write looked for (one whose
        answer was lost) may be seconds old."""
        params = {"state": "all", "sort": "created", "direction": "desc", "per_page": str(MAX_PER_PAGE)}
        if label:
            params["labels"] = label
        response = await self.get(f"{self.base_url}/repos/{self.repository}/issues", params)
        assert response is not None  # (not conditional)
        for issue in response.json():
            if "pull_request" not in issue and marker in (issue.get("body") or ""):
                return IssueRef(int(issue["number"]), str(issue["html_url"]), str(issue["node_id"]), str(issue["body"]))
        return None

    async def find_marked_comment(self, number: int, marker: str, *, since: float) -> int | None:
        """The id of the comment on issue `number` whose body holds `marker`, among those updated after `since`
        (Unix seconds): the issue's own comments, every page, never the search API (its index trails writes)."""
        url = f"{self.base_url}/repos/{self.repository}/issues/{number}/comments"
        listing = await self.listing(url, {"since": iso(since), "per_page": str(MAX_PER_PAGE)})
        assert listing is not None  # (not conditional)
        for comment in listing[1]:
            if marker in (comment.get("body") or ""):
                return int(comment["id"])
        return None

    # Every PyGithub object is read inside the worker thread: its attributes can fetch lazily, and a fetch
    # on the event loop would block it.

    async def create_issue(self, title: str, body: str, labels: tuple[str, ...]) -> IssueRef:
        def create() -> IssueRef:
            issue = self.repo.create_issue(title=title, body=body, labels=list(labels))
            return IssueRef(issue.number, issue.html_url, issue.node_id, issue.body or "")

        return await self._rest(create, write=True)

    async def comment(self, number: int, body: str) -> int:
        # One request: PyGithub's get_issue is lazy, so only the POST goes out.
        return await self._rest(lambda: int(self.repo.get_issue(number).create_comment(body).id), write=True)

    async def add_labels(self, number: int, labels: tuple[str, ...], *, replacing: str | None = None) -> None:
        """Add `labels`, first dropping any label that starts with `replacing` (one phase label at a time)."""

        # Set semantics through PATCH: PyGithub's add_to_labels sends a bare array, a form GitHub's
        # description no longer documents (it asks for {"labels": [...]}).
        def add() -> None:
            issue = self.repo.get_issue(number)
            current = [label.name for label in issue.labels]
            kept = [name for name in current if not (replacing and name.startswith(replacing) and name not in labels)]
            wanted = kept + [name for name in labels if name not in kept]
            if wanted != current:
                issue.edit(labels=wanted)

        await self._rest(add, write=True, requests=2)

    async def set_body(self, number: int, body: str) -> None:
        await self._rest(lambda: self.repo.get_issue(number).edit(body=body), write=True, requests=2)

    async def edit_body(self, number: int, change: Callable[[str], str]) -> bool:
        """Rewrite the issue body with `change` (applied to the body as GitHub has it now); False if unchanged."""

        def edit() -> bool:
            issue = self.repo.get_issue(number)
            body = issue.body or ""
            new = change(body)
            if new == body:
                return False
            issue.edit(body=new)
            return True

        return await self._rest(edit, write=True, requests=2)

    async def set_open(self, number: int, is_open: bool) -> None:
        """Close or reopen an issue; nothing is written when it is already so."""

        def run() -> None:
            issue = self.repo.get_issue(number)
            wanted = "open" if is_open else "closed"
            if issue.state != wanted:
                issue.edit(state=wanted)

        await self._rest(run, write=True, requests=2)

    # --- the Projects board (GraphQL) ------------------------------------------------------------

    async def graphql(self, query: str, variables: dict[str, Any], *, write: bool) -> dict[str, Any]:
        """`write`: a mutation, which GitHub counts as content-generating."""
        self.pacer.admit(write)
        self.requests += 1
        try:
            response = await self.http.post(self.graphql_url, json={"query": query, "variables": variables})
        except httpx.HTTPError as exc:
            raise GitHubUnavailable(f"GitHub GraphQL unreachable: {type(exc).__name__}") from exc
        self._raise_for(response, "GraphQL")
        payload = response.json()
        if payload.get("errors"):
            raise GitHubRejected(f"GitHub GraphQL refused: {payload['errors']}")
        return dict(payload["data"])

    async def board(self, owner: str, number: int) -> Board:
        data = await self.graphql(
            "query($owner: String!, $number: Int!) { organization(login: $owner) { projectV2(number: $number) {"
            ' id field(name: "Status") { ... on ProjectV2SingleSelectField { id options { id name } } } } } }',
            {"owner": owner, "number": number},
            write=False,
        )
        project = data["organization"]["projectV2"]
        field = project["field"]
        return Board(project["id"], field["id"], {o["name"]: o["id"] for o in field["options"]})

    async def add_to_board(self, board: Board, content_node_id: str) -> str:
        data = await self.graphql(
            "mutation($project: ID!, $content: ID!) { addProjectV2ItemById(input: {projectId: $project,"
            " contentId: $content}) { item { id } } }",
            {"project": board.project_id, "content": content_node_id},
            write=True,
        )
        return str(data["addProjectV2ItemById"]["item"]["id"])

    async def set_status(self, board: Board, item_id: str, status: str) -> None:
        option = board.options.get(status)
        if option is None:
            raise GitHubRejected(f"the board has no Status option {status!r} (it has {sorted(board.options)})")
        await self.graphql(
            "mutation($project: ID!, $item: ID!, $field: ID!, $option: String!) { updateProjectV2ItemFieldValue("
            "input: {projectId: $project, itemId: $item, fieldId: $field, value: {singleSelectOptionId: $option}})"
            " { projectV2Item { id } } }",
            {"project": board.project_id, "item": item_id, "field": board.status_field_id, "option": option},
            write=True,
        )


@dataclass(frozen=True)
class PullRequestInfo:
    number: int
    title: str
    body: str
    author: str
    open: bool
    merged: bool
    updated_at: int | None = None  # unix seconds, when GitHub said


def pull_request_from(issue: dict[str, Any]) -> PullRequestInfo | None:
    """A pull request as it appears in an issues listing or a webhook; None for a plain issue."""
    pr = issue.get("pull_request")
    if pr is None:
        return None
    merged = bool(pr.get("merged_at") or issue.get("merged"))
    return PullRequestInfo(
        int(issue["number"]),
        str(issue.get("title") or ""),
        str(issue.get("body") or ""),
        str((issue.get("user") or {}).get("login", "")),
        issue.get("state") == "open",
        merged,
        epoch(issue.get("updated_at")),
    )


@dataclass(frozen=True)
class IssueState:
    number: int
    open: bool
    by: str  # who changed it: known from a webhook, not from the issues listing


@dataclass(frozen=True)
class CommentInfo:
    id: int
    issue_number: int
    author: str
    body: str
    created_at: int | None = None  # unix seconds, when GitHub said
    updated_at: str = ""  # as GitHub wrote it (ISO 8601): where the next poll's `since` starts


def iso(moment: float) -> str:
    """Unix seconds as GitHub writes times (and takes `since`): YYYY-MM-DDTHH:MM:SSZ."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(value: object) -> int | None:
    """GitHub's YYYY-MM-DDTHH:MM:SSZ as Unix seconds; None if it is not one."""
    try:
        return int(datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())
    except ValueError:
        return None


@dataclass(frozen=True)
class Changed:
    etag: str | None  # the first page's
    pulls: list[PullRequestInfo]
    issues: list[IssueState]
    count: int = 0  # issues and pull requests listed, every page
    newest: int | None = None  # the newest `updated_at` among them, Unix seconds


def comment_from(comment: dict[str, Any], issue_number: int | None = None) -> CommentInfo:
    number = issue_number if issue_number is not None else int(str(comment.get("issue_url", "0")).rsplit("/", 1)[-1])
    return CommentInfo(
        int(comment["id"]),
        number,
        str((comment.get("user") or {}).get("login", "")),
        str(comment.get("body") or ""),
        epoch(comment.get("created_at")),
        str(comment.get("updated_at") or ""),
    )


async def changed_issues(
    client: GitHubClient, base_url: str, etag: str | None, since: str | None = None
) -> Changed | None:
    """Issues and pull requests updated after `since` (ISO 8601), newest first, every page; None when nothing
    changed (a 304 to the conditional first page, free against the hour). Newest first, as for comments: any
    change comes to the top, so an unchanged first page means an unchanged listing."""
    params = {"state": "all", "sort": "updated", "direction": "desc", "per_page": str(MAX_PER_PAGE)}
    if since:
        params["since"] = since
    listing = await client.listing(f"{base_url}/repos/{client.repository}/issues", params, etag=etag)
    if listing is None:
        return None
    tag, items = listing
    pulls, issues = [], []
    for item in items:
        pr = pull_request_from(item)
        if pr is not None:
            pulls.append(pr)
        else:
            issues.append(IssueState(int(item["number"]), item.get("state") == "open", ""))
    newest = max((t for item in items if (t := epoch(item.get("updated_at"))) is not None), default=None)
    return Changed(tag, pulls, issues, len(items), newest)


async def changed_comments(
    client: GitHubClient, base_url: str, etag: str | None, since: str | None = None
) -> tuple[str | None, list[CommentInfo]] | None:
    """Issue comments across the repository updated after `since` (ISO 8601), newest first, every page; None
    when nothing changed. Newest first is what makes the conditional first page enough: anything new or edited
    comes to the top, so an unchanged first page (a 304) means an unchanged listing."""
    params = {"sort": "updated", "direction": "desc", "per_page": str(MAX_PER_PAGE)}
    if since:
        params["since"] = since
    listing = await client.listing(f"{base_url}/repos/{client.repository}/issues/comments", params, etag=etag)
    if listing is None:
        return None
    tag, items = listing
    return tag, [comment_from(c) for c in items]


@dataclass(frozen=True)
class ReleaseInfo:
    id: int
    tag: str
    name: str
    body: str
    url: str  # html_url: the release's page
    draft: bool
    prerelease: bool
    published_at: int | None  # unix seconds, when GitHub said (None while a draft)


def release_from(release: dict[str, Any]) -> ReleaseInfo:
    """A release as GitHub lists it and as a `release` webhook carries it (the same `release` object)."""
    return ReleaseInfo(
        int(release["id"]),
        str(release.get("tag_name") or ""),
        str(release.get("name") or ""),
        str(release.get("body") or ""),
        str(release.get("html_url") or ""),
        bool(release.get("draft")),
        bool(release.get("prerelease")),
        epoch(release.get("published_at")),
    )


# Releases come about monthly: the newest page of ten always holds every one published since the last poll.
RELEASES_PER_PAGE = 10


async def recent_releases(
    client: GitHubClient, base_url: str, etag: str | None
) -> tuple[str | None, list[ReleaseInfo]] | None:
    """The repository's newest releases (GitHub lists them newest first), one conditional page; None when
    unchanged (a 304, free against the hour). The endpoint takes no `since`: the ETag is what keeps it cheap."""
    url = f"{base_url}/repos/{client.repository}/releases"
    response = await client.get(url, {"per_page": str(RELEASES_PER_PAGE)}, etag=etag)
    if response is None:
        return None
    return response.headers.get("ETag"), [release_from(r) for r in response.json()]

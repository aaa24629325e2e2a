"""The GitHub webhook receiver (aiohttp): signature checked in constant time, replays ignored."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from aiohttp import web

from bot.integrations.github import IssueState, comment_from, pull_request_from, release_from
from bot.services.github_events import GitHubEvents

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024
# Pull-request actions that are the sender's own work on it (the rest, labels and reviews, are not).
_PUSHED = frozenset({"opened", "reopened", "synchronize"})


class WebhookReceiver:
    def __init__(self, secret: str, events: GitHubEvents, *, host: str, port: int, path: str) -> None:
        self.secret = secret.encode()
        self.events = events
        self.host, self.port, self.path = host, port, path
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self.path, self.handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def signed(self, body: bytes, signature: str) -> bool:
        expected = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        return bool(self.secret) and hmac.compare_digest(expected.encode(), signature.encode())

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not self.signed(body, request.headers.get("X-Hub-Signature-256", "")):
            log.warning("refused a GitHub webhook with a bad or missing signature")
            return web.json_response({"error": "bad signature"}, status=401)
        delivery = request.headers.get("X-GitHub-Delivery", "")
        event = request.headers.get("X-GitHub-Event", "")
        if not delivery or not event:
            return web.json_response({"error": "X-GitHub-Delivery and X-GitHub-Event are required"}, status=400)
        if not await self.events.first_delivery(delivery, event):
            return web.json_response({"ignored": "delivery already handled"})
        try:
            payload = json.loads(body)
        except ValueError:
            return web.json_response({"error": "not JSON"}, status=400)
        if not isinstance(payload, dict):
            return web.json_response({"error": "not a GitHub event"}, status=400)
        try:
            return web.json_response(await self._act(event, payload))
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("a signed GitHub %s event had an unexpected shape: %r", event, exc)
            return web.json_response({"error": f"unexpected {event} payload"}, status=400)

    async def _act(self, event: str, payload: dict[str, object]) -> dict[str, object]:
        result: dict[str, object] = {"handled": event}
        action = payload.get("action")
        sender_info = payload.get("sender")
        sender = str(sender_info.get("login", "")) if isinstance(sender_info, dict) else ""
        raw = payload.get("pull_request")
        issue_info = payload.get("issue")
        comment_info = payload.get("comment")
        release_info = payload.get("release")
        if event == "pull_request" and isinstance(raw, dict):
            pr = pull_request_from({**raw, "pull_request": {"merged_at": raw.get("merged_at")}})
            if pr is not None:
                result["moved"] = await self.events.on_pull_request(pr)
                if action in _PUSHED:  # commits pushed to the pull request (or it was opened): by the sender
                    touched = await self.events.on_activity(sender, "pull_request", number=pr.number, event=action)
                    result["activity"] = bool(touched)
        elif event == "push" and not payload.get("deleted"):  # deleting a branch is not work on it
            result["activity"] = bool(await self.events.on_activity(sender, "push", ref=str(payload.get("ref", ""))))
        elif event == "issues" and action in ("closed", "reopened") and isinstance(issue_info, dict):
            issue = IssueState(int(issue_info["number"]), action == "reopened", sender)
            result["bug_changed"] = await self.events.on_issue(issue)
        elif event == "release" and action in ("published", "released") and isinstance(release_info, dict):
            # GitHub's description (x-webhooks release-published, release-released): "A release, pre-release, or
            # draft of a release was published"; "A release was published, or a pre-release was changed to a
            # release". A pre-release promoted later fires only "released"; a release recorded once is not again.
            result["released"] = await self.events.on_release(release_from(release_info))
        elif event == "issue_comment" and action == "created" and isinstance(comment_info, dict):
            number = int(issue_info["number"]) if isinstance(issue_info, dict) else None
            result["activity"] = await self.events.on_comment(comment_from(comment_info, number))
        return result

"""Hostile input through the real commands (issue 9, items 1 and 2): every input is checked where it enters
and answered with one sentence, and whatever people type is shown as typed, in Discord and on GitHub."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.domain.lifecycle import State
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import Reply, SandboxUser, add_user
from bot.sandbox.github import GitHubSandbox
from bot.sandbox.harness import running_bot, sandbox_config
from bot.sandbox.solana_rpc import SolanaSandbox, new_key
from bot.store import audit, bounties, payments
from tests.conftest import People
from tests.github_helpers import assigned, gh_bot, github, settle
from tests.inert_helpers import HOSTILE, hostile_live, stray_backticks
from tests.intake_helpers import start_bounty

__all__ = ["gh_bot", "github"]  # fixtures, used by name

APOLOGY = "Sorry, something went wrong"
ALL = "\n".join(HOSTILE.values())
# The worst of it, for fields that hold 300 characters.
SHORT = "\n".join(
    HOSTILE[k] for k in ("heading", "masked link", "everyone", "role mention", "code fence", "html", "reference")
)
TITLE = f"{HOSTILE['masked link']} {HOSTILE['everyone']} {HOSTILE['role mention']}"
LOOK_ALIKE = "https://\u0430pple.com/docs"  # Cyrillic "а": reads as apple.com
RECEIVER_SOL = "5bhQNYaDEwEqjcjsuRJRuGyqbchzcDtYK49e593Wuc8i"
SOL_USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"


def messages(sandbox: DiscordSandbox, channel: int | str) -> list[dict[str, object]]:
    channel_id = str(channel) if str(channel).isdigit() else sandbox.state.channel_named(str(channel))["id"]
    return list(sandbox.state.messages.get(channel_id, []))


def texts(sandbox: DiscordSandbox, channel: int | str) -> str:
    return "\n".join(Reply(m).text for m in messages(sandbox, channel))  # type: ignore[arg-type]


def rendered(message: dict[str, object]) -> str:
    """What Discord renders as markdown in a message: content, embed titles, descriptions and fields. (Footers
    are shown as plain text, so what a person typed stands there as it is.)"""
    reply = Reply(message)  # type: ignore[arg-type]
    parts = [reply.content]
    for embed in reply.embeds:
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [f"{f.get('name', '')}\n{f.get('value', '')}" for f in embed.get("fields", [])]
    return "\n".join(parts)


def assert_inert(sandbox: DiscordSandbox, *channels: int | str) -> None:
    """Every message in `channels` shows hostile text as text, and pings nobody it should not."""
    for channel in channels:
        shown = "\n".join(rendered(m) for m in messages(sandbox, channel))
        assert hostile_live(shown) == [], (channel, hostile_live(shown))
        for message in messages(sandbox, channel):
            assert not message["mention_everyone"] and not message["mention_roles"]


def assert_reply_inert(reply: Reply) -> None:
    assert APOLOGY not in reply.text and hostile_live(rendered(reply.message)) == [], reply.text


async def awaiting_payment(bot: BountyBot, people: People) -> int:
    await start_bounty(people.exchange)
    await bot.outbox.drain()
    bounty = (await bounties.list_all(bot.db.conn))[-1]
    assert bounty.channel_id is not None
    for state in ("review", "awaiting_payment"):
        await people.staff.run("bounty advance", channel=bounty.channel_id, to=state)
    return bounty.channel_id


# --- /pay confirm-escrow ------------------------------------------------------------------------------


async def test_a_wire_reference_holding_colons_is_recorded_not_a_crash(bot: BountyBot, people: People) -> None:
    channel = await awaiting_payment(bot, people)
    # Wire references hold `:` (SWIFT allows it); the payment key used to be split on every one of them.
    part = await people.staff.run("pay confirm-escrow", channel=channel, reference="REF:2026:11", amount="2,500")
    assert APOLOGY not in part.reply.text and "7,500.00 USD" in part.reply.text, part.reply.text
    again = await people.staff.run("pay confirm-escrow", channel=channel, reference="REF:2026:11", amount="2500")
    assert "already counted" in again.reply.text
    rest = await people.staff.run("pay confirm-escrow", channel=channel, reference="FT/24:0001", amount="7500.00")
    assert "Bounty #1 is now funded" in rest.reply.text
    keys = [row.key for row in await payments.for_bounty(bot.db.conn, 1)]
    assert sorted(keys) == ["escrow:FT/24:0001:0", "escrow:REF:2026:11:0"]


@pytest.mark.parametrize(
    "reference",
    [HOSTILE["masked link"], HOSTILE["custom emoji"], HOSTILE["role mention"], "@everyone", "`x`", "WIRE\u200b1"],
)
async def test_a_reference_that_is_markup_is_refused_in_one_sentence(
    bot: BountyBot, people: People, reference: str
) -> None:
    channel = await awaiting_payment(bot, people)
    refused = await people.staff.run("pay confirm-escrow", channel=channel, reference=reference, amount="10000")
    assert refused.reply.text.startswith("• Reference: ") and "is not a wire reference" in refused.reply.text
    assert_reply_inert(refused.reply)
    assert await payments.for_bounty(bot.db.conn, 1) == []


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("NaN", "is not an amount"),
        ("Infinity", "is not an amount"),
        ("1e309", "is not an amount"),
        ("-5", "is not an amount"),
        ("0", "is nothing"),
        ("9" * 30, "is more than 1,000,000 USD"),
        ("10000.005", "has more than 2 decimals"),
    ],
)
async def test_an_amount_that_is_not_plain_digits_is_refused_in_one_sentence(
    bot: BountyBot, people: People, amount: str, expected: str
) -> None:
    channel = await awaiting_payment(bot, people)
    refused = await people.staff.run("pay confirm-escrow", channel=channel, reference="WIRE-1", amount=amount)
    assert refused.reply.text.startswith("• Amount: ") and expected in refused.reply.text, refused.reply.text
    assert_reply_inert(refused.reply)
    assert await payments.for_bounty(bot.db.conn, 1) == []
    assert (await bounties.get(bot.db.conn, 1)).state is State.AWAITING_PAYMENT  # type: ignore[union-attr]


# --- /pay submit --------------------------------------------------------------------------------------


async def test_a_malformed_solana_signature_is_explained_not_blamed_on_solana(bot: BountyBot, people: People) -> None:
    channel = await awaiting_payment(bot, people)
    # Base58 and 88 characters long, but 65 bytes: it used to reach solders, whose refusal was reported as
    # "Solana gave an answer that does not add up; staff have been told" (and staff were not told).
    outcome = await people.exchange.run("pay submit", channel=channel, chain="solana", tx="z" * 88)
    text = outcome.reply.text
    assert "is not a Solana transaction signature (it must decode to 64 bytes)" in text, text
    assert "does not add up" not in text and "staff" not in text


@pytest.fixture
async def garbled_rpc(solana_rpc: SolanaSandbox) -> AsyncIterator[str]:
    """A Solana endpoint whose transactions carry a token amount that is not a number (a broken RPC node)."""

    async def garble(request: web.Request) -> web.Response:
        body = await request.read()
        async with (
            aiohttp.ClientSession() as session,
            session.post(solana_rpc.url, data=body, headers={"Content-Type": "application/json"}) as upstream,
        ):
            answer = await upstream.read()
        if json.loads(body).get("method") == "getTransaction":
            answer = re.sub(rb'"amount":\s*"\d+"', b'"amount":"lots"', answer)
        return web.Response(body=answer, content_type="application/json")

    app = web.Application()
    app.router.add_post("/", garble)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    await runner.cleanup()


async def test_an_answer_that_does_not_add_up_really_tells_staff(
    sandbox: DiscordSandbox,
    tmp_path: Path,
    clock: ManualClock,
    people: People,
    garbled_rpc: str,
    solana_rpc: SolanaSandbox,
) -> None:
    config = sandbox_config(sandbox, tmp_path / "garbled.db", chains={"solana": {"rpc_urls": [garbled_rpc]}})
    async with running_bot(config, clock=clock) as bot:
        channel = await awaiting_payment(bot, people)
        payer = new_key()
        await people.exchange.run("pay wallet", channel=channel, chain="solana", address=payer)
        sig = solana_rpc.transfer(payer=payer, recipient=RECEIVER_SOL, mint=SOL_USDC, amount=10_000 * 10**6)
        outcome = await people.exchange.run("pay submit", channel=channel, chain="solana", tx=sig, wait=10)
        text = outcome.reply.text
        assert "does not add up" in text and "Staff have been told" in text, text
        assert "lots" not in text  # the technical detail is for staff
        await people.exchange.run("pay submit", channel=channel, chain="solana", tx=sig, wait=10)
        await bot.outbox.drain()
        alerts = [t for t in texts(sandbox, "staff-alerts").split("\n") if "Payment check failed" in t]
        assert alerts == ["Payment check failed: bounty #1 Backpack"]  # told, once per transaction
        staff = texts(sandbox, "staff-alerts")
        assert sig in staff and "lots" in staff and "bountybot verify-payment --chain solana" in staff
        assert await payments.for_bounty(bot.db.conn, 1) == []
        actions = [e.action for e in await audit.for_bounty(bot.db.conn, 1)]
        assert actions.count("payment_unreadable") == 2


# --- values quoted back ------------------------------------------------------------------------------

QUOTED = "a`b`` **bold** @everyone <@&123456789012345678>"


@pytest.mark.parametrize(
    ("who", "command", "options", "expected"),
    [
        ("exchange", "pay wallet", {"chain": "ethereum", "address": QUOTED}, "Address: "),
        ("exchange", "pay wallet", {"chain": "solana", "address": QUOTED}, "Address: "),
        ("exchange", "pay submit", {"chain": "bsc", "tx": QUOTED}, "Transaction: "),
        ("exchange", "pay submit", {"chain": "solana", "tx": QUOTED}, "Transaction: "),
        ("staff", "pay confirm-escrow", {"reference": "WIRE-1", "amount": "1`0"}, "Amount: "),
    ],
)
async def test_a_value_quoted_back_cannot_break_the_reply(
    bot: BountyBot, people: People, who: str, command: str, options: dict[str, str], expected: str
) -> None:
    channel = await awaiting_payment(bot, people)
    refused = await getattr(people, who).run(command, channel=channel, **options)
    assert expected in refused.reply.text, refused.reply.text
    assert_reply_inert(refused.reply)
    assert not stray_backticks(refused.reply.text), refused.reply.text


async def test_a_github_login_quoted_back_cannot_break_the_reply(bot: BountyBot, people: People) -> None:
    channel = await awaiting_payment(bot, people)
    refused = await people.staff.run("bounty assign", channel=channel, developer=people.teammate, github=QUOTED)
    assert "is not a GitHub username" in refused.reply.text, refused.reply.text
    assert_reply_inert(refused.reply)
    assert not stray_backticks(refused.reply.text), refused.reply.text


# --- /bounty start: links -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exchange", "technical", "expected"),
    [
        ({"website": "https://acme.test@evil.example/"}, {}, "Website: `https://acme.test@evil.example/` has a user"),
        ({"website": "http://2130706433/"}, {}, "Website: `http://2130706433/` is an IP address"),
        ({}, {"api_docs": "http://169.254.169.254/latest/meta-data"}, "is an IP address"),
        ({}, {"api_docs": "https://docs.example.com\nhttp://[::1]/ws"}, "`http://[::1]/ws` is an IP address"),
        ({}, {"testnet_url": "https://test\u200bnet.example.com"}, "invisible or control character (U+200B)"),
        ({}, {"testnet_url": "https://sandbox.internal/"}, "is not a public web site"),
    ],
)
async def test_a_hostile_link_in_the_intake_is_refused_in_one_sentence(
    bot: BountyBot, people: People, exchange: dict[str, str], technical: dict[str, str], expected: str
) -> None:
    outcome = await start_bounty(people.exchange, exchange=exchange, technical=technical)
    assert "Some answers need fixing" in outcome.reply.text and expected in outcome.reply.text, outcome.reply.text
    assert_reply_inert(outcome.reply)
    assert await bounties.list_all(bot.db.conn) == []


# --- what people type, shown everywhere -----------------------------------------------------------------


async def test_what_an_exchange_and_staff_type_is_inert_in_discord_and_on_github(
    gh_bot: BountyBot, sandbox: DiscordSandbox, github: GitHubSandbox, people: People, clock: ManualClock
) -> None:
    started = await start_bounty(
        people.exchange,
        exchange={"exchange": "Acme__Pro__", "contact": "[erin](https://evil.example) @everyone"},
        technical={
            "api_docs": f"{LOOK_ALIKE}\nhttps://docs.acme.com/ws_v2",
            "auth_method": HOSTILE["masked link"] + " " + HOSTILE["html"][:100],
            "rate_limits": SHORT,
            "special_features": ALL,
        },
    )
    assert "is started" in started.reply.text, started.reply.text
    await gh_bot.outbox.drain()
    bounty = (await bounties.list_all(gh_bot.db.conn))[-1]
    channel = bounty.channel_id
    assert channel is not None
    welcome = texts(sandbox, channel)
    # The look-alike is visible: its punycode is what the link opens, its Unicode form beside it.
    assert f"<https://xn--pple-43d.com/docs> (Unicode form: `{LOOK_ALIKE}`)" in welcome
    assert "<https://docs.acme.com/ws_v2>" in welcome  # a link with `_` is shown whole, not escaped into another
    assert "Acme\\_\\_Pro\\_\\_" in welcome and "contact: [erin](https://evil.example) @everyone" in welcome

    review = await people.staff.run(
        "bounty review", channel=channel, item="special_features", result="missing", note=SHORT
    )
    assert_reply_inert(review.reply)
    for state in ("awaiting_payment", "funded"):
        await people.staff.run("bounty advance", channel=channel, to=state, reason=SHORT)
    await settle(gh_bot, clock)
    assert_inert(sandbox, channel, "staff-alerts")
    assert "Technical review: Special features or requirements is missing" in texts(sandbox, channel)

    issue = github.issues[1]
    assert issue["title"] == "Bounty - add Acme__Pro__ connector"
    body = issue["body"]
    assert hostile_live(body, github=True) == [], hostile_live(body, github=True)
    assert body.count("<!-- bountybot:bounty:") == 1  # a typed copy of the marker would mislead a retry
    assert f"<https://xn--pple-43d.com/docs> (Unicode form: `{LOOK_ALIKE}`)" in body
    assert "- WebSocket: <https://docs.acme.com/ws_v2>" in body

    for command in ("bounty status", "audit"):
        assert_reply_inert((await people.staff.run(command, channel=channel)).reply)

    # Cancelled after payment: the refund notice names what staff can do, and it works. Funded by hand here, so
    # the received wire is recorded first (flagged for refund at once), then its refund ends the bounty.
    await people.staff.run("bounty cancel", channel=channel, reason=SHORT)
    await gh_bot.outbox.drain()
    assert_inert(sandbox, channel, "staff-alerts")
    refund = next(t for t in texts(sandbox, "staff-alerts").split("\n\n") if "Refund due: bounty #1" in t)
    assert "`/bounty refund`" in refund and "`/pay confirm-escrow`" in refund and "/bounty advance" not in refund
    assert_commands_exist(sandbox, refund)
    wire = await people.staff.run("pay confirm-escrow", channel=channel, reference="WIRE-7", amount="10000")
    assert "owes nothing: staff will refund it" in wire.reply.text, wire.reply.text
    done = await people.staff.run("bounty refund", channel=channel, amount="10,000", via="wire", reference="BACK-7")
    assert "bounty #1 is now **refunded**" in done.reply.text, done.reply.text


def assert_commands_exist(sandbox: DiscordSandbox, text: str) -> None:
    """Every `/command sub` that `text` tells people to run is one the bot registered, with its options."""
    named = re.findall(r"`/([a-z-]+(?: [a-z-]+)*)`", text)
    assert named
    for path in named:
        words = path.split()
        spec = sandbox.state.commands.get(words[0])
        assert spec is not None, f"/{path} is not a command"
        for word in words[1:]:
            spec = next((o for o in spec.get("options", []) if o["name"] == word and o["type"] in (1, 2)), None)
            assert spec is not None, f"/{path} is not a command"
    refund = next(o for o in sandbox.state.commands["bounty"]["options"] if o["name"] == "refund")
    assert [o["name"] for o in refund["options"]] == ["amount", "via", "reference", "bounty"]
    via = next(o for o in refund["options"] if o["name"] == "via")
    assert [c["value"] for c in via["choices"]] == ["ethereum", "bsc", "solana", "wire"]


@pytest.fixture
def dev(sandbox: DiscordSandbox) -> SandboxUser:
    return add_user(sandbox, "Dana Developer", roles=("bounty-contributor",))


async def test_updates_and_bugs_are_inert_in_discord_and_on_github(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    opened = await dev.run("update post", channel=channel)
    posted = await dev.submit(opened, {"done": ALL, "next": SHORT, "blockers": HOSTILE["html"], "percent": "40"})
    assert "40% complete" in posted.reply.text, posted.reply.text
    reported = await people.exchange.run(
        "bug report", channel=channel, severity="critical", title=TITLE, description=ALL
    )
    assert "Bug #1" in reported.reply.text, reported.reply.text
    await settle(gh_bot, clock)
    assert_inert(sandbox, channel, "staff-alerts")
    shown = texts(sandbox, channel)
    assert "Weekly update · 40% complete" in shown and "Bug #1 (Critical)" in shown

    update, link = (c["body"] for c in github.comments[1][-2:])
    for comment in (update, link):
        assert hostile_live(comment, github=True) == [], hostile_live(comment, github=True)
    assert "Weekly update from dana-dev" in update and "Bug reported (Critical): #2" in link
    bug_issue = github.issues[2]
    assert hostile_live(bug_issue["body"], github=True) == [], hostile_live(bug_issue["body"], github=True)
    assert "@everyone" not in bug_issue["title"].replace("@\u200b", "@x")
    for command in ("bug list", "bounty status"):
        assert_reply_inert((await people.exchange.run(command, channel=channel)).reply)

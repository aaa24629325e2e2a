"""Governance alerts (DESIGN.md §1, §9; issue 12 item 4), as community members and staff meet them: `/alerts on|off`
gives and takes the alerts role, `/alerts dm on|off` asks for DMs, and each governance announcement pings that
role alone in #governance and DMs those who asked, once each whatever retries happen, skipping (and counting,
for staff) closed inboxes and members who left. The bot says at start when it cannot give the role or ping it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.domain.notices import Notice
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.state import MANAGE_ROLES, README_BOT_PERMISSIONS, GuildLayout
from bot.sandbox.discord.users import Outcome, Reply, SandboxUser, add_user
from bot.sandbox.harness import running_bot, sandbox_config
from tests.conftest import People

ROLE = "governance-alerts"
VOTING = Notice(
    title="Voting opened: Backpack connector (HGP-61)",
    description="Vote on Snapshot until <t:1764000000:F>. @everyone should not be pinged by this text.",
    tone="info",
)
SUMMARY = "Governance DMs sent"


def said(outcome: Outcome) -> str:
    return outcome.reply.text


def holds(sandbox: DiscordSandbox, person: SandboxUser, name: str = ROLE) -> bool:
    """Whether `person` holds the role in the server, as Discord (the sandbox guild) has it."""
    return sandbox.state.role_named(name)["id"] in sandbox.state.members[str(person.id)]["roles"]


def channel_posts(sandbox: DiscordSandbox, name: str, title: str) -> list[Reply]:
    messages = sandbox.state.messages[sandbox.state.channel_named(name)["id"]]
    return [Reply(m) for m in messages if m["embeds"] and m["embeds"][0].get("title", "").startswith(title)]


async def audit_actions(bot: BountyBot, person: SandboxUser) -> list[str]:
    rows = await bot.db.conn.execute_fetchall(
        "SELECT action FROM audit_log WHERE actor_id = ? AND action LIKE 'alerts_%' ORDER BY id", (person.id,)
    )
    return [r[0] for r in rows]


async def announce(bot: BountyBot, key: str = "governance:1:voting", notice: Notice = VOTING) -> None:
    """What the governance work does when voting opens: one outbox item, in a change."""
    async with bot.changes.begin() as ch:
        await ch.send(key, "governance.announce", notice=notice.to_payload())


async def opt_in_to_dms(*people: SandboxUser) -> None:
    for person in people:
        done = await person.run("alerts dm on", channel="general")
        assert "Governance alerts will also come to your DMs" in said(done), said(done)


# --- /alerts on|off ---------------------------------------------------------------------------------------------


async def test_alerts_on_and_off_give_and_take_the_role(
    bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    member = people.outsider
    first = await member.run("alerts on", channel="general")
    assert first.reply.ephemeral
    assert said(first).startswith("You now get governance alerts"), said(first)
    assert holds(sandbox, member)
    again = await member.run("alerts on", channel="general")
    assert said(again).startswith("You already get governance alerts"), said(again)
    assert holds(sandbox, member)

    off = await member.run("alerts off", channel="general")
    assert off.reply.ephemeral and said(off).startswith("You no longer get governance alerts"), said(off)
    assert not holds(sandbox, member)
    assert holds(sandbox, member, "bounty-contributor")  # only the alerts role is taken
    off_again = await member.run("alerts off", channel="general")
    assert said(off_again).startswith("You do not get governance alerts"), said(off_again)
    # Each change that happened is audited; the idempotent answers change nothing.
    assert await audit_actions(bot, member) == ["alerts_role_on", "alerts_role_off"]


async def test_alerts_dm_on_and_off_are_stored_and_audited(bot: BountyBot, people: People) -> None:
    member = people.exchange
    on = await member.run("alerts dm on", channel="general")
    assert on.reply.ephemeral and "Governance alerts will also come to your DMs" in said(on)
    again = await member.run("alerts dm on", channel="general")
    assert said(again).startswith("You already get governance alerts by DM")
    rows = await bot.db.conn.execute_fetchall("SELECT user_id FROM alert_dm_subscribers")
    assert [r[0] for r in rows] == [member.id]
    off = await member.run("alerts dm off", channel="general")
    assert "will no longer come to your DMs" in said(off)
    off_again = await member.run("alerts dm off", channel="general")
    assert said(off_again).startswith("You do not get governance alerts by DM")
    assert list(await bot.db.conn.execute_fetchall("SELECT user_id FROM alert_dm_subscribers")) == []
    assert await audit_actions(bot, member) == ["alerts_dm_on", "alerts_dm_off"]


# --- announcements ------------------------------------------------------------------------------------------------


async def test_an_announcement_pings_only_the_alerts_role_and_dms_each_opted_in_member_once(
    bot: BountyBot, sandbox: DiscordSandbox, people: People, clock: ManualClock
) -> None:
    await opt_in_to_dms(people.exchange, people.teammate)
    await people.outsider.run("alerts on", channel="general")  # the role, no DMs
    # Discord is down for the first message posted: the governance channel's (the DMs are queued first).
    sandbox.fail("POST", r"^/channels/\d+/messages$", times=1)
    await announce(bot)
    await bot.outbox.drain()
    assert channel_posts(sandbox, "governance", "Voting opened") == []
    sandbox.heal()
    clock.advance(3600)  # the announcement's own retry comes round; it fans nothing out twice
    await bot.outbox.drain()
    await announce(bot)  # the same key enqueued again by a restarted caller: ignored
    await bot.outbox.drain()

    posted = channel_posts(sandbox, "governance", "Voting opened")
    assert len(posted) == 1
    message, role_id = posted[0].message, sandbox.state.role_named(ROLE)["id"]
    assert message["content"] == f"<@&{role_id}>"
    assert message["mention_roles"] == [role_id]  # the alerts role, and only it
    assert message["mention_everyone"] is False and message["mentions"] == []
    allowed = message["_allowed_mentions"]  # as the bot sent it: that role may ping, nothing else
    assert [str(r) for r in allowed["roles"]] == [role_id] and allowed["parse"] == [] and not allowed.get("users")
    for person in (people.exchange, people.teammate):
        dms = person.dms()
        assert [d.embeds[0]["title"] for d in dms] == [VOTING.title], person
        assert "/alerts dm off" in dms[0].embeds[0]["footer"]["text"]
    assert people.outsider.dms() == [] and people.staff.dms() == []
    summary = channel_posts(sandbox, "staff-alerts", SUMMARY)
    assert len(summary) == 1 and "**2** sent, **0** skipped" in summary[0].text, summary[0].text


async def test_a_dm_whose_answer_was_lost_is_found_in_the_conversation_not_sent_again(
    bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    await opt_in_to_dms(people.exchange)
    await announce(bot)
    await bot.outbox.drain()
    assert len(people.exchange.dms()) == 1
    # The bot died after Discord took the DM and before it recorded so: the row still says "sending".
    ref = (await bot.db.conn.execute_fetchall("SELECT ref FROM alert_announcements"))[0][0]
    async with bot.changes.begin() as ch:
        await ch.tx.execute("UPDATE alert_dms SET outcome = 'sending', done_at = NULL")
    retry = bot.outbox.handlers["governance.dm"]
    assert await retry({"ref": ref, "user_id": people.exchange.id}) == {"outcome": "sent"}
    assert len(people.exchange.dms()) == 1
    # Delivered again after it was settled: nothing at all.
    assert await retry({"ref": ref, "user_id": people.exchange.id}) == {"outcome": "sent"}
    assert len(people.exchange.dms()) == 1


async def test_closed_inboxes_and_members_who_left_are_skipped_counted_and_shown_to_staff(
    bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    leaver = add_user(sandbox, "Lou Leaver")
    await opt_in_to_dms(people.exchange, people.teammate, leaver, people.staff)
    sandbox.close_dms(people.teammate.id)
    sandbox.leave(leaver.id)
    await announce(bot)
    await bot.outbox.drain()
    assert len(people.exchange.dms()) == 1 and len(people.staff.dms()) == 1
    assert people.teammate.dms() == [] and leaver.dms() == []
    summary = channel_posts(sandbox, "staff-alerts", SUMMARY)
    assert len(summary) == 1
    text = summary[0].text
    assert VOTING.title in text
    assert "**2** sent, **2** skipped (1 DMs closed, 1 left the server)." in text, text
    assert sandbox.violations == []  # a closed inbox is the member's choice, not the bot's mistake


async def test_many_dms_keep_within_discords_rate_limits(bot: BountyBot, sandbox: DiscordSandbox) -> None:
    """Twelve members asked for DMs: more than Discord's buckets for opening DMs (5 per 5 s) allow at once, and a
    burst of 429s on top. Each gets the DM once; the bot waits out the buckets instead of meeting refusals."""
    members = [add_user(sandbox, f"Member {i}") for i in range(12)]
    await opt_in_to_dms(*members)
    sandbox.rate_limits.storm(r"^/channels/\d+/messages$", times=2, retry_after=0.05)
    await announce(bot)
    await bot.outbox.drain()
    assert all(len(m.dms()) == 1 for m in members)
    opened = [path for method, path, _ in sandbox.rate_limits.refused if path == "/users/@me/channels"]
    assert opened == []  # read from the headers: never asked past the bucket
    assert len(sandbox.rate_limits.refused) == 2  # only the storm
    assert "**12** sent, **0** skipped" in channel_posts(sandbox, "staff-alerts", SUMMARY)[0].text


async def test_a_member_who_turns_dms_off_before_their_turn_is_not_dmed(
    bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    await opt_in_to_dms(people.exchange, people.teammate)
    await bot.outbox.stop()  # deliver by hand, one item at a time
    await announce(bot)
    await bot.outbox.handlers["governance.announce"]({"notice": VOTING.to_payload()})  # fanned out and posted
    await people.teammate.run("alerts dm off", channel="general")  # before their DM's turn
    await bot.outbox.drain()
    assert people.teammate.dms() == []
    assert len(people.exchange.dms()) == 1
    summary = channel_posts(sandbox, "staff-alerts", SUMMARY)[0].text
    assert "**1** sent, **1** skipped (1 turned DMs off meanwhile)." in summary, summary


# --- what the bot needs, said at start and on /alerts on ------------------------------------------------------------


@pytest.fixture
async def layout_bot(
    request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[tuple[BountyBot, DiscordSandbox]]:
    sandbox = DiscordSandbox(layout=request.param, clock=clock.now, rate_limit_scale=0.02)
    await sandbox.start()
    try:
        async with running_bot(sandbox_config(sandbox, tmp_path / "alerts.db"), clock=clock) as bot:
            await bot.outbox.drain()
            yield bot, sandbox
    finally:
        await sandbox.stop()
    assert sandbox.violations == [], "\n".join(sandbox.violations)


# The bot's role at position 1, the alerts role at 2: above it.
ABOVE_THE_BOT = GuildLayout(
    bot_role_position=1, roles=("bounty-contributor", "governance-alerts", "hummingbot-foundation")
)


@pytest.mark.parametrize("layout_bot", [ABOVE_THE_BOT], indirect=True)
async def test_an_alerts_role_above_the_bots_is_named_at_start_and_on_alerts_on(
    layout_bot: tuple[BountyBot, DiscordSandbox],
) -> None:
    bot, sandbox = layout_bot
    problem = (
        "`/alerts on` cannot give the `governance-alerts` role: Discord lets a bot give only roles below its own "
        "highest role (`BountyBot`). Move the bot's role above `governance-alerts` in Server Settings → Roles."
    )
    assert problem in bot.setup_problems
    alert = channel_posts(sandbox, "staff-alerts", "BountyBot cannot do everything")
    assert len(alert) == 1 and "Move the bot's role above `governance-alerts`" in alert[0].text

    member = add_user(sandbox, "Cora Community")
    refused = await member.run("alerts on", channel="general")
    assert refused.reply.ephemeral
    assert said(refused) == (
        "BountyBot cannot give or take the `governance-alerts` role: Discord only lets a bot manage roles below its "
        "own highest role (`BountyBot`). Foundation staff must move the bot's role above `governance-alerts` in "
        "Server Settings → Roles."
    )
    assert not holds(sandbox, member)
    assert not any(path.endswith("/roles/" + sandbox.state.role_named(ROLE)["id"]) for _, path in sandbox.requests)

    # Staff drag the bot's role to the top: the bot hears it and the same command works.
    await sandbox.update_role("BountyBot", position=5)
    done = await member.run("alerts on", channel="general")
    assert said(done).startswith("You now get governance alerts"), said(done)
    assert holds(sandbox, member)


async def test_a_role_moved_above_the_bot_while_it_runs_is_refused_clearly(
    bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    await sandbox.update_role(ROLE, position=20)
    refused = await people.outsider.run("alerts on", channel="general")
    assert "Foundation staff must move the bot's role above `governance-alerts`" in said(refused)
    assert not holds(sandbox, people.outsider)


async def test_a_role_moved_while_the_bot_was_not_listening_meets_discords_refusal_in_plain_words(
    bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    sandbox.state.role_named(ROLE)["position"] = 20  # no GUILD_ROLE_UPDATE reached the bot: its cache is stale
    refused = await people.outsider.run("alerts on", channel="general")
    assert said(refused) == (
        "Discord refused to give the `governance-alerts` role. Foundation staff must make sure the bot's role has "
        "Manage Roles and sits above `governance-alerts` (Server Settings → Roles)."
    )
    assert len(sandbox.take_violations("missing permission")) == 1  # the bot asked, Discord said no
    assert not holds(sandbox, people.outsider)
    assert await audit_actions(bot, people.outsider) == []


async def test_discord_itself_refuses_a_role_at_or_above_the_bots_highest(
    bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    """The stand-in is as strict as Discord, whatever the bot's own checks say."""
    state = sandbox.state
    staff_role = state.role_named("hummingbot-foundation")
    staff_role["position"] = state.bot_role()["position"] + 1  # dragged above the bot's role
    with pytest.raises(discord.Forbidden) as refused:
        await bot.http.add_role(sandbox.guild_id, people.outsider.id, int(staff_role["id"]))
    assert refused.value.code == 50013
    with pytest.raises(discord.Forbidden):
        await bot.http.add_role(sandbox.guild_id, people.outsider.id, int(state.bot_role()["id"]))
    assert len(sandbox.take_violations("missing permission")) == 2
    assert state.members[str(people.outsider.id)]["roles"] == [state.role_named("bounty-contributor")["id"]]


WITHOUT_MANAGE_ROLES = GuildLayout(bot_permissions=README_BOT_PERMISSIONS & ~MANAGE_ROLES)


@pytest.mark.parametrize("layout_bot", [WITHOUT_MANAGE_ROLES], indirect=True)
async def test_without_manage_roles_alerts_on_says_what_staff_must_do(
    layout_bot: tuple[BountyBot, DiscordSandbox],
) -> None:
    bot, sandbox = layout_bot
    assert "The bot lacks Manage Roles in the server (Server Settings → Roles → the bot's role)." in bot.setup_problems
    assert (
        "`/alerts on` cannot give the `governance-alerts` role: the bot lacks Manage Roles (Server Settings → Roles → "
        "the bot's role)."
    ) in bot.setup_problems
    member = add_user(sandbox, "Cora Community")
    refused = await member.run("alerts on", channel="general")
    assert "it lacks the Manage Roles permission. Foundation staff must give the bot's role Manage Roles" in said(
        refused
    )
    assert not holds(sandbox, member)


@pytest.mark.parametrize("layout_bot", [GuildLayout(mentionable_roles=())], indirect=True)
async def test_an_alerts_role_nobody_may_ping_is_named_at_start(layout_bot: tuple[BountyBot, DiscordSandbox]) -> None:
    bot, sandbox = layout_bot
    assert bot.setup_problems == [
        "Governance announcements in #governance will not ping `governance-alerts`: the role is not mentionable "
        'and the bot lacks Mention Everyone there. Turn on "Allow anyone to @mention this role" for '
        "`governance-alerts` (Server Settings → Roles)."
    ]
    await announce(bot)
    await bot.outbox.drain()
    posted = channel_posts(sandbox, "governance", "Voting opened")
    assert len(posted) == 1 and posted[0].message["mention_roles"] == []  # posted all the same, without the ping

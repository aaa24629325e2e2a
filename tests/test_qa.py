"""The QA protocol with evidence (issue 11, item 1), through Discord as staff, the exchange and the developer
would use it, mirrored to the GitHub stand-in: results recorded with their note and who verified them when,
who records which group, a failed item opening a bug in one step, the gate before governance and its
override, and progress in `/bounty status` and on the public issue."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.domain.access import Actor
from bot.domain.errors import InvalidInput, NotAllowed
from bot.domain.lifecycle import State
from bot.domain.qa import ITEMS, QaGroup
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import Outcome, Reply, SandboxUser, add_user
from bot.sandbox.github import GitHubSandbox
from bot.store import audit, bounties, bugs, qa
from bot.store.db import open_database
from tests.abuse.corpus import STRING_CATEGORIES, load_corpus
from tests.conftest import START, People
from tests.github_helpers import funded, gh_bot, github, settle
from tests.inert_helpers import HOSTILE, discord_live, github_live, hostile_live
from tests.qa_helpers import EVIDENCE, pass_qa
from tests.test_list import form

__all__ = ["gh_bot", "github"]  # fixtures, used by name

FUNCTIONAL = ITEMS[0]  # Functional: order lifecycle (create, cancel, fill)
RECOVERY = next(i for i in ITEMS if i.label == "Functional: error recovery")
PRODUCTION = next(i for i in ITEMS if i.label == "Exchange validation: production testing")


@pytest.fixture
def dev(sandbox: DiscordSandbox) -> SandboxUser:
    return add_user(sandbox, "Dana Developer", roles=("bounty-contributor",))


async def in_testing(bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock) -> int:
    """Bounty #1 (Backpack), its developer assigned, its pull request under test; returns its channel."""
    channel = await funded(bot, people, clock)
    await people.staff.run("bounty assign", channel=channel, developer=dev, github="dana-dev")
    await people.staff.run("bounty advance", channel=channel, to="testing", reason="PR #77 submitted")
    await settle(bot, clock)
    return channel


async def record(person: SandboxUser, channel: int, item_key: str, values: dict[str, str]) -> Outcome:
    """Open `/checklist checklist:QA`, pick the item, fill in and submit the form."""
    shown = await person.run("checklist", channel=channel, checklist="qa")
    menu = shown.reply.selects[0]
    form = await person.choose(shown.reply, menu["custom_id"], [item_key])
    assert form.modal is not None, form.reply.text
    return await person.submit(form, values)


def channel_texts(sandbox: DiscordSandbox, channel: int) -> list[str]:
    return [Reply(m).text for m in sandbox.state.messages[str(channel)]]


def said(sandbox: DiscordSandbox, channel: int | str, prefix: str) -> list[str]:
    key = str(channel) if str(channel).isdigit() else sandbox.state.channel_named(str(channel))["id"]
    return [t for t in (Reply(m).text for m in sandbox.state.messages[key]) if t.startswith(prefix)]


def comments(github: GitHubSandbox) -> list[str]:
    return [c["body"] for c in github.comments.get(1, [])]


# --- recording ----------------------------------------------------------------------------------------------


async def test_results_are_recorded_with_evidence_and_who_verified_them_when(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    channel = await in_testing(gh_bot, people, dev, clock)
    shown = await people.staff.run("checklist", channel=channel, checklist="qa")
    assert "0/12 passing" in shown.reply.text and "Pick an item" in shown.reply.text
    assert [o["value"] for o in shown.reply.selects[0]["options"]] == [i.key for i in ITEMS]

    passed_at = clock.now()
    done = await record(people.staff, channel, FUNCTIONAL.key, {"result": "pass", "note": f"Green run {EVIDENCE}"})
    assert done.reply.ephemeral
    assert f"Recorded **pass** for **{FUNCTIONAL.label}** on bounty #1" in done.reply.text, done.reply.text
    assert "QA: 1/12 passing" in done.reply.text
    await settle(gh_bot, clock)
    [told] = said(sandbox, channel, f"QA ✅ {FUNCTIONAL.label}: pass")
    assert f"Recorded by {people.staff.mention}" in told and f"<{EVIDENCE}>" in told and "QA 1/12 passing" in told
    mirrored = [c for c in comments(github) if f"QA: **{FUNCTIONAL.label}**" in c]
    assert len(mirrored) == 1
    assert "**pass**, verified by Foundation staff on 2026-11-" in mirrored[0]
    assert f"<{EVIDENCE}>" in mirrored[0] and "QA progress: 1/12 passing." in mirrored[0]

    # A later run fails: the latest result counts, the history keeps both.
    clock.advance(3600)
    failed_at = clock.now()
    failed = await record(people.staff, channel, FUNCTIONAL.key, {"result": "fail", "note": "Fills lost on reconnect"})
    assert "Recorded **fail**" in failed.reply.text and "QA: 0/12 passing" in failed.reply.text
    clock.advance(3600)
    again = await record(people.staff, channel, RECOVERY.key, {"result": "not_yet"})  # no note needed
    assert "Recorded **not yet**" in again.reply.text, again.reply.text
    view = await people.exchange.run("checklist", channel=channel, checklist="qa")
    assert f"❌ {FUNCTIONAL.label} · **fail** · {people.staff.mention}" in view.reply.text
    assert "↳ Fills lost on reconnect" in view.reply.text
    assert view.reply.selects[0]["options"] and len(view.reply.selects[0]["options"]) == 3  # the exchange's own

    history = await qa.history(gh_bot.db.conn, 1, FUNCTIONAL.key)
    assert [(r.result.value, r.recorded_at) for r in history] == [("pass", passed_at), ("fail", failed_at)]
    trail = [e for e in await audit.for_bounty(gh_bot.db.conn, 1) if e.action == "qa_recorded"]
    assert [(e.detail["item"], e.detail["result"], e.detail["previous"]) for e in trail] == [
        (FUNCTIONAL.key, "pass", None),
        (FUNCTIONAL.key, "fail", "pass"),
        (RECOVERY.key, "not_yet", None),
    ]
    assert {e.actor_id for e in trail} == {people.staff.id}

    status = await people.exchange.run("bounty status", channel=channel)
    assert "QA: **0/12** passing" in status.reply.text
    assert f"Failing: {FUNCTIONAL.label}" in status.reply.text
    await settle(gh_bot, clock)
    assert sum("QA progress: " in c for c in comments(github)) == 3


async def test_a_result_without_evidence_or_with_a_bad_link_is_refused_with_its_answers_kept(
    gh_bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await in_testing(gh_bot, people, dev, clock)
    empty = await record(people.staff, channel, FUNCTIONAL.key, {"result": "pass"})
    assert "Note: give the evidence for the pass" in empty.reply.text, empty.reply.text
    private = await record(people.staff, channel, FUNCTIONAL.key, {"result": "fail", "note": "see http://10.0.0.7/log"})
    assert "Note: the link" in private.reply.text and "is an IP address" in private.reply.text
    # Fix my answers reopens the form with what was typed.
    fix = await people.staff.click(private.reply, "Fix my answers")
    assert fix.modal is not None
    fields = {c["component"]["custom_id"]: c["component"] for c in fix.modal["components"]}
    assert fields["note"]["value"] == "see http://10.0.0.7/log"
    assert [o["value"] for o in fields["result"]["options"] if o.get("default")] == ["fail"]
    fixed = await people.staff.submit(fix, {"note": "see https://logs.hummingbot.org/run/7"})
    assert "Recorded **fail**" in fixed.reply.text, fixed.reply.text
    # A pass that asks for a bug: one sentence, nothing recorded.
    both = await record(people.staff, channel, RECOVERY.key, {"result": "pass", "note": EVIDENCE, "bug": "major"})
    assert "Open a bug: only a failed item opens a bug" in both.reply.text
    assert list(await qa.latest(gh_bot.db.conn, 1)) == [FUNCTIONAL.key]
    assert await bugs.for_bounty(gh_bot.db.conn, 1) == []


# --- who records which group ----------------------------------------------------------------------------------


async def test_staff_record_functional_and_integration_the_exchange_its_validation_the_developer_views(
    gh_bot: BountyBot, sandbox: DiscordSandbox, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await in_testing(gh_bot, people, dev, clock)
    await people.exchange.run("bounty members add", channel=channel, member=people.teammate)
    exchange_items = [i.key for i in ITEMS if i.group is QaGroup.EXCHANGE]
    mine = await people.teammate.run("checklist", channel=channel, checklist="qa")
    assert [o["value"] for o in mine.reply.selects[0]["options"]] == exchange_items
    done = await record(people.teammate, channel, PRODUCTION.key, {"result": "pass", "note": "Traded live for 2 days"})
    assert "Recorded **pass**" in done.reply.text, done.reply.text
    staff_too = await record(people.staff, channel, exchange_items[0], {"result": "pass", "note": "Reviewed on a call"})
    assert "Recorded **pass**" in staff_too.reply.text
    await settle(gh_bot, clock)

    developer_view = await dev.run("checklist", channel=channel, checklist="qa")
    assert developer_view.reply.selects == [] and "View only." in developer_view.reply.text
    assert "2/12 passing" in developer_view.reply.text

    before = await audit.for_bounty(gh_bot.db.conn, 1)
    message = (await people.staff.run("checklist", channel=channel, checklist="qa")).reply.message
    # A modified client picks an item the person may not record: refused before any form opens.
    refused = {
        "Only Foundation staff can record functional QA results.": (people.exchange, FUNCTIONAL.key),
        "Only Foundation staff can record integration QA results.": (people.teammate, ITEMS[6].key),
        "Only the exchange team or Foundation staff can record exchange-validation QA results.": (dev, PRODUCTION.key),
        "You are not a member of bounty #1": (people.outsider, PRODUCTION.key),
    }
    for sentence, (person, key) in refused.items():
        pressed = await person.press("qa:1", channel=channel, values=[key], message=message)
        assert pressed.modal is None and pressed.reply.ephemeral
        assert pressed.reply.text.startswith(sentence), pressed.reply.text
    # Called directly, as a future caller might: the declaration still decides, for each group.
    s = gh_bot.services.qa
    lead, developer = Actor(people.exchange.id, is_staff=False), Actor(dev.id, is_staff=False)
    for who, item in ((lead, FUNCTIONAL), (lead, ITEMS[5]), (developer, PRODUCTION), (developer, FUNCTIONAL)):
        with pytest.raises(NotAllowed):
            await s.record(who, 1, item.key, "pass", EVIDENCE)
    assert await audit.for_bounty(gh_bot.db.conn, 1) == before
    assert len(await qa.history(gh_bot.db.conn, 1, FUNCTIONAL.key)) == 0
    assert len(said(sandbox, channel, "QA ")) == 2


# --- a failed item opens a bug --------------------------------------------------------------------------------


async def test_a_failed_item_opens_a_bug_in_one_step(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    channel = await in_testing(gh_bot, people, dev, clock)
    note = f"Orders stay open after a reconnect: {EVIDENCE}"
    done = await record(people.staff, channel, RECOVERY.key, {"result": "fail", "note": note, "bug": "major"})
    assert "Recorded **fail**" in done.reply.text, done.reply.text
    assert f"Bug #1 (Major) is open, due <t:{clock.now() + 48 * 3600}:R>" in done.reply.text
    [bug] = await bugs.for_bounty(gh_bot.db.conn, 1)
    assert bug.title == f"QA failed: {RECOVERY.label}" and note in bug.description
    assert bug.severity.value == "major" and bug.reporter_id == people.staff.id
    assert (await qa.latest(gh_bot.db.conn, 1))[RECOVERY.key].bug_id == bug.id
    actions = [e.action for e in await audit.for_bounty(gh_bot.db.conn, 1)]
    assert actions[-3:] == ["qa_recorded", "bug_reported", "qa_bug_opened"]
    await settle(gh_bot, clock)
    assert any(f"Bug #1 (Major): QA failed: {RECOVERY.label}" in t for t in channel_texts(sandbox, channel)), (
        channel_texts(sandbox, channel)
    )
    bug_issue = github.issues[2]
    assert bug_issue["title"] == f"[Major] Backpack connector: QA failed: {RECOVERY.label}"
    view = await people.exchange.run("checklist", channel=channel, checklist="qa")
    assert f"❌ {RECOVERY.label} · **fail**" in view.reply.text and "bug #1" in view.reply.text


# --- the gate -------------------------------------------------------------------------------------------------


async def test_governance_waits_for_every_item_to_pass(
    gh_bot: BountyBot, sandbox: DiscordSandbox, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await in_testing(gh_bot, people, dev, clock)
    await pass_qa(gh_bot, people, but=RECOVERY.key)
    before = await audit.for_bounty(gh_bot.db.conn, 1)
    refused = await people.staff.run("bounty advance", channel=channel, to="governance", reason="QA done")
    assert refused.reply.ephemeral
    assert refused.reply.text.startswith("Bounty #1 cannot move to governance: 1 of 12 QA items is not passing: ")
    assert f"{RECOVERY.label} (fail)" in refused.reply.text and "override:True" in refused.reply.text
    assert (await bounties.get(gh_bot.db.conn, 1)).state is State.TESTING  # type: ignore[union-attr]
    assert await audit.for_bounty(gh_bot.db.conn, 1) == before

    # A not-yet counts as not passing too.
    await record(people.staff, channel, RECOVERY.key, {"result": "not_yet"})
    again = await people.staff.run("bounty advance", channel=channel, to="governance")
    assert f"{RECOVERY.label} (not yet)" in again.reply.text

    fixed = await record(people.staff, channel, RECOVERY.key, {"result": "pass", "note": f"Fixed: {EVIDENCE}"})
    assert "QA: 12/12 passing" in fixed.reply.text
    moved = await people.staff.run("bounty advance", channel=channel, to="governance", reason="QA complete")
    assert moved.reply.text == "Bounty #1 is now **governance**.", moved.reply.text
    assert not [e for e in await audit.for_bounty(gh_bot.db.conn, 1) if e.action == "qa_gate_overridden"]
    status = await people.exchange.run("bounty status", channel=channel)
    assert "QA: **12/12** passing" in status.reply.text and "Failing" not in status.reply.text


async def test_staff_can_override_the_gate_with_a_reason_audited_and_told(
    gh_bot: BountyBot, sandbox: DiscordSandbox, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await in_testing(gh_bot, people, dev, clock)
    await pass_qa(gh_bot, people, but=RECOVERY.key)
    await gh_bot.services.qa.record(Actor(people.staff.id, is_staff=True), 1, PRODUCTION.key, "not_yet", "")
    short = await people.staff.run("bounty advance", channel=channel, to="governance", reason="trust", override=True)
    assert "an override of the QA gate needs a reason of at least 20 characters" in short.reply.text
    wrong = await people.staff.run(
        "bounty advance", channel=channel, to="development", reason="back to the developer", override=True
    )
    assert "Override: it only lifts the QA gate between testing and governance" in wrong.reply.text
    lead = await people.exchange.run(
        "bounty advance", channel=channel, to="governance", reason="we need it live now please", override=True
    )
    assert lead.reply.text.startswith("Only Foundation staff can")
    assert (await bounties.get(gh_bot.db.conn, 1)).state is State.TESTING  # type: ignore[union-attr]

    reason = "The recovery fix is merged upstream; the vote may start meanwhile"
    done = await people.staff.run("bounty advance", channel=channel, to="governance", reason=reason, override=True)
    assert done.reply.text.startswith("Bounty #1 is now **governance**. QA gate overridden with 2 item(s)")
    assert f"{RECOVERY.label} (fail), {PRODUCTION.label} (not yet)" in done.reply.text
    [row] = [e for e in await audit.for_bounty(gh_bot.db.conn, 1) if e.action == "qa_gate_overridden"]
    assert row.actor_id == people.staff.id and row.detail["reason"] == reason
    assert row.detail["not_passing"] == {RECOVERY.key: "fail", PRODUCTION.key: "not_yet"}
    await settle(gh_bot, clock)
    [told] = said(sandbox, channel, "Bounty #1 Backpack: QA gate overridden")
    assert f"{people.staff.mention} moved the bounty to governance with 2 QA item(s) not passing" in told
    assert reason in told
    assert said(sandbox, "staff-alerts", "Bounty #1 Backpack: QA gate overridden")


async def test_a_merged_pull_request_waits_for_qa_too(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    channel = await in_testing(gh_bot, people, dev, clock)
    client, base = gh_bot.github_client, gh_bot.config.github.api_base_url
    assert client is not None
    await gh_bot.github_events.poll_once(client, base)
    clock.advance(60)
    pr = github.add_pull_request("Backpack connector", f"Implements {github.issues[1]['html_url']}", author="dana-dev")
    clock.advance(60)
    github.merge(pr["number"])
    await gh_bot.github_events.poll_once(client, base)
    assert (await bounties.get(gh_bot.db.conn, 1)).state is State.TESTING  # type: ignore[union-attr]
    await settle(gh_bot, clock)
    [held] = said(sandbox, "staff-alerts", f"Bounty #1 Backpack: pull request #{pr['number']} merged, QA not complete")
    assert "12 QA item(s) not passing" in held
    await gh_bot.github_events.poll_once(client, base)  # seen again: acted on once
    await settle(gh_bot, clock)
    assert len(said(sandbox, "staff-alerts", "Bounty #1 Backpack: pull request")) == 1
    await pass_qa(gh_bot, people)
    moved = await people.staff.run("bounty advance", channel=channel, to="governance")
    assert "is now **governance**" in moved.reply.text


# --- hostile notes --------------------------------------------------------------------------------------------


async def test_hostile_notes_are_inert_in_discord_and_on_github(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    channel = await in_testing(gh_bot, people, dev, clock)
    staff = Actor(people.staff.id, is_staff=True)
    kept = 0
    for name, text in HOSTILE.items():
        try:
            await gh_bot.services.qa.record(staff, 1, FUNCTIONAL.key, "fail", text)
        except InvalidInput as exc:
            # Links to .example hosts are no public site: refused for what they are, not stored.
            assert "Note: the link" in exc.message or "Note: say what failed" in exc.message, (name, exc.message)
            continue
        kept += 1
    assert kept >= len(HOSTILE) - 4
    await settle(gh_bot, clock)
    posted = [m for m in sandbox.state.messages[str(channel)] if Reply(m).text.startswith("QA ❌")]
    assert len(posted) == kept
    for message in posted:
        assert hostile_live(Reply(message).text) == [], Reply(message).text
        assert message.get("allowed_mentions", {}).get("parse", []) == []
    mirrored = [c for c in comments(github) if "QA: **" in c]
    assert len(mirrored) == kept
    for body in mirrored:
        assert hostile_live(body, github=True) == [], body
    view = await people.staff.run("checklist", channel=channel, checklist="qa")
    assert hostile_live(view.reply.text) == []


# --- the migration --------------------------------------------------------------------------------------------


async def test_qa_ticks_from_before_become_passes_noted_as_such(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "old.db")
    try:
        await db.migrate(target=10)
        async with db.transaction() as tx:
            bounty_id = await bounties.insert(
                tx, guild_id=1, requester_id=7, form=form(1), fee_usd=10_000, now=START, key="x1"
            )
            for n, item in enumerate(ITEMS[:2]):
                await tx.execute(
                    "INSERT INTO checklist_ticks (bounty_id, list, task, ticked_by, ticked_at) "
                    "VALUES (?, 'qa', ?, 5, ?)",
                    (bounty_id, item.key, START + n),
                )
            await tx.execute(
                "INSERT INTO checklist_ticks (bounty_id, list, task, ticked_by, ticked_at) "
                "VALUES (?, 'implementation', 'swap-execution', 6, ?)",
                (bounty_id, START),
            )
        assert 11 in [m.version for m in await db.migrate()]
        latest = await qa.latest(db.conn, bounty_id)
        assert {k: (r.result.value, r.recorded_by, r.recorded_at) for k, r in latest.items()} == {
            ITEMS[0].key: ("pass", 5, START),
            ITEMS[1].key: ("pass", 5, START + 1),
        }
        assert all("before results were recorded with evidence" in r.note for r in latest.values())
        ticks = await db.conn.execute_fetchall("SELECT list, task FROM checklist_ticks")
        assert [tuple(t) for t in ticks] == [("implementation", "swap-execution")]
    finally:
        await db.close()


async def test_the_hostile_corpus_in_a_note_is_refused_or_shown_as_typed(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    """Every string of tests/abuse/corpus.json as a note: one sentence of refusal, or kept and shown inert."""
    channel = await in_testing(gh_bot, people, dev, clock)
    staff = Actor(people.staff.id, is_staff=True)
    fill = {"$VICTIM$": str(people.outsider.id), "$VICTIM_ROLE$": "1", "$GUILD$": str(gh_bot.config.discord.guild_id)}
    kept = 0
    for entry in load_corpus():
        if entry.category not in STRING_CATEGORIES:
            continue
        note = entry.value
        for name, value in fill.items():
            note = note.replace(name, value)
        try:
            await gh_bot.services.qa.record(staff, 1, FUNCTIONAL.key, "fail", note)
        except InvalidInput as exc:
            assert exc.message.startswith("• Note: "), (entry.label(), exc.message)
            continue
        kept += 1
    await settle(gh_bot, clock)
    posted = [m for m in sandbox.state.messages[str(channel)] if Reply(m).text.startswith("QA ❌")]
    assert len(posted) == kept > 100
    for message in posted:
        assert message.get("allowed_mentions", {}).get("parse", []) == []
        shown = message["embeds"][0]["description"].split("\nNote: ", 1)[1]
        assert discord_live(shown) == [], shown
    mirrored = [c["body"] for c in github.comments[1] if "QA: **" in c["body"]]
    assert len(mirrored) == kept
    for body in mirrored:
        quoted = "\n".join(line[2:] for line in body.split("\n") if line.startswith("> "))
        assert github_live(quoted) == [], quoted

"""`bountybot demo` plays the lifecycle so far against the sandbox and exits 0."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.charts.timeline import HEIGHT, WIDTH
from bot.cli import main
from tests.test_timeline import png_size


def test_the_demo_shows_each_participant_what_they_see(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for expected in (
        "Olga (community) sees (only they see it):\n    │ Bounties start in #developer",
        "Bounty #1 for Backpack is started.** Your private channel is #bounty-1-backpack",
        "who can see it: Erin (Backpack): yes, Tom (Backpack): no, Sam (Foundation): yes, Olga (community): no",
        "Welcome, Backpack: connector bounty #1",
        "scheduled event: Intro call: Backpack connector bounty",
        "Bounty #1 is now **awaiting payment**",
        "Tom can see the channel now: yes",
        "attached QR codes: ethereum-usdc.png, ethereum-usdt.png, bsc-usdc.png, bsc-usdt.png, solana-usdc.png",
        "The payment is on Ethereum but not final yet",
        "watcher pass: 1 payment(s) found",
        "Payment received: 10,000 USDC on Ethereum. The fee is paid in full.",
        "issue #1: Bounty - add Backpack connector  https://github.com/hummingbot/hummingbot/issues/1",
        "Bounties Board status: Open",
        "GitHub comment: Bounty status: **funded** → **open**.",
        "GitHub labels now: bounty, new connector, phase: development",
        "Bounties Board status: Assigned",
        "Weekly update time · Backpack connector",
        "GitHub comment: ### Weekly update from dana-dev · 35% complete",
        "Update posted for bounty #1 (60% complete)",
        "Reminder: this week's update",
        "Missed: last week's update",
        "No weekly update: bounty #1 Backpack",
        "Reassign? Bounty #1 Backpack: no activity for 7 days",
        "│ - [x] Market data streaming (order book, trades)",
        "labels: bug, severity: critical",
        "Bug #1 resolved: Orders rejected after reconnect",
        "Implementation: **2/7**",
        "Overrun: bounty #1 Backpack is past its Setup target",
        # Testing & QA: evidence, a failed item opening a critical bug fixed in time, a major bug breaching.
        "Recorded **pass** for **Functional: order lifecycle (create, cancel, fill)** on bounty #1",
        "Bug #2 (Critical) is open",
        "cannot move to governance: 4 of 12 QA items are not passing",
        "Bug #2 is resolved after 10 h",
        "SLA breached: bug #3 (Major) on bounty #1 Backpack",
        "labels of issue #4: bug, severity: major, sla-breached",
        "QA: 12/12 passing",
        "SLA report · bounty #1 Backpack",
        "67% (2 of 3)",
        "attached: sla.png",
        "Bounty #1 is now **governance**.",
        # Governance: the vote tracked on Snapshot, announced to the alerts role and by DM.
        "You now get governance alerts",
        "@governance-alerts\n    │ Discussion open: Backpack connector (bounty #1)",
        "Olga (community) sees in a DM:\n    │ Discussion open: Backpack connector (bounty #1)",
        "Vote open: Backpack connector (bounty #1)",
        "24 hours left to vote: Backpack connector (bounty #1)",
        "Vote passed: Backpack connector (bounty #1)",
        "74.42% For (needs more than 50%) ✅",
        "Bounty #1 Backpack: governance → approved",
        # Release, payout and the maintenance year.
        "New connector: Backpack ships in Hummingbot 2.14.0",
        "shipped in Hummingbot **2.14.0**. It is now **maintenance**",
        "Bounties Board status: Paid",
        "Monthly report: month 1 of the maintenance year: bounty #1 Backpack",
        "Users: 64 (✅ target 50)",
        "Maintenance renewal",
        "Renewal (maintenance year 2) **2,000 USD**",
        "Maintenance renewed: year 2",
        "Delivery guarantee: day 60 of 90 for bounty #2 Kraken",
        "Delivery guarantee: day 80 of 90 for bounty #2 Kraken",
        "Delivery overdue: bounty #2 Kraken",
        "Recorded a refund of **10,000.00 USD** by wire for bounty #2. Everything paid has gone back",
        "Refund sent: bounty #2 Kraken",
        "0 violation(s)",
    ):
        assert expected in out, expected
    # The timeline picture Erin's status carried, kept after the demo for anyone to open.
    picture = Path(out.split("timeline picture: ", 1)[1].split("\n", 1)[0])
    assert picture.name == "timeline.png" and png_size(picture.read_bytes()) == (WIDTH, HEIGHT)
    shutil.rmtree(picture.parent)

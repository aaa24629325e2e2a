"""What the release and the maintenance year tell people: the release announcement (public, and in the bounty
channel), the renewal notices 60 and 30 days before the year ends, a renewal paid, a year renewed, and the end.
Plain data, like every notice; the GitHub comment is plain text for the mirror."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain import github_text
from bot.domain.links import discord_link
from bot.domain.models import Bounty
from bot.domain.notices import Field, Notice, exchange_name, ts
from bot.domain.releases import MaintenanceYear


def day(moment: int) -> str:
    """A date as GitHub readers (any time zone) read it: 2027-11-24 (UTC)."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d")


def _source(url: str | None) -> str:
    return f"\nRelease notes: {discord_link(url)}" if url else ""


def release_announcement(bounty: Bounty, version: str, url: str | None) -> Notice:
    """For the announcements channel: everyone may read it."""
    return Notice(
        title=f"New connector: {exchange_name(bounty)} ships in Hummingbot {version}",
        description=(
            f"The {bounty.form.exchange_type.label} connector for **{exchange_name(bounty)}** "
            f"({', '.join(s.label for s in bounty.form.subtypes)}), built through the Connector Bounty program, "
            f"is in Hummingbot **{version}**." + _source(url)
        ),
        tone="ok",
        footer=f"Connector bounty #{bounty.id}",
    )


def released(bounty: Bounty, version: str, released_at: int, year: MaintenanceYear, url: str | None) -> Notice:
    """For the bounty channel: shipped, and what the maintenance year holds."""
    return Notice(
        title=f"Released: {exchange_name(bounty)} connector in Hummingbot {version}",
        description=f"Shipped {ts(released_at, 'D')}; the maintenance year starts now." + _source(url),
        fields=(
            Field("Maintenance year 1", f"Until {ts(year.ends_at, 'D')} ({ts(year.ends_at)})"),
            Field(
                "During the year",
                "Bug fixes under SLA (`/bug report`), API updates, monthly reports and quarterly reviews.",
            ),
            Field(
                "Renewal",
                "Notices 60 and 30 days before the year ends; the renewal is paid with `/pay` like the fee.",
            ),
        ),
        tone="ok",
        ping_user_ids=(bounty.requester_id,),
    )


def renewal_notice(
    bounty: Bounty, year: MaintenanceYear, days: int, renewal_usd: int, *, for_staff: bool, ping: tuple[int, ...] = ()
) -> Notice:
    """`days` before maintenance year `year` ends, while its renewal is unpaid."""
    ends = f"{ts(year.ends_at, 'D')} ({ts(year.ends_at)})"
    if for_staff:
        return Notice(
            title=f"Renewal due: bounty #{bounty.id} {exchange_name(bounty)}, {days} days left",
            description=(
                f"Maintenance year {year.year} ends {ends}. The renewal of **{renewal_usd:,} USD** for year "
                f"{year.year + 1} is not paid yet; unpaid at the end, the bounty ends."
            ),
            tone="warn" if days <= 30 else "info",
        )
    return Notice(
        title=f"Maintenance renewal: {days} days left",
        description=(
            f"Year {year.year} of maintenance for the {exchange_name(bounty)} connector ends {ends}. "
            f"To keep it maintained for year {year.year + 1}, the renewal is **{renewal_usd:,} USDC/USDT**: "
            "`/pay instructions` shows the amounts and links. Paid before the end, the new year starts when this "
            "one ends; unpaid, maintenance ends then."
        ),
        tone="warn" if days <= 30 else "info",
        ping_user_ids=ping,
    )


def renewal_paid(bounty: Bounty, paid: MaintenanceYear, following: MaintenanceYear) -> Notice:
    """The renewal for the year after `paid` was paid in full."""
    return Notice(
        title=f"Maintenance renewed: year {following.year}",
        description=(
            f"Thank you. Year {following.year} of maintenance for the {exchange_name(bounty)} connector runs from "
            f"{ts(following.starts_at, 'D')} (when year {paid.year} ends) to {ts(following.ends_at, 'D')}."
        ),
        tone="ok",
    )


def paid_too_late(bounty: Bounty, state_label: str) -> Notice:
    """For staff: a renewal settled when the maintenance it would renew had already ended."""
    return Notice(
        title=f"Renewal paid after maintenance ended: bounty #{bounty.id} {exchange_name(bounty)}",
        description=(
            f"The bounty is `{state_label}`: its last maintenance year ended before the renewal was paid, so no "
            "new year was started. Agree with the exchange whether to refund it (`/bounty refund`)."
        ),
        tone="alert",
    )


def year_started_reason(year: MaintenanceYear) -> str:
    return f"Renewed: maintenance year {year.year} runs until {day(year.ends_at)} (UTC)."


def ended_reason(year: MaintenanceYear) -> str:
    return (
        f"Maintenance year {year.year} ended on {day(year.ends_at)} (UTC) and the renewal was not paid: the connector "
        "is no longer maintained under the bounty."
    )


def release_comment(version: str, url: str | None, year: MaintenanceYear) -> str:
    """For the bounty's GitHub issue (the mirror adds the bot's marker)."""
    notes = f" Release notes: {github_text.github_link(url)}" if url else ""
    return (
        f"Released in Hummingbot **{version}**.{notes}\n\n"
        f"Maintenance year {year.year} runs until {day(year.ends_at)} (UTC)."
    )

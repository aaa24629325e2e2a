"""The developer's payout (issue 12): due within 30 days of the merge, recorded once by staff.

Pure rules and what the bot says about them; the service and its reminder timers are in bot/services/payouts.py.

- The clock starts when the bot sees the bounty's pull request merged (bot/services/github_events.py records it
  then). A bounty that reaches `released` with no merge seen (merged by hand, `/bounty advance`) starts it there:
  the release is the latest moment the work was certainly merged.
- Staff are reminded at day 25 (five days left) and at day 30 (due today) if it is still unpaid, once each.
- The payout goes from the Foundation to the developer, outside the bot: it is recorded, never verified on chain
  (the developer's address is not known to the bot, nor the token or amount). What is recorded is the
  transaction that paid it: an EVM transaction hash (Ethereum, BSC and other EVM chains share the shape) or a
  Solana signature, checked for shape. A plain bank reference is not taken: bounty payouts are paid on chain, and
  a transaction is what the developer and the public can look up.
"""

from __future__ import annotations

import re
from enum import StrEnum

from bot.domain.inert import for_discord_code
from bot.domain.lifecycle import State
from bot.domain.models import Bounty
from bot.domain.notices import Notice, exchange_name, ts
from bot.domain.payments import SIGNATURE_BYTES, base58_decode

DAY = 86_400
PAYOUT_DAYS = 30
REMINDER_DAYS = (25, 30)

# Where the merged work can be: from the merge on (testing → governance on a merged pull request). A payout may
# be recorded here, or anywhere once the clock started.
MERGED = frozenset({State.GOVERNANCE, State.APPROVED, State.REJECTED, State.RELEASED, State.MAINTENANCE, State.ENDED})
# The clock does not start, and reminders stay quiet, for a bounty that stopped.
STOPPED = frozenset({State.CANCELLED, State.REFUNDED})

_EVM_TX = re.compile(r"0x[0-9a-fA-F]{64}")


class Network(StrEnum):
    EVM = "evm"
    SOLANA = "solana"

    @property
    def label(self) -> str:
        return "EVM transaction" if self is Network.EVM else "Solana transaction"


def due_at(started_at: int) -> int:
    return started_at + PAYOUT_DAYS * DAY


def reminder_at(started_at: int, day: int) -> int:
    return started_at + day * DAY


def parse_tx(text: str) -> tuple[Network, str] | str:
    """(network, the transaction as compared) for a payout's transaction, or the sentence saying what is wrong."""
    tx = text.strip()
    if _EVM_TX.fullmatch(tx):
        return Network.EVM, tx.lower()
    decoded = base58_decode(tx) if not tx.startswith("0x") else None
    if decoded is not None and len(decoded) == SIGNATURE_BYTES:
        return Network.SOLANA, tx
    return (
        f"{for_discord_code(tx, 90)} is not a transaction: give the payout's EVM transaction hash (0x followed by 64 "
        "hexadecimal characters) or its Solana signature (87–88 base58 characters)."
    )


def may_record(state: State, started: bool) -> str | None:
    """Why a payout cannot be recorded for a bounty in `state`, or None."""
    if state in STOPPED:
        return f"The bounty is `{state.label}`: no developer payout is due."
    if not started and state not in MERGED:
        return (
            f"The bounty is `{state.label}` and its pull request has not been merged: the developer is paid after "
            "the merge."
        )
    return None


def _developer(login: str | None) -> str:
    return f"developer {for_discord_code(login)}" if login else "the developer"


def reminder(bounty: Bounty, day: int, started_at: int, started_by: str, login: str | None) -> Notice:
    """Staff's reminder at `day` of the 30."""
    since = "merged" if started_by == "merge" else "released (no merge was seen)"
    due = due_at(started_at)
    if day >= PAYOUT_DAYS:
        title = f"Developer payout due today: bounty #{bounty.id} {exchange_name(bounty)}"
        tone = "alert"
    else:
        title = f"Developer payout due in {PAYOUT_DAYS - day} days: bounty #{bounty.id} {exchange_name(bounty)}"
        tone = "warn"
    return Notice(
        title=title,
        description=f"The work was {since} {ts(started_at, 'D')}; {_developer(login)} is to be paid within "
        f"{PAYOUT_DAYS} days, by {ts(due, 'D')} ({ts(due)}). Once paid, record it with `/bounty payout record`.",
        tone=tone,
    )


def recorded(bounty: Bounty, network: Network, tx: str, actor_id: int, login: str | None, *, late: bool) -> Notice:
    when = " (after the 30 days)" if late else ""
    return Notice(
        title=f"Developer paid: bounty #{bounty.id} {exchange_name(bounty)}",
        description=f"The payout to {_developer(login)} was recorded by <@{actor_id}>{when}: {network.label} "
        f"{for_discord_code(tx)}. The Bounties Board shows it Paid.",
        tone="ok",
    )


def already(bounty_id: int, tx: str) -> str:
    return f"Bounty #{bounty_id}'s developer payout was already recorded ({for_discord_code(tx)}); it is recorded once."

"""`bountybot verify-payment`: the bot's own verifier, from a terminal, against the configured RPC URLs.

Exit code 0: paid. 1: not paid (the reason says why). 2: could not tell (RPC unreachable or inconsistent,
or the input itself was malformed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.config import Config
from bot.domain.payments import (
    Chain,
    Expectation,
    Reason,
    evm_address_problem,
    show,
    solana_address_problem,
    tx_problem,
)
from bot.services.verification import ChainClients, Verifier

COULD_NOT_TELL = frozenset({Reason.RPC_UNAVAILABLE, Reason.INCONSISTENT})


@dataclass(frozen=True)
class CliVerdict:
    ok: bool
    reason: str
    message: str
    amount_base_units: int
    token: str | None
    sender: str | None
    recipient: str | None
    final: bool
    exit_code: int

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "reason": self.reason,
            "message": self.message,
            "amount_base_units": str(self.amount_base_units),
            "token": self.token,
            "from": self.sender,
            "to": self.recipient,
            "final": self.final,
        }


def _invalid(message: str) -> CliVerdict:
    return CliVerdict(False, "invalid_input", message, 0, None, None, None, False, 2)


async def verify_payment(
    config: Config, chain: Chain, tx: str, *, sender: str | None, reference: str | None, amount_usd: int | None
) -> CliVerdict:
    if problem := tx_problem(chain, tx):
        return _invalid(problem)
    if sender and (problem := evm_address_problem(sender) if chain.is_evm else solana_address_problem(sender)):
        return _invalid(problem)
    if reference and (problem := solana_address_problem(reference)):
        return _invalid(f"reference: {problem}")
    required_usd = amount_usd if amount_usd is not None else config.fees.default_usd
    clients = ChainClients.from_config(config)
    try:
        verifier = Verifier(config, clients)
        base = verifier.expectation(chain, sender=sender, reference=reference)
        expect = Expectation(base.tokens, base.receiver, sender, reference, any_sender=sender is None and not reference)
        verdict = await verifier.check(chain, tx.lower() if chain.is_evm else tx, expect)
    finally:
        await clients.close()
    if not verdict.matches:
        code = 2 if verdict.reason in COULD_NOT_TELL else 1
        return CliVerdict(False, verdict.reason.value, verdict.message, 0, None, None, None, verdict.final, code)
    first = verdict.matches[0]
    amount = verdict.amount
    required = required_usd * 10**first.token.decimals
    if amount < required:
        reason, ok = "partial", False
        message = (
            f"Received {show(amount, first.token.decimals)} {first.token.symbol}; "
            f"{show(required - amount, first.token.decimals)} short of {required_usd:,}."
        )
    else:
        reason, ok = ("overpaid" if amount > required else "paid"), True
        message = f"Received {show(amount, first.token.decimals)} {first.token.symbol}."
    return CliVerdict(
        ok, reason, message, amount, first.token.address, first.sender, first.recipient, True, 0 if ok else 1
    )


def render(verdict: CliVerdict, as_json: bool) -> str:
    if as_json:
        return json.dumps(verdict.as_json(), sort_keys=True)
    status = "PAID" if verdict.ok else ("COULD NOT TELL" if verdict.exit_code == 2 else "NOT PAID")
    return f"{status} ({verdict.reason}): {verdict.message}"

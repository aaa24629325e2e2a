"""Payment truth (DESIGN.md §6), as pure rules over facts read from a chain.

Amounts are integers in the token's base units, always; decimals only matter when showing them. A
transfer counts only when it succeeded, is final, moved the configured token (by contract address or
mint, never by symbol), went to the receiving address, and came from the registered wallet (or, on
Solana, carries the bounty's reference key). Whether it was counted before is the ledger's question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
TOKEN_PROGRAMS = frozenset(
    {
        "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",  # SPL Token
        "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb",  # Token-2022
    }
)

_EVM_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_EVM_TX = re.compile(r"^0x[0-9a-fA-F]{64}$")
_BASE58 = re.compile(r"^[1-9A-HJ-NP-Za-km-z]+$")


class Chain(StrEnum):
    ETHEREUM = "ethereum"
    BSC = "bsc"
    SOLANA = "solana"

    @property
    def is_evm(self) -> bool:
        return self is not Chain.SOLANA

    @property
    def label(self) -> str:
        return {"ethereum": "Ethereum", "bsc": "BSC", "solana": "Solana"}[self.value]


class Reason(StrEnum):
    """Stable machine-readable verdicts (the `--json` reason codes)."""

    PAID = "paid"  # this transaction completes the fee
    PARTIAL = "partial"  # counted; more is still owed
    OVERPAID = "overpaid"  # counted; more than owed, flagged for a refund
    NOT_FOUND = "not_found"
    FAILED = "failed"
    NOT_FINAL = "not_final"
    WRONG_TOKEN = "wrong_token"
    WRONG_RECIPIENT = "wrong_recipient"
    WRONG_SENDER = "wrong_sender"
    NO_TRANSFER = "no_transfer"
    ALREADY_COUNTED = "already_counted"
    RPC_UNAVAILABLE = "rpc_unavailable"
    INCONSISTENT = "inconsistent"


@dataclass(frozen=True)
class Token:
    symbol: str
    address: str  # EVM contract (checksummed) or Solana mint
    decimals: int


@dataclass(frozen=True)
class Transfer:
    """One movement of a token, as the chain reports it."""

    token: str  # contract address (EVM, lowercase) or mint (Solana)
    sender: str  # the payer: EVM `from` topic, Solana owner of the debited token account
    recipient: str  # EVM `to` topic, Solana owner of the credited token account
    amount: int  # base units
    index: int  # EVM log index, Solana account index of the credited token account


@dataclass(frozen=True)
class TxFacts:
    """What a chain says about one transaction, already read by the adapter."""

    chain: Chain
    tx: str
    found: bool
    succeeded: bool | None = None  # None: the chain gave no success status at all
    final: bool = False
    blocks_to_finality: int | None = None
    transfers: tuple[Transfer, ...] = ()
    account_keys: tuple[str, ...] = ()  # Solana: every key in the transaction (for Solana Pay references)


@dataclass(frozen=True)
class Expectation:
    """What would make a transaction count for one bounty."""

    tokens: tuple[Token, ...]
    receiver: str
    sender: str | None  # the registered wallet, if any
    reference: str | None = None  # Solana Pay reference key
    any_sender: bool = False  # a staff check of one transaction, whoever paid


@dataclass(frozen=True)
class Match:
    """A transfer that counts, with the key that makes it countable once."""

    key: str
    token: Token
    amount: int
    sender: str
    recipient: str


@dataclass(frozen=True)
class Verdict:
    reason: Reason
    message: str
    matches: tuple[Match, ...] = field(default_factory=tuple)
    final: bool = False

    @property
    def amount(self) -> int:
        return sum(m.amount for m in self.matches)


def same(a: str, b: str, chain: Chain) -> bool:
    return a.lower() == b.lower() if chain.is_evm else a == b


def payment_key(chain: Chain, tx: str, index: int) -> str:
    """The unique key under which a transfer is counted: `chain:tx:log-index`."""
    return f"{chain.value}:{tx.lower() if chain.is_evm else tx}:{index}"


def to_base_units(usd: int, decimals: int) -> int:
    return usd * 10**decimals


def show(amount: int, decimals: int) -> str:
    """Base units as an exact decimal string: 10000000000 with 6 decimals is '10,000'."""
    value = Decimal(amount).scaleb(-decimals)
    text = f"{value:,.{decimals}f}".rstrip("0").rstrip(".")
    return text


def evaluate(facts: TxFacts, expect: Expectation, *, seconds_per_block: float = 12.0) -> Verdict:
    """Which transfers in `facts` count for `expect`, or the one precise reason none do."""
    chain, tx = facts.chain, facts.tx
    if not facts.found:
        return Verdict(
            Reason.NOT_FOUND,
            f"Transaction `{tx}` is not on {chain.label} yet (or not at all); "
            "check the hash and the chain, or wait a minute and try again.",
        )
    if facts.succeeded is None:
        return Verdict(Reason.FAILED, f"Transaction `{tx}` has no success status, so it cannot count as a payment.")
    if not facts.succeeded:
        return Verdict(Reason.FAILED, f"Transaction `{tx}` failed (reverted); no tokens moved.")
    by_address = {t.address.lower() if chain.is_evm else t.address: t for t in expect.tokens}

    def token_of(transfer: Transfer) -> Token | None:
        return by_address.get(transfer.token.lower() if chain.is_evm else transfer.token)

    to_us = [t for t in facts.transfers if same(t.recipient, expect.receiver, chain)]
    ours = [t for t in to_us if token_of(t) is not None and t.amount > 0]
    if not ours:
        if to_us:
            seen = ", ".join(sorted({f"`{t.token}`" for t in to_us}))
            allowed = ", ".join(f"{t.symbol} `{t.address}`" for t in expect.tokens)
            return Verdict(
                Reason.WRONG_TOKEN,
                f"The transfer to the Foundation moved the token at {seen}, which is "
                f"not an accepted token on {chain.label} ({allowed}). A token with the same name at another "
                "address is not USDC or USDT.",
            )
        if any(token_of(t) for t in facts.transfers):
            where = ", ".join(sorted({f"`{t.recipient}`" for t in facts.transfers if token_of(t)}))
            return Verdict(
                Reason.WRONG_RECIPIENT,
                f"The tokens went to {where}, not to the Foundation's {chain.label} address `{expect.receiver}`.",
            )
        return Verdict(Reason.NO_TRANSFER, f"Transaction `{tx}` moved no USDC or USDT.")
    if expect.any_sender or (expect.reference is not None and expect.reference in facts.account_keys):
        accepted = ours  # a staff check, or a Solana Pay transfer carrying this bounty's own reference key
    elif expect.sender is not None:
        accepted = [t for t in ours if same(t.sender, expect.sender, chain)]
        if not accepted:
            senders = ", ".join(sorted({f"`{t.sender}`" for t in ours}))
            return Verdict(
                Reason.WRONG_SENDER,
                f"The payment came from {senders}, not from the registered wallet "
                f"`{expect.sender}`. Register the wallet you pay from with `/pay wallet`.",
            )
    else:
        return Verdict(
            Reason.WRONG_SENDER,
            "No wallet is registered for this chain: register the wallet you pay "
            "from with `/pay wallet`, then submit again.",
        )
    if not facts.final:
        eta = ""
        if facts.blocks_to_finality is not None:
            minutes = max(1, round(facts.blocks_to_finality * seconds_per_block / 60))
            eta = f" in about {minutes} minute{'s' if minutes != 1 else ''}"
        return Verdict(
            Reason.NOT_FINAL,
            f"The payment is on {chain.label} but not final yet; it will be{eta}. "
            "The bot will confirm it by itself once it is.",
        )
    matches = []
    for t in accepted:
        token = token_of(t)
        assert token is not None
        matches.append(Match(payment_key(chain, tx, t.index), token, t.amount, t.sender, t.recipient))
    return Verdict(Reason.PAID, "ok", tuple(matches), final=True)


NORMAL_DECIMALS = 18  # every amount is compared after exact scaling to 18 decimals


def normalized(amount: int, decimals: int) -> int:
    """Base units scaled to 18 decimals, exactly (decimals are at most 18, enforced by the configuration)."""
    return amount * 10 ** (NORMAL_DECIMALS - decimals)


def show_usd(amount: int) -> str:
    """An 18-decimal USD amount, exact, with cents always shown: 10,000.00, 9,999.99999999."""
    text = show(amount, NORMAL_DECIMALS)
    whole, _, cents = text.partition(".")
    return f"{whole}.{cents.ljust(2, '0')}"


def settle(matches: tuple[Match, ...], owed_before: int) -> Verdict:
    """Paid, partial or overpaid: what counted `matches` do to a debt of `owed_before` (18-decimal units)."""
    received = sum(normalized(m.amount, m.token.decimals) for m in matches)
    decimals = matches[0].token.decimals
    text = f"Received {show(sum(m.amount for m in matches), decimals)}"
    if received < owed_before:
        return Verdict(
            Reason.PARTIAL,
            f"{text}; {show(owed_before - received, NORMAL_DECIMALS)} is still owed.",
            matches,
            final=True,
        )
    if received > owed_before:
        extra = show(received - owed_before, NORMAL_DECIMALS)
        return Verdict(
            Reason.OVERPAID,
            f"{text}: the fee is paid, and {extra} more than owed; staff will refund the difference.",
            matches,
            final=True,
        )
    return Verdict(Reason.PAID, f"{text}: the fee is paid in full.", matches, final=True)


# --- input validation ---------------------------------------------------------------------------


def evm_address_problem(value: str) -> str | None:
    from eth_utils import is_checksum_address

    if not _EVM_ADDRESS.match(value):
        return f"`{value[:50]}` is not an address: it must be 0x followed by 40 hexadecimal characters."
    body = value[2:]
    if body != body.lower() and body != body.upper() and not is_checksum_address(value):
        return (
            f"`{value}` fails its EIP-55 checksum (a letter's case is wrong, often a typo); copy the address "
            "again from your wallet."
        )
    return None


def checksum(value: str) -> str:
    from eth_utils import to_checksum_address

    return str(to_checksum_address(value))


def solana_address_problem(value: str) -> str | None:
    if not _BASE58.match(value or ""):
        return f"`{value[:50]}` is not a Solana address: use base58 characters only (no 0, O, I or l)."
    from solders.pubkey import Pubkey

    try:
        Pubkey.from_string(value)
    except ValueError:
        return f"`{value[:50]}` is not a Solana address: it must decode to exactly 32 bytes."
    return None


def tx_problem(chain: Chain, tx: str) -> str | None:
    if chain.is_evm:
        if not _EVM_TX.match(tx):
            return f"`{tx[:80]}` is not a {chain.label} transaction hash: 0x followed by 64 hexadecimal characters."
        return None
    if not _BASE58.match(tx or "") or not 80 <= len(tx) <= 90:
        return f"`{tx[:90]}` is not a Solana transaction signature (87–88 base58 characters)."
    return None

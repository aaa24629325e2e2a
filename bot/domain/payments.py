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

from bot.domain.inert import for_discord_code

TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
TOKEN_PROGRAMS = frozenset(
    {
        "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",  # SPL Token
        "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb",  # Token-2022
    }
)

_EVM_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_EVM_TX = re.compile(r"^0x[0-9a-fA-F]{64}$")


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
    references: tuple[str, ...] = ()  # the bounty's other Solana Pay references (one per due): any identifies it


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
    """Which transfers in `facts` count for `expect`, or the one precise reason none do. (What the chain
    reported is quoted as inert code: an RPC answer is not trusted to be free of markup either.)"""
    chain, tx = facts.chain, facts.tx
    if not facts.found:
        return Verdict(
            Reason.NOT_FOUND,
            f"Transaction {for_discord_code(tx)} is not on {chain.label} yet (or not at all); "
            "check the hash and the chain, or wait a minute and try again.",
        )
    if facts.succeeded is None:
        return Verdict(
            Reason.FAILED, f"Transaction {for_discord_code(tx)} has no success status, so it cannot count as a payment."
        )
    if not facts.succeeded:
        return Verdict(Reason.FAILED, f"Transaction {for_discord_code(tx)} failed (reverted); no tokens moved.")
    by_address = {t.address.lower() if chain.is_evm else t.address: t for t in expect.tokens}

    def token_of(transfer: Transfer) -> Token | None:
        return by_address.get(transfer.token.lower() if chain.is_evm else transfer.token)

    to_us = [t for t in facts.transfers if same(t.recipient, expect.receiver, chain)]
    ours = [t for t in to_us if token_of(t) is not None and t.amount > 0]
    if not ours:
        if to_us:
            seen = ", ".join(sorted({for_discord_code(t.token) for t in to_us}))
            allowed = ", ".join(f"{t.symbol} `{t.address}`" for t in expect.tokens)
            return Verdict(
                Reason.WRONG_TOKEN,
                f"The transfer to the Foundation moved the token at {seen}, which is "
                f"not an accepted token on {chain.label} ({allowed}). A token with the same name at another "
                "address is not USDC or USDT.",
            )
        if any(token_of(t) for t in facts.transfers):
            where = ", ".join(sorted({for_discord_code(t.recipient) for t in facts.transfers if token_of(t)}))
            return Verdict(
                Reason.WRONG_RECIPIENT,
                f"The tokens went to {where}, not to the Foundation's {chain.label} address `{expect.receiver}`.",
            )
        return Verdict(Reason.NO_TRANSFER, f"Transaction {for_discord_code(tx)} moved no USDC or USDT.")
    keys = set(facts.account_keys)
    carried = any(r in keys for r in (expect.reference, *expect.references) if r is not None)
    if expect.any_sender or carried:
        accepted = ours  # a staff check, or a Solana Pay transfer carrying this bounty's own reference key
    elif expect.sender is not None:
        accepted = [t for t in ours if same(t.sender, expect.sender, chain)]
        if not accepted:
            senders = ", ".join(sorted({for_discord_code(t.sender) for t in ours}))
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
# Everything here judges what a person typed, so each problem is one sentence that quotes the value safely
# (inert inline code) and says how to fix it.

_BASE58_VALUE = {c: i for i, c in enumerate("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")}
SIGNATURE_BYTES = 64
PUBKEY_BYTES = 32


def base58_decode(value: str) -> bytes | None:
    """The bytes `value` spells in base58 (Bitcoin's alphabet, which Solana uses), or None when it is not
    base58. Pure, so that checking a signature's shape needs neither solders nor the event loop's time to
    import it; bounded, because a base58 number's cost grows with the square of its length."""
    if not value or len(value) > 128 or any(c not in _BASE58_VALUE for c in value):
        return None
    number = 0
    for c in value:
        number = number * 58 + _BASE58_VALUE[c]
    zeros = len(value) - len(value.lstrip("1"))  # each leading "1" is a leading zero byte
    return b"\0" * zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")


def evm_address_problem(value: str) -> str | None:
    from eth_utils import is_checksum_address

    if not _EVM_ADDRESS.fullmatch(value):
        return f"{for_discord_code(value, 60)} is not an address: it must be 0x followed by 40 hexadecimal characters."
    body = value[2:]
    if body != body.lower() and body != body.upper() and not is_checksum_address(value):
        return (
            f"{for_discord_code(value)} fails its EIP-55 checksum (a letter's case is wrong, often a typo); copy "
            "the address again from your wallet."
        )
    return None


def checksum(value: str) -> str:
    from eth_utils import to_checksum_address

    return str(to_checksum_address(value))


def solana_address_problem(value: str) -> str | None:
    shown = for_discord_code(value, 60)
    decoded = base58_decode(value)
    if decoded is None:
        return f"{shown} is not a Solana address: use base58 characters only (no 0, O, I or l)."
    if len(decoded) != PUBKEY_BYTES:
        return f"{shown} is not a Solana address: it must decode to exactly {PUBKEY_BYTES} bytes."
    return None


def tx_problem(chain: Chain, tx: str) -> str | None:
    """Why `tx` cannot be a transaction of `chain` (checked before any RPC is asked), or None."""
    if chain.is_evm:
        if not _EVM_TX.fullmatch(tx):
            return (
                f"{for_discord_code(tx, 90)} is not an {chain.label} transaction hash: 0x followed by 64 "
                "hexadecimal characters."
            )
        return None
    decoded = base58_decode(tx)
    if decoded is None or len(decoded) != SIGNATURE_BYTES:
        why = "use base58 characters only (no 0, O, I or l)" if decoded is None else "it must decode to 64 bytes"
        return (
            f"{for_discord_code(tx, 90)} is not a Solana transaction signature ({why}); copy the signature "
            "(87–88 characters) from your wallet or an explorer."
        )
    return None


def split_payment_key(key: str) -> tuple[str, str, str]:
    """(chain, tx, index) of a :func:`payment_key`. Split from both ends: an escrow key's middle is the
    wire's reference, which may itself hold `:`."""
    chain, rest = key.split(":", 1)
    tx, index = rest.rsplit(":", 1)
    return chain, tx, index


# A wire's reference as banks write it (SWIFT's field 20 allows letters, digits and / - ? : ( ) . , ' +):
# no spaces, no markup, nothing that could be a link or a mention.
_WIRE_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9/\-?:().,'+_#]*")
WIRE_REFERENCE_LENGTH = (3, 64)


def wire_reference_problem(reference: str) -> str | None:
    low, high = WIRE_REFERENCE_LENGTH
    if not low <= len(reference) <= high or not _WIRE_REFERENCE.fullmatch(reference):
        return (
            f"{for_discord_code(reference, 60)} is not a wire reference: give it as the bank shows it, "
            f"{low}–{high} letters, digits and / - ? : ( ) . , ' + _ # without spaces."
        )
    return None


# An amount typed in digits: optional thousands separators (`10,000`) and a decimal point. No sign, no
# exponent, no NaN or infinity, no digits of other scripts: `Decimal` would take all of those.
_AMOUNT = re.compile(r"(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<fraction>[0-9]+))?")
MAX_AMOUNT_TEXT = 40


def parse_amount(text: str, *, decimals: int, maximum: int, unit: str) -> tuple[int | None, str | None]:
    """(`text` in base units of `decimals`, None), or (None, the one sentence that says what is wrong).

    `maximum` is in whole units: an amount above it is refused as a typo rather than recorded.
    """
    text = text.strip()
    shown = for_discord_code(text, 30)
    example = "like 10000 or 10,000.50" if decimals >= 2 else "like 10000"
    match = _AMOUNT.fullmatch(text) if len(text) <= MAX_AMOUNT_TEXT else None
    if match is None:
        return None, f"{shown} is not an amount: write it in digits, {example} (no sign, letters or exponent)."
    fraction = match["fraction"] or ""
    if len(fraction) > decimals:
        return None, f"{shown} has more than {decimals} decimals; {unit} amounts go to {decimals} decimals."
    whole = int(match["whole"].replace(",", ""))
    units = whole * 10**decimals + int(fraction.ljust(decimals, "0") or "0")
    if units <= 0:
        return None, f"{shown} is nothing; give the amount received, {example}."
    if units > maximum * 10**decimals:
        return None, f"{shown} is more than {maximum:,} {unit}, more than any payment here; check the amount."
    return units, None

"""Typed numbers, references, hashes and signatures: parsed with explicit bounds, each problem one sentence."""

from __future__ import annotations

import pytest

from bot.domain.payments import (
    Chain,
    base58_decode,
    parse_amount,
    payment_key,
    solana_address_problem,
    split_payment_key,
    tx_problem,
    wire_reference_problem,
)
from bot.domain.updates import validate
from tests.inert_helpers import hostile_live

SIGNATURE = "5VERv8NMvzbJMEkV8xnrLkEaWRtSz9CosKDYjCJjBRnbJLgp8uirBgmQpjKhoR4tjF3ZpRzrFmBV6UjKdiSZkQUW"


def usd(text: str) -> tuple[int | None, str | None]:
    return parse_amount(text, decimals=2, maximum=1_000_000, unit="USD")


@pytest.mark.parametrize(
    ("text", "cents"),
    [("10000", 1_000_000), ("10,000", 1_000_000), ("10000.5", 1_000_050), ("1,000,000.00", 100_000_000), (" 7 ", 700)],
)
def test_amounts_in_digits_are_read_exactly(text: str, cents: int) -> None:
    assert usd(text) == (cents, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NaN", "is not an amount"),
        ("nan", "is not an amount"),
        ("Infinity", "is not an amount"),
        ("-Infinity", "is not an amount"),
        ("1e309", "is not an amount"),
        ("1E3", "is not an amount"),
        ("-5", "is not an amount"),
        ("+5", "is not an amount"),
        ("0x10", "is not an amount"),
        ("ten", "is not an amount"),
        ("", "is not an amount"),
        ("1,00", "is not an amount"),
        ("10,0000", "is not an amount"),
        ("1_000", "is not an amount"),
        ("\u0661\u0660\u0660", "is not an amount"),  # Arabic-Indic digits: Decimal and int would read them
        ("10.", "is not an amount"),
        ("9" * 41, "is not an amount"),
        ("0", "is nothing"),
        ("0.00", "is nothing"),
        ("10000.505", "has more than 2 decimals"),
        ("9" * 30, "is more than 1,000,000 USD"),
        ("1000000.01", "is more than 1,000,000 USD"),
    ],
)
def test_amounts_that_are_not_plain_digits_are_refused(text: str, expected: str) -> None:
    value, problem = usd(text)
    assert value is None and problem is not None and expected in problem, problem


def test_base58_decodes_exactly() -> None:
    assert base58_decode("1") == b"\0"
    assert base58_decode("11") == b"\0\0"
    assert base58_decode("2") == b"\1"
    assert base58_decode("5Q") == b"\xff" and base58_decode("5R") == b"\1\0"
    # The same bytes as solders, for real keys and signatures.
    from solders.keypair import Keypair

    for _ in range(20):
        key = Keypair()
        signature = key.sign_message(b"bounty")
        assert base58_decode(str(key.pubkey())) == bytes(key.pubkey())
        assert base58_decode(str(signature)) == bytes(signature)
    assert base58_decode(SIGNATURE) is not None and len(base58_decode(SIGNATURE) or b"") == 64
    for bad in ("", "0", "O", "I", "l", "abc+", "x" * 129):
        assert base58_decode(bad) is None


@pytest.mark.parametrize(
    ("tx", "expected"),
    [
        ("z" * 88, "it must decode to 64 bytes"),  # base58 and 88 long, but 65 bytes: what used to reach the RPC
        ("1" * 88, "it must decode to 64 bytes"),
        ("z" * 40, "it must decode to 64 bytes"),
        (SIGNATURE[:-1] + "0", "base58 characters only"),
        ("0x" + "ab" * 32, "base58 characters only"),
        ("[x](https://evil.example)", "base58 characters only"),
    ],
)
def test_a_malformed_solana_signature_is_explained_before_any_rpc(tx: str, expected: str) -> None:
    problem = tx_problem(Chain.SOLANA, tx)
    assert problem is not None and expected in problem and "is not a Solana transaction signature" in problem
    assert hostile_live(problem) == []


def test_a_real_signature_shape_passes() -> None:
    assert tx_problem(Chain.SOLANA, SIGNATURE) is None
    assert tx_problem(Chain.SOLANA, "z" * 87) is None  # the largest 87-character value still fits 64 bytes


@pytest.mark.parametrize("tx", ["0x" + "ab" * 32 + "\n", "0x" + "AB" * 31, "ab" * 32, "0x" + "gg" * 32])
def test_a_malformed_evm_hash_is_explained(tx: str) -> None:
    problem = tx_problem(Chain.ETHEREUM, tx)
    assert problem is not None and "is not an Ethereum transaction hash" in problem


def test_solana_addresses_decode_to_32_bytes() -> None:
    assert solana_address_problem("5bhQNYaDEwEqjcjsuRJRuGyqbchzcDtYK49e593Wuc8i") is None
    assert "exactly 32 bytes" in (solana_address_problem("5bhQNYaDEwEqjcjsuRJRuGyqbchzcDtYK49e593Wu") or "")
    assert "exactly 32 bytes" in (solana_address_problem("5bhQNYaDEwEqjcjsuRJRuGyqbchzcDtYK49e593Wuc8iz") or "")
    assert "base58 characters only" in (solana_address_problem("0" * 44) or "")


@pytest.mark.parametrize("reference", ["WIRE-1", "REF:2026:11/7", "FT24(0001).A+B,C'D", "abc"])
def test_wire_references_as_banks_write_them(reference: str) -> None:
    assert wire_reference_problem(reference) is None


@pytest.mark.parametrize(
    "reference",
    [
        "[https://good.example](https://evil.example)",
        "<:pepe:123456789012345678>",
        "<@&123456789012345678>",
        "@everyone",
        "WIRE 1",
        "ab",
        "x" * 65,
        "WIRE\u200b1",
        "`x`",
        "-WIRE",
    ],
)
def test_references_that_are_not_wire_references_are_refused(reference: str) -> None:
    problem = wire_reference_problem(reference)
    assert problem is not None and "is not a wire reference" in problem
    assert hostile_live(problem) == []


def test_a_reference_with_colons_keeps_its_payment_key_whole() -> None:
    # The key used to be split on every `:` (`too many values to unpack`): split from both ends instead.
    assert split_payment_key("escrow:REF:2026:11:0") == ("escrow", "REF:2026:11", "0")
    key = payment_key(Chain.SOLANA, SIGNATURE, 3)
    assert split_payment_key(key) == ("solana", SIGNATURE, "3")


@pytest.mark.parametrize("percent", ["\u0664\u0660", "40.5", "-0", "1e2", "101", "NaN", "4 0"])
def test_percent_complete_is_a_whole_number_in_ascii_digits(percent: str) -> None:
    problems, update = validate("done", "next", "", percent)
    assert update is None and problems[0].startswith("Percent complete: a whole number from 0 to 100")


def test_percent_complete_accepts_what_people_type() -> None:
    for typed, share in (("40", 40), (" 40 % ", 40), ("0", 0), ("100", 100), ("007", 7)):
        assert validate("done", "next", "", typed)[1].percent == share  # type: ignore[union-attr]

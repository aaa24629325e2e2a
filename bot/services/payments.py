"""Day 5–6: paying the fee. Instructions, the registered wallet, `/pay submit`, escrow, and the ledger.

Every counted transfer is one row under its `chain:tx:log-index` key, recorded in the same change as its
audit row, the state change to `funded` when the fee is complete, the announcements and any refund flag.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from urllib.parse import quote

import aiosqlite

from bot.changes import Change
from bot.domain import notices
from bot.domain.access import Actor
from bot.domain.dues import (
    FEE_PAYABLE,
    RENEWAL_PAYABLE,
    Due,
    DueKind,
    open_dues,
    settled_text,
    shown_due,
    split,
)
from bot.domain.errors import InvalidInput, RuleViolation
from bot.domain.inert import for_discord_code
from bot.domain.lifecycle import Role, State
from bot.domain.models import Bounty
from bot.domain.payments import (
    Chain,
    Match,
    Reason,
    Token,
    Transfer,
    TxFacts,
    Verdict,
    checksum,
    evaluate,
    evm_address_problem,
    normalized,
    parse_amount,
    show,
    show_usd,
    solana_address_problem,
    split_payment_key,
    tx_problem,
    wire_reference_problem,
)
from bot.integrations.rpc import RpcUnavailable
from bot.services import maintenance
from bot.services.bounties import BountyService
from bot.services.context import ServiceContext
from bot.services.lifecycle import still, transition
from bot.services.verification import Verifier
from bot.store import bounties, payments
from bot.store import dues as dues_store
from bot.store.payments import PaymentRow

PAYABLE = FEE_PAYABLE  # where the fee is paid (a renewal: bot/domain/dues.py RENEWAL_PAYABLE)
ESCROW_DECIMALS = 2
# The most one declared wire can be: the fee range tops out at 25,000 and a renewal is 2,000, so anything
# near this is a typo (an extra zero or three), refused rather than recorded and flagged for a refund.
MAX_ESCROW_USD = 1_000_000


@dataclass(frozen=True)
class PayOption:
    chain: Chain
    symbol: str
    token: str
    decimals: int
    amount: int  # base units still owed
    receiver: str
    link: str  # Solana Pay or EIP-681


@dataclass(frozen=True)
class Instructions:
    bounty: Bounty
    owed: int  # 18-decimal USD units
    paid: int
    options: list[PayOption]
    reference: str
    escrow_url: str
    wallets: dict[str, str]
    due: Due | None = None  # the due shown: the oldest open one, else the latest (owing nothing now)
    later: tuple[Due, ...] = ()  # further open dues, paid after it


@dataclass(frozen=True)
class Recorded:
    verdict: Verdict
    bounty: Bounty
    owed: int  # still owed after this payment, 18-decimal USD units
    funded: bool
    renewed: tuple[int, ...] = ()  # maintenance years whose renewal this payment finished


def solana_pay_link(receiver: str, amount: int, decimals: int, mint: str, reference: str, bounty: Bounty) -> str:
    value = show(amount, decimals).replace(",", "")
    label = quote("Hummingbot Foundation")
    message = quote(f"Connector bounty #{bounty.id} {bounty.exchange}")
    return f"solana:{receiver}?amount={value}&spl-token={mint}&reference={reference}&label={label}&message={message}"


def eip681_link(token: str, chain_id: int, receiver: str, amount: int) -> str:
    return f"ethereum:{token}@{chain_id}/transfer?address={receiver}&uint256={amount}"


def new_reference_key() -> str:
    """A fresh Solana Pay reference: a random public key nobody holds the secret of after this returns."""
    from solders.keypair import Keypair

    return str(Keypair().pubkey())


class PaymentService:
    def __init__(self, ctx: ServiceContext, verifier: Verifier, bounty_service: BountyService) -> None:
        self.ctx = ctx
        self.verifier = verifier
        self.bounties = bounty_service

    # --- what is owed ----------------------------------------------------------------------------

    async def owed(self, bounty: Bounty) -> tuple[int, int]:
        """(paid toward the due shown, still owed on every open due), both in 18-decimal USD units."""
        dues = await dues_store.for_bounty(self.ctx.conn, bounty.id)
        due = shown_due(dues, bounty.state)
        return (due.paid if due else 0), sum(d.remaining for d in open_dues(dues, bounty.state))

    async def instructions(self, actor: Actor, bounty_id: int | None, channel_id: int | None) -> Instructions:
        bounty, _ = await self.bounties.visible(actor, bounty_id, channel_id, "pay instructions")
        dues = await dues_store.for_bounty(self.ctx.conn, bounty.id)
        ahead = open_dues(dues, bounty.state)
        due = shown_due(dues, bounty.state)
        assert due is not None  # every bounty has its fee due
        owed = due.remaining if ahead else 0
        reference = due.reference
        if reference is None:
            # In a worker thread: the first use imports solders (~50 ms), longer than the loop may stall.
            key = await asyncio.to_thread(new_reference_key)
            async with self.ctx.changes.begin() as ch:
                reference = await dues_store.set_reference(ch.tx, due.id, key)
        options = []
        for chain in Chain if owed else ():
            cfg = self.verifier.chain_config(chain)
            for token in cfg.tokens:
                # Rounded up: paying the amount shown must always clear the debt.
                unit = normalized(1, token.decimals)
                amount = -(-owed // unit)
                if chain is Chain.SOLANA:
                    link = solana_pay_link(cfg.receiver, amount, token.decimals, token.address, reference, bounty)
                else:
                    assert cfg.chain_id is not None
                    link = eip681_link(token.address, cfg.chain_id, cfg.receiver, amount)
                options.append(
                    PayOption(chain, token.symbol, token.address, token.decimals, amount, cfg.receiver, link)
                )
        return Instructions(
            bounty,
            owed,
            due.paid,
            options,
            reference,
            self.ctx.config.payments.escrow_agreement_url,
            await payments.wallets(self.ctx.conn, bounty.id),
            due,
            tuple(ahead[1:]),
        )

    async def _open_dues(self, conn: aiosqlite.Connection, bounty: Bounty) -> list[Due]:
        return open_dues(await dues_store.for_bounty(conn, bounty.id), bounty.state)

    # --- the exchange's wallet -------------------------------------------------------------------

    async def register_wallet(
        self, actor: Actor, bounty_id: int | None, channel_id: int | None, chain: Chain, address: str
    ) -> tuple[Bounty, str]:
        bounty, _ = await self.bounties.visible(actor, bounty_id, channel_id, "pay wallet")
        address = address.strip()
        problem = evm_address_problem(address) if chain.is_evm else solana_address_problem(address)
        if problem:
            raise InvalidInput([f"Address: {problem}"])
        if chain.is_evm:
            address = checksum(address)
        if not await self._open_dues(self.ctx.conn, bounty):
            raise RuleViolation(f"Bounty #{bounty.id} is `{bounty.state.label}`; no payment is expected now.")
        async with self.ctx.changes.begin() as ch:
            # Inside the change: a payment counted from the old wallet a moment ago locks it, and a bounty funded
            # meanwhile expects no payment.
            current_bounty = await still(ch, bounty, within=PAYABLE | RENEWAL_PAYABLE)
            ahead = await self._open_dues(ch.tx, current_bounty)
            if not ahead:
                raise RuleViolation(f"Bounty #{bounty.id} owes nothing now; no payment is expected.")
            current = (await payments.wallets(ch.tx, bounty.id)).get(chain.value)
            # Locked while a due it paid toward is still open (a renewal a year on may come from another wallet).
            if (
                current
                and current.lower() != address.lower()
                and await payments.wallet_has_paid(ch.tx, bounty.id, chain.value, current, tuple(d.id for d in ahead))
            ):
                raise RuleViolation(
                    f"A payment from `{current}` was already counted, so the {chain.label} wallet can no "
                    "longer change. Ask Foundation staff if you need to pay from another wallet."
                )
            await payments.set_wallet(ch.tx, bounty.id, chain.value, address, actor.user_id, ch.now)
            await ch.audit(
                "wallet_registered",
                actor_id=actor.user_id,
                bounty_id=bounty.id,
                chain=chain.value,
                address=address,
                replaced=current,
            )
        return bounty, address

    # --- verifying and recording -----------------------------------------------------------------

    async def submit(
        self, actor: Actor, bounty_id: int | None, channel_id: int | None, chain: Chain, tx: str
    ) -> Recorded:
        bounty, _ = await self.bounties.visible(actor, bounty_id, channel_id, "pay submit")
        tx = tx.strip()
        if problem := tx_problem(chain, tx):
            raise InvalidInput([f"Transaction: {problem}"])
        if chain.is_evm:
            tx = tx.lower()
        owner = await payments.funding_bounty(self.ctx.conn, chain.value, tx)
        if owner is not None and owner != bounty.id:
            return await self._already(bounty, owner, tx)
        wallet = (await payments.wallets(self.ctx.conn, bounty.id)).get(chain.value)
        # Any of the bounty's Solana Pay references identifies its payment; the payment then settles the oldest
        # open due, whichever due's link it was made from.
        references = await dues_store.references(self.ctx.conn, bounty.id) if chain is Chain.SOLANA else ()
        verdict = await self.verifier.check(
            chain,
            tx,
            self.verifier.expectation(
                chain, sender=wallet, reference=references[-1] if references else None, references=references
            ),
        )
        if verdict.reason is Reason.INCONSISTENT:
            verdict = await self.report_unreadable(bounty, chain, tx, verdict)
        return await self.record(bounty, verdict, source="submit", actor_id=actor.user_id)

    async def report_unreadable(self, bounty: Bounty, chain: Chain, tx: str, verdict: Verdict) -> Verdict:
        """A chain's answer about `tx` did not add up: staff are alerted (once per transaction, through the
        outbox, with the detail), and the verdict the payer sees says so without the technical detail."""
        async with self.ctx.changes.begin() as ch:
            await ch.audit(
                "payment_unreadable",
                actor_id=None,
                bounty_id=bounty.id,
                chain=chain.value,
                tx=tx,
                detail=verdict.message,
            )
            await ch.send(
                f"payment:unreadable:{chain.value}:{tx}",
                "staff.post",
                notice=notices.Notice(
                    title=f"Payment check failed: bounty #{bounty.id} {notices.exchange_name(bounty)}",
                    description=f"{chain.label} answered about transaction {for_discord_code(tx)} in a shape the "
                    f"bot cannot read, so it is not counted: {for_discord_code(verdict.message, 300)}\n"
                    f"Check it with `bountybot verify-payment --chain {chain.value} --tx <hash>`; once the RPC "
                    "answers properly, `/pay submit` or the watcher counts it.",
                    tone="alert",
                ).to_payload(),
            )
        return Verdict(
            Reason.INCONSISTENT,
            f"{chain.label} gave an answer about {for_discord_code(tx)} that does not add up, so it is not "
            "counted yet. Staff have been told and will check it; nothing you sent is lost.",
        )

    async def _already(self, bounty: Bounty, owner: int, tx: str) -> Recorded:
        _, owed = await self.owed(bounty)
        verdict = Verdict(
            Reason.ALREADY_COUNTED,
            f"Transaction {for_discord_code(tx)} was already counted for bounty #{owner}; a transaction can fund "
            "one bounty only.",
        )
        return Recorded(verdict, bounty, owed, False)

    async def record(self, bounty: Bounty, verdict: Verdict, *, source: str, actor_id: int | None) -> Recorded:
        """Count the matching transfers of `verdict` for `bounty`, in one change."""
        if not verdict.matches:
            _, owed = await self.owed(bounty)
            return Recorded(verdict, bounty, owed, False)
        fresh: list[Match] = []
        for match in verdict.matches:
            existing = await payments.counted(self.ctx.conn, match.key)
            if existing is None:
                fresh.append(match)
            elif existing.bounty_id != bounty.id:
                return await self._already(bounty, existing.bounty_id, existing.tx)
        if not fresh:
            return await self._counted_before(bounty, verdict.matches)
        try:
            async with self.ctx.changes.begin() as ch:
                # What was counted is read again inside the change: the same wire confirmed twice at once, or a
                # submit racing the watcher, both passed the check above; the first to commit counts it.
                again: list[Match] = []
                for match in fresh:
                    existing = await payments.counted(ch.tx, match.key)
                    if existing is None:
                        again.append(match)
                    elif existing.bounty_id != bounty.id:
                        return await self._already(bounty, existing.bounty_id, existing.tx)
                if not again:
                    return await self._counted_before(bounty, fresh)
                return await self._record(ch, bounty, again, source=source, actor_id=actor_id)
        except sqlite3.IntegrityError:
            # The transaction already funds another bounty (through another transfer): the ledger's keys decided.
            chain, tx, _ = split_payment_key(fresh[0].key)
            owner = await payments.funding_bounty(self.ctx.conn, chain, tx)
            return await self._already(bounty, owner or bounty.id, tx)

    async def _counted_before(self, bounty: Bounty, matches: tuple[Match, ...] | list[Match]) -> Recorded:
        _, owed = await self.owed(bounty)
        return Recorded(
            Verdict(Reason.ALREADY_COUNTED, "This payment was already counted for this bounty.", tuple(matches), True),
            bounty,
            owed,
            False,
        )

    async def _record(
        self, ch: Change, bounty: Bounty, fresh: list[Match], *, source: str, actor_id: int | None
    ) -> Recorded:
        current = await bounties.get(ch.tx, bounty.id)
        assert current is not None
        # The dues as they are inside this change: a payment counted a moment ago has already taken its share.
        ahead = open_dues(await dues_store.for_bounty(ch.tx, bounty.id), current.state)
        chain, tx, _ = split_payment_key(fresh[0].key)
        for match in fresh:
            row = PaymentRow(
                match.key,
                chain,
                tx,
                bounty.id,
                match.token.symbol,
                match.token.address,
                match.token.decimals,
                match.amount,
                match.sender,
                source,
                actor_id,
                ch.now,
            )
            await payments.record(ch.tx, row)
            await ch.audit(
                "payment_recorded",
                actor_id=actor_id,
                bounty_id=bounty.id,
                key=match.key,
                token=match.token.symbol,
                amount=str(match.amount),
                decimals=match.token.decimals,
                sender=match.sender,
                source=source,
            )
        decimals = fresh[0].token.decimals
        amount_text = f"{show(sum(m.amount for m in fresh), decimals)} {fresh[0].token.symbol}"
        where = "by escrow" if chain == "escrow" else f"on {Chain(chain).label}"
        if not ahead and current.state not in PAYABLE:
            return await self._owes_nothing(ch, current, fresh, amount_text, where, tx)
        allocation, parts, excess = split(ahead, [(m.key, normalized(m.amount, m.token.decimals)) for m in fresh])
        for part in parts:
            await dues_store.add_share(ch.tx, part.due.id, part.key, part.share)
        for match in fresh:
            if extra := excess.get(match.key, 0):
                units = extra // normalized(1, match.token.decimals)  # in the token's base units
                await payments.flag_refund(ch.tx, bounty.id, match.key, "overpaid", units, ch.now)
                await ch.send(
                    f"refund:{match.key}",
                    "staff.post",
                    notice=notices.Notice(
                        title=f"Overpayment: refund {show(units, match.token.decimals)} {match.token.symbol} to "
                        f"bounty #{bounty.id} {notices.exchange_name(bounty)}",
                        description=f"Payment {for_discord_code(tx)} {where} exceeded what was owed.",
                        tone="alert",
                    ).to_payload(),
                )
        funded = False
        renewed: list[int] = []
        for due in allocation.settled:
            if not await dues_store.mark_paid(ch.tx, due.id, ch.now):
                continue
            await ch.audit("due_paid", actor_id=actor_id, bounty_id=bounty.id, kind=due.kind.value, year=due.year)
            if due.kind is DueKind.FEE and current.state is State.AWAITING_PAYMENT:
                current = await transition(
                    ch,
                    self.ctx.config,
                    current,
                    State.FUNDED,
                    role=Role.SYSTEM,
                    actor_id=None,
                    reason=f"Fee paid: {amount_text} {where}.",
                )
                funded = True
            elif due.kind is DueKind.RENEWAL:
                await maintenance.renewal_paid(ch, bounty.id)  # a new maintenance year, in this same change
                renewed.append(due.year)
        owed_after = allocation.owed_after
        if allocation.excess:
            reason = Reason.OVERPAID
        elif owed_after and any(share < due.remaining for due, share in allocation.shares):
            reason = Reason.PARTIAL
        else:
            reason = Reason.PAID if allocation.shares else Reason.OVERPAID
        received = show(sum(m.amount for m in fresh), decimals)
        verdict = Verdict(reason, settled_text(received, allocation, ahead), tuple(fresh), True)
        message = f"Payment received: {amount_text} {where}. " + _owed_line(allocation.settled, ahead, owed_after)
        await ch.send(
            f"bounty:{bounty.id}:payment:{fresh[0].key}",
            "bounty.post",
            bounty_id=bounty.id,
            notice=notices.Notice(
                title="Payment received", description=message, tone="ok" if owed_after == 0 else "info"
            ).to_payload(),
        )
        return Recorded(verdict, current, owed_after, funded, tuple(renewed))

    async def _owes_nothing(
        self, ch: Change, current: Bounty, fresh: list[Match], amount_text: str, where: str, tx: str
    ) -> Recorded:
        """A payment to a bounty with no open due (cancelled, ended, or funded and not renewing): counted, and all
        of it flagged for a staff refund."""
        reason = "cancelled" if current.state is State.CANCELLED else "overpaid"
        for match in fresh:
            await payments.flag_refund(ch.tx, current.id, match.key, reason, match.amount, ch.now)
        verdict = Verdict(
            Reason.OVERPAID,
            f"Received {amount_text}, but bounty #{current.id} is "
            f"`{current.state.label}` and owes nothing: staff will refund it.",
            tuple(fresh),
            True,
        )
        await ch.send(
            f"refund:{fresh[0].key}",
            "staff.post",
            notice=notices.Notice(
                title=f"Refund due: {amount_text} {where} for bounty #{current.id} {notices.exchange_name(current)}",
                description=f"The bounty is `{current.state.label}`; the payment {for_discord_code(tx)} owes "
                f"a full refund. {notices.REFUND_STEPS}",
                tone="alert",
            ).to_payload(),
        )
        return Recorded(verdict, current, 0, False)

    # --- escrow ------------------------------------------------------------------------------------

    async def choose_escrow(self, actor: Actor, bounty_id: int | None, channel_id: int | None) -> tuple[Bounty, str]:
        bounty, _ = await self.bounties.visible(actor, bounty_id, channel_id, "pay escrow")
        if bounty.state not in PAYABLE:
            raise RuleViolation(f"Bounty #{bounty.id} is `{bounty.state.label}`; no payment is expected now.")
        async with self.ctx.changes.begin() as ch:
            await still(ch, bounty, within=PAYABLE)  # funded meanwhile: staff are not asked for a wire
            if await payments.request_escrow(ch.tx, bounty.id, actor.user_id, ch.now):
                await ch.audit("escrow_chosen", actor_id=actor.user_id, bounty_id=bounty.id)
                await ch.send(
                    f"bounty:{bounty.id}:escrow",
                    "staff.post",
                    notice=notices.Notice(
                        title=f"Escrow chosen: bounty #{bounty.id} {notices.exchange_name(bounty)}",
                        description=f"<@{actor.user_id}> chose option B. Send the wire instructions in "
                        f"<#{bounty.channel_id}> and confirm the wire with `/pay confirm-escrow` when it arrives.",
                    ).to_payload(),
                )
        return bounty, self.ctx.config.payments.escrow_agreement_url

    async def confirm_escrow(
        self, actor: Actor, bounty_id: int | None, channel_id: int | None, reference: str, amount: str
    ) -> Recorded:
        bounty, _ = await self.bounties.visible(actor, bounty_id, channel_id, "pay confirm-escrow")
        reference = reference.strip()
        problems = []
        if why := wire_reference_problem(reference):
            problems.append(f"Reference: {why}")
        cents, why = parse_amount(amount, decimals=ESCROW_DECIMALS, maximum=MAX_ESCROW_USD, unit="USD")
        if why:
            problems.append(f"Amount: {why}")
        if problems or cents is None:
            raise InvalidInput(problems)
        match = Match(f"escrow:{reference}:0", Token("USD", "wire", ESCROW_DECIMALS), cents, "escrow", "foundation")
        return await self.record(
            bounty, Verdict(Reason.PAID, "ok", (match,), final=True), source="escrow", actor_id=actor.user_id
        )


def _owed_line(settled: tuple[Due, ...], ahead: list[Due], owed_after: int) -> str:
    """What the bounty channel is told after a payment: which due it finished, or what is still owed."""
    if owed_after == 0:
        named = " and ".join(d.label for d in settled) or "everything owed"
        return f"{named[0].upper()}{named[1:]} {'are' if len(settled) > 1 else 'is'} paid in full."
    left = [d for d in ahead if d not in settled]
    on = "" if left and left[0].kind is DueKind.FEE else f" on {left[0].label}" if left else ""
    return f"Still owed: {show_usd(owed_after)} USD{on}."


LOOKBACK_BLOCKS = 5_000  # how far back the first scan of a chain looks


@dataclass(frozen=True)
class ScanReport:
    found: int
    unavailable: tuple[str, ...]  # chains whose RPC could not be reached this time


class PaymentWatch:
    """Finds payments by itself: EVM Transfer logs to the receiving address from registered wallets, and
    Solana transactions carrying a bounty's reference key. An RPC outage is reported to staff once, and its
    end too; it is never read as "not paid"."""

    def __init__(self, service: PaymentService) -> None:
        self.service = service
        self.verifier = service.verifier
        self.down: set[str] = set()

    async def scan(self) -> ScanReport:
        conn = self.service.ctx.conn
        targets = await payments.watch_targets(conn)
        found = 0
        unavailable: list[str] = []
        for chain in (Chain.ETHEREUM, Chain.BSC):
            wallets = {address.lower(): bounty_id for bounty_id, name, address in targets if name == chain.value}
            if not wallets:
                continue
            try:
                found += await self._scan_evm(chain, wallets)
            except RpcUnavailable as exc:
                unavailable.append(chain.value)
                await self._report_down(chain, str(exc))
            else:
                await self._report_up(chain)
        references = [(bounty_id, ref) for bounty_id, name, ref in targets if name == "solana-reference"]
        if references:
            try:
                found += await self._scan_solana(references)
            except RpcUnavailable as exc:
                unavailable.append(Chain.SOLANA.value)
                await self._report_down(Chain.SOLANA, str(exc))
            else:
                await self._report_up(Chain.SOLANA)
        return ScanReport(found, tuple(unavailable))

    async def _scan_evm(self, chain: Chain, wallets: dict[str, int]) -> int:
        client = (await self.verifier.chain_clients()).evm[chain]
        conn = self.service.ctx.conn
        final = await client.final_block()
        cursor = await payments.watch_cursor(conn, chain.value)
        start = cursor + 1 if cursor is not None else max(0, final - LOOKBACK_BLOCKS)
        if start > final:
            return 0
        receiver = self.verifier.chain_config(chain).receiver
        by_tx: dict[str, list[Transfer]] = {}
        for token in self.verifier.tokens(chain):
            # One query per token for every registered wallet at once (`from` is any of them).
            for tx, transfer in await client.transfers_to(token.address, receiver, sorted(wallets), start, final):
                by_tx.setdefault(tx, []).append(transfer)
        found = 0
        for tx, transfers in by_tx.items():
            bounty_id = next((wallets[t.sender.lower()] for t in transfers if t.sender.lower() in wallets), None)
            if bounty_id is None or await payments.funding_bounty(conn, chain.value, tx) is not None:
                continue
            bounty = await bounties.get(conn, bounty_id)
            assert bounty is not None
            wallet = next(w for w, b in wallets.items() if b == bounty_id)
            facts = TxFacts(chain, tx, found=True, succeeded=True, final=True, transfers=tuple(transfers))
            verdict = evaluate(facts, self.verifier.expectation(chain, sender=wallet))
            recorded = await self.service.record(bounty, verdict, source="watcher", actor_id=None)
            found += recorded.verdict.reason in (Reason.PAID, Reason.PARTIAL, Reason.OVERPAID)
        async with self.service.ctx.changes.begin() as ch:
            await payments.set_watch_cursor(ch.tx, chain.value, final)
        return found

    async def _scan_solana(self, references: list[tuple[int, str]]) -> int:
        conn = self.service.ctx.conn
        solana = (await self.verifier.chain_clients()).solana
        found = 0
        for bounty_id, reference in references:
            for sig in await solana.signatures_for(reference):
                if await payments.funding_bounty(conn, Chain.SOLANA.value, sig) is not None:
                    continue
                bounty = await bounties.get(conn, bounty_id)
                assert bounty is not None
                wallet = (await payments.wallets(conn, bounty_id)).get(Chain.SOLANA.value)
                verdict = await self.verifier.check(
                    Chain.SOLANA, sig, self.verifier.expectation(Chain.SOLANA, sender=wallet, reference=reference)
                )
                if verdict.reason is Reason.RPC_UNAVAILABLE:
                    raise RpcUnavailable(verdict.message)
                if verdict.reason is Reason.INCONSISTENT:
                    await self.service.report_unreadable(bounty, Chain.SOLANA, sig, verdict)
                    continue
                recorded = await self.service.record(bounty, verdict, source="watcher", actor_id=None)
                found += recorded.verdict.reason in (Reason.PAID, Reason.PARTIAL, Reason.OVERPAID)
        return found

    async def _report_down(self, chain: Chain, detail: str) -> None:
        if chain.value in self.down:
            return
        self.down.add(chain.value)
        async with self.service.ctx.changes.begin() as ch:
            await ch.audit("rpc_unavailable", actor_id=None, bounty_id=None, chain=chain.value)
            await ch.send(
                f"rpc:{chain.value}:down:{ch.now}",
                "staff.post",
                notice=notices.Notice(
                    title=f"{chain.label} RPC unreachable: payments there cannot be confirmed for now",
                    description=f"{detail[:500]}\nNothing is read as unpaid; the watcher keeps trying.",
                    tone="warn",
                ).to_payload(),
            )

    async def _report_up(self, chain: Chain) -> None:
        if chain.value not in self.down:
            return
        self.down.discard(chain.value)
        async with self.service.ctx.changes.begin() as ch:
            await ch.send(
                f"rpc:{chain.value}:up:{ch.now}",
                "staff.post",
                notice=notices.Notice(
                    title=f"{chain.label} RPC reachable again",
                    description="Payment confirmation has resumed.",
                    tone="ok",
                ).to_payload(),
            )

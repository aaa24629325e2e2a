"""Presentation of payment instructions and verdicts: embeds, and QR codes for each payment link."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

import discord
import segno

from bot.charts.drawings import Drawings
from bot.domain.dues import DueKind
from bot.domain.notices import COLORS, clip, exchange_name
from bot.domain.payments import Chain, Reason, show, show_usd
from bot.services.payments import Instructions, PayOption, Recorded

_TONE = {
    Reason.PAID: "ok",
    Reason.PARTIAL: "info",
    Reason.OVERPAID: "warn",
    Reason.NOT_FINAL: "info",
    Reason.RPC_UNAVAILABLE: "warn",
}

QR_CACHE_SIZE = 512


def qr_png(text: str) -> bytes:
    """A QR code (PNG) of `text`. Pure CPU (~20 ms): call it in a worker thread."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=4, border=2)
    return out.getvalue()


class QrCodes(Drawings[str]):
    """QR codes by link: each drawn once, off the event loop, and the last `size` used kept.

    A link only changes with the amount owed, so the same few are asked for again and again; drawing one
    takes ~20 ms of CPU, which 50 members asking at once would otherwise stack on the event loop.
    """

    def __init__(self, draw: Callable[[str], bytes] = qr_png, size: int = QR_CACHE_SIZE) -> None:
        super().__init__(draw, size, name="qr-code")


# Discord refuses a message past any of these (the sandbox enforces them too: bot/sandbox/discord/rules.py).
EMBED_TOTAL = 6000  # characters across all of a message's embeds: titles, descriptions, fields, footers
EMBEDS_PER_MESSAGE = 10
FILES_PER_MESSAGE = 10
FIELDS_PER_EMBED = 25
DESCRIPTION = 4096
FIELD_VALUE = 1024

FOOTER = (
    "Each attached QR code holds the link of the same name; the bot confirms payments "
    "by itself within a minute of finality, or run /pay submit."
)
# Every message ends with the footer, so the rest of it has this much room.
_ROOM = EMBED_TOTAL - len(FOOTER)

Message = tuple[list[discord.Embed], list[discord.File]]


@dataclass
class _Piece:
    """One embed and the QR codes of the links it shows: they always travel in the same message."""

    embed: discord.Embed
    files: list[discord.File] = field(default_factory=list)


def instructions_messages(found: Instructions, codes: dict[str, bytes]) -> list[Message]:
    """The summary embed, one embed per chain and a QR code per payment link, in as many messages as needed.

    A payment link is never cut: each is its own field when it fits one (1,024 characters), else its own
    embed's description (4,096; links hold at most a 64-character exchange name, so they are far shorter).
    Every embed stays within Discord's limits whatever the exchange is called, and the embeds go out in
    order, a message taking as many as fit its 6,000 characters, 10 embeds and 10 attachments: usually
    one message, more when long names and many configured tokens add up.
    """
    pieces = [_Piece(_summary(found))]
    for chain in Chain:
        options = [o for o in found.options if o.chain is chain]
        if options:
            pieces += _chain_pieces(found, chain, options, codes)
    return _pack(pieces)


def _summary(found: Instructions) -> discord.Embed:
    b = found.bounty
    due = found.due
    title, amount = (due.title, due.amount_usd) if due is not None else ("Fee", b.fee_usd)
    if found.owed or due is None:
        text = (
            f"{title} **{amount:,} USD**, paid so far **{show_usd(found.paid)}**, still owed "
            f"**{show_usd(found.owed)}** in USDC or USDT. Amounts are exact: send them as shown."
        )
        if due is not None and due.kind is DueKind.RENEWAL:
            text += " The Solana Pay links carry this renewal's own reference key."
        if found.later:
            text += " Then: " + "; ".join(f"{d.title}, {show_usd(d.remaining)} USD" for d in found.later) + "."
    else:
        text = f"Nothing is owed on bounty #{b.id} now (its latest due: {due.label}, {amount:,} USD)."
    summary = discord.Embed(
        title=clip(f"Paying for bounty #{b.id} · {exchange_name(b)}", 256), description=text, colour=COLORS["info"]
    )
    summary.add_field(
        name="Option B · escrow",
        value=f"Sign the [Bounty Escrow Agreement]({found.escrow_url}) and run `/pay escrow`; Foundation staff "
        "send wire instructions, and processing takes 2–3 business days.",
        inline=False,
    )
    return summary


def _chain_pieces(found: Instructions, chain: Chain, options: list[PayOption], codes: dict[str, bytes]) -> list[_Piece]:
    """The chain's embed (continued in another when one would overflow), then any link too long for a field."""
    head = [f"Send to `{options[0].receiver}`"]
    wallet = found.wallets.get(chain.value)
    if chain is Chain.SOLANA:
        head.append("Solana Pay links carry this bounty's reference key, so no wallet needs registering.")
    else:
        head.append(f"Paying wallet: `{wallet}`" if wallet else "Register the paying wallet first: `/pay wallet`.")
    shown: list[_Piece] = []
    long_links: list[_Piece] = []
    for option in options:
        name = f"{chain.value}-{option.symbol.lower()}.png"
        qr = discord.File(io.BytesIO(codes[option.link]), filename=name)
        label = clip(f"{option.symbol} link (QR code: {name})", 256)
        line = (
            f"**{option.symbol}** `{option.token}`: **{show(option.amount, option.decimals)}** "
            f"({option.amount} base units, {option.decimals} decimals)"
        )
        in_field = len(option.link) <= FIELD_VALUE
        if not shown or not _room_for(shown[-1], line, label, option.link if in_field else None):
            title = f"Option A · {chain.label}" + (" (continued)" if shown else "")
            shown.append(_Piece(discord.Embed(title=title, description="\n".join(head), colour=COLORS["info"])))
        piece = shown[-1]
        piece.embed.description = f"{piece.embed.description}\n{line}"
        if in_field:
            piece.embed.add_field(name=label, value=option.link, inline=False)
            piece.files.append(qr)
        else:
            long_links.append(_Piece(discord.Embed(title=label, description=option.link, colour=COLORS["info"]), [qr]))
    return shown + long_links


def _room_for(piece: _Piece, line: str, label: str, link: str | None) -> bool:
    """Whether `piece` can take one more option's line (and its link as a field, unless None) and still fit."""
    embed = piece.embed
    grows = 1 + len(line) + (0 if link is None else len(label) + len(link))
    return (
        len(embed) + grows <= _ROOM
        and len(embed.description or "") + 1 + len(line) <= DESCRIPTION
        and (link is None or (len(embed.fields) < FIELDS_PER_EMBED and len(piece.files) < FILES_PER_MESSAGE))
    )


def _pack(pieces: list[_Piece]) -> list[Message]:
    """The pieces in order, each message taking as many as fit; each message's last embed carries the footer."""
    messages: list[Message] = []
    embeds: list[discord.Embed] = []
    files: list[discord.File] = []
    size = 0
    for piece in pieces:
        full = (
            len(embeds) == EMBEDS_PER_MESSAGE
            or len(files) + len(piece.files) > FILES_PER_MESSAGE
            or size + len(piece.embed) > _ROOM
        )
        if embeds and full:
            messages.append((embeds, files))
            embeds, files, size = [], [], 0
        embeds.append(piece.embed)
        files += piece.files
        size += len(piece.embed)
    messages.append((embeds, files))
    for shown, _ in messages:
        shown[-1].set_footer(text=FOOTER)
    return messages


def verdict_embed(recorded: Recorded) -> discord.Embed:
    verdict = recorded.verdict
    title = {
        Reason.PAID: "Payment confirmed",
        Reason.PARTIAL: "Partial payment counted",
        Reason.OVERPAID: "Payment counted: more than owed",
        Reason.NOT_FINAL: "Not final yet",
        Reason.RPC_UNAVAILABLE: "Could not check right now",
    }.get(verdict.reason, "Payment not counted")
    embed = discord.Embed(title=title, description=verdict.message, colour=COLORS[_TONE.get(verdict.reason, "alert")])
    if recorded.funded:
        embed.add_field(name="Bounty funded", value=f"Bounty #{recorded.bounty.id} is now funded. Thank you!")
    else:
        if recorded.renewed:
            years = " and ".join(str(y) for y in recorded.renewed)
            embed.add_field(
                name="Maintenance renewed",
                value=f"Bounty #{recorded.bounty.id}'s renewal for maintenance year {years} is paid. Thank you!",
            )
        if verdict.reason in (Reason.PAID, Reason.PARTIAL) and (recorded.owed or not recorded.renewed):
            embed.add_field(name="Still owed", value=f"{show_usd(recorded.owed)} USD")
    embed.set_footer(text=f"reason: {verdict.reason.value}")
    return embed

"""Presentation of payment instructions and verdicts: embeds, and QR codes for each payment link."""

from __future__ import annotations

import asyncio
import io
from collections import OrderedDict

import discord
import segno

from bot.domain.notices import COLORS, clip, exchange_name
from bot.domain.payments import Chain, Reason, show, show_usd
from bot.services.payments import Instructions, Recorded

_TONE = {
    Reason.PAID: "ok",
    Reason.PARTIAL: "info",
    Reason.OVERPAID: "warn",
    Reason.NOT_FINAL: "info",
    Reason.RPC_UNAVAILABLE: "warn",
}


# QR codes by link. A link only changes with the amount owed, so the same few are drawn again and again;
# drawing one takes ~20 ms of CPU, which 50 members asking at once would stack on the event loop.
_QR_CACHE: OrderedDict[str, bytes] = OrderedDict()
QR_CACHE_SIZE = 512


def qr_png(text: str) -> bytes:
    """A QR code (PNG) of `text`. Pure CPU: call it in a worker thread."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=4, border=2)
    return out.getvalue()


def cached(link: str) -> bool:
    return link in _QR_CACHE


_DRAWING: dict[str, asyncio.Future[bytes]] = {}


async def qr_codes(links: list[str]) -> dict[str, bytes]:
    """Each link's QR code: from the cache, or drawn once off the event loop and cached.

    Single flight: fifty members asking for the same new link at once wait for one drawing, instead of
    fifty threads drawing it and contending for the interpreter with the loop that acknowledges them.
    """
    missing = [link for link in dict.fromkeys(links) if link not in _QR_CACHE and link not in _DRAWING]
    if missing:
        loop = asyncio.get_running_loop()
        for link in missing:
            _DRAWING[link] = loop.create_future()
        try:
            drawn = await asyncio.to_thread(lambda: [qr_png(link) for link in missing])
        except BaseException as exc:
            for link in missing:
                waiting = _DRAWING.pop(link)
                waiting.set_exception(exc)
                waiting.exception()  # retrieved here: a drawing nobody else waited for is not "never retrieved"
            raise
        for link, png in zip(missing, drawn, strict=True):
            _QR_CACHE[link] = png
            _DRAWING.pop(link).set_result(png)
    out = {}
    for link in links:
        if link in _QR_CACHE:
            _QR_CACHE.move_to_end(link)
            out[link] = _QR_CACHE[link]
        else:
            out[link] = await asyncio.shield(_DRAWING[link])
    while len(_QR_CACHE) > QR_CACHE_SIZE:
        _QR_CACHE.popitem(last=False)
    return out


def instructions_message(
    found: Instructions, codes: dict[str, bytes]
) -> tuple[list[discord.Embed], list[discord.File]]:
    """The summary embed, one embed per chain, and a QR code per payment link.

    A payment link is never cut: each is its own field when it fits one (1,024 characters), else its own
    embed's description (4,096). Every embed stays within Discord's limits whatever the exchange is called.
    """
    b = found.bounty
    summary = discord.Embed(
        title=clip(f"Paying for bounty #{b.id} · {exchange_name(b)}", 256),
        description=(
            f"Fee **{b.fee_usd:,} USD**, paid so far **{show_usd(found.paid)}**, still owed "
            f"**{show_usd(found.owed)}** in USDC or USDT. Amounts are exact: send them as shown."
        ),
        colour=COLORS["info"],
    )
    summary.add_field(
        name="Option B · escrow",
        value=f"Sign the [Bounty Escrow Agreement]({found.escrow_url}) and run `/pay escrow`; Foundation staff "
        "send wire instructions, and processing takes 2–3 business days.",
        inline=False,
    )
    chains: list[discord.Embed] = []
    long_links: list[discord.Embed] = []
    files = []
    for chain in Chain:
        options = [o for o in found.options if o.chain is chain]
        if not options:
            continue
        lines = [f"Send to `{options[0].receiver}`"]
        wallet = found.wallets.get(chain.value)
        if chain is Chain.SOLANA:
            lines.append("Solana Pay links carry this bounty's reference key, so no wallet needs registering.")
        else:
            lines.append(f"Paying wallet: `{wallet}`" if wallet else "Register the paying wallet first: `/pay wallet`.")
        for option in options:
            lines.append(
                f"**{option.symbol}** `{option.token}`: **{show(option.amount, option.decimals)}** "
                f"({option.amount} base units, {option.decimals} decimals)"
            )
        embed = discord.Embed(title=f"Option A · {chain.label}", description="\n".join(lines), colour=COLORS["info"])
        for option in options:
            name = f"{chain.value}-{option.symbol.lower()}.png"
            files.append(discord.File(io.BytesIO(codes[option.link]), filename=name))
            label = f"{option.symbol} link (QR code: {name})"
            if len(option.link) <= 1024:
                embed.add_field(name=label, value=option.link, inline=False)
            else:
                long_links.append(discord.Embed(title=label, description=option.link, colour=COLORS["info"]))
        chains.append(embed)
    embeds = [summary, *chains, *long_links]
    embeds[-1].set_footer(
        text="Each attached QR code holds the link of the same name; the bot confirms payments "
        "by itself within a minute of finality, or run /pay submit."
    )
    return embeds, files


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
    elif verdict.reason in (Reason.PAID, Reason.PARTIAL):
        embed.add_field(name="Still owed", value=f"{show_usd(recorded.owed)} USD")
    embed.set_footer(text=f"reason: {verdict.reason.value}")
    return embed

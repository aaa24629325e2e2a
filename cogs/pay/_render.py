"""Presentation of payment instructions and verdicts: embeds, and QR codes for each payment link."""

from __future__ import annotations

import io

import discord
import segno

from bot.domain.notices import COLORS
from bot.domain.payments import Chain, Reason, show, show_usd
from bot.services.payments import Instructions, Recorded

_TONE = {
    Reason.PAID: "ok",
    Reason.PARTIAL: "info",
    Reason.OVERPAID: "warn",
    Reason.NOT_FINAL: "info",
    Reason.RPC_UNAVAILABLE: "warn",
}


def qr_png(text: str) -> bytes:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=4, border=2)
    return out.getvalue()


def instructions_message(found: Instructions) -> tuple[list[discord.Embed], list[discord.File]]:
    b = found.bounty
    summary = discord.Embed(
        title=f"Paying for bounty #{b.id} · {b.exchange}",
        description=(
            f"Fee **{b.fee_usd:,} USD**, paid so far **{show_usd(found.paid)}**, still owed "
            f"**{show_usd(found.owed)}** in USDC or USDT. Amounts are exact: send them as shown."
        ),
        colour=COLORS["info"],
    )
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
            name = f"{chain.value}-{option.symbol.lower()}.png"
            files.append(discord.File(io.BytesIO(qr_png(option.link)), filename=name))
            lines.append(
                f"**{option.symbol}** `{option.token}`: **{show(option.amount, option.decimals)}** "
                f"({option.amount} base units, {option.decimals} decimals)\n{option.link}"
            )
        summary.add_field(name=f"Option A · {chain.label}", value="\n".join(lines)[:1024], inline=False)
    summary.add_field(
        name="Option B · escrow",
        value=f"Sign the [Bounty Escrow Agreement]({found.escrow_url}) and run `/pay escrow`; Foundation staff "
        "send wire instructions, and processing takes 2–3 business days.",
        inline=False,
    )
    summary.set_footer(
        text="Each attached QR code holds the link of the same name; the bot confirms payments "
        "by itself within a minute of finality, or run /pay submit."
    )
    return [summary], files


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

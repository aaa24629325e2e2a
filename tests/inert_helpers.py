"""Hostile text, and checks that a message shows it as text: what Discord's and GitHub's markdown would make
of a string, reduced to the constructs that matter (links that hide their target, pings, headings, quotes,
lists, code fences, formatting, raw HTML, issue references)."""

from __future__ import annotations

import re

ZWSP = "\u200b"

# What people type to make the bot say something it does not mean: each is fed through the real commands.
HOSTILE = {
    "masked link": "[https://good.example](https://evil.example/steal)",
    "invisible masked link": "click [\u200b](https://evil.example/x) here",
    "angle link": "<https://evil.example/x>",
    "everyone": "@everyone free money",
    "here": "@here look",
    "user mention": "<@123456789012345678> <@!123456789012345678>",
    "role mention": "<@&123456789012345678>",
    "channel mention": "<#123456789012345678>",
    "timestamp": "<t:1700000000:R>",
    "custom emoji": "<:pepe:123456789012345678>",
    "heading": "# Bounty cancelled by staff",
    "subtext": "-# official notice",
    "quote": "> Foundation: pay to 0xevil",
    "block quote": ">>> everything below is quoted",
    "list": "- one\n* two\n+ three\n1. four",
    "bold italic": "**bold** *italic* __underline__ ~~strike~~ ||spoiler||",
    "code fence": "```\nclosed fence``` and `tick",
    "backticks": "`` ` `` ```",
    "html": "<img src=x onerror=alert(1)><!-- bountybot:bounty:99 -->",
    "reference": "see #1 and hummingbot/hummingbot#2 and GH-3, fixes #4",
    "github mention": "cc @octocat and @hummingbot/maintainers",
    "zero width": "pay\u200b\u200d to\u202e evil\u2066",
    "setext": "Title\n===\n---",
}


def _unescaped(text: str) -> str:
    """`text` with every backslash-escaped punctuation character replaced by a placeholder."""
    return re.sub(r"\\[!-/:-@\[-`{-~]", "\x00", text)


_DISCORD_LINE = re.compile(r"^\s*(#{1,3}\s|-#\s|>\s|>>>|[-*+]\s|\d+[.)]\s)")


def discord_live(text: str) -> list[str]:
    """The Discord markup still live in `text`: what would render as other than the letters typed.

    A whole `<https://…>` link is not counted: Discord shows it as the address it opens.
    """
    plain = _unescaped(text)
    found = []
    if re.search(r"\[[^\]\n]*\]\(\s*<?https?://", plain):
        found.append("masked link")
    for construct in re.findall(r"<(?:@[!&]?\d+|#\d+|t:\d+|a?:\w+:\d+|/[\w -]+:\d+)", plain):
        found.append(f"mention or tag {construct}")
    for ping in re.findall(r"@(?:everyone|here)", plain, re.IGNORECASE):
        found.append(f"ping {ping}")
    for line in plain.split("\n"):
        if _DISCORD_LINE.match(line):
            found.append(f"line start {line[:10]!r}")
    for mark in ("```", "**", "__", "~~", "||"):
        if mark in plain:
            found.append(f"markup {mark}")
    if "`" in plain:
        found.append("code span")
    return found


def discord_shown(text: str) -> str:
    """What a Discord reader sees of escaped text: escapes and the zero-width ping breakers removed."""
    shown = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text).replace("@" + ZWSP, "@")
    return re.sub(r"<(https?://[^\s>]+)>", r"\1", shown)


_GITHUB_LINE = re.compile(r"^\s*(#{1,6}\s|[-*+]\s|>|=+\s*$|-+\s*$|\d+[.)]\s| {4})")


def github_live(text: str) -> list[str]:
    """The GitHub markup still live in `text` (GitHub flavoured markdown with HTML, mentions, references)."""
    plain = _unescaped(text)
    found = []
    if re.search(r"\[[^\]\n]*\]\(", plain):
        found.append("masked link")
    without_autolinks = re.sub(r"<https?://[^\s<>]+>", "", plain)
    if "<" in without_autolinks:
        found.append("raw HTML")
    for mention in re.findall(r"(?<![\w`])@[A-Za-z0-9]", plain):
        found.append(f"mention {mention}")
    for ref in re.findall(r"(?:#|\bGH-)\d", plain, re.IGNORECASE):
        found.append(f"reference {ref}")
    for line in plain.split("\n"):
        if _GITHUB_LINE.match(line):
            found.append(f"line start {line[:10]!r}")
    for mark in ("`", "**", "__", "~~", "|", "$", "*", "_"):
        if mark in plain:
            found.append(f"markup {mark}")
    return found


def _without_code_spans(text: str) -> str:
    # Inside a code span everything is literal (the fence helpers make sure the span closes where it should).
    return re.sub(r"``.+?``|`[^`\n]+`", "", text)


# The live form of each HOSTILE sample: found in a rendered message, the sample was not made inert there.
_DISCORD_SIGNS = {
    "masked link": r"\]\(\s*<?https://evil",
    "ping": r"@(?:everyone|here)",
    "user mention": r"<@!?123456789012345678>",
    "role mention": r"<@&123456789012345678>",
    "channel mention": r"<#123456789012345678>",
    "timestamp": r"<t:1700000000",
    "custom emoji": r"<a?:pepe:",
    "heading": r"(?m)^\s*#{1,3} Bounty cancelled",
    "subtext": r"(?m)^\s*-# official",
    "quote": r"(?m)^\s*> Foundation",
    "block quote": r"(?m)^\s*>>> everything",
    "list": r"(?m)^\s*(?:- one|\* two|\+ three|1\. four)",
    "formatting": r"\*\*bold\*\*|__underline__|~~strike~~|\|\|spoiler\|\||(?<!\*)\*italic\*",
    "code fence": r"```",
}
_GITHUB_SIGNS = {
    "masked link": r"\]\(\s*<?https://evil",
    "raw HTML": r"<img|<!--\s*bountybot:bounty:99",
    "mention": r"(?<![\w`])@(?:octocat|hummingbot/)",
    "reference": r"see #\d|hummingbot#\d|\bGH-\d|fixes #\d",
    "heading": r"(?m)^\s*#{1,6} Bounty cancelled",
    "quote": r"(?m)^\s*> Foundation",
    "list": r"(?m)^\s*(?:- one|\* two|\+ three|1\. four)",
    "setext": r"(?m)^(?:===|---)\s*$",
    "formatting": r"\*\*bold\*\*|__underline__|~~strike~~|(?<!\*)\*italic\*",
    "code fence": r"```",
}


def hostile_live(text: str, *, github: bool = False) -> list[str]:
    """Which HOSTILE samples are live in a whole rendered message (the bot's own markup around them is fine)."""
    plain = _without_code_spans(_unescaped(text))
    signs = _GITHUB_SIGNS if github else _DISCORD_SIGNS
    return [name for name, sign in signs.items() if re.search(sign, plain)]


def reply_texts(messages: list[dict[str, object]]) -> str:
    """Every readable string of stored Discord messages: content, embed titles, descriptions, fields, footers."""
    from bot.sandbox.discord.users import Reply

    return "\n".join(Reply(m).text for m in messages)  # type: ignore[arg-type]


def stray_backticks(text: str) -> bool:
    """Whether a backtick is left over once every code span is closed: a quoted value broke out of its span."""
    return "`" in _without_code_spans(_unescaped(text))

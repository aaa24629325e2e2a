"""User text made inert for Discord: shown exactly as typed, never as markup, a link, a mention or a heading.

Everything a person typed (an exchange's answers, a bug report, an update, a reason, a reference) passes
through one of these before it is put in a message or an embed; the bot's own markup around it (bold
labels, `<@id>` of the actor, `<t:…>` countdowns) is written by the bot and left alone.

discord.py has `utils.escape_markdown` and `utils.escape_mentions`, but the domain imports nothing of
discord.py (DESIGN.md §10), and those leave live what matters most here: `<#id>` and `<@&id>` mentions,
`-#` subtext, list markers, and links inside escaped text. GitHub has its own helper,
:func:`bot.domain.github_text.inert`, because its markdown (raw HTML, `#123` references) differs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

ZWSP = "\u200b"
ELLIPSIS = "…"

# Characters that are markup anywhere in a line. `<` opens every mention, channel link, role ping,
# timestamp, custom emoji and angle-bracket link, so escaping it makes all of them text.
_ANYWHERE = frozenset("\\*_~|`[]<")
# What gives a line meaning from its first character: headings (`#`, `##`, `###`), subtext (`-#`),
# block quotes (`>`, `>>>`), bullets (`-`, `+`; `*` is escaped anywhere) and numbered lists (`1.`).
_LINE_START = re.compile(r"^(\s*)(#|-|\+|>|\d+(?=[.)]))")
_PING = re.compile(r"@(everyone|here)", re.IGNORECASE)
# Kept although invisible: ZWNJ and ZWJ join letters in many scripts and build emoji sequences.
_KEPT_FORMAT = frozenset("\u200c\u200d")
_DROPPED = frozenset({"Cc", "Cf", "Cs"})
# A link inside free text. Escaping its `_` or `*` would put a backslash into the address Discord links
# to, so a link made only of URL characters is shown whole as `<link>` instead (literal inside, no preview).
_URL = re.compile(r"https?://[^\s<>]+", re.IGNORECASE)
_URL_CHARS = re.compile(r"^https?://[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]+$", re.IGNORECASE)
_URL_TRAILING = ".,;:!?'\""


def visible(text: str) -> str:
    """`text` without control characters and invisible format characters (zero-width spaces, right-to-left
    overrides, byte-order marks): what is shown is what was typed, and nothing hides between the letters or
    reorders them. Line breaks are kept (Unicode's line and paragraph separators become one); tabs become
    spaces."""
    for newline in ("\r\n", "\r", "\u2028", "\u2029", "\x85"):
        text = text.replace(newline, "\n")
    text = text.replace("\t", " ")
    return "".join(ch for ch in text if ch == "\n" or ch in _KEPT_FORMAT or unicodedata.category(ch) not in _DROPPED)


def is_invisible(ch: str) -> bool:
    """A control or invisible format character (what :func:`visible` removes), or a line separator."""
    return ch not in _KEPT_FORMAT and unicodedata.category(ch) in (*_DROPPED, "Zl", "Zp")


def _break_pings(text: str) -> str:
    return _PING.sub(lambda m: "@" + ZWSP + m.group(1), text)


def _escape_text(text: str) -> str:
    return _break_pings("".join("\\" + ch if ch in _ANYWHERE else ch for ch in text))


def _link(url: str) -> tuple[str, str]:
    """(the link as shown, trailing punctuation that belongs to the sentence)."""
    cut = len(url)
    while cut and (url[cut - 1] in _URL_TRAILING or (url[cut - 1] == ")" and "(" not in url[:cut])):
        cut -= 1
    url, rest = url[:cut], url[cut:]
    if _URL_CHARS.match(url) and not _PING.search(url) and url.count("/") >= 2 and len(url) > len("https://"):
        return f"<{url}>", _escape_text(rest)
    # Not a plain link: shown as text, with `://` escaped so that Discord does not link it either.
    return _escape_text(url).replace("://", "\\://", 1), _escape_text(rest)


def _escape_line(line: str) -> str:
    parts: list[str] = []
    at = 0
    for match in _URL.finditer(line):
        parts.append(_escape_text(line[at : match.start()]))
        parts.extend(_link(match.group()))
        at = match.end()
    parts.append(_escape_text(line[at:]))
    out = "".join(parts)
    return _LINE_START.sub(lambda m: m.group(1) + _line_mark(m.group(2)), out, count=1)


def _line_mark(mark: str) -> str:
    # Digits stay as they are and their `.` or `)` is escaped: `1\. text` shows "1. text", not a list.
    return mark + "\\" if mark[0].isdigit() else "\\" + mark


def _escape(text: str, one_line: bool) -> str:
    text = visible(text)
    if one_line:
        text = " ".join(text.split())
    return "\n".join(_escape_line(line) for line in text.split("\n"))


def _fit(text: str, limit: int | None, render: Callable[[str], str], *, whole_links: bool = False) -> str:
    """`render(text)`, or `render` of the longest start of `text` that fits in `limit` with "…" after it.

    The typed text is cut, never the rendered one, so no escape, fence or mention is cut in half; with
    `whole_links`, never inside a link either (a shortened link still opens, somewhere else).
    """
    whole = render(text)
    if limit is None or len(whole) <= limit:
        return whole
    links = [(m.start(), m.end()) for m in _URL.finditer(text)] if whole_links else []

    def head(n: int) -> str:
        n = next((start for start, end in links if start < n < end), n)
        return text[:n].rstrip()

    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if len(render(head(mid)) + ELLIPSIS) <= limit:
            low = mid
        else:
            high = mid - 1
    return render(head(low)) + ELLIPSIS


def for_discord(text: str, limit: int | None = None, *, one_line: bool = False) -> str:
    """`text` as plain words in a Discord message or embed.

    Markdown characters are escaped, a line start that would make a heading, subtext, quote or list is
    escaped, `@everyone` and `@here` are broken, mentions and masked links become text, links are shown
    whole, and invisible characters are dropped. At most `limit` characters, "…" included; `one_line`
    folds line breaks into spaces (titles, one-line summaries).
    """
    return _fit(text, limit, lambda part: _escape(part, one_line), whole_links=True)


def _code(text: str) -> str:
    text = _break_pings(" ".join(visible(text).split())) or " "
    if "`" not in text:
        return f"`{text}`"
    if "``" not in text:
        # A double fence holds single backticks; a space keeps a backtick at either end off the fence.
        pad = " " if text.startswith("`") or text.endswith("`") else ""
        return f"``{pad}{text}{pad}``"
    # No inline fence holds a run of two backticks: those are shown as the modifier letter grave accent.
    return _code(text.replace("`", "\u02cb"))


def for_discord_code(text: str, limit: int | None = None) -> str:
    """`text` quoted as inline code (a hash, an address, a value being refused): the fence always closes
    around the whole value, whatever backticks it holds, and it stays on one line."""
    return _fit(text, limit, _code)


def for_discord_footer(text: str, limit: int | None = None) -> str:
    """`text` in an embed footer, which Discord shows as plain text (no markdown, so nothing to escape and a
    backslash would show): invisible characters dropped, one line, at most `limit` characters."""
    return _fit(text, limit, lambda part: " ".join(visible(part).split()))

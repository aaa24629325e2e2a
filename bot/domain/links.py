"""Web links people give the bot (the exchange's website, API docs, testnet): what is accepted, and how a
link is shown so that what a reader sees is where it goes.

The bot never opens these links, but it publishes them: in the bounty channel and on the public GitHub
issue, where developers click them. So a link must name a public web site by its host name, and nothing
may hide in it: no user name before the host (`https://good.example@evil.example/` goes to evil.example),
no IP address in any of its spellings (`http://2130706433/` is 127.0.0.1; `169.254.169.254` is a cloud's
metadata service), no invisible characters. A host in another script is allowed (exchanges have IDN
domains), and is always shown with its punycode form beside it, where a look-alike of a known name shows.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, urlsplit, urlunsplit

import idna

from bot.domain.inert import for_discord_code, is_invisible

SCHEMES = ("https", "http")
# Characters RFC 3986 does not allow anywhere in a link (`[` and `]` only around an IPv6 address, refused
# anyway); a link holding one is pasted with something else attached, or built to mislead.
_NOT_IN_LINKS = frozenset('<>"{}|\\^`[]')
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
# A label an IP address can be written with: decimal, octal (leading 0) or hexadecimal (0x…).
_NUMBER = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")
_PRINTABLE_ASCII = "".join(chr(c) for c in range(0x21, 0x7F))
# Names that never reach a public site (RFC 6761, RFC 6762, RFC 8375 and the usual private suffixes).
PRIVATE_SUFFIXES = frozenset(
    [
        "localhost",
        "local",
        "localdomain",
        "internal",
        "intranet",
        "lan",
        "home",
        "corp",
        "private",
        "test",
        "example",
        "invalid",
        "onion",
        "arpa",
    ]
)


def _host(value: str) -> str | None:
    """The host name of an http(s) link, lower case, as typed (Unicode kept); None when there is none."""
    try:
        return urlsplit(value).hostname or None
    except ValueError:
        return None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return all(_NUMBER.match(label) for label in host.split(".") if label) and any(host.split("."))
    return True


def ascii_host(host: str) -> str | None:
    """The host as DNS knows it (punycode for each label in another script), or None if it cannot be one."""
    # IDNA 2008 with UTS 46 mapping, as browsers do: `faß.de` is xn--fa-hia.de, not fass.de (IDNA 2003,
    # Python's own codec), so the name shown is the one a click opens.
    try:
        return str(idna.encode(host, uts46=True).decode("ascii"))
    except (idna.IDNAError, UnicodeError):
        return None


def url_problem(value: str) -> str | None:
    """Why `value` is not an acceptable web link, in one sentence that says how to fix it; None when it is."""
    shown = for_discord_code(value, 60)
    if any(ch.isspace() for ch in value):
        return f"{shown} contains spaces; paste the link alone."
    if (hidden := next((i for i, ch in enumerate(value) if is_invisible(ch)), None)) is not None:
        where = f" after {for_discord_code(value[:hidden][-30:])}" if hidden else " at its start"
        return (
            f"{shown} contains an invisible or control character (U+{ord(value[hidden]):04X}){where}; "
            "type the link in again instead of pasting it."
        )
    host = _host(value)
    if host and _is_ip(host):
        return f"{shown} is an IP address; give the site's public host name (like docs.example.com)."
    if odd := sorted({ch for ch in value if ch in _NOT_IN_LINKS}):
        return f"{shown} contains {' '.join(odd)}, which a web link cannot hold; paste the link alone."
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return f"{shown} is not a web link; copy it from the browser's address bar."
    if parts.scheme.lower() not in SCHEMES or not value.lower().startswith(f"{parts.scheme.lower()}://"):
        return f"{shown} must start with https:// (or http://)."
    if "@" in parts.netloc:
        return (
            f"{shown} has a user name before its host (the part before @ is not where the link goes); "
            "give the site's own address, like https://docs.example.com."
        )
    host = parts.hostname or ""
    dns = ascii_host(host) if host else None
    labels = dns.split(".") if dns else []
    if (
        dns is None
        or len(dns) > 253
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or not _TLD.match(labels[-1])
        or port == 0
    ):
        return f"{shown} has no valid host name (like docs.example.com)."
    if labels[-1] in PRIVATE_SUFFIXES:
        return f"{shown} is not a public web site (`.{labels[-1]}` names never are); give its public address."
    return None


def idn_forms(url: str) -> tuple[str, str | None]:
    """(the link as it is opened, with a punycode host and the rest in ASCII; the same link with its host in
    Unicode when the two differ). A reader shown both sees that `xn--pple-43d.com` is not apple.com."""
    host = _host(url)
    dns = ascii_host(host) if host else None
    if host is None or dns is None:
        return url, None
    parts = urlsplit(url)
    netloc = dns + (f":{parts.port}" if parts.port is not None else "")
    if url.isascii():
        opened = url  # a link typed in ASCII is opened exactly as typed
    else:
        # Only what is outside ASCII is encoded: the host as punycode, the rest percent-encoded.
        def ascii_part(part: str) -> str:
            return quote(part, safe=_PRINTABLE_ASCII)

        rest = (ascii_part(parts.path), ascii_part(parts.query), ascii_part(parts.fragment))
        opened = urlunsplit((parts.scheme, netloc, *rest))
    unicode_host = ".".join(_label_unicode(label) for label in dns.split("."))
    if unicode_host == dns:
        return opened, None
    port = f":{parts.port}" if parts.port is not None else ""
    return opened, urlunsplit((parts.scheme, unicode_host + port, parts.path, parts.query, parts.fragment))


def _label_unicode(label: str) -> str:
    try:
        return str(idna.decode(label))
    except (idna.IDNAError, UnicodeError):
        return label


def discord_link(url: str) -> str:
    """A link for a Discord message: `<link>` (opened as shown, no preview), with the host's Unicode form
    beside its punycode form when they differ; a stored value that is not a valid link is shown as text."""
    if url_problem(url) is not None:
        return for_discord_code(url, 200)
    opened, unicode = idn_forms(url)
    return f"<{opened}>" + (f" (Unicode form: {for_discord_code(unicode)})" if unicode else "")

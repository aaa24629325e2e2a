"""The links an exchange gives (website, API docs, testnet): each hostile kind refused with a sentence that
says how to fix it, and an IDN host always shown with its punycode beside it."""

from __future__ import annotations

import pytest

from bot.domain import github_text
from bot.domain.intake import TechnicalAnswers, validate_technical
from bot.domain.links import discord_link, idn_forms, url_problem
from tests.inert_helpers import hostile_live

# Cyrillic "а" (U+0430) in place of the Latin "a": reads as apple.com, is another domain.
LOOK_ALIKE = "https://\u0430pple.com/docs"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://169.254.169.254/latest/meta-data/", "is an IP address"),
        ("http://127.0.0.1/", "is an IP address"),
        ("http://10.0.0.7:8080/docs", "is an IP address"),
        ("http://2130706433/", "is an IP address"),  # 127.0.0.1 as one decimal number
        ("http://0x7f.0.0.1/", "is an IP address"),  # hexadecimal
        ("http://0177.0.0.1/", "is an IP address"),  # octal
        ("http://0xA9FEA9FE/", "is an IP address"),  # 169.254.169.254 in hexadecimal
        ("http://[::1]/", "is an IP address"),
        ("http://[fe80::1%25eth0]/", "is an IP address"),
        ("http://[::ffff:169.254.169.254]/", "is an IP address"),
        ("https://acme.test@evil.example/", "has a user name before its host"),
        ("https://user:pass@docs.example.com/", "has a user name before its host"),
        ("https://exa\u200bmple.com/", "contains an invisible or control character (U+200B) after `https://exa`"),
        ("https://example.com/\u202edocs", "contains an invisible or control character (U+202E)"),
        ("https://example.com/\x00", "contains an invisible or control character (U+0000)"),
        ("\u200bhttps://example.com/", "at its start"),
        ("https://exa mple.com/", "contains spaces"),
        ("https://example.com/\u00a0docs", "contains spaces"),
        ("https://good.example/[x](https://evil.example)", "contains [ ]"),
        ("https://docs.example.com/<script>", "contains < >"),
        ("https://docs.example.com\\@evil.example/", "contains \\"),
        ("ws://stream.example.com/", "must start with https://"),
        ("javascript:alert(1)", "must start with https://"),
        ("https:docs.example.com", "must start with https://"),
        ("https://localhost/", "has no valid host name"),
        ("https://intranet/", "has no valid host name"),
        ("https://docs.example.com./", "has no valid host name"),
        ("https://-docs.example.com/", "has no valid host name"),
        ("https://docs_1.example.com/", "has no valid host name"),
        ("https:///docs.example.com", "has no valid host name"),
        ("https://printer.local/", "is not a public web site"),
        ("https://metadata.google.internal/", "is not a public web site"),
        ("https://acme.test/", "is not a public web site"),
        ("https://docs.example.com:99999/", "is not a web link"),
    ],
)
def test_each_hostile_link_is_refused_with_a_sentence(url: str, expected: str) -> None:
    problem = url_problem(url)
    assert problem is not None and expected in problem, problem
    assert hostile_live(problem) == []  # the link is quoted in a code span that holds it whole


@pytest.mark.parametrize(
    "url",
    [
        "https://backpack.exchange",
        "https://docs.backpack.exchange/api/v1?lang=en#orders",
        "http://docs.example.com:8443/rest",
        "https://docs.example.com/api_(v2)/*",
        "HTTPS://DOCS.EXAMPLE.COM/",
        "https://1.2.3.4.nip.io/",  # a name, not an address (what it resolves to is not checked: see links.py)
        LOOK_ALIKE,
        "https://xn--pple-43d.com/docs",
        "https://bücher.de/api",
    ],
)
def test_public_links_are_accepted(url: str) -> None:
    assert url_problem(url) is None


def test_an_idn_host_is_shown_with_its_punycode() -> None:
    assert idn_forms(LOOK_ALIKE) == ("https://xn--pple-43d.com/docs", LOOK_ALIKE)
    assert idn_forms("https://xn--pple-43d.com/docs") == ("https://xn--pple-43d.com/docs", LOOK_ALIKE)
    # IDNA 2008, as browsers open it: not fass.de.
    assert idn_forms("https://faß.de/") == ("https://xn--fa-hia.de/", "https://faß.de/")
    assert idn_forms("https://docs.example.com/a") == ("https://docs.example.com/a", None)
    shown = discord_link(LOOK_ALIKE)
    assert shown == "<https://xn--pple-43d.com/docs> (Unicode form: `https://\u0430pple.com/docs`)"
    assert github_text.github_link(LOOK_ALIKE) == shown
    assert discord_link("https://docs.example.com/a_b") == "<https://docs.example.com/a_b>"


def test_a_stored_value_that_is_not_a_link_is_shown_as_text() -> None:
    # Typed before links were checked: shown, but never as a link or markup.
    assert discord_link("http://169.254.169.254/") == "`http://169.254.169.254/`"
    assert github_text.github_link("[x](https://evil.example)") == "\\[x\\](<https://evil.example>)"


def test_every_link_field_of_the_intake_is_checked() -> None:
    problems, _ = validate_technical(
        TechnicalAnswers(
            api_docs="https://docs.example.com\nhttp://169.254.169.254/ws",
            auth_method="HMAC",
            rate_limits="10/s",
            testnet_url="https://acme.test@evil.example/",
            special_features="",
        )
    )
    assert len(problems) == 2
    assert problems[0].startswith("API documentation: `http://169.254.169.254/ws` is an IP address")
    assert problems[1].startswith("Testnet / sandbox URL: `https://acme.test@evil.example/` has a user name")

"""User text is inert wherever it is shown: the Discord helpers (bot/domain/inert.py) and GitHub's
(bot/domain/github_text.py), each against every hostile sample, shown as typed and never as markup."""

from __future__ import annotations

import pytest

from bot.domain import github_text
from bot.domain.inert import for_discord, for_discord_code, for_discord_footer, visible
from tests.inert_helpers import HOSTILE, ZWSP, discord_live, discord_shown, github_live, hostile_live


@pytest.mark.parametrize("sample", HOSTILE.values(), ids=HOSTILE.keys())
def test_discord_text_shows_what_was_typed_and_nothing_else(sample: str) -> None:
    shown = for_discord(sample)
    assert discord_live(shown) == [] and hostile_live(shown) == []
    assert discord_shown(shown) == visible(sample)  # a reader sees the letters typed, minus invisible ones


@pytest.mark.parametrize("sample", HOSTILE.values(), ids=HOSTILE.keys())
def test_discord_titles_fold_lines(sample: str) -> None:
    shown = for_discord(sample, one_line=True)
    assert "\n" not in shown and discord_live(shown) == []


@pytest.mark.parametrize("sample", HOSTILE.values(), ids=HOSTILE.keys())
def test_github_text_shows_what_was_typed_and_nothing_else(sample: str) -> None:
    shown = github_text.inert(sample)
    assert github_live(shown) == [] and hostile_live(shown, github=True) == []
    # Not even a copy of the bot's hidden markers survives (a retry looks for them to find its own issue).
    assert "<!--" not in shown


def test_each_kind_of_markup_is_escaped_the_way_discord_reads_it() -> None:
    # The target shows as itself (a whole link is shown as `<link>`): nothing hides where it goes.
    assert for_discord("[a](https://evil.example)") == "\\[a\\](<https://evil.example>)"
    assert for_discord("# Heading\n-# sub\n> quote\n1. one") == "\\# Heading\n\\-# sub\n\\> quote\n1\\. one"
    assert for_discord("<@&1> <#2>") == "\\<@&1> \\<#2>"
    assert for_discord("@everyone @here") == f"@{ZWSP}everyone @{ZWSP}here"
    assert for_discord("a_b *c* ~d~ |e| `f` \\g") == "a\\_b \\*c\\* \\~d\\~ \\|e\\| \\`f\\` \\\\g"


def test_links_in_discord_text_are_shown_whole_and_not_broken_by_escapes() -> None:
    # Escaping the `_` would put a backslash into the address; the whole link is shown as `<link>` instead.
    assert for_discord("see https://docs.example.com/api_v2/a*b.") == "see <https://docs.example.com/api_v2/a*b>."
    assert for_discord("(https://docs.example.com/x)") == "(<https://docs.example.com/x>)"
    # A link holding markup characters is text, not a link: Discord cannot be made to link it either.
    assert for_discord("https://good.example](https://evil.example)") == (
        "https\\://good.example\\](https://evil.example)"
    )


def test_invisible_characters_are_dropped_but_joiners_kept() -> None:
    assert visible("a\u200bb\u202ec\u2066d\x00e\ufeff\tf") == "abcde f"
    assert visible("👩\u200d💻 می\u200cخواهم") == "👩\u200d💻 می\u200cخواهم"
    assert visible("one\r\ntwo\u2028three") == "one\ntwo\nthree"


def test_limits_cut_what_was_typed_never_an_escape() -> None:
    shown = for_discord("*" * 100, 21)
    assert len(shown) <= 21 and shown.endswith("…") and not shown[:-1].endswith("\\")
    assert discord_live(shown) == []
    assert for_discord("short", 21) == "short"
    long_link = "https://docs.example.com/" + "a" * 100
    cut = for_discord(f"see {long_link}", 40)
    assert cut == "see…"  # a link is shown whole or not at all


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0xabc", "`0xabc`"),
        ("a`b", "``a`b``"),
        ("`a", "`` `a ``"),
        ("a``b", "`a\u02cb\u02cbb`"),
        ("@everyone", f"`@{ZWSP}everyone`"),
        ("two\nlines", "`two lines`"),
        ("", "` `"),
    ],
)
def test_a_quoted_value_cannot_break_out_of_its_code_span(value: str, expected: str) -> None:
    assert for_discord_code(value) == expected


def test_a_long_quoted_value_is_cut_inside_its_fence() -> None:
    shown = for_discord_code("`" * 50 + "x" * 50, 30)
    assert len(shown) <= 30 and shown.startswith("`") and shown.endswith("`…")


def test_footers_are_plain_text() -> None:
    # Discord shows a footer as it is: a backslash would show, and nothing there is markup.
    assert for_discord_footer("Erin_x, *erin*@ex.com\nline") == "Erin_x, *erin*@ex.com line"
    assert len(for_discord_footer("x" * 300, 100)) == 100


def test_github_escapes_html_markdown_references_and_mentions() -> None:
    assert github_text.inert("<b>&amp;</b>") == "&lt;b&gt;&amp;amp;&lt;/b&gt;"
    assert github_text.inert("[a](https://evil.example)") == "\\[a\\](<https://evil.example>)"
    assert github_text.inert("x #1 GH-2 owner/repo#3") == f"x #{ZWSP}1 GH-{ZWSP}2 owner/repo#{ZWSP}3"
    assert github_text.inert("@octocat") == f"@{ZWSP}octocat"
    assert github_text.inert("# h\n    code\n===\n- x\n2) y") == "\\# h\ncode\n\\===\n\\- x\n2\\) y"
    assert github_text.inert("$x$ a|b") == "\\$x\\$ a\\|b"


def test_github_titles_stay_plain_but_ping_and_link_nothing() -> None:
    title = github_text.inert_title("Crash @octocat\nfixes #12 **x**")
    assert title == f"Crash @{ZWSP}octocat fixes #{ZWSP}12 **x**"  # no reference left to close


def test_github_keeps_links_whole() -> None:
    assert github_text.inert("docs: https://docs.example.com/api_v2.") == "docs: <https://docs.example.com/api_v2>."

"""Text that must fit Discord's limits is shortened between lines or items, never through a link or mention."""

from __future__ import annotations

from bot.domain.notices import clip_lines, summarise


def test_lines_that_fit_are_kept_whole_and_the_rest_counted() -> None:
    text = "\n".join(f"<@{100000 + i}> line {i}" for i in range(50))
    out = clip_lines(text, 200)
    assert len(out) <= 200
    kept, last = out.split("\n")[:-1], out.split("\n")[-1]
    assert all(line in text.split("\n") for line in kept)
    assert last == f"…and {50 - len(kept)} more line(s)"


def test_a_line_is_dropped_only_for_the_count_of_what_follows() -> None:
    text = "a" * 40 + "\n" + "b" * 30
    assert clip_lines(text, 62) == "a" * 40 + "\n" + "…and 1 more line(s)"
    # The count itself must fit: when it does not, the first line is cut at a space instead.
    assert clip_lines("word " * 8 + "\n" + "b" * 30, 56) == "word word word word word word word word…"


def test_a_single_long_line_is_cut_at_a_space_not_through_a_link() -> None:
    link = "https://solana.example/pay?reference=" + "x" * 60
    out = clip_lines(f"Pay here {link} now\nsecond line", 60)
    assert out == "Pay here…"
    assert len(out) <= 60


def test_a_list_is_summarised_with_whole_items_and_a_count() -> None:
    members = [f"<@{10**17 + i}>" for i in range(45)]
    out = summarise(members, 1024)
    assert len(out) <= 1024
    shown, _, rest = out.partition(" and ")
    assert all(m in members for m in shown.split(", "))
    assert rest == f"{45 - len(shown.split(', '))} more"


def test_a_list_whose_first_item_does_not_fit_is_counted_without_a_dangling_space() -> None:
    out = summarise(["x" * 50, "y"], 20)
    assert out == "2 in all, too long to list here"
    assert summarise(["a", "b"], 20) == "a, b"

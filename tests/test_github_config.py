"""The [github] limits the mirror keeps under: GitHub's documented ones unless configured lower."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, parse_config


def github_section(**values: object) -> dict[str, object]:
    return {"discord": {"guild_id": 1}, "github": values}


def test_the_limits_default_to_githubs_own() -> None:
    gh = parse_config(github_section(), {}).github
    assert (gh.content_writes_per_minute, gh.content_writes_per_hour, gh.requests_per_hour) == (80, 500, 5000)


def test_the_hourly_content_limit_can_be_lowered_and_must_be_positive() -> None:
    assert parse_config(github_section(content_writes_per_hour=300), {}).github.content_writes_per_hour == 300
    with pytest.raises(ConfigError) as refused:
        parse_config(github_section(content_writes_per_hour=0), {})
    assert refused.value.problems == ["[github] content_writes_per_hour: must be greater than 0, got 0"]

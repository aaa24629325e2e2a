"""Each field of the intake modals, and the sentence a person gets when it is wrong."""

from __future__ import annotations

import pytest

from bot.domain.intake import (
    ExchangeAnswers,
    TechnicalAnswers,
    exchange_key,
    validate_exchange,
    validate_technical,
)
from tests.conftest import START

GOOD_EXCHANGE = dict(
    exchange="Backpack",
    website="https://backpack.exchange",
    subtypes=["spot"],
    contact="erin@backpack.exchange",
    timeline="",
)
GOOD_TECH = dict(
    api_docs="https://docs.backpack.exchange",
    auth_method="HMAC",
    rate_limits="10/s",
    testnet_url="",
    special_features="",
)


def exchange_problems(**changes: object) -> list[str]:
    return validate_exchange(ExchangeAnswers(**{**GOOD_EXCHANGE, **changes}), now=START)[0]  # type: ignore[arg-type]


def technical_problems(**changes: object) -> list[str]:
    return validate_technical(TechnicalAnswers(**{**GOOD_TECH, **changes}))[0]  # type: ignore[arg-type]


def test_good_answers_pass() -> None:
    assert exchange_problems() == []
    assert technical_problems() == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"exchange": "B"}, "Exchange name: too short, at least 2 characters."),
        ({"exchange": ""}, "Exchange name: required, at least 2 characters."),
        ({"exchange": "x" * 65}, "Exchange name: at most 64 characters (you gave 65)"),
        ({"exchange": "@everyone"}, "Exchange name: use letters, digits"),
        ({"exchange": "<#123> Bad"}, "Exchange name: use letters, digits"),
        ({"website": "ftp://backpack.exchange"}, "Website: `ftp://backpack.exchange` must start with https://"),
        ({"website": "javascript:alert(1)"}, "must start with https://"),
        ({"website": "https://localhost"}, "has no valid host name"),
        ({"website": "https://back pack.exchange"}, "contains spaces"),
        ({"subtypes": []}, "pick at least one sub-type"),
        ({"subtypes": ["spot", "amm"]}, "pick CLOB sub-types or AMM/DEX sub-types, not both"),
        ({"subtypes": ["options"]}, "`options` is not one of the listed sub-types"),
        ({"contact": "x"}, "Contact: too short, at least 3 characters."),
        ({"timeline": "Intro call 2026-02-30 10:00"}, "is not a real date and time"),
        ({"timeline": "Intro call 2026-11-01 10:00"}, "the intro call time is in the past"),
        ({"timeline": "Intro call 2028-01-01 10:00"}, "within the next 180 days"),
        ({"timeline": "x" * 301}, "Timeline and intro call: at most 300 characters"),
    ],
)
def test_each_exchange_field_problem_is_named(changes: dict[str, object], expected: str) -> None:
    problems = exchange_problems(**changes)
    assert len(problems) == 1, problems
    assert expected in problems[0]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"api_docs": ""}, "API documentation: required"),
        ({"api_docs": "docs.example.com/api"}, "API documentation: `docs.example.com/api` must start with https://"),
        (
            {"api_docs": "https://a.example.com https://b.example.com https://c.example.com"},
            "REST docs link on the first",
        ),
        ({"auth_method": ""}, "Authentication method: required"),
        ({"rate_limits": "x" * 301}, "Rate limits: at most 300 characters"),
        ({"testnet_url": "testnet please"}, "Testnet / sandbox URL:"),
        ({"special_features": "x" * 1001}, "Special features: at most 1000 characters"),
    ],
)
def test_each_technical_field_problem_is_named(changes: dict[str, object], expected: str) -> None:
    problems = technical_problems(**changes)
    assert len(problems) == 1, problems
    assert expected in problems[0]


def test_every_problem_is_reported_at_once() -> None:
    problems = exchange_problems(exchange="", website="nope", subtypes=[], contact="")
    assert len(problems) == 4


def test_intro_call_time_and_no_testnet_are_understood() -> None:
    problems, cleaned = validate_exchange(
        ExchangeAnswers(**{**GOOD_EXCHANGE, "timeline": "call 2026-11-27 15:00 UTC"}), now=START
    )  # type: ignore[arg-type]
    assert problems == [] and cleaned["intro_call_at"] == START + 3 * 86400 + 3 * 3600
    problems, tech = validate_technical(TechnicalAnswers(**{**GOOD_TECH, "testnet_url": "None"}))  # type: ignore[arg-type]
    assert problems == [] and tech["testnet_url"] == ""
    assert tech["api_docs_rest"] == tech["api_docs_ws"] == "https://docs.backpack.exchange"


def test_exchange_names_compare_without_case_or_punctuation() -> None:
    assert exchange_key("Back-Pack ") == exchange_key("backpack") == "backpack"

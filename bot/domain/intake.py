"""Validation of what an exchange types into the `/bounty start` modals.

Each problem gets its own sentence naming the field and how to fix it, so a person can correct
everything in one go instead of discovering problems one at a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain.errors import InvalidInput
from bot.domain.inert import for_discord_code, visible
from bot.domain.links import url_problem
from bot.domain.models import ExchangeType, IntakeForm, SubType

LIMITS = {
    "exchange": (2, 64),
    "website": (1, 200),
    "contact": (3, 200),
    "timeline": (0, 300),
    "api_docs": (1, 600),
    "auth_method": (2, 200),
    "rate_limits": (2, 300),
    "testnet_url": (0, 200),
    "special_features": (0, 1000),
}

FIELD_LABELS = {
    "exchange": "Exchange name",
    "website": "Website",
    "subtypes": "Exchange type and sub-types",
    "contact": "Contact",
    "timeline": "Timeline and intro call",
    "api_docs": "API documentation",
    "auth_method": "Authentication method",
    "rate_limits": "Rate limits",
    "testnet_url": "Testnet / sandbox URL",
    "special_features": "Special features",
}

_EXCHANGE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .&_\-]*$")
_INTRO_RE = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2})(?:\s*UTC)?", re.IGNORECASE)
_NO_TESTNET = {"none", "no", "n/a", "na", "-"}
_MAX_INTRO_AHEAD = 180 * 86400


@dataclass(frozen=True)
class ExchangeAnswers:
    """Modal 1 as typed."""

    exchange: str
    website: str
    subtypes: list[str]
    contact: str
    timeline: str


@dataclass(frozen=True)
class TechnicalAnswers:
    """Modal 2 as typed."""

    api_docs: str
    auth_method: str
    rate_limits: str
    testnet_url: str
    special_features: str


def _length(problems: list[str], key: str, value: str) -> None:
    low, high = LIMITS[key]
    label = FIELD_LABELS[key]
    if not value and low:
        problems.append(f"{label}: required, at least {low} characters." if low > 1 else f"{label}: required.")
    elif len(value) < low:
        problems.append(f"{label}: too short, at least {low} characters.")
    elif len(value) > high:
        problems.append(f"{label}: at most {high} characters (you gave {len(value)}); shorten it.")


def validate_exchange(answers: ExchangeAnswers, *, now: int) -> tuple[list[str], dict[str, object]]:
    """Check modal 1. Returns the problems and the cleaned values."""
    problems: list[str] = []
    exchange = " ".join(answers.exchange.split())
    _length(problems, "exchange", exchange)
    if exchange and not _EXCHANGE_RE.match(exchange):
        problems.append("Exchange name: use letters, digits, spaces and . & _ - only (no @, # or links).")
    website = answers.website.strip()
    _length(problems, "website", website)
    if website and (why := url_problem(website)):
        problems.append(f"Website: {why}")

    subtypes: list[SubType] = []
    for raw in answers.subtypes:
        try:
            subtypes.append(SubType(raw))
        except ValueError:
            problems.append(
                f"Exchange type and sub-types: {for_discord_code(raw, 30)} is not one of the listed sub-types."
            )
    kinds = {s.exchange_type for s in subtypes}
    if not answers.subtypes:
        problems.append("Exchange type and sub-types: pick at least one sub-type.")
    elif len(kinds) > 1:
        problems.append(
            "Exchange type and sub-types: pick CLOB sub-types or AMM/DEX sub-types, not both; "
            "start a second bounty for the other type."
        )

    contact = visible(answers.contact).strip()
    _length(problems, "contact", contact)
    timeline = visible(answers.timeline).strip()
    _length(problems, "timeline", timeline)
    intro_at: int | None = None
    if match := _INTRO_RE.search(timeline):
        try:
            when = datetime.strptime(f"{match.group(1)} {match.group(2)}", "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
        except ValueError:
            problems.append(
                f"Timeline and intro call: {for_discord_code(match.group(0))} is not a real date and time; "
                "write it as YYYY-MM-DD HH:MM in UTC."
            )
        else:
            intro_at = int(when.timestamp())
            if intro_at <= now:
                problems.append("Timeline and intro call: the intro call time is in the past; pick a future time.")
            elif intro_at - now > _MAX_INTRO_AHEAD:
                problems.append("Timeline and intro call: the intro call must be within the next 180 days.")

    cleaned: dict[str, object] = {
        "exchange": exchange,
        "website": website,
        "exchange_type": next(iter(kinds)).value if len(kinds) == 1 else None,
        "subtypes": [s.value for s in subtypes],
        "contact": contact,
        "timeline": timeline,
        "intro_call_at": intro_at,
    }
    return problems, cleaned


def validate_technical(answers: TechnicalAnswers) -> tuple[list[str], dict[str, object]]:
    """Check modal 2. Returns the problems and the cleaned values."""
    problems: list[str] = []
    docs_text = answers.api_docs.strip()
    _length(problems, "api_docs", docs_text)
    links = docs_text.split()
    if docs_text and not 1 <= len(links) <= 2:
        problems.append(
            "API documentation: give the REST docs link on the first line and the WebSocket docs link "
            "on the second (one link if a single page covers both)."
        )
    for link in links[:2]:
        if why := url_problem(link):
            problems.append(f"API documentation: {why}")
    rest = links[0] if links else ""
    ws = links[1] if len(links) > 1 else rest

    auth = visible(answers.auth_method).strip()
    _length(problems, "auth_method", auth)
    rate = visible(answers.rate_limits).strip()
    _length(problems, "rate_limits", rate)
    testnet = answers.testnet_url.strip()
    _length(problems, "testnet_url", testnet)
    if testnet.lower() in _NO_TESTNET:
        testnet = ""
    elif testnet and (why := url_problem(testnet)):
        problems.append(f"Testnet / sandbox URL: {why} Write `none` if there is no testnet.")
    special = visible(answers.special_features).strip()
    _length(problems, "special_features", special)
    return problems, {
        "api_docs_rest": rest,
        "api_docs_ws": ws,
        "auth_method": auth,
        "rate_limits": rate,
        "testnet_url": testnet,
        "special_features": special,
    }


def build_form(exchange_part: dict[str, object], technical_part: dict[str, object]) -> IntakeForm:
    """Join the two validated halves into one form."""
    both = {**exchange_part, **technical_part}
    intro = both["intro_call_at"]
    return IntakeForm(
        exchange=str(both["exchange"]),
        website=str(both["website"]),
        exchange_type=ExchangeType(str(both["exchange_type"])),
        subtypes=tuple(SubType(str(s)) for s in both["subtypes"]),  # type: ignore[attr-defined]
        contact=str(both["contact"]),
        timeline=str(both["timeline"]),
        api_docs_rest=str(both["api_docs_rest"]),
        api_docs_ws=str(both["api_docs_ws"]),
        auth_method=str(both["auth_method"]),
        rate_limits=str(both["rate_limits"]),
        testnet_url=str(both["testnet_url"]),
        special_features=str(both["special_features"]),
        intro_call_at=int(intro) if isinstance(intro, int) else None,
    )


def exchange_key(name: str) -> str:
    """The form used to compare exchange names for the one-open-bounty rule."""
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def raise_if(problems: list[str]) -> None:
    if problems:
        raise InvalidInput(problems)

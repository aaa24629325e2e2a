"""The bounty and what hangs off it, as plain typed values."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.lifecycle import State


class ExchangeType(StrEnum):
    CLOB = "clob"
    AMM = "amm"

    @property
    def label(self) -> str:
        return "CLOB" if self is ExchangeType.CLOB else "AMM/DEX (Gateway)"


class SubType(StrEnum):
    SPOT = "spot"
    PERPETUAL = "perpetual"
    MARGIN = "margin"
    AMM = "amm"
    CLMM = "clmm"
    ROUTER = "router"
    LIQUIDITY = "liquidity"

    @property
    def exchange_type(self) -> ExchangeType:
        return ExchangeType.CLOB if self in _CLOB_SUBTYPES else ExchangeType.AMM

    @property
    def label(self) -> str:
        return _SUBTYPE_LABELS[self]


_CLOB_SUBTYPES = frozenset({SubType.SPOT, SubType.PERPETUAL, SubType.MARGIN})
_SUBTYPE_LABELS = {
    SubType.SPOT: "Spot",
    SubType.PERPETUAL: "Perpetual",
    SubType.MARGIN: "Margin",
    SubType.AMM: "AMM",
    SubType.CLMM: "CLMM",
    SubType.ROUTER: "Router",
    SubType.LIQUIDITY: "Liquidity provision",
}


class MemberRole(StrEnum):
    LEAD = "lead"  # the exchange representative who started the bounty
    EXCHANGE = "exchange"  # further members of the exchange team
    DEVELOPER = "developer"


class ReviewItem(StrEnum):
    """The technical review of day 3–4 (process document)."""

    API_DOCS = "api_docs"
    AUTHENTICATION = "authentication"
    RATE_LIMITS = "rate_limits"
    TESTNET = "testnet"
    SPECIAL_FEATURES = "special_features"

    @property
    def label(self) -> str:
        return _REVIEW_LABELS[self]


_REVIEW_LABELS = {
    ReviewItem.API_DOCS: "API documentation (REST and WebSocket)",
    ReviewItem.AUTHENTICATION: "Authentication methodology",
    ReviewItem.RATE_LIMITS: "Rate limits and restrictions",
    ReviewItem.TESTNET: "Testnet/sandbox availability",
    ReviewItem.SPECIAL_FEATURES: "Special features or requirements",
}


class ReviewStatus(StrEnum):
    OK = "ok"
    MISSING = "missing"


@dataclass(frozen=True)
class IntakeForm:
    """What the exchange told us in the `/bounty start` modals, already validated."""

    exchange: str
    website: str
    exchange_type: ExchangeType
    subtypes: tuple[SubType, ...]
    contact: str
    timeline: str
    api_docs_rest: str
    api_docs_ws: str
    auth_method: str
    rate_limits: str
    testnet_url: str
    special_features: str
    intro_call_at: int | None = None  # unix seconds, when the requester named a time


@dataclass(frozen=True)
class Bounty:
    id: int
    guild_id: int
    requester_id: int
    form: IntakeForm
    state: State
    state_since: int
    fee_usd: int
    created_at: int
    channel_id: int | None = None

    @property
    def exchange(self) -> str:
        return self.form.exchange

    @property
    def ref(self) -> str:
        return f"#{self.id} {self.form.exchange}"


@dataclass(frozen=True)
class Member:
    bounty_id: int
    user_id: int
    role: MemberRole
    added_by: int
    added_at: int


@dataclass(frozen=True)
class ReviewEntry:
    item: ReviewItem
    status: ReviewStatus
    note: str
    reviewer_id: int
    recorded_at: int


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: int
    actor_id: int | None
    bounty_id: int | None
    action: str
    detail: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class StatePeriod:
    state: State
    entered_at: int
    left_at: int | None

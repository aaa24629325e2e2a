"""What the abuse suite found: counts per test, failures grouped by cause, and the run's summary."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field

# Causes, by the question they answer. A crash is the bot falling over; an escape is someone reaching what they
# should not (a ping, an action from the wrong place or person); the rest mislead or break the platform's rules.
CRASHES = (
    "no answer within 3 s",
    "answered after the 3 s deadline",
    "no answer after deferring",
    "apology",
    "error logged",
)
ESCAPES = ("pinged", "accepted (must be refused)")
ORDER = (
    *CRASHES,
    *ESCAPES,
    "changed on refusal",
    "live markdown in a public message",
    "mention resolved in an ephemeral reply",
    "not a short ephemeral answer",
    "Discord refused the bot's request",
    "outbox gave up",
    "suite: control refused",
    "suite: could not reach the field",
)


@dataclass(frozen=True)
class Failure:
    cause: str
    command: str  # "/bounty cancel", "component", "form"
    field: str  # the option or form field fed, or what was sent
    category: str
    entry: str
    detail: str


@dataclass
class Tally:
    """One test's figures."""

    name: str
    inputs: set[int] = field(default_factory=set)
    cases: int = 0  # cases sent to the bot
    interactions: int = 0
    client_refused: int = 0  # values the Discord client would not send for that field (not sent)
    accepted: int = 0
    refused: int = 0
    seconds: float = 0.0
    failures: list[Failure] = field(default_factory=list)

    def fail(self, cause: str, command: str, field_: str, category: str, entry: str, detail: str) -> None:
        self.failures.append(Failure(cause, command, field_, category, entry, " ⏎ ".join(detail.splitlines())[:240]))

    def failed_cases(self, causes: tuple[str, ...]) -> int:
        return len({(f.command, f.field, f.entry) for f in self.failures if f.cause in causes})

    def render(self, *, examples: int = 2) -> str:
        """The failures grouped by cause, command and category, each group with a count and examples."""
        groups: dict[tuple[str, str, str], list[Failure]] = defaultdict(list)
        for f in self.failures:
            groups[(f.cause, f.command, f.category)].append(f)
        rank = {c: i for i, c in enumerate(ORDER)}
        lines = [self.headline()]
        for (cause, command, category), found in sorted(
            groups.items(), key=lambda kv: (rank.get(kv[0][0], 99), kv[0][1], kv[0][2])
        ):
            fields = ", ".join(sorted({f.field for f in found}))
            lines.append(f"- {cause} · {command} [{fields}] · {category}: {len(found)}")
            for f in found[:examples]:
                lines.append(f"    {f.entry} → {f.detail}")
        return "\n".join(lines)

    def headline(self) -> str:
        return (
            f"{self.name}: {len(self.inputs)} inputs, {self.cases} cases ({self.interactions} interactions, "
            f"{self.accepted} accepted, {self.refused} refused), {self.client_refused} not sendable by a Discord "
            f"client, {len(self.failures)} failures: {self.failed_cases(CRASHES)} crashes, "
            f"{self.failed_cases(ESCAPES)} escapes; {self.seconds:.1f} s"
        )


@dataclass
class Report:
    tallies: list[Tally] = field(default_factory=list)

    def render(self) -> str:
        if not self.tallies:
            return ""
        inputs: set[int] = set().union(*(t.inputs for t in self.tallies))
        failures = [f for t in self.tallies for f in t.failures]
        causes = Counter(f.cause for f in failures)
        by_command = Counter((f.cause, f.command) for f in failures)
        lines = [
            f"abuse suite: {len(inputs)} corpus inputs used, {sum(t.cases for t in self.tallies)} cases, "
            f"{sum(t.interactions for t in self.tallies)} interactions, "
            f"{sum(t.client_refused for t in self.tallies)} values no Discord client sends, "
            f"{sum(t.failed_cases(CRASHES) for t in self.tallies)} crashes, "
            f"{sum(t.failed_cases(ESCAPES) for t in self.tallies)} escapes, {len(failures)} failures, "
            f"{sum(t.seconds for t in self.tallies):.1f} s",
        ]
        lines += [f"  {t.headline()}" for t in self.tallies]
        rank = {c: i for i, c in enumerate(ORDER)}
        for cause in sorted(causes, key=lambda c: rank.get(c, 99)):
            per = ", ".join(f"{cmd} {n}" for (c, cmd), n in sorted(by_command.items()) if c == cause)
            lines.append(f"  {cause}: {causes[cause]} ({per})")
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(
            [
                {
                    "test": t.name,
                    "inputs": len(t.inputs),
                    "cases": t.cases,
                    "interactions": t.interactions,
                    "client_refused": t.client_refused,
                    "seconds": round(t.seconds, 1),
                    "failures": [asdict(f) for f in t.failures],
                }
                for t in self.tallies
            ],
            ensure_ascii=False,
            indent=1,
        )


REPORT = Report()

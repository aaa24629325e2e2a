"""Errors a user can understand: each carries one clear sentence for the person who caused it."""

from __future__ import annotations


class UserFacingError(Exception):
    """An expected refusal. Its message is shown to the user as is, ephemerally."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RuleViolation(UserFacingError):
    """The request breaks a rule of the program (an illegal transition, a duplicate bounty, …)."""


class NotAllowed(UserFacingError):
    """The person may not do this."""


class InvalidInput(UserFacingError):
    """What was typed is wrong; `problems` holds one sentence per field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(f"• {p}" for p in problems))
        self.problems = problems


class NotFound(UserFacingError):
    """The thing asked for does not exist (or is not visible to the asker)."""


class Conflict(UserFacingError):
    """Someone else changed the thing first: the request was decided on what no longer holds, so nothing was done."""


class Unavailable(UserFacingError):
    """An outside system the request needs did not answer: nothing was done, and trying again later may work."""

"""Logging, configured once. A filter scrubs every configured secret from every record."""

from __future__ import annotations

import logging
from collections.abc import Iterable

REDACTED = "[redacted]"


class SecretFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 4]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        changed = False
        for secret in self.secrets:
            if secret in message:
                message = message.replace(secret, REDACTED)
                changed = True
            if record.exc_text and secret in record.exc_text:
                record.exc_text = record.exc_text.replace(secret, REDACTED)
        if changed:
            record.msg, record.args = message, None
        return True


class _NoVoiceNotice(logging.Filter):
    """discord.py warns at every start that voice support is not installed; the bot never uses voice."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == "discord.client" and "voice will NOT be supported" in record.getMessage())


class _NoSkippedWake(logging.Filter):
    """APScheduler warns when a timer pass is skipped because three are already running. Those three wait on
    the timers' lock and each reads what is due when it runs, so the skipped one was redundant (bot/timers.py)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.name == "apscheduler.scheduler" and "maximum number of running instances" in record.getMessage()
        )


def configure(level: str, secrets: Iterable[str]) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.addFilter(SecretFilter(secrets))
    handler.addFilter(_NoVoiceNotice())
    handler.addFilter(_NoSkippedWake())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # discord.py's own loggers are chatty at INFO; keep them at WARNING unless debugging.
    if level != "DEBUG":
        logging.getLogger("discord").setLevel(logging.WARNING)

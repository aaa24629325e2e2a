"""What every service needs: configuration, the clock, changes (transactions) and the outbox to wait on."""

from __future__ import annotations

from dataclasses import dataclass

from bot.changes import Changes
from bot.clock import Clock
from bot.config import Config
from bot.outbox import Outbox


@dataclass(frozen=True)
class ServiceContext:
    config: Config
    clock: Clock
    changes: Changes
    outbox: Outbox

    @property
    def conn(self):
        """The connection for reads outside a change."""
        return self.changes.db.conn

"""The SQLite database: connection settings, transactions and migrations.

One connection serves the whole bot. Writes go through :meth:`Database.transaction`, which holds a
lock so that one change (state, audit row, timers, outbox rows) commits or rolls back as a unit. Its
BEGIN IMMEDIATE takes SQLite's write lock at once, so a change's reads and its writes are serialised with
every other writer, in this process or another bot's on the same file: what it read is still true when it
writes.

A read runs to its end in one trip to the database thread (``execute_fetchall``), never as a cursor held
open across an await. A statement left open keeps the connection's snapshot of the database; a change that
begins while another task's cursor holds a snapshot another process has since written past cannot take the
write lock (SQLite answers "database is locked" at once, without waiting).
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

# A package of its own so that the .sql files ship with an installed bot (Docker), not only a checkout.
MIGRATIONS_DIR = Path(str(resources.files("migrations")))
_MIGRATION_RE = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


class DatabaseTooNew(RuntimeError):
    """The database was migrated by a newer BountyBot than this one."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def discover_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_RE.match(path.name)
        if not match:
            raise RuntimeError(f"migration file {path.name} is not named NNN_description.sql")
        found.append(Migration(int(match.group(1)), match.group(2), path.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    # Numbers are reserved by the branch that needs them (several are written at once), so one branch may
    # have 007 before 006 exists. What must never happen is one number used twice.
    if len(set(versions)) != len(versions) or 0 in versions:
        raise RuntimeError(f"migrations must be numbered 001, 002, … each number once; found {versions}")
    return found


def _split_statements(sql: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies (BEGIN … END;) whole."""
    statements: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        if line.lstrip().startswith("--") and not buffer.strip():
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


class Database:
    """An open database. Use :func:`open_database` to get one."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._write_lock = asyncio.Lock()
        self._closed = False
        # Changes waiting for the one before them to commit: how contended writing is right now (and what a
        # test watches to queue two commands in a known order behind a change it holds open).
        self.waiting = 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One atomic change. Everything done with the yielded connection commits together."""
        self.waiting += 1
        try:
            await self._write_lock.acquire()
        finally:
            self.waiting -= 1
        try:
            try:
                await self.conn.execute("BEGIN IMMEDIATE")
            except asyncio.CancelledError:
                # Cancelled on its way: the database thread may still run the BEGIN, which would leave the one
                # connection inside a transaction nobody ends. A rollback queued behind it ends it (or does nothing).
                await self.conn.rollback()
                raise
            try:
                yield self.conn
            except BaseException:
                await self.conn.rollback()
                raise
            else:
                await self.conn.commit()
        finally:
            self._write_lock.release()

    async def schema_version(self) -> int:
        tables = list(
            await self.conn.execute_fetchall(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
            )
        )
        if not tables:
            return 0
        rows = list(await self.conn.execute_fetchall("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))
        return int(rows[0][0]) if rows else 0

    async def applied_versions(self) -> set[int]:
        if await self.schema_version() == 0:
            return set()
        return {int(row[0]) for row in await self.conn.execute_fetchall("SELECT version FROM schema_migrations")}

    async def migrate(self, migrations: list[Migration] | None = None, *, target: int | None = None) -> list[Migration]:
        """Apply pending migrations (up to `target`, if given: a test builds an old database with it), each in
        its own transaction. Returns those applied.

        Pending means not recorded yet, not "numbered above the newest recorded": a number reserved by one
        branch (006) may land after a later one (007) was applied, and must still be applied then."""
        migrations = discover_migrations() if migrations is None else migrations
        latest = migrations[-1].version if migrations else 0
        current = await self.schema_version()
        if current > latest:
            raise DatabaseTooNew(
                f"{self.path} is at schema version {current}, but this BountyBot only knows up to {latest}; "
                "run the newer BountyBot, or restore a backup taken before the upgrade"
            )
        done = await self.applied_versions()
        applied: list[Migration] = []
        for migration in migrations:
            if migration.version in done or (target is not None and migration.version > target):
                continue
            async with self.transaction() as tx:
                # Read again under the write lock: another bot starting on this database at the same moment may
                # have applied it since the read above, and applying it twice would fail the start.
                if migration.version in await self.applied_versions():
                    continue
                await tx.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
                )
                for statement in _split_statements(migration.sql):
                    await tx.execute(statement)
                await tx.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, datetime('now'))",
                    (migration.version, migration.name),
                )
            log.info("applied migration %03d_%s", migration.version, migration.name)
            applied.append(migration)
        return applied

    async def backup(self, target: Path) -> None:
        """Copy the live database to `target` with SQLite's online backup (safe while running)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        async with self._write_lock, aiosqlite.connect(target) as dest:
            await self.conn.backup(dest)

    async def close(self) -> None:
        # Closing twice would wait forever on aiosqlite's finished worker thread.
        if not self._closed:
            self._closed = True
            await self.conn.close()


async def open_database(path: Path) -> Database:
    """Open (creating if needed) the database with WAL and foreign keys on."""
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: we issue BEGIN ourselves, so nothing opens a transaction behind our back.
    conn = await aiosqlite.connect(path, isolation_level=None)
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA synchronous = NORMAL")
    await conn.execute("PRAGMA busy_timeout = 5000")
    return Database(conn, path)

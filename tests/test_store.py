"""The database: WAL and foreign keys, numbered migrations in one transaction each, an append-only audit log."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.store import audit
from bot.store.db import DatabaseTooNew, Migration, discover_migrations, open_database


async def test_a_fresh_database_gets_every_migration_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "b.db")
    applied = await db.migrate()
    assert [m.version for m in applied] == [m.version for m in discover_migrations()]
    assert await db.schema_version() == discover_migrations()[-1].version
    async with db.conn.execute("PRAGMA journal_mode") as cur:
        assert (await cur.fetchone())[0] == "wal"  # type: ignore[index]
    async with db.conn.execute("PRAGMA foreign_keys") as cur:
        assert (await cur.fetchone())[0] == 1  # type: ignore[index]
    assert await db.migrate() == []  # nothing pending the second time
    await db.close()


async def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "b.db")
    await db.migrate()
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO schema_migrations VALUES (99, 'future', datetime('now'))")
    with pytest.raises(DatabaseTooNew, match="schema version 99"):
        await db.migrate()
    await db.close()


async def test_a_failing_migration_leaves_nothing_behind(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "b.db")
    broken = [Migration(1, "half", "CREATE TABLE a (x INTEGER);\nCREATE TABLE a (x INTEGER);\n")]
    with pytest.raises(sqlite3.OperationalError):
        await db.migrate(broken)
    assert await db.schema_version() == 0
    async with db.conn.execute("SELECT name FROM sqlite_master WHERE name = 'a'") as cur:
        assert await cur.fetchone() is None
    await db.close()


async def test_the_audit_log_cannot_be_rewritten(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "b.db")
    await db.migrate()
    async with db.transaction() as tx:
        await audit.append(tx, at=1, actor_id=5, bounty_id=None, action="x", detail={"a": 1})
    for statement in ("UPDATE audit_log SET action = 'y'", "DELETE FROM audit_log"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            async with db.transaction() as tx:
                await tx.execute(statement)
    await db.close()


def test_migrate_and_backup_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[discord]\nguild_id = 42\n[database]\npath = "live.db"\n')
    assert main(["backup", str(tmp_path / "x.db"), "--config", str(config)]) == 2
    assert "no database" in capsys.readouterr().err
    assert main(["migrate", "--config", str(config)]) == 0
    assert f"schema version {discover_migrations()[-1].version}" in capsys.readouterr().out
    target = tmp_path / "backups" / "copy.db"
    assert main(["backup", str(target), "--config", str(config)]) == 0
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT MAX(version) FROM schema_migrations").fetchone() == (
            discover_migrations()[-1].version,
        )
    assert main(["backup", str(target), "--config", str(config)]) == 2
    assert "already exists" in capsys.readouterr().err


async def test_a_migration_numbered_below_one_already_applied_is_applied_when_it_arrives(tmp_path: Path) -> None:
    # Numbers are reserved by the branches that write them: 008 may reach a database before 006 does.
    first, third = Migration(1, "a", "CREATE TABLE a (x INTEGER);"), Migration(3, "c", "CREATE TABLE c (x INTEGER);")
    db = await open_database(tmp_path / "b.db")
    assert await db.migrate([first, third]) == [first, third]
    second = Migration(2, "b", "CREATE TABLE b (x INTEGER);")
    assert await db.migrate([first, second, third]) == [second]
    assert await db.applied_versions() == {1, 2, 3}
    await db.close()


def test_two_migrations_with_one_number_are_refused(tmp_path: Path) -> None:
    for name in ("006_weekly.sql", "006_money.sql"):
        (tmp_path / name).write_text("SELECT 1;\n")
    with pytest.raises(RuntimeError, match="two migrations share a number"):
        discover_migrations(tmp_path)

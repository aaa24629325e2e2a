"""Releases (which Hummingbot release shipped each bounty) and maintenance years."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.domain.releases import MaintenanceYear, Release

_RELEASE = "bounty_id, version, released_at, source, url, github_id, recorded_by, recorded_at"
_YEAR = "bounty_id, year, starts_at, ends_at, renewed_at"


async def record(conn: aiosqlite.Connection, release: Release) -> bool:
    """Record `release`; False (and nothing written) when the bounty's release is recorded already."""
    cur = await conn.execute(
        f"INSERT OR IGNORE INTO releases ({_RELEASE}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            release.bounty_id,
            release.version,
            release.released_at,
            release.source,
            release.url,
            release.github_id,
            release.recorded_by,
            release.recorded_at,
        ),
    )
    return cur.rowcount == 1


async def for_bounty(conn: aiosqlite.Connection, bounty_id: int) -> Release | None:
    rows = list(await conn.execute_fetchall(f"SELECT {_RELEASE} FROM releases WHERE bounty_id = ?", (bounty_id,)))
    return Release(*rows[0]) if rows else None


@dataclass(frozen=True)
class ReleaseDate:
    version: str
    released_at: int  # the earliest recorded date of that version


async def release_dates(conn: aiosqlite.Connection) -> list[ReleaseDate]:
    """Every Hummingbot release that shipped a bounty, oldest first, each version once with its earliest
    recorded date. The minor-bug SLA's release calendar (DESIGN.md §7) and the "bugs in the first month"
    metric read these; a bounty's own date is :func:`for_bounty`'s `released_at`."""
    rows = await conn.execute_fetchall(
        "SELECT version, MIN(released_at) AS at FROM releases GROUP BY version ORDER BY at, version"
    )
    return [ReleaseDate(str(r[0]), int(r[1])) for r in rows]


async def add_year(conn: aiosqlite.Connection, year: MaintenanceYear) -> bool:
    cur = await conn.execute(
        f"INSERT OR IGNORE INTO maintenance_years ({_YEAR}) VALUES (?, ?, ?, ?, ?)",
        (year.bounty_id, year.year, year.starts_at, year.ends_at, year.renewed_at),
    )
    return cur.rowcount == 1


async def years(conn: aiosqlite.Connection, bounty_id: int) -> list[MaintenanceYear]:
    rows = await conn.execute_fetchall(
        f"SELECT {_YEAR} FROM maintenance_years WHERE bounty_id = ? ORDER BY year", (bounty_id,)
    )
    return [MaintenanceYear(*r) for r in rows]


async def year(conn: aiosqlite.Connection, bounty_id: int, number: int) -> MaintenanceYear | None:
    rows = list(
        await conn.execute_fetchall(
            f"SELECT {_YEAR} FROM maintenance_years WHERE bounty_id = ? AND year = ?", (bounty_id, number)
        )
    )
    return MaintenanceYear(*rows[0]) if rows else None


async def mark_renewed(conn: aiosqlite.Connection, bounty_id: int, number: int, now: int) -> bool:
    """Year `number`'s renewal was paid; False when it was already (nothing written)."""
    cur = await conn.execute(
        "UPDATE maintenance_years SET renewed_at = ? WHERE bounty_id = ? AND year = ? AND renewed_at IS NULL",
        (now, bounty_id, number),
    )
    return cur.rowcount == 1

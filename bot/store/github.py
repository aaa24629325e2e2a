"""The GitHub mirror's memory: each bounty's issue and board item, handled deliveries, PR states, ETags, writes
whose answer was lost."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite


@dataclass(frozen=True)
class IssueRow:
    bounty_id: int
    number: int
    url: str
    node_id: str
    project_item_id: str | None
    board_status: str | None


_COLUMNS = "bounty_id, number, url, node_id, project_item_id, board_status"


async def save_issue(conn: aiosqlite.Connection, bounty_id: int, number: int, url: str, node_id: str, now: int) -> None:
    await conn.execute(
        "INSERT OR IGNORE INTO github_issues (bounty_id, number, url, node_id, created_at) VALUES (?, ?, ?, ?, ?)",
        (bounty_id, number, url, node_id, now),
    )


async def issue_for(conn: aiosqlite.Connection, bounty_id: int) -> IssueRow | None:
    rows = list(await conn.execute_fetchall(f"SELECT {_COLUMNS} FROM github_issues WHERE bounty_id = ?", (bounty_id,)))
    return IssueRow(*rows[0]) if rows else None


async def by_number(conn: aiosqlite.Connection, number: int) -> IssueRow | None:
    rows = list(await conn.execute_fetchall(f"SELECT {_COLUMNS} FROM github_issues WHERE number = ?", (number,)))
    return IssueRow(*rows[0]) if rows else None


async def set_board(conn: aiosqlite.Connection, bounty_id: int, item_id: str, status: str) -> None:
    await conn.execute(
        "UPDATE github_issues SET project_item_id = ?, board_status = ? WHERE bounty_id = ?",
        (item_id, status, bounty_id),
    )


async def first_delivery(conn: aiosqlite.Connection, delivery: str, event: str, now: int) -> bool:
    """Record a webhook delivery; False when it was seen before (a replay)."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO github_deliveries (id, event, received_at) VALUES (?, ?, ?)", (delivery, event, now)
    )
    return cur.rowcount == 1


async def pull_state(conn: aiosqlite.Connection, number: int) -> str | None:
    rows = list(await conn.execute_fetchall("SELECT state FROM github_pull_requests WHERE number = ?", (number,)))
    return str(rows[0][0]) if rows else None


async def set_pull_state(conn: aiosqlite.Connection, number: int, bounty_id: int, state: str, now: int) -> None:
    await conn.execute(
        "INSERT INTO github_pull_requests (number, bounty_id, state, seen_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (number) DO UPDATE SET state = excluded.state, seen_at = excluded.seen_at",
        (number, bounty_id, state, now),
    )


async def etag(conn: aiosqlite.Connection, resource: str) -> str | None:
    rows = list(await conn.execute_fetchall("SELECT etag FROM github_poll WHERE resource = ?", (resource,)))
    return str(rows[0][0]) if rows else None


async def set_etag(conn: aiosqlite.Connection, resource: str, value: str) -> None:
    await conn.execute(
        "INSERT INTO github_poll (resource, etag) VALUES (?, ?)"
        " ON CONFLICT (resource) DO UPDATE SET etag = excluded.etag",
        (resource, value),
    )


async def first_issue_at(conn: aiosqlite.Connection) -> int | None:
    """When the bot opened its first issue (its clock): no comment from before then can concern a bounty."""
    rows = list(await conn.execute_fetchall("SELECT MIN(created_at) FROM github_issues"))
    return int(rows[0][0]) if rows and rows[0][0] is not None else None


# A write whose answer may have been lost. It is noted before the request goes out and forgotten once GitHub's
# answer settles it, so a retry knows whether to look for it first, and since when.


async def write_begun(conn: aiosqlite.Connection, key: str, now: int) -> int | None:
    """Note that the write `key` is about to be sent; returns when an earlier attempt was (None: the first)."""
    rows = list(await conn.execute_fetchall("SELECT begun_at FROM github_writes WHERE key = ?", (key,)))
    if rows:
        return int(rows[0][0])
    await conn.execute("INSERT INTO github_writes (key, begun_at) VALUES (?, ?)", (key, now))
    return None


async def write_settled(conn: aiosqlite.Connection, key: str) -> None:
    """GitHub answered the write `key` (made, or refused before anything was made): nothing to look for."""
    await conn.execute("DELETE FROM github_writes WHERE key = ?", (key,))


async def pull_bounty(conn: aiosqlite.Connection, number: int) -> int | None:
    """The bounty a pull request was linked to (it referenced the bounty's issue), if any."""
    rows = list(await conn.execute_fetchall("SELECT bounty_id FROM github_pull_requests WHERE number = ?", (number,)))
    return int(rows[0][0]) if rows else None

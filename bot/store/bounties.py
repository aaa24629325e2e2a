"""Bounties, their members, review items and state history."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from bot.domain.bugs import Bug
from bot.domain.checklists import ChecklistKind
from bot.domain.lifecycle import CLOSED, State
from bot.domain.models import (
    Bounty,
    ExchangeType,
    IntakeForm,
    Member,
    MemberRole,
    ReviewEntry,
    ReviewItem,
    ReviewStatus,
    StatePeriod,
    SubType,
)
from bot.domain.qa import QaRecord
from bot.store import bugs as bug_store
from bot.store import qa as qa_store

_COLUMNS = "id, guild_id, requester_id, form, state, state_since, fee_usd, created_at, channel_id"
# Written out as in the partial index `bounties_one_open_per_exchange` (migrations/001): SQLite uses a partial
# index only for a query whose WHERE repeats the index's own terms, literals and all. With the states bound
# as parameters it scanned every bounty instead (5 ms at 10,000, twice per intake, holding the one connection).
_OPEN = "state NOT IN ('ended', 'cancelled', 'refunded')"
if {s.value for s in CLOSED} != {"ended", "cancelled", "refunded"}:  # checked at import, even under -O
    raise RuntimeError("lifecycle.CLOSED changed: update _OPEN here and the index in the migrations")


def _form_to_json(form: IntakeForm) -> str:
    data = dataclasses.asdict(form)
    data["exchange_type"] = form.exchange_type.value
    data["subtypes"] = [s.value for s in form.subtypes]
    return json.dumps(data, separators=(",", ":"))


def _form_from_json(text: str) -> IntakeForm:
    data = json.loads(text)
    data["exchange_type"] = ExchangeType(data["exchange_type"])
    data["subtypes"] = tuple(SubType(s) for s in data["subtypes"])
    return IntakeForm(**data)


def _row_to_bounty(row: Any) -> Bounty:
    return Bounty(
        id=int(row[0]),
        guild_id=int(row[1]),
        requester_id=int(row[2]),
        form=_form_from_json(str(row[3])),
        state=State(str(row[4])),
        state_since=int(row[5]),
        fee_usd=int(row[6]),
        created_at=int(row[7]),
        channel_id=int(row[8]) if row[8] is not None else None,
    )


async def insert(
    conn: aiosqlite.Connection, *, guild_id: int, requester_id: int, form: IntakeForm, fee_usd: int, now: int, key: str
) -> int:
    cur = await conn.execute(
        "INSERT INTO bounties (guild_id, requester_id, exchange, exchange_key, form, state, state_since,"
        " fee_usd, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (guild_id, requester_id, form.exchange, key, _form_to_json(form), State.INTAKE.value, now, fee_usd, now, now),
    )
    bounty_id = int(cur.lastrowid or 0)
    await conn.execute(
        "INSERT INTO state_periods (bounty_id, state, entered_at) VALUES (?, ?, ?)",
        (bounty_id, State.INTAKE.value, now),
    )
    return bounty_id


async def get(conn: aiosqlite.Connection, bounty_id: int) -> Bounty | None:
    rows = list(await conn.execute_fetchall(f"SELECT {_COLUMNS} FROM bounties WHERE id = ?", (bounty_id,)))
    return _row_to_bounty(rows[0]) if rows else None


async def by_channel(conn: aiosqlite.Connection, channel_id: int) -> Bounty | None:
    rows = list(await conn.execute_fetchall(f"SELECT {_COLUMNS} FROM bounties WHERE channel_id = ?", (channel_id,)))
    return _row_to_bounty(rows[0]) if rows else None


async def open_by_exchange_key(conn: aiosqlite.Connection, key: str) -> Bounty | None:
    rows = list(
        await conn.execute_fetchall(f"SELECT {_COLUMNS} FROM bounties WHERE exchange_key = ? AND {_OPEN}", (key,))
    )
    return _row_to_bounty(rows[0]) if rows else None


async def list_all(conn: aiosqlite.Connection, states: Iterable[State] | None = None) -> list[Bounty]:
    args: tuple[str, ...] = ()
    if states is None:
        query = f"SELECT {_COLUMNS} FROM bounties ORDER BY id"
    else:
        wanted = tuple(s.value for s in states)
        marks = ", ".join("?" for _ in wanted)
        query, args = f"SELECT {_COLUMNS} FROM bounties WHERE state IN ({marks}) ORDER BY id", wanted
    return [_row_to_bounty(row) for row in await conn.execute_fetchall(query, args)]


@dataclass(frozen=True)
class BountyLine:
    """One bounty as a list shows it: no form, no history."""

    id: int
    exchange: str
    state: State
    state_since: int
    channel_id: int | None


@dataclass(frozen=True)
class Listing:
    lines: list[BountyLine]  # newest first
    total: int  # how many match, listed or not


_LIST_ALL = "SELECT id, exchange, state, state_since, channel_id FROM bounties ORDER BY id DESC LIMIT ?"
_LIST_IN_STATE = (
    "SELECT id, exchange, state, state_since, channel_id FROM bounties WHERE state = ? ORDER BY id DESC LIMIT ?"
)


async def listing(conn: aiosqlite.Connection, state: State | None, limit: int) -> Listing:
    """The newest `limit` bounties (in `state`, if given), only the columns a list shows, and how many match.

    A list never reads every bounty's form: at 10,000 bounties, parsing them all held the event loop for
    a quarter of a second to show forty lines.
    """
    if state is None:
        rows = await conn.execute_fetchall(_LIST_ALL, (limit,))
        counted = list(await conn.execute_fetchall("SELECT COUNT(*) FROM bounties"))
    else:
        rows = await conn.execute_fetchall(_LIST_IN_STATE, (state.value, limit))
        counted = list(await conn.execute_fetchall("SELECT COUNT(*) FROM bounties WHERE state = ?", (state.value,)))
    lines = [BountyLine(int(r[0]), str(r[1]), State(r[2]), int(r[3]), r[4]) for r in rows]
    return Listing(lines, int(counted[0][0]))


async def for_member(conn: aiosqlite.Connection, user_id: int) -> list[Bounty]:
    rows = await conn.execute_fetchall(
        f"SELECT {', '.join('b.' + c.strip() for c in _COLUMNS.split(','))} FROM bounties b"
        " JOIN bounty_members m ON m.bounty_id = b.id WHERE m.user_id = ? ORDER BY b.id",
        (user_id,),
    )
    return [_row_to_bounty(row) for row in rows]


async def set_state(conn: aiosqlite.Connection, bounty_id: int, state: State, now: int, *, expected: State) -> bool:
    """Move the bounty to `state` only if it is still in `expected` (the state the move was decided on).

    False, and nothing written, when it is not: someone else moved it first and the caller's decision no
    longer holds. Inside a write transaction (BEGIN IMMEDIATE) nobody can move it between this check and
    the write, in this process or another.
    """
    cur = await conn.execute(
        "UPDATE bounties SET state = ?, state_since = ?, updated_at = ? WHERE id = ? AND state = ?",
        (state.value, now, now, bounty_id, expected.value),
    )
    if cur.rowcount != 1:
        return False
    await conn.execute("UPDATE state_periods SET left_at = ? WHERE bounty_id = ? AND left_at IS NULL", (now, bounty_id))
    await conn.execute(
        "INSERT INTO state_periods (bounty_id, state, entered_at) VALUES (?, ?, ?)", (bounty_id, state.value, now)
    )
    return True


async def state_periods(conn: aiosqlite.Connection, bounty_id: int) -> list[StatePeriod]:
    rows = await conn.execute_fetchall(
        "SELECT state, entered_at, left_at FROM state_periods WHERE bounty_id = ? ORDER BY entered_at, rowid",
        (bounty_id,),
    )
    return [StatePeriod(State(r[0]), int(r[1]), r[2]) for r in rows]


async def set_channel(conn: aiosqlite.Connection, bounty_id: int, channel_id: int, now: int) -> None:
    await conn.execute("UPDATE bounties SET channel_id = ?, updated_at = ? WHERE id = ?", (channel_id, now, bounty_id))


async def add_member(
    conn: aiosqlite.Connection, bounty_id: int, user_id: int, role: MemberRole, added_by: int, now: int
) -> bool:
    cur = await conn.execute(
        "INSERT OR IGNORE INTO bounty_members (bounty_id, user_id, role, added_by, added_at) VALUES (?, ?, ?, ?, ?)",
        (bounty_id, user_id, role.value, added_by, now),
    )
    return cur.rowcount == 1


async def remove_member(conn: aiosqlite.Connection, bounty_id: int, user_id: int) -> bool:
    cur = await conn.execute("DELETE FROM bounty_members WHERE bounty_id = ? AND user_id = ?", (bounty_id, user_id))
    return cur.rowcount == 1


async def members(conn: aiosqlite.Connection, bounty_id: int) -> list[Member]:
    rows = await conn.execute_fetchall(
        "SELECT bounty_id, user_id, role, added_by, added_at FROM bounty_members WHERE bounty_id = ?"
        " ORDER BY added_at, user_id",
        (bounty_id,),
    )
    return [Member(r[0], r[1], MemberRole(r[2]), r[3], r[4]) for r in rows]


async def record_review(
    conn: aiosqlite.Connection,
    bounty_id: int,
    item: ReviewItem,
    status: ReviewStatus,
    note: str,
    reviewer_id: int,
    now: int,
) -> None:
    await conn.execute(
        "INSERT INTO review_items (bounty_id, item, status, note, reviewer_id, recorded_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (bounty_id, item) DO UPDATE SET status = excluded.status, note = excluded.note,"
        " reviewer_id = excluded.reviewer_id, recorded_at = excluded.recorded_at",
        (bounty_id, item.value, status.value, note, reviewer_id, now),
    )


async def review(conn: aiosqlite.Connection, bounty_id: int) -> dict[ReviewItem, ReviewEntry]:
    rows = await conn.execute_fetchall(
        "SELECT item, status, note, reviewer_id, recorded_at FROM review_items WHERE bounty_id = ?", (bounty_id,)
    )
    return {ReviewItem(r[0]): ReviewEntry(ReviewItem(r[0]), ReviewStatus(r[1]), r[2], r[3], r[4]) for r in rows}


_SNAPSHOT = f"""
SELECT {", ".join("b." + c.strip() for c in _COLUMNS.split(","))},
  (SELECT json_group_array(json_array(user_id, role, added_by, added_at))
     FROM (SELECT * FROM bounty_members WHERE bounty_id = b.id ORDER BY added_at, user_id)),
  (SELECT json_group_array(json_array(item, status, note, reviewer_id, recorded_at))
     FROM review_items WHERE bounty_id = b.id),
  (SELECT json_group_array(json_array(state, entered_at, left_at))
     FROM (SELECT * FROM state_periods WHERE bounty_id = b.id ORDER BY entered_at, rowid)),
  (SELECT json_array(url, board_status) FROM github_issues WHERE bounty_id = b.id),
  (SELECT json_array(user_id, github_login, last_activity_at) FROM developer_assignments WHERE bounty_id = b.id),
  (SELECT json_group_array(json_array(list, task)) FROM checklist_ticks WHERE bounty_id = b.id),
  (SELECT json_group_array(json_array({bug_store.COLUMNS}))
     FROM (SELECT * FROM bugs WHERE bounty_id = b.id AND state = 'open' ORDER BY id)),
  (SELECT percent FROM weekly_updates WHERE bounty_id = b.id ORDER BY posted_at DESC, id DESC LIMIT 1),
  (SELECT json_group_array(json_array({qa_store.COLUMNS})) FROM qa_results WHERE id IN
     (SELECT max(id) FROM qa_results WHERE bounty_id = b.id GROUP BY item))
FROM bounties b WHERE b.{{column}} = ?
"""


@dataclass(frozen=True)
class Snapshot:
    bounty: Bounty
    members: list[Member]
    review: dict[ReviewItem, ReviewEntry]
    periods: list[StatePeriod]
    github: tuple[str, str | None] | None  # the public issue's URL and its Bounties Board status
    developer: tuple[int, str, int] | None  # user id, GitHub login, last activity
    ticks: dict[ChecklistKind, frozenset[str]]
    open_bugs: list[Bug]
    percent: int | None  # from the latest weekly update
    qa: dict[str, QaRecord] = field(default_factory=dict)  # each QA item's latest result


async def snapshot(
    conn: aiosqlite.Connection, *, bounty_id: int | None = None, channel_id: int | None = None
) -> Snapshot | None:
    """A bounty with everything `/bounty status` shows, in one query (the status read path)."""
    column, value = ("id", bounty_id) if bounty_id is not None else ("channel_id", channel_id)
    # One trip to the database thread (a cursor's execute, fetch and close would be three).
    query = _SNAPSHOT.format(column=column)
    rows = list(await conn.execute_fetchall(query, (value,)))
    if not rows:
        return None
    row = rows[0]
    bounty = _row_to_bounty(row)
    members_ = [Member(bounty.id, r[0], MemberRole(r[1]), r[2], r[3]) for r in json.loads(row[9])]
    review_ = {
        ReviewItem(r[0]): ReviewEntry(ReviewItem(r[0]), ReviewStatus(r[1]), r[2], r[3], r[4])
        for r in json.loads(row[10])
    }
    periods = [StatePeriod(State(r[0]), int(r[1]), r[2]) for r in json.loads(row[11])]
    github = tuple(json.loads(row[12])) if row[12] else None
    developer = tuple(json.loads(row[13])) if row[13] else None
    ticks: dict[ChecklistKind, set[str]] = {kind: set() for kind in ChecklistKind}
    for kind, task in json.loads(row[14]):
        ticks[ChecklistKind(kind)].add(task)
    open_bugs = [bug_store.row_to_bug(r) for r in json.loads(row[15])]
    return Snapshot(
        bounty,
        members_,
        review_,
        periods,
        github,
        developer,
        {kind: frozenset(keys) for kind, keys in ticks.items()},
        open_bugs,
        row[16],
        {r.item: r for r in map(qa_store.row_to_record, json.loads(row[17]))},
    )


async def set_fee(conn: aiosqlite.Connection, bounty_id: int, fee_usd: int, now: int) -> None:
    await conn.execute("UPDATE bounties SET fee_usd = ?, updated_at = ? WHERE id = ?", (fee_usd, now, bounty_id))

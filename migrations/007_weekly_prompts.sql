-- Revises: 005_github_writes (006 is reserved by another branch of issue 10)
-- Reason: weekly prompts: when each developer is prompted (weekday, hour, IANA time zone) and the pauses
--         that stop the prompts until a date. The prompts, reminders, follow-ups and escalations themselves
--         are timer rows.

CREATE TABLE weekly_rhythms (
    bounty_id   INTEGER PRIMARY KEY REFERENCES bounties (id),
    user_id     INTEGER NOT NULL,                -- the developer it was set for: a new developer starts afresh
    weekday     INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),   -- 0 = Monday
    hour        INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),     -- local, in `timezone`
    timezone    TEXT    NOT NULL,                -- an IANA name, checked with zoneinfo where it enters
    set_by      INTEGER NOT NULL,
    set_at      INTEGER NOT NULL
);

CREATE TABLE weekly_pauses (
    id          INTEGER PRIMARY KEY,
    bounty_id   INTEGER NOT NULL REFERENCES bounties (id),
    until_date  TEXT    NOT NULL,                -- YYYY-MM-DD as given: prompting resumes that day
    until_at    INTEGER NOT NULL,                -- the start of that day in the developer's time zone
    reason      TEXT    NOT NULL,
    paused_by   INTEGER NOT NULL,
    paused_at   INTEGER NOT NULL,
    ended_at    INTEGER,                         -- NULL while it lasts
    ended_by    INTEGER                          -- NULL once ended: it ran to its date (or the developer left)
);
-- One pause at a time per bounty, enforced by the database as well as by the service.
CREATE UNIQUE INDEX weekly_pauses_one_active ON weekly_pauses (bounty_id) WHERE ended_at IS NULL;
CREATE INDEX weekly_pauses_by_bounty ON weekly_pauses (bounty_id, ended_at);

-- Revises: 010_bug_clock
-- Reason: governance alerts (DESIGN.md §9, issue 12 item 4). Who asked for governance announcements by DM
--         (`/alerts dm on`; the alerts role itself lives in Discord), each announcement whose DMs were fanned
--         out, and what became of each opted-in member's DM of it, so that a retry or a restart never DMs
--         anyone twice and staff are told the count once every DM had its turn.

CREATE TABLE alert_dm_subscribers (
    user_id    INTEGER PRIMARY KEY,
    since      INTEGER NOT NULL
);

CREATE TABLE alert_announcements (
    ref           TEXT PRIMARY KEY,        -- bot.domain.alerts.announcement_ref of the notice
    notice        TEXT NOT NULL,           -- the notice as JSON, DMed to each recipient
    recipients    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    summarised_at INTEGER                  -- when staff were told the count
);

CREATE TABLE alert_dms (
    ref          TEXT NOT NULL REFERENCES alert_announcements (ref),
    user_id      INTEGER NOT NULL,
    outcome      TEXT NOT NULL DEFAULT 'pending',  -- bot.domain.alerts.DmOutcome
    attempted_at INTEGER,
    done_at      INTEGER,
    PRIMARY KEY (ref, user_id)
);

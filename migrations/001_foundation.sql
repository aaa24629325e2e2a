-- Revises: (nothing, first migration)
-- Reason: the foundation: bounties with their members, review and state history, the append-only
--         audit log, durable timers, the outbox, and intake drafts between the two modals.

CREATE TABLE bounties (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    requester_id    INTEGER NOT NULL,
    exchange        TEXT    NOT NULL,
    exchange_key    TEXT    NOT NULL,
    form            TEXT    NOT NULL,            -- the validated intake form, JSON
    state           TEXT    NOT NULL,
    state_since     INTEGER NOT NULL,
    fee_usd         INTEGER NOT NULL CHECK (fee_usd > 0),
    channel_id      INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
-- One open bounty per exchange, enforced by the database as well as by the service.
CREATE UNIQUE INDEX bounties_one_open_per_exchange
    ON bounties (exchange_key) WHERE state NOT IN ('ended', 'cancelled', 'refunded');
CREATE INDEX bounties_by_state ON bounties (state);
CREATE INDEX bounties_by_channel ON bounties (channel_id);

CREATE TABLE bounty_members (
    bounty_id   INTEGER NOT NULL REFERENCES bounties (id),
    user_id     INTEGER NOT NULL,
    role        TEXT    NOT NULL CHECK (role IN ('lead', 'exchange', 'developer')),
    added_by    INTEGER NOT NULL,
    added_at    INTEGER NOT NULL,
    PRIMARY KEY (bounty_id, user_id)
);
CREATE INDEX bounty_members_by_user ON bounty_members (user_id);

CREATE TABLE review_items (
    bounty_id   INTEGER NOT NULL REFERENCES bounties (id),
    item        TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('ok', 'missing')),
    note        TEXT    NOT NULL DEFAULT '',
    reviewer_id INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (bounty_id, item)
);

CREATE TABLE state_periods (
    bounty_id   INTEGER NOT NULL REFERENCES bounties (id),
    state       TEXT    NOT NULL,
    entered_at  INTEGER NOT NULL,
    left_at     INTEGER
);
CREATE INDEX state_periods_by_bounty ON state_periods (bounty_id, entered_at);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor_id    INTEGER,                          -- NULL: the bot itself
    bounty_id   INTEGER REFERENCES bounties (id),
    action      TEXT    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_by_bounty ON audit_log (bounty_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE timers (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    due_at       INTEGER NOT NULL,
    payload      TEXT    NOT NULL DEFAULT '{}',
    created_at   INTEGER NOT NULL,
    fired_at     INTEGER,
    cancelled_at INTEGER
);
CREATE INDEX timers_pending ON timers (due_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX timers_by_subject ON timers (subject, kind);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    key             TEXT    NOT NULL UNIQUE,      -- idempotency key: enqueueing twice is a no-op
    kind            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    result          TEXT,
    created_at      INTEGER NOT NULL,
    done_at         INTEGER
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE status = 'pending';

CREATE TABLE intake_drafts (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    answers     TEXT    NOT NULL,                 -- modal 1, validated, JSON
    created_at  INTEGER NOT NULL
);
CREATE INDEX intake_drafts_by_user ON intake_drafts (user_id);

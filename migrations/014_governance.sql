-- Revises: 010_bug_clock (011–013 are other features' and independent of this one)
-- Reason: governance (DESIGN.md §2, §9): the proposal checklist staff record before the discussion opens, and
--         each Snapshot proposal linked to a bounty (one per round: a resubmission is a new round), with what
--         has been announced about it, its result, and the incident (hub down, proposal gone) staff were told of.

CREATE TABLE proposal_checklist (
    bounty_id   INTEGER NOT NULL REFERENCES bounties (id),
    item        TEXT    NOT NULL CHECK (item IN ('specification', 'testing', 'maintenance')),
    note        TEXT    NOT NULL DEFAULT '',
    recorded_by INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (bounty_id, item)
);

CREATE TABLE proposals (
    bounty_id          INTEGER NOT NULL REFERENCES bounties (id),
    round              INTEGER NOT NULL,            -- 1, then one more per resubmission
    proposal_id        TEXT    NOT NULL,            -- 0x and 64 hex digits, lower case
    space              TEXT    NOT NULL,
    title              TEXT    NOT NULL,
    start_at           INTEGER NOT NULL,            -- the vote's start and end, as the hub last said
    end_at             INTEGER NOT NULL,
    linked_by          INTEGER NOT NULL,
    linked_at          INTEGER NOT NULL,
    voting_told_at     INTEGER,
    last_day_told_at   INTEGER,
    result             TEXT CHECK (result IN ('passed', 'failed')),
    decided_at         INTEGER,
    incident           TEXT CHECK (incident IN ('hub_down', 'deleted')),
    superseded_at      INTEGER,                     -- replaced by staff (the proposal was deleted on the hub)
    thread_message_id  INTEGER,                     -- the discussion message; its thread has the same id
    PRIMARY KEY (bounty_id, round)
);
CREATE INDEX proposals_by_id ON proposals (proposal_id);

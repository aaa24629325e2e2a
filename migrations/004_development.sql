-- Revises: 003_github
-- Reason: development and testing: the assigned developer (and when they were last active), ticked
--         checklist tasks, weekly updates, and bugs with their SLA clock and their own GitHub issue.

CREATE TABLE developer_assignments (
    bounty_id        INTEGER PRIMARY KEY REFERENCES bounties (id),
    user_id          INTEGER NOT NULL,
    github_login     TEXT    NOT NULL,
    assigned_by      INTEGER NOT NULL,
    assigned_at      INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL            -- updates, ticks, their own comments on the issue
);
CREATE INDEX developer_assignments_by_user ON developer_assignments (user_id);
CREATE INDEX developer_assignments_by_login ON developer_assignments (github_login COLLATE NOCASE);

CREATE TABLE checklist_ticks (
    bounty_id   INTEGER NOT NULL REFERENCES bounties (id),
    list        TEXT    NOT NULL CHECK (list IN ('implementation', 'qa')),
    task        TEXT    NOT NULL,                -- the task's key (bot/domain/checklists.py)
    ticked_by   INTEGER NOT NULL,
    ticked_at   INTEGER NOT NULL,
    PRIMARY KEY (bounty_id, list, task)
);

CREATE TABLE weekly_updates (
    id          INTEGER PRIMARY KEY,
    bounty_id   INTEGER NOT NULL REFERENCES bounties (id),
    author_id   INTEGER NOT NULL,
    done        TEXT    NOT NULL,
    next        TEXT    NOT NULL,
    blockers    TEXT    NOT NULL,
    percent     INTEGER NOT NULL CHECK (percent BETWEEN 0 AND 100),
    posted_at   INTEGER NOT NULL
);
CREATE INDEX weekly_updates_by_bounty ON weekly_updates (bounty_id, posted_at);

CREATE TABLE bugs (
    id            INTEGER PRIMARY KEY,
    bounty_id     INTEGER NOT NULL REFERENCES bounties (id),
    severity      TEXT    NOT NULL CHECK (severity IN ('critical', 'major', 'minor')),
    title         TEXT    NOT NULL,
    description   TEXT    NOT NULL,
    reporter_id   INTEGER NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('open', 'resolved')),
    opened_at     INTEGER NOT NULL,
    due_at        INTEGER,                       -- NULL: minor, due at the next release
    resolved_at   INTEGER,
    resolved_by   TEXT,                          -- a Discord user id, or github:<login>
    github_number INTEGER UNIQUE,
    github_url    TEXT
);
CREATE INDEX bugs_by_bounty ON bugs (bounty_id, state);

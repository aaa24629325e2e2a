-- Revises: 002_payments
-- Reason: the GitHub mirror: each bounty's public issue and Bounties Board item, webhook deliveries already
--         handled (so a replay is ignored), and the ETags of the polling fallback.

CREATE TABLE github_issues (
    bounty_id       INTEGER PRIMARY KEY REFERENCES bounties (id),
    number          INTEGER NOT NULL UNIQUE,
    url             TEXT    NOT NULL,
    node_id         TEXT    NOT NULL,
    project_item_id TEXT,
    board_status    TEXT,
    created_at      INTEGER NOT NULL
);

CREATE TABLE github_deliveries (
    id          TEXT    PRIMARY KEY,             -- X-GitHub-Delivery
    event       TEXT    NOT NULL,
    received_at INTEGER NOT NULL
);

CREATE TABLE github_pull_requests (
    number      INTEGER PRIMARY KEY,
    bounty_id   INTEGER NOT NULL REFERENCES bounties (id),
    state       TEXT    NOT NULL,                -- open, merged, closed: what the bot last acted on
    seen_at     INTEGER NOT NULL
);

CREATE TABLE github_poll (
    resource    TEXT    PRIMARY KEY,
    etag        TEXT    NOT NULL
);

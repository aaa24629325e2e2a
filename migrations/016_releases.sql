-- Revises: 010_bug_clock (011–015 are other features' and independent of this one)
-- Reason: release and the maintenance year (DESIGN.md §2, §3, §7; issue 12). A bounty ships in one Hummingbot
--         release, recorded by `/release record` or found in a published GitHub release's notes, once whichever
--         comes first. Its maintenance years follow: year 1 starts at the release; each renewal paid adds the next
--         year, starting where the one before ends. `renewed_at` marks the year whose renewal was paid.

CREATE TABLE releases (
    bounty_id   INTEGER PRIMARY KEY REFERENCES bounties (id),  -- a bounty ships once
    version     TEXT    NOT NULL,                -- normalised: 2.3.0 (a tag `v2.3.0` is recorded as 2.3.0)
    released_at INTEGER NOT NULL,                -- when it shipped (GitHub's published_at, or when staff recorded it)
    source      TEXT    NOT NULL CHECK (source IN ('command', 'github')),
    url         TEXT,                            -- the GitHub release page, when known
    github_id   INTEGER,                         -- the GitHub release's id, when it came from GitHub
    recorded_by INTEGER,                         -- the staff member, for the command
    recorded_at INTEGER NOT NULL
);
CREATE INDEX releases_by_version ON releases (version);

CREATE TABLE maintenance_years (
    bounty_id   INTEGER NOT NULL REFERENCES bounties (id),
    year        INTEGER NOT NULL CHECK (year >= 1),  -- 1: included in the fee; 2: the first renewal; …
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    renewed_at  INTEGER,                         -- when the renewal for the year after was paid
    PRIMARY KEY (bounty_id, year)
);

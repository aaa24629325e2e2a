-- Revises: 010_bug_clock (011 and 012 are reserved for work on other branches; this one needs only 001)
-- Reason: the maintenance year's reports (issue 12, item 6). When each bounty's maintenance year began (the
--         monthly reports and quarterly reviews are counted from it), and the users and trading volume staff
--         record per month of that year with `/report usage`. A month is named by when it starts, so a renewal
--         that restarts the year starts a fresh set of months.

CREATE TABLE maintenance_reports (
    bounty_id  INTEGER PRIMARY KEY REFERENCES bounties (id),
    starts_at  INTEGER NOT NULL,  -- the maintenance year's start: month k runs from k-1 to k months after it
    updated_at INTEGER NOT NULL
);

CREATE TABLE usage_figures (
    bounty_id    INTEGER NOT NULL REFERENCES bounties (id),
    month_start  INTEGER NOT NULL,
    users        INTEGER NOT NULL CHECK (users >= 0),
    volume_cents INTEGER NOT NULL CHECK (volume_cents >= 0),  -- USD, in cents: exact, never a float
    recorded_by  INTEGER NOT NULL,
    recorded_at  INTEGER NOT NULL,
    PRIMARY KEY (bounty_id, month_start)
);

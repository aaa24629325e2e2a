-- Revises: 004_development
-- Reason: every SLA clock rule (DESIGN.md §7, issue 11). A bug's clock can stop (paused while waiting on the
--         exchange, or resolved) and start again from where it stopped; the stopped time does not count.
--         `due_at` is the due time while the clock runs; `paused_seconds` is the stopped time so far;
--         `stopped_at` is set while the clock is stopped (paused or resolved). A breach is kept once it
--         happened, so "resolved within SLA" survives a reopen.

ALTER TABLE bugs ADD COLUMN paused_at      INTEGER;           -- set while paused (waiting on the exchange)
ALTER TABLE bugs ADD COLUMN pause_reason   TEXT;
ALTER TABLE bugs ADD COLUMN paused_seconds INTEGER NOT NULL DEFAULT 0;  -- stopped time already counted out
ALTER TABLE bugs ADD COLUMN resolve_note   TEXT;
ALTER TABLE bugs ADD COLUMN breached_at    INTEGER;           -- when the SLA was first breached, if ever

-- Revises: 010_bug_clock
-- Reason: each SLA threshold is told once (DESIGN.md §7, issue 11), whatever later moves the due time (a
--         pause and resume, a severity change, a reopen) and across restarts. `breached_at` (010) records the
--         breach; these record the two warnings.

ALTER TABLE bugs ADD COLUMN warned_50_at INTEGER;            -- when the 50% warning was told, if ever
ALTER TABLE bugs ADD COLUMN warned_90_at INTEGER;            -- when the 90% warning was told, if ever

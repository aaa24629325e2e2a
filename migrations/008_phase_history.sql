-- Revises: 005_github_writes (006 and 007 are reserved for work on other branches; this one needs only 001)
-- Reason: the timeline reads when each phase began and ended from state_periods. A bounty with fewer
--         periods than its audit trail has state changes (a database restored from an older copy, rows lost
--         or written by hand) gets its periods rebuilt from that trail: it began in the first change's `old`
--         state when it was created, entered each `new` state at the change's time, and left each one when it
--         entered the next. Each rebuilt bounty gets an audit row saying so. Periods left open although a
--         later one began are closed when the later one began.

CREATE TEMP TABLE rebuild_periods AS
SELECT b.id AS bounty_id
FROM bounties b
WHERE (SELECT COUNT(*) FROM state_periods p WHERE p.bounty_id = b.id)
    < 1 + (SELECT COUNT(*) FROM audit_log a WHERE a.bounty_id = b.id AND a.action = 'state_changed');

-- The changes recorded for those bounties: the states they left and entered (NULL where a detail is unreadable).
CREATE TEMP TABLE recorded_changes AS
SELECT a.id, a.bounty_id, a.at,
       CASE WHEN json_valid(a.detail) THEN json_extract(a.detail, '$.old') END AS old,
       CASE WHEN json_valid(a.detail) THEN json_extract(a.detail, '$.new') END AS new
FROM audit_log a JOIN rebuild_periods r ON r.bounty_id = a.bounty_id
WHERE a.action = 'state_changed';

CREATE TEMP TABLE rebuilt_entries (bounty_id INTEGER NOT NULL, seq INTEGER NOT NULL, state TEXT NOT NULL, at INTEGER NOT NULL);

-- Where each bounty began: the state its first recorded change left (intake, for any bounty so far), when it was created.
INSERT INTO rebuilt_entries (bounty_id, seq, state, at)
SELECT r.bounty_id, 0,
       COALESCE((SELECT c.old FROM recorded_changes c WHERE c.bounty_id = r.bounty_id AND c.old IS NOT NULL
                 ORDER BY c.id LIMIT 1), b.state),
       b.created_at
FROM rebuild_periods r JOIN bounties b ON b.id = r.bounty_id;

-- Each recorded change, in the order it was made.
INSERT INTO rebuilt_entries (bounty_id, seq, state, at)
SELECT c.bounty_id, c.id, c.new, c.at FROM recorded_changes c WHERE c.new IS NOT NULL;

-- A trail that stops short of the bounty's state (a change made without its audit row): the bounty has been
-- in that state since it says, or since the trail's last change if that is later.
INSERT INTO rebuilt_entries (bounty_id, seq, state, at)
SELECT b.id, 9223372036854775807, b.state,
       MAX(b.state_since, (SELECT MAX(e.at) FROM rebuilt_entries e WHERE e.bounty_id = b.id))
FROM bounties b JOIN rebuild_periods r ON r.bounty_id = b.id
WHERE b.state IS NOT (SELECT e.state FROM rebuilt_entries e WHERE e.bounty_id = b.id ORDER BY e.seq DESC LIMIT 1);

DELETE FROM state_periods WHERE bounty_id IN (SELECT bounty_id FROM rebuild_periods);

INSERT INTO state_periods (bounty_id, state, entered_at, left_at)
SELECT bounty_id, state, at, LEAD(at) OVER (PARTITION BY bounty_id ORDER BY seq)
FROM rebuilt_entries
ORDER BY bounty_id, seq;

INSERT INTO audit_log (at, actor_id, bounty_id, action, detail)
SELECT CAST(strftime('%s', 'now') AS INTEGER), NULL, r.bounty_id, 'periods_rebuilt',
       json_object('source', 'audit_log', 'migration', 8,
                   'periods', (SELECT COUNT(*) FROM rebuilt_entries e WHERE e.bounty_id = r.bounty_id))
FROM rebuild_periods r
ORDER BY r.bounty_id;

-- A period left open although a later one began ended when the later one began.
UPDATE state_periods
SET left_at = (SELECT MIN(later.entered_at) FROM state_periods later
               WHERE later.bounty_id = state_periods.bounty_id AND later.entered_at > state_periods.entered_at)
WHERE left_at IS NULL
  AND EXISTS (SELECT 1 FROM state_periods later
              WHERE later.bounty_id = state_periods.bounty_id AND later.entered_at > state_periods.entered_at);

DROP TABLE rebuilt_entries;

DROP TABLE recorded_changes;

DROP TABLE rebuild_periods;

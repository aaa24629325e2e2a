-- Revises: 010_bug_clock, 012_bug_sla_told
-- Reason: bugs open before those migrations had their SLA thresholds told already (audit rows `bug_sla` naming
--         the bug and the stage), but their new "told" marks were left empty. A later pause, resume, severity
--         change or reopen would then tell a warning or a breach again, and the metrics would count a breached
--         bug as within its SLA. The marks are taken from the audit trail, the first time each was told.

UPDATE bugs SET breached_at = (
    SELECT MIN(a.at) FROM audit_log a
    WHERE a.action = 'bug_sla' AND json_extract(a.detail, '$.bug_id') = bugs.id
      AND json_extract(a.detail, '$.stage') = 'breach'
) WHERE breached_at IS NULL;

UPDATE bugs SET warned_90_at = (
    SELECT MIN(a.at) FROM audit_log a
    WHERE a.action = 'bug_sla' AND json_extract(a.detail, '$.bug_id') = bugs.id
      AND json_extract(a.detail, '$.stage') = 'warn_90'
) WHERE warned_90_at IS NULL;

UPDATE bugs SET warned_50_at = (
    SELECT MIN(a.at) FROM audit_log a
    WHERE a.action = 'bug_sla' AND json_extract(a.detail, '$.bug_id') = bugs.id
      AND json_extract(a.detail, '$.stage') = 'warn_50'
) WHERE warned_50_at IS NULL;

-- Revises: 004_development (010 and the numbers around it are other features' and independent of this one)
-- Reason: the QA protocol with evidence (issue 11, item 1). Each QA checklist item gets recorded results,
--         pass, fail or not yet, with a note (the evidence) and who verified it when. Every recording is a row
--         (and an audit row); the latest for an item is the one that counts. `bug_id` is the bug a failed item
--         opened in the same step. QA ticks from before (staff ticked items without evidence) become passes
--         noted as such, so a bounty whose QA was complete stays complete.

CREATE TABLE qa_results (
    id          INTEGER PRIMARY KEY,
    bounty_id   INTEGER NOT NULL REFERENCES bounties (id),
    item        TEXT    NOT NULL,                -- the QA checklist task's key (bot/domain/checklists.py)
    result      TEXT    NOT NULL CHECK (result IN ('pass', 'fail', 'not_yet')),
    note        TEXT    NOT NULL DEFAULT '',     -- the evidence: a checked link to a log or run, or free text
    recorded_by INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    bug_id      INTEGER REFERENCES bugs (id)
);
CREATE INDEX qa_results_latest ON qa_results (bounty_id, item, id);

INSERT INTO qa_results (bounty_id, item, result, note, recorded_by, recorded_at)
SELECT bounty_id, task, 'pass', 'Ticked on the QA checklist before results were recorded with evidence.',
       ticked_by, ticked_at
  FROM checklist_ticks WHERE list = 'qa' ORDER BY ticked_at, rowid;
DELETE FROM checklist_ticks WHERE list = 'qa';

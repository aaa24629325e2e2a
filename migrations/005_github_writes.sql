-- Revises: 004_development
-- Reason: GitHub writes whose answer may have been lost get a table of their own. They were kept in the poll's
--         key-value table (`github_poll`) under a `write:` prefix, as text; moved here with their time typed.

CREATE TABLE github_writes (
    key         TEXT    PRIMARY KEY,             -- bot/mirror.py write_key: one outbox item's write
    begun_at    INTEGER NOT NULL                 -- the bot's clock when the first attempt was sent
);

-- An attempt noted by an earlier BountyBot is still looked for before it is sent again.
INSERT INTO github_writes (key, begun_at)
    SELECT substr(resource, length('write:') + 1), CAST(etag AS INTEGER)
    FROM github_poll WHERE substr(resource, 1, length('write:')) = 'write:';

DELETE FROM github_poll WHERE substr(resource, 1, length('write:')) = 'write:';

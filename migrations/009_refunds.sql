-- Revises: 005_github_writes (006–008 are other features' and independent of this one)
-- Reason: refunds sent back to an exchange: an overpayment, a cancelled bounty, or the fee under the 90-day
--         delivery guarantee. Refund flags (002) say what is due; these rows say what went back, and each
--         transaction or wire reference is recorded once.

CREATE TABLE refunds (
    id          INTEGER PRIMARY KEY,
    bounty_id   INTEGER NOT NULL REFERENCES bounties (id),
    via         TEXT    NOT NULL CHECK (via IN ('ethereum', 'bsc', 'solana', 'wire')),
    reference   TEXT    NOT NULL,                -- EVM hash (lower case), Solana signature, or wire reference
    same_as     TEXT    NOT NULL,                -- the reference as compared: a wire's in upper case (banks ignore case)
    amount      TEXT    NOT NULL,                -- USD in base units of `decimals`, as text like payments.amount
    decimals    INTEGER NOT NULL,
    for_flags   TEXT    NOT NULL,                -- the part (18-decimal USD) that settled refund flags
    purpose     TEXT    NOT NULL CHECK (purpose IN ('overpayment', 'cancelled', 'guarantee')),
    recorded_by INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    UNIQUE (via, same_as)
);
CREATE INDEX refunds_by_bounty ON refunds (bounty_id);

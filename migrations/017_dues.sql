-- Revises: 009_refunds (010–016 are other features' and independent of this one)
-- Reason: what a bounty owes is a list of dues (DESIGN.md §6): the fee, then one renewal per maintenance year
--         renewed, each with its own Solana Pay reference key; a payment settles the oldest open due. And the
--         developer's payout (issue 12): due within 30 days of the merge, recorded once by staff.
--
--         The single-fee model becomes the first due without losing anything: every bounty gets its fee due,
--         carrying the Solana Pay reference it already had, and every payment already counted is the fee's
--         (`share` NULL: the whole payment less its refund flag, as the ledger always counted it). A trigger
--         gives each new bounty its fee due, whoever inserts the bounty.

CREATE TABLE dues (
    id          INTEGER PRIMARY KEY,
    bounty_id   INTEGER NOT NULL REFERENCES bounties (id),
    kind        TEXT    NOT NULL CHECK (kind IN ('fee', 'renewal')),
    year        INTEGER NOT NULL,                 -- fee: 1; renewal: the maintenance year it buys (2 = first renewal)
    amount_usd  INTEGER CHECK (amount_usd IS NULL OR amount_usd > 0),  -- whole USD; NULL: the bounty's fee_usd
    reference   TEXT    UNIQUE,                   -- its Solana Pay reference key; NULL until first shown
    opened_at   INTEGER NOT NULL,
    paid_at     INTEGER,                          -- when the ledger first covered it in full
    UNIQUE (bounty_id, kind, year)
);
CREATE INDEX dues_by_bounty ON dues (bounty_id);

INSERT INTO dues (bounty_id, kind, year, amount_usd, reference, opened_at)
    SELECT b.id, 'fee', 1, NULL, r.reference, b.created_at
    FROM bounties b LEFT JOIN payment_references r ON r.bounty_id = b.id;

CREATE TRIGGER bounties_fee_due AFTER INSERT ON bounties
BEGIN
    INSERT INTO dues (bounty_id, kind, year, amount_usd, opened_at) VALUES (NEW.id, 'fee', 1, NULL, NEW.created_at);
END;

-- The references now live on their dues (older code refuses a database this new, so nothing reads the old table).
DROP TABLE payment_references;

-- Which due each counted payment went to, and how much of it (one transfer may finish one due and start the next).
CREATE TABLE due_payments (
    due_id      INTEGER NOT NULL REFERENCES dues (id),
    payment_key TEXT    NOT NULL REFERENCES payments (key),
    share       TEXT,                             -- 18-decimal USD; NULL: the whole payment less its refund flag
    PRIMARY KEY (due_id, payment_key)
);
CREATE INDEX due_payments_by_payment ON due_payments (payment_key);

INSERT INTO due_payments (due_id, payment_key, share)
    SELECT d.id, p.key, NULL FROM payments p JOIN dues d ON d.bounty_id = p.bounty_id AND d.kind = 'fee';

-- The developer's payout: its 30-day clock (from the merge, or from entering `released` when no merge was seen)
-- and, once staff record it, the transaction that paid it (each transaction once, on any bounty).
CREATE TABLE payouts (
    bounty_id    INTEGER PRIMARY KEY REFERENCES bounties (id),
    started_at   INTEGER,                         -- the merge (or the release); NULL: recorded before any clock
    started_by   TEXT    CHECK (started_by IS NULL OR started_by IN ('merge', 'released')),
    tx           TEXT,                            -- as given (an EVM hash in lower case)
    same_as      TEXT    UNIQUE,                  -- the transaction as compared, across every bounty
    network      TEXT    CHECK (network IS NULL OR network IN ('evm', 'solana')),
    recorded_by  INTEGER,
    recorded_at  INTEGER
);

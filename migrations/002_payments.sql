-- Revises: 001_foundation
-- Reason: payments: registered wallets, Solana Pay reference keys, the ledger of counted transfers (one row
--         per chain:tx:log-index, one bounty per transaction), escrow declarations and refund flags.

CREATE TABLE wallets (
    bounty_id     INTEGER NOT NULL REFERENCES bounties (id),
    chain         TEXT    NOT NULL,
    address       TEXT    NOT NULL,
    registered_by INTEGER NOT NULL,
    registered_at INTEGER NOT NULL,
    PRIMARY KEY (bounty_id, chain)
);

CREATE TABLE payment_references (
    bounty_id   INTEGER PRIMARY KEY REFERENCES bounties (id),
    reference   TEXT    NOT NULL UNIQUE,          -- a Solana public key carried by a Solana Pay transfer
    created_at  INTEGER NOT NULL
);

-- A transaction funds one bounty at most.
CREATE TABLE funding_transactions (
    chain       TEXT    NOT NULL,
    tx          TEXT    NOT NULL,
    bounty_id   INTEGER NOT NULL REFERENCES bounties (id),
    PRIMARY KEY (chain, tx)
);

CREATE TABLE payments (
    key           TEXT    PRIMARY KEY,            -- chain:tx:log-index, so a transfer is counted once
    chain         TEXT    NOT NULL,               -- ethereum, bsc, solana, or escrow
    tx            TEXT    NOT NULL,               -- hash, signature, or wire reference
    bounty_id     INTEGER NOT NULL REFERENCES bounties (id),
    token         TEXT    NOT NULL,               -- USDC, USDT, USD (escrow)
    token_address TEXT    NOT NULL,
    decimals      INTEGER NOT NULL,
    amount        TEXT    NOT NULL,               -- base units, as text: 18-decimal amounts overflow INTEGER
    sender        TEXT    NOT NULL,
    source        TEXT    NOT NULL CHECK (source IN ('submit', 'watcher', 'escrow', 'cli')),
    recorded_by   INTEGER,                        -- NULL: found by the bot
    recorded_at   INTEGER NOT NULL,
    FOREIGN KEY (chain, tx) REFERENCES funding_transactions (chain, tx)
);
CREATE INDEX payments_by_bounty ON payments (bounty_id);

CREATE TABLE escrow_requests (
    bounty_id     INTEGER PRIMARY KEY REFERENCES bounties (id),
    requested_by  INTEGER NOT NULL,
    requested_at  INTEGER NOT NULL
);

CREATE TABLE refund_flags (
    id          INTEGER PRIMARY KEY,
    bounty_id   INTEGER NOT NULL REFERENCES bounties (id),
    payment_key TEXT    NOT NULL REFERENCES payments (key),
    reason      TEXT    NOT NULL CHECK (reason IN ('overpaid', 'cancelled')),
    excess      TEXT    NOT NULL,                 -- in the payment's token base units
    created_at  INTEGER NOT NULL,
    resolved_at INTEGER
);

CREATE TABLE payment_watch (
    chain       TEXT    PRIMARY KEY,
    last_block  INTEGER NOT NULL                  -- EVM: the last finalized block scanned
);

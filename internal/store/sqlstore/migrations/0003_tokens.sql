-- What the OAuth endpoints keep: the token lifetime of organisations and
-- agents (BIGINT microseconds, 0 = inherit), revoked access tokens until
-- they expire, and the client assertions already used (RFC 7523 replay
-- protection) until theirs do. Neither table has foreign keys: rows are
-- pruned by time, and a revocation must outlive a deleted agent.

ALTER TABLE orgs ADD COLUMN token_ttl BIGINT NOT NULL DEFAULT 0;

ALTER TABLE agents ADD COLUMN token_ttl BIGINT NOT NULL DEFAULT 0;

CREATE TABLE revoked_tokens (
    jti        TEXT   NOT NULL PRIMARY KEY,
    org_id     TEXT   NOT NULL DEFAULT '',
    agent_id   TEXT   NOT NULL DEFAULT '',
    expires_at BIGINT NOT NULL DEFAULT 0,
    revoked_at BIGINT NOT NULL DEFAULT 0
);

-- The edge polls revocations by time; pruning deletes by expiry.
CREATE INDEX revoked_tokens_revoked_at ON revoked_tokens (revoked_at, jti);
CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);

CREATE TABLE used_assertions (
    client_id  TEXT   NOT NULL,
    jti        TEXT   NOT NULL,
    expires_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (client_id, jti)
);

CREATE INDEX used_assertions_expires_at ON used_assertions (expires_at);

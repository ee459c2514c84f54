-- The first schema of AgentIdP, written once for PostgreSQL and SQLite:
-- times are BIGINT unix microseconds (0 = unset), maps and lists are JSON
-- text, hashes hex text, and no column is nullable. {{identity}} is the
-- dialect's auto-assigned BIGINT primary key.

CREATE TABLE orgs (
    id         TEXT   NOT NULL PRIMARY KEY,
    name       TEXT   NOT NULL DEFAULT '',
    status     TEXT   NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE operators (
    id          TEXT   NOT NULL PRIMARY KEY,
    org_id      TEXT   NOT NULL REFERENCES orgs (id),
    name        TEXT   NOT NULL DEFAULT '',
    email       TEXT   NOT NULL DEFAULT '',
    subject     TEXT   NOT NULL DEFAULT '',
    role        TEXT   NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL DEFAULT 0,
    updated_at  BIGINT NOT NULL DEFAULT 0,
    disabled_at BIGINT NOT NULL DEFAULT 0,
    UNIQUE (org_id, id)
);

-- api_keys are found by id alone (the primary key) when a request is
-- authenticated, and listed per organisation.
CREATE TABLE api_keys (
    id          TEXT   NOT NULL PRIMARY KEY,
    org_id      TEXT   NOT NULL REFERENCES orgs (id),
    operator_id TEXT   NOT NULL DEFAULT '',
    name        TEXT   NOT NULL DEFAULT '',
    role        TEXT   NOT NULL DEFAULT '',
    hash        TEXT   NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL DEFAULT 0,
    expires_at  BIGINT NOT NULL DEFAULT 0,
    revoked_at  BIGINT NOT NULL DEFAULT 0,
    created_by  TEXT   NOT NULL DEFAULT '',
    UNIQUE (org_id, id)
);

CREATE TABLE admin_keys (
    id         TEXT   NOT NULL PRIMARY KEY,
    name       TEXT   NOT NULL DEFAULT '',
    hash       TEXT   NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL DEFAULT 0,
    revoked_at BIGINT NOT NULL DEFAULT 0
);

-- UNIQUE (org_id, id) is both the per-organisation lookup index and the
-- target of the credentials' foreign keys, which tie a credential to an
-- agent of its own organisation.
CREATE TABLE agents (
    id          TEXT   NOT NULL PRIMARY KEY,
    org_id      TEXT   NOT NULL REFERENCES orgs (id),
    name        TEXT   NOT NULL DEFAULT '',
    description TEXT   NOT NULL DEFAULT '',
    owner       TEXT   NOT NULL DEFAULT '',
    metadata    TEXT   NOT NULL DEFAULT '',
    scopes      TEXT   NOT NULL DEFAULT '',
    status      TEXT   NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL DEFAULT 0,
    updated_at  BIGINT NOT NULL DEFAULT 0,
    UNIQUE (org_id, id)
);

CREATE TABLE client_secrets (
    id         TEXT   NOT NULL PRIMARY KEY,
    org_id     TEXT   NOT NULL,
    agent_id   TEXT   NOT NULL,
    hash       TEXT   NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL DEFAULT 0,
    revoked_at BIGINT NOT NULL DEFAULT 0,
    FOREIGN KEY (org_id, agent_id) REFERENCES agents (org_id, id)
);

CREATE INDEX client_secrets_agent ON client_secrets (org_id, agent_id, id);

CREATE TABLE agent_keys (
    kid        TEXT   NOT NULL,
    org_id     TEXT   NOT NULL,
    agent_id   TEXT   NOT NULL,
    algorithm  TEXT   NOT NULL DEFAULT '',
    jwk        TEXT   NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL DEFAULT 0,
    revoked_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, agent_id, kid),
    FOREIGN KEY (org_id, agent_id) REFERENCES agents (org_id, id)
);

-- The audit chain has no foreign keys at all: records and heads must
-- outlive the rows they speak of, organisations included.
CREATE TABLE audit_records (
    org_id      TEXT   NOT NULL,
    seq         BIGINT NOT NULL,
    prev_hash   TEXT   NOT NULL,
    hash        TEXT   NOT NULL,
    occurred_at BIGINT NOT NULL DEFAULT 0,
    actor       TEXT   NOT NULL DEFAULT '',
    action      TEXT   NOT NULL DEFAULT '',
    target      TEXT   NOT NULL DEFAULT '',
    request_id  TEXT   NOT NULL DEFAULT '',
    outcome     TEXT   NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, seq)
);

CREATE TABLE audit_heads (
    org_id TEXT   NOT NULL PRIMARY KEY,
    seq    BIGINT NOT NULL,
    hash   TEXT   NOT NULL
);

CREATE TABLE outbox_events (
    seq        {{identity}},
    id         TEXT   NOT NULL UNIQUE,
    org_id     TEXT   NOT NULL DEFAULT '',
    event_type TEXT   NOT NULL DEFAULT '',
    subject    TEXT   NOT NULL DEFAULT '',
    payload    TEXT   NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL DEFAULT 0
);

-- outbox_lock has one row, locked by every transaction that enqueues an
-- event, so that event sequence numbers become visible in commit order.
CREATE TABLE outbox_lock (
    id INTEGER NOT NULL PRIMARY KEY
);

INSERT INTO outbox_lock (id) VALUES (1);

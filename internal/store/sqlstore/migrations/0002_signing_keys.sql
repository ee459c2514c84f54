-- The deployment's token-signing keys. They belong to no organisation. The
-- private key is stored only sealed by internal/keys, as standard base64
-- text in `sealed`, beside the id of the key-encryption key that sealed it.

CREATE TABLE signing_keys (
    kid          TEXT   NOT NULL PRIMARY KEY,
    algorithm    TEXT   NOT NULL DEFAULT '',
    state        TEXT   NOT NULL DEFAULT '',
    public_jwk   TEXT   NOT NULL DEFAULT '',
    sealed       TEXT   NOT NULL DEFAULT '',
    kek_id       TEXT   NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL DEFAULT 0,
    activates_at BIGINT NOT NULL DEFAULT 0,
    retired_at   BIGINT NOT NULL DEFAULT 0,
    remove_after BIGINT NOT NULL DEFAULT 0
);

-- At most one key signs. Whatever a rotation does wrong, the database
-- refuses a second active key.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (state)
    WHERE state = 'active';

-- signing_key_lock has one row, locked by every transaction that reads the
-- key set to decide on a rotation, so that instances deciding at once take
-- turns even while the key set is empty.
CREATE TABLE signing_key_lock (
    id INTEGER NOT NULL PRIMARY KEY
);

INSERT INTO signing_key_lock (id) VALUES (1);

package sqlstore

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/agentidp/agentidp/internal/store"
)

const signingKeyCols = "kid, algorithm, state, public_jwk, sealed, kek_id, " +
	"created_at, activates_at, retired_at, remove_after"

// sealedEncoding turns the sealed private key, arbitrary bytes, into the
// text the schema stores.
var sealedEncoding = base64.StdEncoding

func scanSigningKey(s Scanner) (store.SigningKey, error) {
	var k store.SigningKey
	var state, jwk, sealed string
	var created, activates, retired, remove int64
	err := s.Scan(&k.KID, &k.Algorithm, &state, &jwk, &sealed, &k.KEKID,
		&created, &activates, &retired, &remove)
	if err != nil {
		return store.SigningKey{}, err
	}

	if sealed != "" {
		if k.Sealed, err = sealedEncoding.DecodeString(sealed); err != nil {
			return store.SigningKey{}, fmt.Errorf("decode sealed key of %q: %w", k.KID, err)
		}
	}
	k.State = store.SigningKeyState(state)
	k.PublicJWK = fromText(jwk)
	k.CreatedAt, k.ActivatesAt = fromMicros(created), fromMicros(activates)
	k.RetiredAt, k.RemoveAfter = fromMicros(retired), fromMicros(remove)
	return k, nil
}

func listSigningKeys(ctx context.Context, q Querier, lock string) (
	[]store.SigningKey, error) {
	keys, err := queryAll(ctx, q, scanSigningKey,
		"SELECT "+signingKeyCols+" FROM signing_keys ORDER BY created_at, kid"+lock)
	return keys, wrap("list signing keys", err)
}

// ListSigningKeys implements store.Reader.
func (s *Store) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	return listSigningKeys(ctx, s.db, "")
}

// ListSigningKeys implements store.Tx. Where transactions run side by side
// (PostgreSQL), it first locks signing_key_lock, which row locks on the
// keys alone could not do for a key set still empty; SQLite's write
// transactions exclude each other already.
func (t *tx) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	if t.d.ForUpdate != "" {
		var id int64
		err := t.q.QueryRow(ctx,
			"SELECT id FROM signing_key_lock WHERE id = 1"+t.d.ForUpdate).Scan(&id)
		if err != nil {
			return nil, fmt.Errorf("list signing keys: lock key set: %w", err)
		}
	}
	return listSigningKeys(ctx, t.q, t.d.ForUpdate)
}

// CreateSigningKey implements store.Tx. The public JWK is stored as text,
// so it must be UTF-8 (JSON always is); Sealed may hold any bytes.
func (t *tx) CreateSigningKey(ctx context.Context, k store.SigningKey) error {
	_, err := t.q.Exec(ctx,
		"INSERT INTO signing_keys ("+signingKeyCols+") "+
			"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
		k.KID, k.Algorithm, string(k.State), string(k.PublicJWK),
		sealedEncoding.EncodeToString(k.Sealed), k.KEKID, micros(k.CreatedAt),
		micros(k.ActivatesAt), micros(k.RetiredAt), micros(k.RemoveAfter))
	return t.writeErr(fmt.Sprintf("create signing key %q", k.KID), err)
}

// UpdateSigningKey implements store.Tx.
func (t *tx) UpdateSigningKey(ctx context.Context, k store.SigningKey) error {
	n, err := t.q.Exec(ctx,
		"UPDATE signing_keys SET state = $2, sealed = $3, kek_id = $4, "+
			"activates_at = $5, retired_at = $6, remove_after = $7 WHERE kid = $1",
		k.KID, string(k.State), sealedEncoding.EncodeToString(k.Sealed), k.KEKID,
		micros(k.ActivatesAt), micros(k.RetiredAt), micros(k.RemoveAfter))
	return t.updated(fmt.Sprintf("update signing key %q", k.KID), n, err)
}

// DeleteSigningKey implements store.Tx.
func (t *tx) DeleteSigningKey(ctx context.Context, kid string) error {
	n, err := t.q.Exec(ctx, "DELETE FROM signing_keys WHERE kid = $1", kid)
	return t.updated(fmt.Sprintf("delete signing key %q", kid), n, err)
}

package keys

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/agentidp/agentidp/internal/store"
)

// view is what a Manager knows of the key set between two reads of the
// store. It never changes once built; Refresh replaces it whole.
type view struct {
	rows []store.SigningKey
	// signers are the pending and active keys, in ascending ActivatesAt.
	signers []*liveKey
	// jwks is the published set as JSON.
	jwks []byte
}

// liveKey is a key that signs now or will: its private half, opened.
type liveKey struct {
	kid         string
	alg         jwa.SignatureAlgorithm
	active      bool // its state is active in the store
	activatesAt time.Time
	priv        crypto.Signer // nil when it could not be opened
	err         error         // why priv is nil
}

// LogValue implements slog.LogValuer: a live key logs as its kid and
// algorithm, never its key.
func (k *liveKey) LogValue() slog.Value {
	return slog.GroupValue(slog.String(logKID, k.kid), slog.String(logAlg, k.alg.String()))
}

// String implements fmt.Stringer, so that %v prints no key material.
func (k *liveKey) String() string {
	return "signing key " + k.kid
}

// GoString implements fmt.GoStringer, so that %#v prints no key material.
func (k *liveKey) GoString() string {
	return k.String()
}

// Refresh rereads the key set from the store and replaces the keys in
// memory. It opens the private keys of pending and active keys it did not
// hold yet. When some cannot be opened it still installs the rest, and
// returns an error naming them; Sign then refuses to use those.
func (m *Manager) Refresh(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()

	rows, err := m.st.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("refresh signing keys: %w", err)
	}
	v, err := m.build(rows, m.view.Load(), m.now())
	if err != nil {
		return fmt.Errorf("refresh signing keys: %w", err)
	}
	m.view.Store(v)
	return errors.Join(v.openErrors()...)
}

// build makes the view of rows at now, reusing the opened keys of old.
func (m *Manager) build(rows []store.SigningKey, old *view, now time.Time) (*view, error) {
	v := &view{}
	set := jwk.NewSet()
	for _, r := range rows {
		if r.State == store.SigningKeyRetired && !r.RemoveAfter.After(now) {
			continue // past its time; the next tick deletes it
		}
		v.rows = append(v.rows, r)
		if err := addPublic(set, r); err != nil {
			return nil, err
		}
		if r.State != store.SigningKeyRetired {
			v.signers = append(v.signers, m.live(r, old))
		}
	}
	slices.SortStableFunc(v.signers, func(a, b *liveKey) int {
		return a.activatesAt.Compare(b.activatesAt)
	})

	js, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("encode jwks: %w", err)
	}
	v.jwks = js
	return v, nil
}

// addPublic adds a row's public key to set, after checking that it is the
// key its kid names.
func addPublic(set jwk.Set, r store.SigningKey) error {
	key, err := jwk.ParseKey(r.PublicJWK)
	if err != nil {
		return fmt.Errorf("parse public key %q: %w", r.KID, err)
	}
	if tp, err := thumbprint(key); err != nil || tp != r.KID || key.KeyID() != r.KID {
		return fmt.Errorf("public key %q: kid does not match the key", r.KID)
	}
	return set.AddKey(key)
}

// live returns the live key of row r, taking the private key from old when
// it was opened already, so that a refresh opens only new keys.
func (m *Manager) live(r store.SigningKey, old *view) *liveKey {
	k := &liveKey{kid: r.KID, alg: jwa.SignatureAlgorithm(r.Algorithm),
		active: r.State == store.SigningKeyActive, activatesAt: r.ActivatesAt}
	if prev := old.signer(r.KID); prev != nil && prev.priv != nil {
		k.priv = prev.priv
		return k
	}

	// A key that fails to open is tried again at every refresh; the
	// error reaches the caller of Refresh (Run logs it).
	k.priv, k.err = openKey(m.kek, r)
	return k
}

// signer returns the live key of the given kid, or nil; v may be nil.
func (v *view) signer(kid string) *liveKey {
	if v == nil {
		return nil
	}
	for _, k := range v.signers {
		if k.kid == kid {
			return k
		}
	}
	return nil
}

// openErrors returns why keys could not be opened, one error per key.
func (v *view) openErrors() []error {
	var errs []error
	for _, k := range v.signers {
		if k.err != nil {
			errs = append(errs, fmt.Errorf("open signing key %q: %w", k.kid, k.err))
		}
	}
	return errs
}

// sealKey seals priv under kek for the row of kid and alg.
func sealKey(kek *KEK, kid, alg string, priv crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	defer clear(der)

	sealed, err := kek.Seal(der, keyAAD(kid, alg))
	if err != nil {
		return nil, fmt.Errorf("seal private key %q: %w", kid, err)
	}
	return sealed, nil
}

// openKey opens the private key of row r and checks that it is the key the
// row's kid names.
func openKey(kek *KEK, r store.SigningKey) (crypto.Signer, error) {
	der, err := kek.Open(r.Sealed, keyAAD(r.KID, r.Algorithm))
	if err != nil {
		return nil, err
	}
	defer clear(der)

	priv, err := parsePrivate(r.Algorithm, der)
	if err != nil {
		return nil, err
	}
	kid, _, err := publicJWK(r.Algorithm, priv.Public())
	if err != nil {
		return nil, err
	}
	if kid != r.KID {
		return nil, errors.New("private key does not match its kid")
	}
	return priv, nil
}

package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/agentidp/agentidp/internal/store"
)

// Errors of Rotate and Remove.
var (
	// ErrRotationPending means a key already waits to become active; an
	// immediate rotation replaces it.
	ErrRotationPending = errors.New("keys: a rotation is already pending")
	// ErrActiveKey means the key signs now and cannot be removed; rotate
	// it out first.
	ErrActiveKey = errors.New("keys: key is the active signing key")
)

// change is what one transaction makes of the key set.
type change struct {
	// update is written in order: retirements before the promotion they
	// make room for, since the store refuses two active keys.
	update []store.SigningKey
	remove []store.SigningKey
	add    *addition
}

// addition asks for a new key in the given state.
type addition struct {
	state       store.SigningKeyState
	activatesAt time.Time
}

func (c change) empty() bool {
	return len(c.update) == 0 && len(c.remove) == 0 && c.add == nil
}

// decision works out the change to make to a key set at a given time. It
// must depend on nothing else, since it runs twice: on a plain read, to
// learn whether there is anything to do, then on the locked key set.
type decision func(keys []store.SigningKey, now time.Time) (change, error)

// transition applies what decide asks for in one transaction and returns
// the kid of the key it added, if any. It does not refresh the view.
func (m *Manager) transition(ctx context.Context, decide decision) (string, error) {
	now := m.now()
	keys, err := m.st.ListSigningKeys(ctx)
	if err != nil {
		return "", fmt.Errorf("list signing keys: %w", err)
	}
	c, err := decide(keys, now)
	if err != nil || c.empty() {
		return "", err
	}

	// Generating a key (an RSA one takes a while) happens before the key
	// set is locked, so other instances wait only for the writes.
	var fresh *store.SigningKey
	if c.add != nil {
		if fresh, err = m.newKey(); err != nil {
			return "", err
		}
	}
	return m.commit(ctx, decide, now, fresh)
}

// commit decides again on the locked key set, since another instance may
// have acted since the plain read, and writes the change. fresh is the new
// key's material when the plain read asked for one; commit generates it
// when only the locked read does.
func (m *Manager) commit(ctx context.Context, decide decision, now time.Time,
	fresh *store.SigningKey) (string, error) {
	var c change
	var added *store.SigningKey
	err := m.st.WithTx(ctx, func(tx store.Tx) error {
		keys, err := tx.ListSigningKeys(ctx)
		if err != nil {
			return err
		}
		if c, err = decide(keys, now); err != nil {
			return err
		}

		added = nil
		if c.add != nil {
			if fresh == nil {
				if fresh, err = m.newKey(); err != nil {
					return err
				}
			}
			k := *fresh
			k.State, k.CreatedAt, k.ActivatesAt = c.add.state, now, c.add.activatesAt
			added = &k
		}
		return apply(ctx, tx, c, added)
	})
	if err != nil {
		return "", err
	}

	m.logChange(ctx, c, added)
	if added == nil {
		return "", nil
	}
	return added.KID, nil
}

// apply writes a change: updates, then deletions, then the added key.
func apply(ctx context.Context, tx store.Tx, c change, added *store.SigningKey) error {
	for _, k := range c.update {
		if err := tx.UpdateSigningKey(ctx, k); err != nil {
			return err
		}
	}
	for _, k := range c.remove {
		if err := tx.DeleteSigningKey(ctx, k.KID); err != nil {
			return err
		}
	}
	if added != nil {
		return tx.CreateSigningKey(ctx, *added)
	}
	return nil
}

// newKey generates a key pair of the configured algorithm and returns the
// row that carries it, sealed; the caller sets its state and times.
func (m *Manager) newKey() (*store.SigningKey, error) {
	priv, err := generate(m.alg, m.rsaBits)
	if err != nil {
		return nil, err
	}
	kid, pub, err := publicJWK(m.alg, priv.Public())
	if err != nil {
		return nil, err
	}

	sealed, err := sealKey(m.kek, kid, m.alg, priv)
	if err != nil {
		return nil, err
	}
	return &store.SigningKey{KID: kid, Algorithm: m.alg, PublicJWK: pub, Sealed: sealed,
		KEKID: m.kek.ID()}, nil
}

// schedule is the decision of Tick: the transitions due at now.
func (m *Manager) schedule(keys []store.SigningKey, now time.Time) (change, error) {
	var c change

	// 1. Retired keys whose tokens have all expired leave the set.
	for _, k := range keys {
		if k.State == store.SigningKeyRetired && !k.RemoveAfter.After(now) {
			c.remove = append(c.remove, k)
		}
	}

	// 2. The latest pending key whose time has come replaces the active
	// key, and any pending key due before it.
	signer := activeKey(keys)
	if due := duePending(keys, now); due != nil {
		for _, k := range keys {
			if k.KID != due.KID && (k.State == store.SigningKeyActive || isDue(k, now)) {
				c.update = append(c.update, m.retire(k, due.ActivatesAt))
			}
		}
		promoted := *due
		promoted.State = store.SigningKeyActive
		c.update = append(c.update, promoted)
		signer = &promoted
	}

	// 3. A key set with no key to sign with gets one at once: the first
	// start of a deployment.
	if signer == nil {
		c.add = &addition{state: store.SigningKeyActive, activatesAt: now}
		return c, nil
	}

	// 4. A successor is published PublishAhead before the signer has
	// signed for RotationInterval.
	if m.interval > 0 && futurePending(keys, now) == nil &&
		!now.Before(signer.ActivatesAt.Add(m.interval-m.ahead)) {
		c.add = &addition{state: store.SigningKeyPending, activatesAt: now.Add(m.ahead)}
	}
	return c, nil
}

// Rotate replaces the signing key now and returns the new key's kid.
//
// A normal rotation publishes a new pending key that takes over after
// PublishAhead, the schedule's own way; it fails with ErrRotationPending
// when a key already waits. An immediate rotation, for a compromised key,
// makes the new key active at once, retires the active key (it stays
// published until its tokens expire; Remove withdraws it sooner) and
// deletes any key still waiting, which never signed. Other instances
// switch within RefreshInterval.
func (m *Manager) Rotate(ctx context.Context, immediate bool) (string, error) {
	decide := m.rotateLater
	if immediate {
		decide = m.rotateNow
	}
	kid, err := m.transition(ctx, decide)
	if err != nil {
		return "", fmt.Errorf("rotate signing key: %w", err)
	}
	return kid, m.Refresh(ctx)
}

// rotateLater is the decision of a normal rotation.
func (m *Manager) rotateLater(keys []store.SigningKey, now time.Time) (change, error) {
	if k := futurePending(keys, now); k != nil {
		return change{}, fmt.Errorf("%w: key %q activates at %s", ErrRotationPending,
			k.KID, k.ActivatesAt.Format(time.RFC3339))
	}
	if activeKey(keys) == nil && duePending(keys, now) == nil {
		return change{add: &addition{state: store.SigningKeyActive, activatesAt: now}}, nil
	}
	return change{add: &addition{state: store.SigningKeyPending,
		activatesAt: now.Add(m.ahead)}}, nil
}

// rotateNow is the decision of an immediate rotation.
func (m *Manager) rotateNow(keys []store.SigningKey, now time.Time) (change, error) {
	var c change
	for _, k := range keys {
		switch {
		case k.State == store.SigningKeyActive || isDue(k, now):
			c.update = append(c.update, m.retire(k, now))
		case k.State == store.SigningKeyPending:
			c.remove = append(c.remove, k)
		}
	}
	c.add = &addition{state: store.SigningKeyActive, activatesAt: now}
	return c, nil
}

// Remove deletes a key that does not sign, withdrawing it from the
// published set at once: for a retired key believed compromised, whose
// tokens should no longer verify, or a pending key not wanted after all.
// The key signing now is refused with ErrActiveKey; an unknown kid is
// store.ErrNotFound.
func (m *Manager) Remove(ctx context.Context, kid string) error {
	_, err := m.transition(ctx, func(keys []store.SigningKey, now time.Time) (change, error) {
		for _, k := range keys {
			if k.KID != kid {
				continue
			}
			if k.State == store.SigningKeyActive || isDue(k, now) {
				return change{}, ErrActiveKey
			}
			return change{remove: []store.SigningKey{k}}, nil
		}
		return change{}, store.ErrNotFound
	})
	if err != nil {
		return fmt.Errorf("remove signing key %q: %w", kid, err)
	}
	return m.Refresh(ctx)
}

// retire returns k retired at the given time (never before it began to
// sign), published for as long as the tokens it signed may live.
func (m *Manager) retire(k store.SigningKey, at time.Time) store.SigningKey {
	if at.Before(k.ActivatesAt) {
		at = k.ActivatesAt
	}
	k.State, k.RetiredAt, k.RemoveAfter = store.SigningKeyRetired, at, at.Add(m.keep)
	return k
}

// activeKey returns the active key, or nil.
func activeKey(keys []store.SigningKey) *store.SigningKey {
	for i := range keys {
		if keys[i].State == store.SigningKeyActive {
			return &keys[i]
		}
	}
	return nil
}

// isDue reports a pending key whose time to sign has come.
func isDue(k store.SigningKey, now time.Time) bool {
	return k.State == store.SigningKeyPending && !k.ActivatesAt.After(now)
}

// duePending returns the due pending key that activates last, or nil.
func duePending(keys []store.SigningKey, now time.Time) *store.SigningKey {
	var due *store.SigningKey
	for i, k := range keys {
		if isDue(k, now) && (due == nil || k.ActivatesAt.After(due.ActivatesAt)) {
			due = &keys[i]
		}
	}
	return due
}

// futurePending returns a pending key whose time has not come, or nil.
func futurePending(keys []store.SigningKey, now time.Time) *store.SigningKey {
	for i, k := range keys {
		if k.State == store.SigningKeyPending && k.ActivatesAt.After(now) {
			return &keys[i]
		}
	}
	return nil
}

// logChange reports a committed change.
func (m *Manager) logChange(ctx context.Context, c change, added *store.SigningKey) {
	for _, k := range c.update {
		m.log.InfoContext(ctx, "signing key "+string(k.State), logKID, k.KID,
			logActivatesAt, k.ActivatesAt, logRemoveAfter, k.RemoveAfter)
	}
	for _, k := range c.remove {
		m.log.InfoContext(ctx, "signing key removed", logKID, k.KID, logState, k.State)
	}
	if added != nil {
		m.log.InfoContext(ctx, "signing key created", logKID, added.KID,
			logAlg, added.Algorithm, logState, added.State, logActivatesAt, added.ActivatesAt,
			logKEKID, added.KEKID)
	}
}

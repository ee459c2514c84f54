package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/agentidp/agentidp/internal/config"
	"github.com/agentidp/agentidp/internal/keys"
	"github.com/agentidp/agentidp/internal/store"
)

// loadKEK returns the key-encryption key of a configured deployment: from
// AGENTIDP_KEYS_KEK when set, else from keys.kek_file. Errors never carry
// key material.
func loadKEK(cfg *config.Config) (*keys.KEK, error) {
	if cfg.Keys.KEK != "" {
		k, err := keys.ParseKEK(string(cfg.Keys.KEK))
		if err != nil {
			return nil, fmt.Errorf("AGENTIDP_KEYS_KEK: %w", err)
		}
		return k, nil
	}
	return keys.LoadKEKFile(cfg.Keys.KEKFile)
}

// ensureKEK returns the key-encryption key in path, creating the file with
// a new random key on first use (dev only). It reports whether it created
// one. An existing file is never replaced: the keys it sealed would become
// unreadable.
func ensureKEK(path string) (*keys.KEK, bool, error) {
	k, err := keys.LoadKEKFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, false, err
	}
	k, err = keys.GenerateKEKFile(path)
	if errors.Is(err, fs.ErrExist) {
		// Another dev process on the same directory was first.
		k, err = keys.LoadKEKFile(path)
		return k, false, err
	}
	return k, err == nil, err
}

// newKeyManager builds the signing key manager cfg describes.
func newKeyManager(cfg *config.Config, st store.Store, kek *keys.KEK,
	log *slog.Logger) (*keys.Manager, error) {
	k := &cfg.Keys
	m, err := keys.New(keys.Config{
		Store:            st,
		KEK:              kek,
		Algorithm:        k.Algorithm,
		RSABits:          k.RSABits,
		RotationInterval: k.RotationInterval,
		PublishAhead:     k.PublishAhead,
		MaxTokenTTL:      cfg.Tokens.MaxTTL,
		RefreshInterval:  k.RefreshInterval,
		Logger:           log.With(slog.String("component", "keys")),
	})
	if err != nil {
		return nil, fmt.Errorf("configure signing keys: %w", err)
	}
	return m, nil
}

// startKeys builds the signing key manager and loads the key set, creating
// the first key of a fresh deployment. It fails when no key can sign, for
// instance under the wrong KEK.
func startKeys(ctx context.Context, cfg *config.Config, st store.Store, kek *keys.KEK,
	log *slog.Logger) (*keys.Manager, error) {
	m, err := newKeyManager(cfg, st, kek, log)
	if err != nil {
		return nil, err
	}
	if err := m.Start(ctx); err != nil {
		return nil, err
	}
	log.InfoContext(ctx, "signing keys loaded", slog.String("kek_id", kek.ID()),
		slog.Int("signing_keys", len(m.Keys())))
	return m, nil
}

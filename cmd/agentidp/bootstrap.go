package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/agentidp/agentidp/internal/secret"
	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/internal/tlsutil"
	"github.com/agentidp/agentidp/issuer"
)

// bootstrapFile is the name of the file dev writes into its data
// directory for scripts and tests.
const bootstrapFile = "bootstrap.json"

// adminKeyName names the super-admin key dev creates.
const adminKeyName = "dev bootstrap"

// bootstrap is the content of bootstrap.json, a contract with the
// programs that drive a dev instance (see DESIGN.md). Fields of roles that
// do not exist yet (authz, xds) are empty strings until they do.
type bootstrap struct {
	IssuerURL   string `json:"issuer_url"`
	AdminAPIKey string `json:"admin_api_key"`
	CACert      string `json:"ca_cert"`
	AuthzAddr   string `json:"authz_addr"`
	XDSAddr     string `json:"xds_addr"`
	MetricsAddr string `json:"metrics_addr"`
}

// readBootstrap returns the bootstrap.json in dir, or the zero value when
// there is none or it cannot be read: dev then starts afresh.
func readBootstrap(dir string) bootstrap {
	var b bootstrap
	data, err := os.ReadFile(filepath.Join(dir, bootstrapFile)) //nolint:gosec // G304: a file inside our own data dir.
	if err == nil {
		_ = json.Unmarshal(data, &b)
	}
	return b
}

// writeBootstrap replaces dir/bootstrap.json atomically, mode 0600: it
// holds the super-admin key.
func writeBootstrap(dir string, b bootstrap) error {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return fmt.Errorf("encode bootstrap: %w", err)
	}
	return writeFileAtomic(filepath.Join(dir, bootstrapFile), append(data, '\n'), 0o600)
}

func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	tmp := f.Name()
	defer func() { _ = os.Remove(tmp) }()

	err = f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	return nil
}

// adminKey returns the super-admin key of the previous run when it still
// authenticates, or creates a new one. A key stops being usable when the
// database or the hashing key was replaced, or when it was revoked.
func adminKey(ctx context.Context, st store.Store, h *secret.Hasher, previous string) (key string, created bool, err error) {
	if previous != "" && adminKeyValid(ctx, st, h, previous, time.Now()) {
		return previous, false, nil
	}
	key, err = issuer.CreateAdminKey(ctx, st, h, adminKeyName)
	if err != nil {
		return "", false, err
	}
	return key, true, nil
}

func adminKeyValid(ctx context.Context, st store.Reader, h *secret.Hasher, key string, now time.Time) bool {
	id, err := secret.ParseKey(key)
	if err != nil {
		return false
	}
	k, err := st.GetAdminKey(ctx, id)
	if err != nil {
		return false
	}
	expired := !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt)
	return h.Matches(key, k.Hash) && k.RevokedAt.IsZero() && !expired
}

// ensureKeyFile returns the hashing key in path, creating the file with
// 32 random bytes (mode 0600) when it does not exist.
func ensureKeyFile(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) //nolint:gosec // G304: a file inside our own data dir.
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create hmac key file: %w", err)
	}
	key := make([]byte, secret.MinKeyBytes)
	_, _ = rand.Read(key) // never fails on supported platforms
	_, err = f.Write(key)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("write hmac key file: %w", err)
	}
	return nil
}

// issuerURL is the https URL clients use for a listener at addr
// (host:port), or "" when addr is not host:port. Its host must be a name
// the dev certificate covers: the listen host when it is one of them,
// localhost otherwise (e.g. for a wildcard listener).
func issuerURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	name := "localhost"
	if ip := net.ParseIP(host); ip != nil {
		for _, n := range tlsutil.DevNames {
			if nip := net.ParseIP(n); nip != nil && nip.Equal(ip) {
				name = n
			}
		}
	}
	u := url.URL{Scheme: "https", Host: net.JoinHostPort(name, port)}
	return u.String()
}

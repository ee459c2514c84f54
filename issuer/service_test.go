package issuer_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/reqctx"
	"github.com/agentidp/agentidp/internal/secret"
	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/internal/store/sqlite"
	"github.com/agentidp/agentidp/issuer"
)

// newService returns a service on a fresh SQLite store.
func newService(t *testing.T) (*issuer.Service, store.Store, *secret.Hasher) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	require.NoError(t, st.Migrate(ctx))
	h, err := secret.NewHasher(bytes.Repeat([]byte{7}, secret.MinKeyBytes))
	require.NoError(t, err)

	svc, err := issuer.New(issuer.Config{Store: st, Hasher: h})
	require.NoError(t, err)
	return svc, st, h
}

func TestNewNeedsStoreAndHasher(t *testing.T) {
	_, err := issuer.New(issuer.Config{})
	require.Error(t, err)
}

func TestCreateAdminKey(t *testing.T) {
	svc, st, h := newService(t)
	ctx := context.Background()
	key, err := issuer.CreateAdminKey(ctx, st, h, "bootstrap")
	require.NoError(t, err)

	p, err := svc.Authenticate(ctx, key)
	require.NoError(t, err)
	require.True(t, p.Admin)
	require.True(t, strings.HasPrefix(p.Actor(), "admin:adm_"))

	_, err = issuer.CreateAdminKey(ctx, st, h, "")
	require.ErrorIs(t, err, issuer.ErrInvalid)
}

func TestAuthenticateRefusals(t *testing.T) {
	svc, st, h := newService(t)
	ctx := context.Background()
	key, err := issuer.CreateAdminKey(ctx, st, h, "bootstrap")
	require.NoError(t, err)
	id := strings.Split(key, ".")[1]

	tests := []struct {
		name, key string
	}{
		{"an empty key is refused", ""},
		{"a key of another format is refused", "sk_live_123"},
		{"a known id with another secret is refused", "aidp." + id + "." + secret.Random()},
		{"an unknown admin id is refused",
			"aidp.adm_00000000000000000000000000." + secret.Random()},
		{"an unknown api key id is refused",
			"aidp.key_00000000000000000000000000." + secret.Random()},
		{"an id of another kind is refused",
			"aidp.agt_00000000000000000000000000." + secret.Random()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Authenticate(ctx, tc.key)
			require.ErrorIs(t, err, issuer.ErrUnauthenticated)
			require.NotContains(t, err.Error(), secretPart(tc.key))
		})
	}
}

// secretPart returns the random part of a key, or a string no error holds.
func secretPart(key string) string {
	parts := strings.Split(key, ".")
	if len(parts) != 3 {
		return "\x00never"
	}
	return parts[2]
}

func TestDenialsAreAudited(t *testing.T) {
	svc, st, h := newService(t)
	ctx := reqctx.WithRequestID(context.Background(), "req-1")
	adminKey, err := issuer.CreateAdminKey(ctx, st, h, "bootstrap")
	require.NoError(t, err)
	admin, err := svc.Authenticate(ctx, adminKey)
	require.NoError(t, err)
	org, err := svc.CreateOrg(ctx, admin, issuer.OrgInput{Name: "Acme"})
	require.NoError(t, err)
	k, err := svc.CreateOrgKey(ctx, admin, org.ID, issuer.APIKeyInput{Role: store.RoleViewer})
	require.NoError(t, err)
	viewer, err := svc.Authenticate(ctx, k.Key)
	require.NoError(t, err)
	require.Equal(t, store.RoleViewer, viewer.Role)

	_, err = svc.CreateAgent(ctx, viewer, issuer.AgentInput{Name: "a"})
	require.ErrorIs(t, err, issuer.ErrForbidden)

	recs, err := st.ListAudit(ctx, org.ID, store.AuditFilter{Limit: 10})
	require.NoError(t, err)
	require.Equal(t, "agent.create", recs[0].Action)
	require.Equal(t, store.OutcomeDenied, recs[0].Outcome)
	require.Equal(t, "req-1", recs[0].RequestID)
	require.Equal(t, viewer.Actor(), recs[0].Actor)
}

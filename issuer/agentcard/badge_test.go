package agentcard_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/internal/store/testdb"
	"github.com/agentidp/agentidp/issuer/agentcard"
)

func TestCardEndpoint(t *testing.T) {
	for _, b := range testdb.Backends {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnv(t, b.Open(t))
			a := e.newAgent(t)

			resp := e.get(t, "/agents/"+a.ID+"/card", "")
			require.Equal(t, http.StatusOK, resp.status)
			require.Equal(t, "application/json", resp.header.Get("Content-Type"))
			var card agentcard.Card
			require.NoError(t, json.Unmarshal(resp.body, &card))
			require.Equal(t, "ticket-bot", card.Name)
			require.Equal(t, "acme", card.Provider.Organization)
			require.Equal(t, "triage", card.Skills[0].ID)
			require.Equal(t, e.issuer+"/.well-known/openid-configuration",
				card.SecuritySchemes[agentcard.SchemeName].OpenIDConnect.OpenIDConnectURL)

			for _, id := range []string{ids.New(ids.Agent), "nope"} {
				require.Equal(t, http.StatusNotFound, e.get(t, "/agents/"+id+"/card", "").status)
			}
			e.setStatus(t, a, store.AgentRevoked)
			require.Equal(t, http.StatusGone, e.get(t, "/agents/"+a.ID+"/card", "").status)
		})
	}
}

// badgeOf fetches an agent's vcs.json and returns its one badge's JWS.
func badgeOf(t *testing.T, e *env, agentID string) []byte {
	resp := e.get(t, "/agents/"+agentID+"/.well-known/vcs.json", "")
	require.Equal(t, http.StatusOK, resp.status)
	var list []agentcard.Enveloped
	require.NoError(t, json.Unmarshal(resp.body, &list))
	require.Len(t, list, 1)
	require.Equal(t, agentcard.TypeEnveloped, list[0].Type)
	jwt, ok := strings.CutPrefix(list[0].ID, "data:application/vc+jwt,")
	require.True(t, ok)
	return []byte(jwt)
}

// revoked fetches the status list a badge points at, verifies it, and
// reports the badge's bit.
func revoked(t *testing.T, e *env, b agentcard.Badge) bool {
	resp := e.get(t, b.Status.StatusListCredential, "")
	require.Equal(t, http.StatusOK, resp.status)
	require.Equal(t, agentcard.MediaTypeVCJWT, resp.header.Get("Content-Type"))
	var list agentcard.StatusListCredential
	require.NoError(t, json.Unmarshal(e.verify(t, resp.body, b.Issuer), &list))
	require.Equal(t, b.Status.StatusListCredential, list.ID)
	require.Equal(t, []string{agentcard.TypeCredential, agentcard.TypeStatusListCred}, list.Type)
	require.Equal(t, b.Issuer, list.Issuer)
	require.Equal(t, agentcard.PurposeRevocation, list.Subject.StatusPurpose)

	index, err := strconv.ParseInt(b.Status.StatusListIndex, 10, 64)
	require.NoError(t, err)
	set, err := agentcard.StatusBit(list.Subject.EncodedList, index)
	require.NoError(t, err)
	return set
}

func TestBadgeVerifiesAndIsRevoked(t *testing.T) {
	for _, b := range testdb.Backends {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnv(t, b.Open(t))
			a := e.newAgent(t)
			other := e.newAgent(t)

			token := badgeOf(t, e, a.ID)
			var badge agentcard.Badge
			require.NoError(t, json.Unmarshal(e.verify(t, token, e.dids.DID()), &badge))
			require.Equal(t, []string{agentcard.ContextCredentialsV2}, badge.Context)
			require.Equal(t, []string{agentcard.TypeCredential, agentcard.TypeAgentBadge},
				badge.Type)
			require.Equal(t, e.dids.DID(), badge.Issuer)
			require.Equal(t, badge.Issuer, badge.Iss)
			require.Equal(t, e.dids.AgentDID(a.ID), badge.Subject.ID)
			require.Equal(t, badge.Subject.ID, badge.Sub)
			require.Equal(t, "ticket-bot", badge.Subject.Badge.Name)
			require.Equal(t, agentcard.TypeStatusEntry, badge.Status.Type)
			require.Equal(t, agentcard.PurposeRevocation, badge.Status.StatusPurpose)
			require.True(t, strings.HasPrefix(badge.Status.StatusListCredential,
				e.issuer+"/status-lists/"))
			from, err := time.Parse(time.RFC3339, badge.ValidFrom)
			require.NoError(t, err)
			until, err := time.Parse(time.RFC3339, badge.ValidUntil)
			require.NoError(t, err)
			require.Equal(t, agentcard.DefaultBadgeTTL, until.Sub(from))

			require.False(t, revoked(t, e, badge), "a live agent's bit is clear")

			// Revoked: once the list is rebuilt, the bit is set, for this
			// agent only, and no new badge is issued.
			e.setStatus(t, a, store.AgentRevoked)
			e.clock.Advance(agentcard.DefaultStatusListMaxAge)
			require.True(t, revoked(t, e, badge), "the revoked agent's bit is set")
			var otherBadge agentcard.Badge
			require.NoError(t, json.Unmarshal(e.verify(t, badgeOf(t, e, other.ID), e.dids.DID()),
				&otherBadge))
			require.False(t, revoked(t, e, otherBadge))
			require.Equal(t, http.StatusGone,
				e.get(t, "/agents/"+a.ID+"/.well-known/vcs.json", "").status)
		})
	}
}

func TestBadgeEndpoint(t *testing.T) {
	e := newEnv(t, testdb.SQLite(t))
	a := e.newAgent(t)

	resp := e.get(t, "/agents/"+a.ID+"/.well-known/vcs.json", agentcard.MediaTypeVCJWT)
	require.Equal(t, http.StatusOK, resp.status)
	require.Equal(t, agentcard.MediaTypeVCJWT, resp.header.Get("Content-Type"))
	require.Equal(t, 2, strings.Count(string(resp.body), "."), "a compact JWS")

	e.setStatus(t, a, store.AgentSuspended)
	require.Equal(t, http.StatusForbidden,
		e.get(t, "/agents/"+a.ID+"/.well-known/vcs.json", "").status)
	e.setStatus(t, a, store.AgentActive)
	e.tx(t, func(ctx context.Context, tx store.Tx) error {
		o, err := tx.GetOrg(ctx, a.OrgID)
		if err != nil {
			return err
		}
		o.Status = store.OrgSuspended
		return tx.UpdateOrg(ctx, o)
	})
	require.Equal(t, http.StatusForbidden,
		e.get(t, "/agents/"+a.ID+"/.well-known/vcs.json", "").status,
		"an agent of a suspended organisation gets no badge")
	require.Equal(t, http.StatusNotFound,
		e.get(t, "/agents/"+ids.New(ids.Agent)+"/.well-known/vcs.json", "").status)

	for _, n := range []string{"-1", "01", "x", "1048576", "99999999999999999999"} {
		require.Equal(t, http.StatusNotFound, e.get(t, "/status-lists/"+n, "").status, n)
	}
	require.Equal(t, http.StatusOK, e.get(t, "/status-lists/7", "").status)
}

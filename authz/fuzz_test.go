package authz

import (
	"encoding/json"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"
)

// FuzzCheck drives the whole Check path with any header value and route
// requirements. It must never panic, never fail the RPC, and never admit
// a token that an independent library does not verify with the issuer's
// key and find unexpired.
func FuzzCheck(f *testing.F) {
	e := newEnv(f, nil)
	valid := token(f, e.signing, e.claims())
	parts := strings.Split(valid, ".")
	f.Add("Bearer "+valid, "")
	f.Add("Bearer "+valid, "invoices:read")
	f.Add("bearer "+parts[0]+"."+parts[1]+".", "")
	f.Add("Bearer "+parts[0]+".."+parts[2], "")
	f.Add("Bearer eyJhbGciOiJub25lIn0.e30.", "")
	f.Add("Bearer "+strings.Repeat("A", 9000), "")
	f.Add("Basic abc", "a b")
	f.Add("Bearer a.b.c==", "")

	f.Fuzz(func(t *testing.T, header, scopes string) {
		ext := map[string]string{ExtScopes: scopes}
		resp, err := e.srv.Check(t.Context(), request(map[string]string{"authorization": header}, ext))
		require.NoError(t, err)
		require.NotNil(t, resp.GetStatus())
		if resp.GetOkResponse() == nil {
			require.NotNil(t, resp.GetDeniedResponse())
			return
		}
		require.True(t, len(header) > 7 && strings.EqualFold(header[:7], "bearer "),
			"only a bearer token can be admitted")
		requireIndependentlyValid(t, e, header[7:])
	})
}

// requireIndependentlyValid verifies tok with go-jose against the test
// issuer's key and checks that it has not expired.
func requireIndependentlyValid(t *testing.T, e *env, tok string) {
	t.Helper()
	obj, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err, "an admitted token parses")
	payload, err := obj.Verify(e.signing.priv.Public())
	require.NoError(t, err, "an admitted token verifies")
	var c struct {
		Exp float64 `json:"exp"`
	}
	require.NoError(t, json.Unmarshal(payload, &c))
	require.Greater(t, c.Exp+DefaultLeeway.Seconds(), float64(e.clock.Now().Unix()))
}

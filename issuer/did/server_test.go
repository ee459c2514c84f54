package did_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/internal/store/testdb"
	"github.com/agentidp/agentidp/issuer/did"
)

// jwksKeys returns the published keys by kid, as JSON.
func jwksKeys(t *testing.T, e *env) map[string]json.RawMessage {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(e.keys.JWKS(), &set))
	out := map[string]json.RawMessage{}
	for _, k := range set.Keys {
		var kid struct {
			KID string `json:"kid"`
		}
		require.NoError(t, json.Unmarshal(k, &kid))
		out[kid.KID] = k
	}
	return out
}

// requireKeysOfJWKS checks that doc's methods are exactly the JWKS's keys,
// each for assertions and authentication and found by its kid.
func requireKeysOfJWKS(t *testing.T, e *env, doc *did.Document) {
	published := jwksKeys(t, e)
	require.Len(t, doc.VerificationMethod, len(published))
	for kid, key := range published {
		vm, ok := doc.Method("#" + kid)
		require.True(t, ok, "key %s is a verification method", kid)
		require.Equal(t, did.TypeJSONWebKey2020, vm.Type)
		require.Equal(t, e.srv.DID(), vm.Controller)
		require.JSONEq(t, string(key), string(vm.PublicKeyJWK))
		require.Contains(t, doc.AssertionMethod, vm.ID)
		require.Contains(t, doc.Authentication, vm.ID)
	}
}

func TestDeploymentDocument(t *testing.T) {
	for _, b := range testdb.Backends {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnv(t, b.Open(t), nil)
			host := strings.ReplaceAll(strings.TrimPrefix(e.issuer, "https://"), ":", "%3A")
			require.Equal(t, "did:web:"+host, e.srv.DID())

			resp := e.get(t, did.PathDeploymentDocument, "")
			require.Equal(t, http.StatusOK, resp.status)
			require.Equal(t, did.MediaTypeDIDLD, resp.header.Get("Content-Type"))
			require.Equal(t, "public, max-age=60", resp.header.Get("Cache-Control"))
			doc, err := did.ParseDocument(resp.body, e.srv.DID())
			require.NoError(t, err, "the document satisfies the DID Core data model")
			require.Equal(t, []string{did.ContextDIDv1, did.ContextJWS2020}, doc.Context)
			requireKeysOfJWKS(t, e, doc)

			var types []string
			for _, s := range doc.Service {
				types = append(types, s.Type)
				require.True(t, strings.HasPrefix(s.ID, e.srv.DID()+"#"))
			}
			require.Equal(t, []string{did.ServiceOIDC, did.ServiceJWKS, did.ServiceFederation},
				types)
			require.JSONEq(t, `"`+e.issuer+`"`, string(doc.Service[0].ServiceEndpoint))
			require.JSONEq(t, `"`+e.issuer+`/.well-known/jwks.json"`,
				string(doc.Service[1].ServiceEndpoint))

			// A rotation changes the document with the JWKS.
			_, err = e.keys.Rotate(t.Context(), false)
			require.NoError(t, err)
			require.Len(t, jwksKeys(t, e), 2)
			resp = e.get(t, did.PathDeploymentDocument, "")
			doc, err = did.ParseDocument(resp.body, e.srv.DID())
			require.NoError(t, err)
			requireKeysOfJWKS(t, e, doc)
		})
	}
}

func TestResolveOwnDIDOverHTTPS(t *testing.T) {
	for _, b := range testdb.Backends {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnv(t, b.Open(t), nil)

			res := e.resolve(t, e.srv.DID())
			require.Equal(t, http.StatusOK, res.status)
			require.Empty(t, res.Meta.Error)
			require.Equal(t, did.MediaTypeDIDLD, res.Meta.ContentType)
			require.Equal(t, did.ContextResolution, res.Context)
			doc, err := did.ParseDocument(res.Document, e.srv.DID())
			require.NoError(t, err)
			requireKeysOfJWKS(t, e, doc)

			// The DID percent-encoded as a whole resolves the same, and
			// Accept: application/did+ld+json gives the document alone.
			res = e.resolve(t, url.QueryEscape(e.srv.DID()))
			require.Equal(t, http.StatusOK, res.status)
			resp := e.get(t, did.PathResolve+e.srv.DID(), did.MediaTypeDIDLD)
			require.Equal(t, http.StatusOK, resp.status)
			require.Equal(t, did.MediaTypeDIDLD, resp.header.Get("Content-Type"))
			_, err = did.ParseDocument(resp.body, e.srv.DID())
			require.NoError(t, err)
		})
	}
}

func TestAgentDocument(t *testing.T) {
	for _, b := range testdb.Backends {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnv(t, b.Open(t), nil)
			f := e.newFixture(t)
			agentDID := e.srv.AgentDID(f.agent.ID)

			resp := e.get(t, "/agents/"+f.agent.ID+"/did.json", "")
			require.Equal(t, http.StatusOK, resp.status)
			doc, err := did.ParseDocument(resp.body, agentDID)
			require.NoError(t, err, "the document satisfies the DID Core data model")
			require.Equal(t, []string{e.srv.DID()}, doc.Controller)
			require.Len(t, doc.VerificationMethod, 1)
			vm, ok := doc.Method("#" + f.kid)
			require.True(t, ok)
			require.Equal(t, agentDID, vm.Controller)
			require.Equal(t, []string{vm.ID}, doc.AssertionMethod)

			res := e.resolve(t, agentDID)
			require.Equal(t, http.StatusOK, res.status)
			require.False(t, res.DocMeta.Deactivated)
			require.NotEmpty(t, res.DocMeta.Created)

			// Revoked: its keys go, and its DID is deactivated.
			e.tx(t, func(ctx context.Context, tx store.Tx) error {
				a := f.agent
				a.Status = store.AgentRevoked
				return tx.UpdateAgent(ctx, a)
			})
			resp = e.get(t, "/agents/"+f.agent.ID+"/did.json", "")
			require.Equal(t, http.StatusGone, resp.status)
			res = e.resolve(t, agentDID)
			require.Equal(t, http.StatusGone, res.status)
			require.True(t, res.DocMeta.Deactivated)
			doc, err = did.ParseDocument(res.Document, agentDID)
			require.NoError(t, err)
			require.Empty(t, doc.VerificationMethod)

			for _, id := range []string{ids.New(ids.Agent), "not-an-agent-id"} {
				require.Equal(t, http.StatusNotFound, e.get(t, "/agents/"+id+"/did.json", "").status)
				res = e.resolve(t, e.srv.AgentDID(id))
				require.Equal(t, did.CodeNotFound, res.Meta.Error)
			}
			res = e.resolve(t, e.srv.DID()+":elsewhere")
			require.Equal(t, did.CodeNotFound, res.Meta.Error)
			res = e.resolve(t, strings.ReplaceAll(agentDID, "%3A", "%3a"))
			require.Equal(t, did.CodeNotFound, res.Meta.Error, "only the canonical spelling")
		})
	}
}

// A token's agent_did leads, through the resolver, to the key that
// signed the token: the agent's DID names its controller, the
// deployment, whose document holds the key by the token's kid.
func TestTokenVerifiesThroughIssuerDID(t *testing.T) {
	for _, b := range testdb.Backends {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnv(t, b.Open(t), nil)
			f := e.newFixture(t)
			token := e.token(t, f)

			msg, err := jws.Parse([]byte(token))
			require.NoError(t, err)
			var claims struct {
				AgentDID string `json:"agent_did"`
			}
			require.NoError(t, json.Unmarshal(msg.Payload(), &claims))
			require.Equal(t, e.srv.AgentDID(f.agent.ID), claims.AgentDID,
				"tokens and documents encode the DID alike")

			agent := e.resolve(t, claims.AgentDID)
			agentDoc, err := did.ParseDocument(agent.Document, claims.AgentDID)
			require.NoError(t, err)
			require.Len(t, agentDoc.Controller, 1)
			issuerDoc := e.resolve(t, agentDoc.Controller[0])
			require.Equal(t, http.StatusOK, issuerDoc.status)
			doc, err := did.ParseDocument(issuerDoc.Document, e.srv.DID())
			require.NoError(t, err)

			kid := msg.Signatures()[0].ProtectedHeaders().KeyID()
			vm, ok := doc.Method("#" + kid)
			require.True(t, ok)
			key, err := jwk.ParseKey(vm.PublicKeyJWK)
			require.NoError(t, err)
			_, err = jws.Verify([]byte(token), jws.WithKey(jwa.ES256, key))
			require.NoError(t, err)
		})
	}
}

func TestResolveRefusesBadDIDs(t *testing.T) {
	e := newEnv(t, testdb.SQLite(t), nil)
	tests := []struct {
		name string
		did  string
		code string
	}{
		{"a string that is not a DID is invalid", "not-a-did", did.CodeInvalidDID},
		{"a DID without method-specific id is invalid", "did:web:", did.CodeInvalidDID},
		{"a DID URL is not a DID", url.QueryEscape("did:web:example.com#k"), did.CodeInvalidDID},
		{"an empty did:web host is invalid", "did:web::agents", did.CodeInvalidDID},
		{"a did:web with a bad port is invalid", "did:web:example.com%3A99999",
			did.CodeInvalidDID},
		{"a did:web host that is no DNS name is invalid", "did:web:exa_mple.com",
			did.CodeInvalidDID},
		{"a did:web path of dots is invalid", "did:web:example.com:..", did.CodeInvalidDID},
		{"a did:web path with an encoded slash is invalid", "did:web:example.com:a%2Fb",
			did.CodeInvalidDID},
		{"a did:web path with a control character is invalid", "did:web:example.com:a%00",
			did.CodeInvalidDID},
		{"an unknown method is not supported", "did:example:123456",
			did.CodeMethodNotSupported},
		{"did:ethr is not supported", "did:ethr:0xb9c5714089478a327f09197987f16f9e5d936e8a",
			did.CodeMethodNotSupported},
		{"a host that is not allowed is not fetched", "did:web:evil.example.com",
			did.CodeNotAllowed},
		{"an internal host is not fetched", "did:web:169.254.169.254", did.CodeNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.resolve(t, tc.did)
			require.Equal(t, tc.code, res.Meta.Error, res.Meta.ErrorMessage)
			require.Less(t, res.status, 500, "never a server error")
			require.JSONEq(t, "null", string(res.Document))
		})
	}
}

// remoteHost serves did:web documents for the tests, one behaviour per
// path, on 127.0.0.1 with httptest's certificate.
func remoteHost(t testing.TB) (hostID string, hits map[string]*int) {
	hits = map[string]*int{}
	var mu = make(chan struct{}, 1)
	count := func(p string) {
		mu <- struct{}{}
		if hits[p] == nil {
			hits[p] = new(int)
		}
		*hits[p]++
		<-mu
	}
	mux := http.NewServeMux()
	var base string
	doc := func(id string) string {
		return `{"@context":"https://www.w3.org/ns/did/v1","id":"` + id + `",` +
			`"verificationMethod":[{"id":"#k","type":"JsonWebKey2020","controller":"` + id +
			`","publicKeyJwk":` + testJWK + `}],"assertionMethod":["#k"]}`
	}
	mux.HandleFunc("/ok/did.json", func(w http.ResponseWriter, _ *http.Request) {
		count("ok")
		_, _ = w.Write([]byte(doc(base + ":ok")))
	})
	mux.HandleFunc("/big/did.json", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(doc(base+":big") + strings.Repeat(" ", 4096)))
	})
	mux.HandleFunc("/chunked/did.json", func(w http.ResponseWriter, _ *http.Request) {
		for range 8 {
			_, _ = w.Write([]byte(strings.Repeat(" ", 1024)))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/slow/did.json", func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // until the resolver gives up
		// Then send nothing at all, not even an empty 200.
		panic(http.ErrAbortHandler)
	})
	mux.HandleFunc("/html/did.json", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("<html><body>hello</body></html>"))
	})
	mux.HandleFunc("/mismatch/did.json", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(doc("did:web:evil.example.com")))
	})
	mux.HandleFunc("/invalid/did.json", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"id":"` + base + `:invalid","assertionMethod":["#none"]}`))
	})
	mux.HandleFunc("/redirect/did.json", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok/did.json", http.StatusFound)
	})
	mux.HandleFunc("/gone/did.json", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusGone)
	})
	ts := newTLSServer(t, mux)
	hostID = strings.ReplaceAll(strings.TrimPrefix(ts, "https://"), ":", "%3A")
	base = "did:web:" + hostID
	return hostID, hits
}

func TestResolveRemoteDIDWeb(t *testing.T) {
	host, hits := remoteHost(t)
	e := newEnv(t, testdb.SQLite(t), func(c *did.Config) {
		c.Remote.AllowedHosts = []string{"127.0.0.1"}
		c.Remote.AllowedNetworks = loopback
		c.Remote.MaxDocumentBytes = 2048
		c.Remote.Timeout = timeout
	})
	base := "did:web:" + host

	tests := []struct {
		name string
		path string
		code string
	}{
		{"an allowed host's document resolves", ":ok", ""},
		{"a document over the size limit is refused", ":big", did.CodeInvalidDocument},
		{"a streamed document over the size limit is refused", ":chunked",
			did.CodeInvalidDocument},
		{"a host that does not answer in time is not found", ":slow", did.CodeNotFound},
		{"a document that is not JSON is refused", ":html", did.CodeInvalidDocument},
		{"a document of another DID is refused", ":mismatch", did.CodeInvalidDocument},
		{"a document outside the data model is refused", ":invalid", did.CodeInvalidDocument},
		{"a redirect is not followed", ":redirect", did.CodeNotFound},
		{"a missing document is not found", ":missing", did.CodeNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.resolve(t, base+tc.path)
			require.Equal(t, tc.code, res.Meta.Error, res.Meta.ErrorMessage)
			require.Less(t, res.status, 500, "never a server error")
			if tc.code != "" {
				return
			}
			require.Equal(t, http.StatusOK, res.status)
			doc, err := did.ParseDocument(res.Document, base+tc.path)
			require.NoError(t, err)
			_, ok := doc.Method("#k")
			require.True(t, ok)
		})
	}
	require.Equal(t, 1, *hits["ok"], "a redirect never reaches its target")

	res := e.resolve(t, base+":gone")
	require.Equal(t, http.StatusGone, res.status)
	require.True(t, res.DocMeta.Deactivated)
}

// An allowed host name that resolves to an address the operator did not
// allow is refused when dialled.
func TestResolveChecksTheDialledAddress(t *testing.T) {
	host, hits := remoteHost(t)
	port := host[strings.LastIndex(host, "%3A")+3:]
	e := newEnv(t, testdb.SQLite(t), func(c *did.Config) {
		c.Remote.AllowedHosts = []string{"127.0.0.1", "localhost"}
		c.Remote.Timeout = timeout
	})

	for _, id := range []string{"did:web:" + host + ":ok", "did:web:localhost%3A" + port + ":ok"} {
		res := e.resolve(t, id)
		require.Equal(t, did.CodeNotAllowed, res.Meta.Error, id)
		require.Equal(t, http.StatusForbidden, res.status)
		require.NotContains(t, res.Meta.ErrorMessage, "127.0.0.1:")
	}
	require.Nil(t, hits["ok"], "nothing reached the host")
}

func TestResolverMetricsNameNoDID(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, testdb.SQLite(t), func(c *did.Config) { c.Registerer = reg })
	e.resolve(t, e.srv.DID())
	e.resolve(t, "did:web:evil.example.com")
	e.resolve(t, "did:nope:x")

	families, err := reg.Gather()
	require.NoError(t, err)
	require.Len(t, families, 1)
	got := map[string]float64{}
	for _, m := range families[0].GetMetric() {
		var labels []string
		for _, l := range m.GetLabel() {
			require.NotContains(t, l.GetValue(), "did:", "no label holds a DID")
			labels = append(labels, l.GetValue())
		}
		got[strings.Join(labels, " ")] = m.GetCounter().GetValue()
	}
	require.Equal(t, map[string]float64{
		"ok local": 1, "notAllowed remote": 1, "methodNotSupported none": 1,
	}, got)
}

package rest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/api"
	"github.com/agentidp/agentidp/internal/ids"
)

func TestRequestIDs(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	key := e.key(e.org("Acme"), "admin")

	tests := []struct {
		name, sent string
		kept       bool
	}{
		{"a well-formed client id is kept", "client-42.retry_1", true},
		{"a missing id is generated", "", false},
		{"an id with a space is replaced", "bad id", false},
		{"an id of 65 characters is replaced", strings.Repeat("a", 65), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/v1/agents", key, map[string]any{"name": "a"},
				"X-Request-Id", tc.sent)
			require.Equal(t, 201, r.status)

			got := r.header.Get("X-Request-Id")
			if tc.kept {
				require.Equal(t, tc.sent, got)
			} else {
				require.True(t, ids.Valid(ids.Request, got), got)
			}
			orgID := r.object(t)["org_id"].(string)
			require.Equal(t, got, audit(t, e.st, orgID)[0].RequestID)
		})
	}
}

func TestProblemDocumentIsComplete(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	r := e.do("GET", "/v1/agents", "", nil, "X-Request-Id", "r-1")

	require.Equal(t, `Bearer realm="agentidp"`, r.header.Get("WWW-Authenticate"))
	require.JSONEq(t, `{
		"type": "https://agentidp.dev/problems/unauthorized",
		"title": "Unauthorized",
		"status": 401,
		"detail": "a valid API key is required",
		"instance": "urn:agentidp:request:r-1",
		"request_id": "r-1"
	}`, string(r.body))
}

func TestMethodNotAllowedListsTheMethods(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	r := e.do("DELETE", "/v1/agents", "", nil)

	require.Equal(t, 405, r.status)
	require.Equal(t, "GET, HEAD, POST", r.header.Get("Allow"))
	require.Equal(t, "method-not-allowed", r.problemType(t))
}

func TestOpenAPIIsServedWithoutAKey(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	r := e.do("GET", "/v1/openapi.yaml", "", nil)

	require.Equal(t, 200, r.status)
	require.Equal(t, "application/yaml", r.header.Get("Content-Type"))
	require.Equal(t, api.OpenAPI(), r.body)
}

func TestLogsNeverCarrySecrets(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	key := e.key(e.org("Acme"), "owner")
	agent := e.registerAgent(key, "a")
	created := e.must(201, "POST", "/v1/agents/"+agent+"/secrets", key, nil)
	apiKey := e.must(201, "POST", "/v1/api-keys", key, map[string]any{"role": "viewer"})
	e.do("GET", "/v1/agents", "aidp.key_x."+strings.Repeat("A", 43), nil)

	logs := e.logs.String()
	for _, s := range []string{key, secretPart(key), created["client_secret"].(string),
		apiKey["key"].(string), "Bearer", "Authorization"} {
		require.NotContains(t, logs, s)
	}

	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		require.NoError(t, json.Unmarshal([]byte(l), &line))
		if line["msg"] == "http request" && line["status"] == float64(201) &&
			line["route"] == "/v1/agents/{id}/secrets" {
			require.Equal(t, "POST", line["method"])
			require.Equal(t, keyID(key), line["key_id"])
			return
		}
	}
	require.Fail(t, "no access line for the secret creation", logs)
}

// secretPart returns the random part of an API key.
func secretPart(key string) string {
	return strings.Split(key, ".")[2]
}

func TestPanicsBecomeProblems(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	h := e.srv.observe(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), "GET", "/v1/anything", nil))

	require.Equal(t, 500, rec.Code)
	require.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
	require.Contains(t, rec.Body.String(), ProblemTypeBase+"internal")
	require.NotContains(t, rec.Body.String(), "boom")
	require.Contains(t, e.logs.String(), "handler panicked")
}

func TestMetricsCountRequestsWithoutIDs(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	key := e.key(e.org("Acme"), "admin")
	agent := e.registerAgent(key, "a")
	e.must(200, "GET", "/v1/agents/"+agent, key, nil)
	e.do("GET", "/v1/nowhere/"+agent, key, nil)

	require.InDelta(t, 1.0, testutil.ToFloat64(
		e.srv.metrics.requests.WithLabelValues("/v1/agents/{id}", "GET", "200")), 0)
	require.InDelta(t, 1.0, testutil.ToFloat64(
		e.srv.metrics.requests.WithLabelValues("unmatched", "GET", "404")), 0)

	families, err := e.registry.Gather()
	require.NoError(t, err)
	require.NotEmpty(t, families)
	anID := regexp.MustCompile(`[a-z]+_[0-9a-z]{26}|aidp\.`)
	for _, mf := range families {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				require.NotRegexp(t, anID, l.GetValue(), mf.GetName())
			}
		}
	}
}

func TestRateLimits(t *testing.T) {
	t.Run("each organization has its own bucket", func(t *testing.T) {
		st := openSQLite(t)
		setup := newEnv(t, st)
		a, b := setup.key(setup.org("A"), "viewer"), setup.key(setup.org("B"), "viewer")
		e := newEnv(t, st, func(c *Config) {
			c.RateLimit.OrgRPS, c.RateLimit.OrgBurst = 1, 2
		})
		e.must(200, "GET", "/v1/org", a, nil)
		e.must(200, "GET", "/v1/org", a, nil)

		r := e.do("GET", "/v1/org", a, nil)
		require.Equal(t, 429, r.status)
		require.Equal(t, "rate-limited", r.problemType(t))
		require.Equal(t, "1", r.header.Get("Retry-After"))
		e.must(200, "GET", "/v1/org", b, nil)

		e.clock.Advance(time.Second)
		e.must(200, "GET", "/v1/org", a, nil)
		require.InDelta(t, 1.0,
			testutil.ToFloat64(e.srv.metrics.limited.WithLabelValues("org")), 0)
	})

	t.Run("the global bucket applies before authentication", func(t *testing.T) {
		e := newEnv(t, openSQLite(t), func(c *Config) {
			c.RateLimit.GlobalRPS, c.RateLimit.GlobalBurst = 0.5, 1
		})
		require.Equal(t, 401, e.do("GET", "/v1/org", "", nil).status)

		r := e.do("GET", "/v1/org", "", nil)
		require.Equal(t, 429, r.status)
		require.Equal(t, "2", r.header.Get("Retry-After"))
		require.InDelta(t, 1.0,
			testutil.ToFloat64(e.srv.metrics.limited.WithLabelValues("global")), 0)
	})
}

func TestBodyLimitIsConfigurable(t *testing.T) {
	e := newEnv(t, openSQLite(t), func(c *Config) { c.MaxBodyBytes = 64 })
	key := e.key(e.org("Acme"), "admin")

	r := e.do("POST", "/v1/agents", key, map[string]any{"name": strings.Repeat("a", 64)})
	require.Equal(t, 413, r.status)
	require.Equal(t, "payload-too-large", r.problemType(t))
}

package main

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"github.com/stretchr/testify/require"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"

	"github.com/agentidp/agentidp/internal/loadtest"
)

func TestCheckRequestLooksLikeEnvoys(t *testing.T) {
	req := newCheckRequest("tok")
	h := req.GetAttributes().GetRequest().GetHttp()
	require.Equal(t, "GET", h.GetMethod())
	require.Equal(t, "/invoices/42", h.GetPath())
	require.Equal(t, "api.internal", h.GetHost())
	require.Equal(t, "https", h.GetScheme())
	require.Equal(t, "Bearer tok", h.GetHeaders()["authorization"])
	require.Equal(t, h.GetId(), h.GetHeaders()["x-request-id"])
	require.Len(t, h.GetHeaders(), 6)
	require.Equal(t, map[string]string{
		"agentidp.mode": "required", "agentidp.scopes": "invoices:read",
	}, req.GetAttributes().GetContextExtensions())
	require.NoError(t, req.ValidateAll())

	require.NotContains(t, newCheckRequest("").GetAttributes().GetRequest().GetHttp().GetHeaders(),
		"authorization")
	other := newCheckRequest("tok").GetAttributes().GetRequest().GetHttp()
	require.NotEqual(t, h.GetId(), other.GetId(), "every request has its own id")
}

func TestWantCheck(t *testing.T) {
	denied := func(grpcCode int32, http typev3.StatusCode) *authv3.CheckResponse {
		return &authv3.CheckResponse{
			Status: &rpcstatus.Status{Code: grpcCode},
			HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: &authv3.DeniedHttpResponse{
				Status: &typev3.HttpStatus{Code: http},
			}},
		}
	}
	tests := []struct {
		name    string
		want    want
		resp    *authv3.CheckResponse
		wantErr string
	}{
		{"an allow is what a valid token wants", wantAllow, okResponse(), ""},
		{"a 401 deny is what an invalid token wants", wantUnauthorized,
			denied(16, typev3.StatusCode_Unauthorized), ""},
		{"an allow of an invalid token is wrong", wantUnauthorized, okResponse(),
			"want deny with 401, got status 0 with an ok response"},
		{"a deny of a valid token is wrong", wantAllow, denied(16, typev3.StatusCode_Unauthorized),
			"want allow, got status 16 with a denied response of 401"},
		{"a 403 is not the 401 an invalid token wants", wantUnauthorized,
			denied(7, typev3.StatusCode_Forbidden), "got status 7 with a denied response of 403"},
		{"a 503 is not the 401 an invalid token wants", wantUnauthorized,
			denied(14, typev3.StatusCode_ServiceUnavailable), "denied response of 503"},
		{"status OK without an ok response is no allow", wantAllow,
			&authv3.CheckResponse{Status: &rpcstatus.Status{}}, "without an http response"},
		{"a deny with status OK is no deny", wantUnauthorized,
			denied(0, typev3.StatusCode_Unauthorized), "got status 0"},
		{"an empty answer is neither", wantAllow, &authv3.CheckResponse{}, "got status 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.want.check(tt.resp)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, loadtest.ErrUnexpected)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestTamperFlipsOneSignatureBit(t *testing.T) {
	sig := []byte{1, 2, 3, 4, 5, 6}
	tok := "aGVhZA.Ym9keQ." + base64.RawURLEncoding.EncodeToString(sig)
	got, err := tamper(tok)
	require.NoError(t, err)

	parts := strings.Split(got, ".")
	require.Len(t, parts, 3)
	require.Equal(t, "aGVhZA.Ym9keQ", parts[0]+"."+parts[1])
	bad, err := base64.RawURLEncoding.DecodeString(parts[2])
	require.NoError(t, err)
	require.Equal(t, []byte{1, 2, 3, 5, 5, 6}, bad)

	for _, s := range []string{"", "a.b", "a.b.c.d", ".b.c", "a.b.", "a.b.!!"} {
		_, err := tamper(s)
		require.ErrorIs(t, err, errNotJWS, s)
	}
}

func TestSummaryLine(t *testing.T) {
	m := func(requests int, cpuMicros int64, known bool) measurement {
		return measurement{
			Result:   loadtest.Result{Requests: requests, Elapsed: 1e9},
			cpu:      time.Duration(cpuMicros*int64(requests)) * time.Microsecond,
			cpuKnown: known,
		}
	}
	base := m(1000, 19, true)
	tests := []struct {
		name   string
		levels []level
		want   string
	}{
		{"the level where the server peaks is named",
			[]level{{1, m(300, 30, true), &base}, {16, m(910, 23, true), &base},
				{64, m(800, 25, true), &base}},
			"cached: 0.91 of baseline rate at 16 clients, 23 µs server CPU/request (baseline 19 µs)"},
		{"without --server-pid the server's CPU is not measured",
			[]level{{4, m(500, 0, false), &base}},
			"cached: 0.50 of baseline rate at 4 clients, server CPU/request not measured " +
				"(no --server-pid) (baseline 19 µs)"},
		{"without a baseline the rate is absolute",
			[]level{{4, m(500, 40, true), nil}},
			"cached: 500 requests/s at 4 clients, 40 µs server CPU/request"},
		{"nothing measured says so", nil, "cached: not measured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, summary{name: "cached", levels: tt.levels}.line())
		})
	}
}

func FuzzTamper(f *testing.F) {
	f.Add("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl")
	f.Add("a.b.c")
	f.Add("..")
	f.Fuzz(func(t *testing.T, tok string) {
		got, err := tamper(tok)
		if err != nil {
			return
		}
		require.NotEqual(t, tok, got)
		require.Equal(t, strings.Count(tok, "."), strings.Count(got, "."))
	})
}

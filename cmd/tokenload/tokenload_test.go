package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/stretchr/testify/require"
)

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		levels  []int
		wantErr string
	}{
		{"defaults measure 1, 8 and 64 clients", nil, []int{1, 8, 64}, ""},
		{"levels are read in order", []string{"--concurrency", "4, 2"}, []int{4, 2}, ""},
		{"a level of zero is refused", []string{"--concurrency", "0"}, nil, "--concurrency"},
		{"a word is refused", []string{"--concurrency", "many"}, nil, "--concurrency"},
		{"a zero duration is refused", []string{"--duration", "0s"}, nil, "--duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseOptions(tt.args)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.levels, o.levels)
		})
	}
}

func TestBaselineSignsAnAccessTokenForEveryAlgorithm(t *testing.T) {
	for _, alg := range []string{"ES256", "EdDSA", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			key, sigAlg, err := newSigner(alg)
			require.NoError(t, err)
			srv := httptest.NewTLSServer(signOnly(key, sigAlg))
			defer srv.Close()

			form := url.Values{"grant_type": {"client_credentials"}}.Encode()
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL,
				strings.NewReader(form))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)

			var body struct {
				AccessToken string `json:"access_token"`
			}
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
			_, err = jws.Verify([]byte(body.AccessToken),
				jws.WithKey(sigAlg, key.Public()))
			require.NoError(t, err)
		})
	}
}

func TestUnknownAlgorithmIsRefused(t *testing.T) {
	_, _, err := newSigner("HS256")
	require.ErrorContains(t, err, "HS256")
}

package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ErrRateLimited is returned by FetchToken when the token endpoint answers
// 429 Too Many Requests.
var ErrRateLimited = errors.New("token endpoint rate limited the request")

// Token is an access token and how long it is valid, as the token
// endpoint reported. AccessToken is a bearer secret: never print it.
type Token struct {
	AccessToken string
	ExpiresIn   time.Duration
}

// FetchToken asks the agent's token endpoint for an access token with the
// client_credentials grant, authenticating with client_secret_basic
// (RFC 6749 section 2.3.1), for the space-separated scope. The error names
// the status and the OAuth error code only, never the response body.
func FetchToken(ctx context.Context, c *http.Client, a Agent, scope string) (Token, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if scope != "" {
		form.Set("scope", scope)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.TokenURL,
		strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, fmt.Errorf("build token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// RFC 6749 section 2.3.1: both halves are form-encoded before Basic.
	req.SetBasicAuth(url.QueryEscape(a.ClientID), url.QueryEscape(a.ClientSecret))

	resp, err := c.Do(req)
	if err != nil {
		return Token{}, fmt.Errorf("request a token: %w", err)
	}
	defer resp.Body.Close()

	var body struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
		Error       string `json:"error"`
	}
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxResponseSize))
	decErr := dec.Decode(&body)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return Token{}, ErrRateLimited
	case resp.StatusCode != http.StatusOK:
		return Token{}, fmt.Errorf("token endpoint: status %d, error %q",
			resp.StatusCode, oauthCode(body.Error))
	case decErr != nil:
		return Token{}, fmt.Errorf("decode token response: %w", decErr)
	case body.AccessToken == "" || !strings.EqualFold(body.TokenType, "Bearer"):
		return Token{}, errors.New("token response has no bearer access_token")
	}
	return Token{
		AccessToken: body.AccessToken,
		ExpiresIn:   time.Duration(body.ExpiresIn) * time.Second,
	}, nil
}

// oauthCode keeps an OAuth error code printable and short: RFC 6749
// section 5.2 limits it to visible ASCII without quote or backslash.
func oauthCode(s string) string {
	if len(s) > 64 {
		return "(too long)"
	}
	for _, r := range s {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return "(malformed)"
		}
	}
	return s
}

// Backoff is for callers that retry on ErrRateLimited: it waits attempt
// times base, or until ctx ends, and reports whether to try again.
func Backoff(ctx context.Context, attempt int, base time.Duration) bool {
	t := time.NewTimer(time.Duration(attempt) * base)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

package loadtest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// maxResponseSize bounds every REST and OAuth response body read.
const maxResponseSize = 1 << 20

// Agent is a provisioned agent: the token endpoint of its instance and a
// client secret to authenticate with. ClientSecret is shown once by the
// API; String omits it so that printing an Agent leaks nothing.
type Agent struct {
	TokenURL     string
	ClientID     string
	ClientSecret string
}

// String names the agent by its client id only.
func (a Agent) String() string {
	return "agent " + a.ClientID
}

// ProvisionConfig says what Provision creates.
type ProvisionConfig struct {
	// Bootstrap names the instance and carries the super-admin key.
	Bootstrap Bootstrap
	// Roots verify the instance's TLS certificate (Bootstrap.Roots).
	Roots *x509.CertPool
	// Name prefixes the new organisation's name; a timestamp makes it unique.
	Name string
	// Scopes are the scopes the agent may ask for.
	Scopes []string
}

// Provision creates an organisation, an owner key, an agent with
// cfg.Scopes and a client secret on the instance, and returns the agent
// with the token endpoint named by the instance's discovery document.
func Provision(ctx context.Context, cfg ProvisionConfig) (Agent, error) {
	api := &restClient{base: cfg.Bootstrap.IssuerURL, http: NewHTTPClient(cfg.Roots, 1)}
	defer api.http.CloseIdleConnections()

	tokenURL, err := api.tokenEndpoint(ctx)
	if err != nil {
		return Agent{}, fmt.Errorf("discover the token endpoint: %w", err)
	}
	a, err := api.newAgent(ctx, cfg)
	if err != nil {
		return Agent{}, fmt.Errorf("create a test agent: %w", err)
	}
	a.TokenURL = tokenURL
	return a, nil
}

// NewHTTPClient returns an HTTPS client that trusts roots and keeps up to
// conns connections to one host alive, with a 10 s timeout per request.
func NewHTTPClient(roots *x509.CertPool, conns int) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			MaxConnsPerHost:     conns,
			IdleConnTimeout:     time.Minute,
		},
	}
}

// restClient drives the REST API with JSON.
type restClient struct {
	base string
	http *http.Client
}

func (c *restClient) tokenEndpoint(ctx context.Context) (string, error) {
	var doc struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	err := c.do(ctx, http.MethodGet, "/.well-known/openid-configuration", "", nil, &doc)
	if err == nil && doc.TokenEndpoint == "" {
		err = errors.New("discovery document has no token_endpoint")
	}
	return doc.TokenEndpoint, err
}

func (c *restClient) newAgent(ctx context.Context, cfg ProvisionConfig) (Agent, error) {
	admin := cfg.Bootstrap.AdminAPIKey
	var org, key, agent struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	name := fmt.Sprintf("%s-%d", cfg.Name, time.Now().UnixNano())
	if err := c.do(ctx, http.MethodPost, "/v1/orgs", admin,
		map[string]any{"name": name}, &org); err != nil {
		return Agent{}, err
	}
	if err := c.do(ctx, http.MethodPost, "/v1/orgs/"+org.ID+"/keys", admin,
		map[string]any{"role": "owner"}, &key); err != nil {
		return Agent{}, err
	}
	if err := c.do(ctx, http.MethodPost, "/v1/agents", key.Key,
		map[string]any{"name": cfg.Name + "-agent", "scopes": cfg.Scopes}, &agent); err != nil {
		return Agent{}, err
	}

	var sec struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := c.do(ctx, http.MethodPost, "/v1/agents/"+agent.ID+"/secrets", key.Key,
		nil, &sec); err != nil {
		return Agent{}, err
	}
	if sec.ClientID == "" || sec.ClientSecret == "" {
		return Agent{}, errors.New("the secret response has no client_id or client_secret")
	}
	return Agent{ClientID: sec.ClientID, ClientSecret: sec.ClientSecret}, nil
}

// do sends one request and decodes a 2xx answer into out. Errors name the
// route and status only: never a key or a response body that may hold one.
func (c *restClient) do(ctx context.Context, method, path, key string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("build %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: status %d", method, path, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxResponseSize)).Decode(out); err != nil {
		return fmt.Errorf("decode %s %s: %w", method, path, err)
	}
	return nil
}

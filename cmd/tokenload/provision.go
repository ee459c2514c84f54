package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// bootstrapFile holds the fields of bootstrap.json this tool reads.
type bootstrapFile struct {
	IssuerURL   string `json:"issuer_url"`
	AdminAPIKey string `json:"admin_api_key"`
	CACert      string `json:"ca_cert"`
}

// provision creates an organisation, an owner key, an agent and a client
// secret on the instance described by the bootstrap file, and returns the
// token endpoint with the agent's credentials.
func provision(ctx context.Context, path string) (target, error) {
	raw, err := os.ReadFile(path) //nolint:gosec // G304: the operator names the file to read.
	if err != nil {
		return target{}, err
	}
	var b bootstrapFile
	if err := json.Unmarshal(raw, &b); err != nil {
		return target{}, fmt.Errorf("read %s: %w", path, err)
	}
	pem, err := os.ReadFile(b.CACert)
	if err != nil {
		return target{}, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return target{}, errors.New("ca_cert holds no certificate")
	}

	api := &restClient{base: b.IssuerURL, http: newClient(roots, 1)}
	t := target{roots: roots}
	if t.tokenURL, err = api.tokenEndpoint(ctx); err != nil {
		return target{}, err
	}
	t.clientID, t.clientSecret, err = api.newAgent(ctx, b.AdminAPIKey)
	return t, err
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

func (c *restClient) newAgent(ctx context.Context, admin string) (id, secret string, err error) {
	var org, key, agent, sec map[string]any
	name := fmt.Sprintf("tokenload-%d", time.Now().UnixNano())
	if err = c.do(ctx, "POST", "/v1/orgs", admin, map[string]any{"name": name}, &org); err != nil {
		return "", "", err
	}
	err = c.do(ctx, "POST", "/v1/orgs/"+str(org["id"])+"/keys", admin,
		map[string]any{"role": "owner"}, &key)
	if err != nil {
		return "", "", err
	}
	orgKey := str(key["key"])
	err = c.do(ctx, "POST", "/v1/agents", orgKey,
		map[string]any{"name": "load-agent", "scopes": []string{"load:test"}}, &agent)
	if err != nil {
		return "", "", err
	}
	err = c.do(ctx, "POST", "/v1/agents/"+str(agent["id"])+"/secrets", orgKey, nil, &sec)
	return str(sec["client_id"]), str(sec["client_secret"]), err
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// do sends one request and decodes a 2xx answer into out. Errors name the
// route and status only: never a key or a response body that may hold one.
func (c *restClient) do(ctx context.Context, method, path, key string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
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
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out)
}

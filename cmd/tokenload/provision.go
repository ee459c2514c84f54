package main

import (
	"context"

	"github.com/agentidp/agentidp/internal/loadtest"
)

// provision creates an organisation, an owner key, an agent and a client
// secret on the instance described by the bootstrap file, and returns the
// token endpoint with the agent's credentials.
func provision(ctx context.Context, path string) (target, error) {
	b, err := loadtest.ReadBootstrap(path)
	if err != nil {
		return target{}, err
	}
	roots, err := b.Roots()
	if err != nil {
		return target{}, err
	}
	a, err := loadtest.Provision(ctx, loadtest.ProvisionConfig{
		Bootstrap: b, Roots: roots, Name: "tokenload", Scopes: []string{"load:test"},
	})
	if err != nil {
		return target{}, err
	}
	return target{
		tokenURL: a.TokenURL, roots: roots, clientID: a.ClientID, clientSecret: a.ClientSecret,
	}, nil
}

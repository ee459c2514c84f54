package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/agentidp/agentidp/internal/loadtest"
)

// Minting: how many token requests run at once, and how often one that
// was rate limited is tried again.
const (
	mintWorkers   = 16
	mintRetries   = 10
	mintRetryBase = 100 * time.Millisecond
)

// minter fetches tokens for the provisioned agent.
type minter struct {
	http  *http.Client
	agent loadtest.Agent
}

// one fetches a token with scope invoices:read, retrying while the token
// endpoint rate limits.
func (m *minter) one(ctx context.Context) (loadtest.Token, error) {
	for attempt := 1; ; attempt++ {
		tok, err := loadtest.FetchToken(ctx, m.http, m.agent, routeScopes)
		if !errors.Is(err, loadtest.ErrRateLimited) || attempt == mintRetries ||
			!loadtest.Backoff(ctx, attempt, mintRetryBase) {
			return tok, err
		}
	}
}

// many fetches n tokens, mintWorkers at a time, and returns them in the
// order they were asked for.
func (m *minter) many(ctx context.Context, n int) ([]loadtest.Token, error) {
	toks := make([]loadtest.Token, n)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(mintWorkers)
	for i := range n {
		g.Go(func() error {
			t, err := m.one(ctx)
			if err != nil {
				return fmt.Errorf("mint token %d of %d: %w", i+1, n, err)
			}
			toks[i] = t
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return toks, nil
}

// shortest returns the least lifetime among toks.
func shortest(toks []loadtest.Token) time.Duration {
	least := time.Duration(1<<63 - 1)
	for _, t := range toks {
		least = min(least, t.ExpiresIn)
	}
	return least
}

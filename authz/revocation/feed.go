package revocation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentidp/agentidp/authz"
	"github.com/agentidp/agentidp/internal/store"
)

// Defaults of Config.
const (
	DefaultInterval       = 500 * time.Millisecond
	DefaultResyncInterval = 10 * time.Minute
)

// pageSize is how many rows one query asks for; the SQL backends return
// at most this many.
const pageSize = 500

// Store is what the feed reads: a subset of store.Reader, all of it
// outside any transaction.
type Store interface {
	ListOrgs(ctx context.Context, page store.Page) ([]store.Org, error)
	ListAgents(ctx context.Context, orgID string, f store.AgentFilter) ([]store.Agent, error)
	ListRevokedTokens(ctx context.Context, since time.Time) ([]store.RevokedToken, error)
	ListEvents(ctx context.Context, afterSeq int64, limit int) ([]store.Event, error)
}

// Config configures a Feed. Zero values take their defaults.
type Config struct {
	// Store is the deployment's store; required.
	Store Store
	// Denylist receives the state; required.
	Denylist *authz.Denylist
	// Issuer is the iss of the deployment's tokens, which the state
	// applies to; required.
	Issuer string
	// Interval is how often the outbox is read (DefaultInterval). A
	// revocation reaches the edge within about one interval; each read is
	// one indexed query.
	Interval time.Duration
	// ResyncInterval is how often the whole state is read again and
	// expired token denials forgotten (DefaultResyncInterval).
	ResyncInterval time.Duration
	// Logger receives failed reads; nil discards.
	Logger *slog.Logger
	// Registerer receives the feed's metrics; nil leaves them
	// unregistered.
	Registerer prometheus.Registerer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Feed keeps a Denylist in step with the store. Sync and Run must not be
// called concurrently.
type Feed struct {
	st       Store
	deny     *authz.Denylist
	issuer   string
	interval time.Duration
	resync   time.Duration
	log      *slog.Logger
	now      func() time.Time
	m        *metrics

	cursor   int64 // the last outbox seq applied
	lastSync time.Time
}

// New returns a Feed built from cfg. It reads nothing until Sync or Run.
func New(cfg Config) (*Feed, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("new revocation feed: no store")
	case cfg.Denylist == nil:
		return nil, errors.New("new revocation feed: no denylist")
	case cfg.Issuer == "":
		return nil, errors.New("new revocation feed: no issuer")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.ResyncInterval <= 0 {
		cfg.ResyncInterval = DefaultResyncInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	f := &Feed{st: cfg.Store, deny: cfg.Denylist, issuer: cfg.Issuer, interval: cfg.Interval,
		resync: cfg.ResyncInterval, log: cfg.Logger, now: cfg.Now}
	m, err := newMetrics(cfg.Registerer, f)
	if err != nil {
		return nil, fmt.Errorf("new revocation feed: %w", err)
	}
	f.m = m
	return f, nil
}

// Run syncs, then applies the outbox every Interval and syncs again every
// ResyncInterval, until ctx ends. A failed read is logged and retried at
// the next tick: meanwhile the Denylist keeps its last state, which is
// right since no revocation can commit without the store either.
func (f *Feed) Run(ctx context.Context) error {
	t := time.NewTicker(f.interval)
	defer t.Stop()
	for {
		if err := f.tick(ctx); err != nil && ctx.Err() == nil {
			f.m.failures.Inc()
			f.log.WarnContext(ctx, "revocation feed read failed", slog.Any("error", err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// tick syncs when due, else applies the outbox.
func (f *Feed) tick(ctx context.Context) error {
	if !f.deny.Ready() || f.now().Sub(f.lastSync) >= f.resync {
		return f.Sync(ctx)
	}
	return f.Poll(ctx)
}

// Sync reads the whole revocation state and replaces the Denylist's with
// it, which makes the Denylist ready. The outbox position is read first,
// so every change that commits while the state is read is applied again
// afterwards; applying a change twice is harmless.
func (f *Feed) Sync(ctx context.Context) error {
	cursor, err := lastSeq(ctx, f.st)
	if err != nil {
		return err
	}
	all, err := f.snapshot(ctx)
	if err != nil {
		return err
	}
	f.deny.Replace(all)
	f.cursor, f.lastSync = cursor, f.now()
	f.m.syncs.Inc()
	f.log.DebugContext(ctx, "revocation state loaded", slog.Int("denials", len(all)),
		slog.Int64("outbox_seq", cursor))
	return f.Poll(ctx)
}

// Poll applies the outbox events after the last one applied.
func (f *Feed) Poll(ctx context.Context) error {
	for {
		events, err := f.st.ListEvents(ctx, f.cursor, pageSize)
		if err != nil {
			return fmt.Errorf("read outbox after %d: %w", f.cursor, err)
		}
		var changes []authz.Denial
		for _, e := range events {
			if d, ok := f.denialOf(ctx, e); ok {
				changes = append(changes, d)
			}
		}
		f.deny.Apply(changes...)
		f.m.applied.Add(float64(len(changes)))
		if len(events) > 0 {
			f.cursor = events[len(events)-1].Seq
		}
		if len(events) < pageSize {
			return nil
		}
	}
}

// snapshot reads every current denial: the revoked tokens not yet
// pruned, the agents that are suspended or revoked and the organisations
// that are suspended or deleted.
func (f *Feed) snapshot(ctx context.Context) ([]authz.Denial, error) {
	tokens, err := f.st.ListRevokedTokens(ctx, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("list revoked tokens: %w", err)
	}
	all := make([]authz.Denial, 0, len(tokens))
	for _, t := range tokens {
		all = append(all, authz.Denial{Issuer: f.issuer, Kind: authz.DenyToken, ID: t.JTI,
			Denied: true, Reason: authz.ReasonRevoked, Until: t.ExpiresAt})
	}

	page := store.Page{Limit: pageSize}
	for {
		orgs, err := f.st.ListOrgs(ctx, page)
		if err != nil {
			return nil, fmt.Errorf("list organisations: %w", err)
		}
		for _, o := range orgs {
			if o.Status != store.OrgActive {
				all = append(all, authz.Denial{Issuer: f.issuer, Kind: authz.DenyOrg, ID: o.ID,
					Denied: true, Reason: authz.ReasonOrgInactive})
			}
			if all, err = f.inactiveAgents(ctx, o.ID, all); err != nil {
				return nil, err
			}
		}
		if len(orgs) < pageSize {
			return all, nil
		}
		page.After = orgs[len(orgs)-1].ID
	}
}

// inactiveAgents appends the denials of an organisation's suspended and
// revoked agents.
func (f *Feed) inactiveAgents(ctx context.Context, orgID string,
	all []authz.Denial) ([]authz.Denial, error) {
	for _, st := range []store.AgentStatus{store.AgentSuspended, store.AgentRevoked} {
		filter := store.AgentFilter{Page: store.Page{Limit: pageSize}, Status: st}
		for {
			agents, err := f.st.ListAgents(ctx, orgID, filter)
			if err != nil {
				return nil, fmt.Errorf("list %s agents of %q: %w", st, orgID, err)
			}
			for _, a := range agents {
				all = append(all, agentDenial(f.issuer, a.ID, st))
			}
			if len(agents) < pageSize {
				break
			}
			filter.After = agents[len(agents)-1].ID
		}
	}
	return all, nil
}

// Outbox event types the feed applies; every other type is skipped.
const (
	eventTokenRevoked     = "token.revoked"
	eventAgentSuspended   = "agent.suspended"
	eventAgentReactivated = "agent.reactivated"
	eventAgentRevoked     = "agent.revoked"
	eventOrgSuspended     = "org.suspended"
	eventOrgReactivated   = "org.reactivated"
	eventOrgDeleted       = "org.deleted"
)

// denialOf maps an outbox event to the change of state it announces.
func (f *Feed) denialOf(ctx context.Context, e store.Event) (authz.Denial, bool) {
	d := authz.Denial{Issuer: f.issuer, ID: e.Subject}
	switch e.Type {
	case eventTokenRevoked:
		var p struct {
			JTI       string `json:"jti"`
			ExpiresAt int64  `json:"exp"`
		}
		if err := json.Unmarshal(e.Payload, &p); err != nil || p.JTI == "" {
			// A revocation the edge cannot read must not be lost
			// silently: the next sync reads it from the table.
			f.log.ErrorContext(ctx, "unreadable token revocation event",
				slog.Int64("outbox_seq", e.Seq))
			f.lastSync = time.Time{}
			return d, false
		}
		d.Kind, d.ID, d.Denied, d.Reason = authz.DenyToken, p.JTI, true, authz.ReasonRevoked
		d.Until = time.Unix(p.ExpiresAt, 0)
	case eventAgentSuspended:
		return agentDenial(f.issuer, e.Subject, store.AgentSuspended), true
	case eventAgentRevoked:
		return agentDenial(f.issuer, e.Subject, store.AgentRevoked), true
	case eventAgentReactivated:
		d.Kind = authz.DenyAgent
	case eventOrgSuspended, eventOrgDeleted:
		d.Kind, d.Denied, d.Reason = authz.DenyOrg, true, authz.ReasonOrgInactive
	case eventOrgReactivated:
		d.Kind = authz.DenyOrg
	default:
		return d, false
	}
	return d, true
}

// agentDenial refuses the tokens of an agent in state st.
func agentDenial(issuer, agentID string, st store.AgentStatus) authz.Denial {
	reason := authz.ReasonAgentSuspended
	if st == store.AgentRevoked {
		reason = authz.ReasonAgentRevoked
	}
	return authz.Denial{Issuer: issuer, Kind: authz.DenyAgent, ID: agentID, Denied: true,
		Reason: reason}
}

// lastSeq returns the seq of the newest outbox event, 0 when there is
// none. The store lists events only forwards from a seq, so it searches:
// doubling a bound until no event lies past it, then halving the gap.
// Seqs only grow, so "an event lies after k" holds for every k below the
// newest seq and for none from it on.
//
// TODO: a store query for the newest seq would make this one round trip;
// it waits for the next change to the store interface.
func lastSeq(ctx context.Context, st Store) (int64, error) {
	after := func(k int64) (bool, error) {
		ev, err := st.ListEvents(ctx, k, 1)
		if err != nil {
			return false, fmt.Errorf("read outbox position: %w", err)
		}
		return len(ev) > 0, nil
	}
	lo, hi := int64(0), int64(1) // an event lies after lo; hi is a guess
	if ok, err := after(0); err != nil || !ok {
		return 0, err
	}
	for {
		ok, err := after(hi)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		lo, hi = hi, hi*2
	}
	// An event lies after lo and none after hi: the newest seq is in
	// (lo, hi].
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := after(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi, nil
}

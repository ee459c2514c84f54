package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/agentidp/agentidp/internal/store"
)

// errStop ends a chain walk at its first problem.
var errStop = errors.New("audit: stop walk")

// Verify checks every audit chain the store holds: the chains of every
// recorded head (organisations deleted since included) and of every
// organisation listed. It reports the first problem of each chain; its
// error is only for failures to read.
func Verify(ctx context.Context, r store.Reader) (Report, error) {
	heads, orgs, err := chainOrgs(ctx, r)
	if err != nil {
		return Report{}, err
	}

	rep := Report{Chains: make([]Chain, 0, len(orgs))}
	for _, org := range orgs {
		c, err := verifyChain(ctx, r, org, heads[org])
		if err != nil {
			return Report{}, err
		}
		rep.Chains = append(rep.Chains, c)
	}
	return rep, nil
}

// chainOrgs returns the recorded heads by organisation and every
// organisation that has a head or a row, sorted.
func chainOrgs(ctx context.Context, r store.Reader) (map[string]*store.AuditHead,
	[]string, error) {
	list, err := r.AuditHeads(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("read audit heads: %w", err)
	}
	heads := make(map[string]*store.AuditHead, len(list))
	for i := range list {
		heads[list[i].OrgID] = &list[i]
	}

	orgs := make([]string, 0, len(heads))
	for org := range heads {
		orgs = append(orgs, org)
	}
	page := store.Page{Limit: 500}
	for {
		batch, err := r.ListOrgs(ctx, page)
		if err != nil {
			return nil, nil, fmt.Errorf("list organisations: %w", err)
		}
		for _, o := range batch {
			if heads[o.ID] == nil {
				orgs = append(orgs, o.ID)
			}
		}
		if len(batch) < page.Limit {
			break
		}
		page.After = batch[len(batch)-1].ID
	}
	slices.Sort(orgs)
	return heads, orgs, nil
}

// verifyChain walks one organisation's chain in seq order.
func verifyChain(ctx context.Context, r store.Reader, orgID string,
	head *store.AuditHead) (Chain, error) {
	w := walker{chain: Chain{OrgID: orgID}, head: head}
	if head != nil {
		w.chain.HasHead, w.chain.HeadSeq = true, head.Seq
	}

	err := r.ScanAudit(ctx, orgID, w.step)
	if err != nil && !errors.Is(err, errStop) {
		return Chain{}, fmt.Errorf("read audit chain of %q: %w", orgID, err)
	}
	if w.chain.Problem == nil {
		w.chain.Problem = w.checkHead()
	}
	return w.chain, nil
}

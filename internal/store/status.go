package store

import "context"

// StatusReader holds the queries behind the status lists of the agents'
// badges (W3C Bitstring Status List). Reader embeds it.
//
// Every agent has a status index, a positive number the store assigns in
// CreateAgent and never assigns again, even to another agent. Which bit
// of which list an index selects, and what a set bit means, is the
// caller's business.
type StatusReader interface {
	// AgentStatusIndex returns the status index of an agent, found by its
	// id alone. An unknown agent is ErrNotFound.
	AgentStatusIndex(ctx context.Context, agentID string) (int64, error)
	// ListStatusIndexes returns, in ascending order, the status indexes in
	// [f.From, f.To) of the agents whose status is one of f.AgentStatuses
	// or whose organisation's status is one of f.OrgStatuses. The result
	// is never nil; it holds at most f.To - f.From indexes.
	ListStatusIndexes(ctx context.Context, f StatusIndexFilter) ([]int64, error)
}

// StatusIndexFilter selects status indexes in ListStatusIndexes. An index
// matches when its agent matches either list; empty lists match nothing.
type StatusIndexFilter struct {
	From, To      int64
	AgentStatuses []AgentStatus
	OrgStatuses   []OrgStatus
}

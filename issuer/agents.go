package issuer

import (
	"context"
	"fmt"
	"time"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/store"
)

// AgentInput describes a new agent.
type AgentInput struct {
	Name        string
	Description string
	// Owner names who is responsible for the agent (free text).
	Owner    string
	Metadata map[string]string
	// Scopes are the OAuth scopes the agent may be granted.
	Scopes []string
	// TokenTTLSeconds is the lifetime of the agent's access tokens: 0
	// inherits its organisation's, otherwise MinTTL up to the deployment's
	// ceiling.
	TokenTTLSeconds int64
}

// AgentPatch lists the fields of an agent to change; nil leaves a field as
// it is. Metadata and Scopes replace the whole map or list.
type AgentPatch struct {
	Name        *string
	Description *string
	Owner       *string
	Metadata    *map[string]string
	Scopes      *[]string
	// TokenTTLSeconds sets the token lifetime as in AgentInput; 0 returns
	// to inheriting the organisation's.
	TokenTTLSeconds *int64
}

// AgentQuery selects agents in ListAgents. Empty fields match everything.
type AgentQuery struct {
	Cursor     string
	Limit      int
	Status     store.AgentStatus
	Owner      string
	NamePrefix string
}

// checkAgent validates an agent as it will be stored, adding to the
// problems v already holds, and returns them all.
func checkAgent(v *problems, a store.Agent) error {
	checkText(v, "name", a.Name, 1, MaxNameLen)
	checkLongText(v, "description", a.Description, MaxDescriptionLen)
	checkText(v, "owner", a.Owner, 0, MaxOwnerLen)
	checkMetadata(v, a.Metadata)
	checkScopes(v, a.Scopes)
	return v.err()
}

// agentEvent is the outbox event of a change to an agent.
func agentEvent(a store.Agent, eventType string) event {
	return event{typ: eventType, subject: a.ID,
		payload: map[string]any{"org_id": a.OrgID, "agent_id": a.ID}}
}

// CreateAgent registers an active agent in the caller's organisation.
func (s *Service) CreateAgent(ctx context.Context, p Principal,
	in AgentInput) (store.Agent, error) {
	if err := s.Permit(ctx, p, OpAgentCreate, ""); err != nil {
		return store.Agent{}, err
	}
	var v problems
	a := store.Agent{OrgID: p.OrgID, Name: in.Name, Description: in.Description,
		Owner: in.Owner, Metadata: in.Metadata, Scopes: in.Scopes, Status: store.AgentActive,
		TokenTTL: tokenTTL(&v, in.TokenTTLSeconds, s.maxTTL)}
	if err := checkAgent(&v, a); err != nil {
		return store.Agent{}, err
	}

	err := s.orgWrite(ctx, p, OpAgentCreate, "", func(tx store.Tx, now time.Time) error {
		a.ID = ids.NewAt(ids.Agent, now)
		a.CreatedAt, a.UpdatedAt = now, now
		if err := tx.CreateAgent(ctx, a); err != nil {
			return fmt.Errorf("create agent: %w", mapStoreErr(err, "agent"))
		}
		return s.record(ctx, tx, p, now, change{orgID: a.OrgID, action: "agent.create",
			target: a.ID, events: []event{agentEvent(a, "agent.created")}})
	})
	if err != nil {
		return store.Agent{}, err
	}
	return a, nil
}

// ListAgents lists the caller's organisation's agents by id.
func (s *Service) ListAgents(ctx context.Context, p Principal,
	q AgentQuery) (List[store.Agent], error) {
	if err := s.Permit(ctx, p, OpAgentList, ""); err != nil {
		return List[store.Agent]{}, err
	}
	var v problems
	limit := pageSize(&v, q.Limit)
	checkCursor(&v, ids.Agent, q.Cursor)
	checkAgentStatus(&v, q.Status)
	checkText(&v, "owner", q.Owner, 0, MaxOwnerLen)
	checkText(&v, "name_prefix", q.NamePrefix, 0, MaxNameLen)
	if err := v.err(); err != nil {
		return List[store.Agent]{}, err
	}

	rows, err := s.store.ListAgents(ctx, p.OrgID, store.AgentFilter{
		Page:   store.Page{After: q.Cursor, Limit: limit + 1},
		Status: q.Status, Owner: q.Owner, NamePrefix: q.NamePrefix,
	})
	if err != nil {
		return List[store.Agent]{}, fmt.Errorf("list agents: %w", err)
	}
	return paginate(rows, limit, func(a store.Agent) string { return a.ID }), nil
}

// checkAgentStatus checks a status filter; empty matches every status.
func checkAgentStatus(v *problems, st store.AgentStatus) {
	switch st {
	case "", store.AgentActive, store.AgentSuspended, store.AgentRevoked:
		return
	}
	v.add("status", "must be one of active, suspended, revoked")
}

// GetAgent returns an agent of the caller's organisation.
func (s *Service) GetAgent(ctx context.Context, p Principal, id string) (store.Agent, error) {
	if err := s.Permit(ctx, p, OpAgentRead, id); err != nil {
		return store.Agent{}, err
	}
	return s.loadAgent(ctx, p.OrgID, id)
}

// loadAgent reads an agent outside a transaction.
func (s *Service) loadAgent(ctx context.Context, orgID, id string) (store.Agent, error) {
	if !ids.Valid(ids.Agent, id) {
		return store.Agent{}, refuse(ErrNotFound, "agent not found")
	}
	a, err := s.store.GetAgent(ctx, orgID, id)
	if err != nil {
		return store.Agent{}, fmt.Errorf("get agent: %w", mapStoreErr(err, "agent"))
	}
	return a, nil
}

// UpdateAgent changes an agent that is not revoked.
func (s *Service) UpdateAgent(ctx context.Context, p Principal, id string,
	in AgentPatch) (store.Agent, error) {
	if err := s.Permit(ctx, p, OpAgentUpdate, id); err != nil {
		return store.Agent{}, err
	}

	return s.changeAgent(ctx, p, OpAgentUpdate, id, func(a *store.Agent) ([]event, error) {
		var v problems
		applyAgentPatch(a, in)
		if in.TokenTTLSeconds != nil {
			a.TokenTTL = tokenTTL(&v, *in.TokenTTLSeconds, s.maxTTL)
		}
		if err := checkAgent(&v, *a); err != nil {
			return nil, err
		}
		return []event{agentEvent(*a, "agent.updated")}, nil
	})
}

// applyAgentPatch copies the set fields of in onto a, all but the token
// lifetime, which UpdateAgent checks as it copies it.
func applyAgentPatch(a *store.Agent, in AgentPatch) {
	if in.Name != nil {
		a.Name = *in.Name
	}
	if in.Description != nil {
		a.Description = *in.Description
	}
	if in.Owner != nil {
		a.Owner = *in.Owner
	}
	if in.Metadata != nil {
		a.Metadata = *in.Metadata
	}
	if in.Scopes != nil {
		a.Scopes = *in.Scopes
	}
}

// SuspendAgent suspends an active agent: it gets no tokens until
// reactivated.
func (s *Service) SuspendAgent(ctx context.Context, p Principal, id string) (store.Agent, error) {
	return s.moveAgent(ctx, p, OpAgentSuspend, id, store.AgentActive, store.AgentSuspended,
		"agent.suspended")
}

// ReactivateAgent returns a suspended agent to active.
func (s *Service) ReactivateAgent(ctx context.Context, p Principal,
	id string) (store.Agent, error) {
	return s.moveAgent(ctx, p, OpAgentReactivate, id, store.AgentSuspended, store.AgentActive,
		"agent.reactivated")
}

// moveAgent changes an agent's status from one state to another.
func (s *Service) moveAgent(ctx context.Context, p Principal, op Operation, id string,
	from, to store.AgentStatus, eventType string) (store.Agent, error) {
	if err := s.Permit(ctx, p, op, id); err != nil {
		return store.Agent{}, err
	}

	return s.changeAgent(ctx, p, op, id, func(a *store.Agent) ([]event, error) {
		if a.Status != from {
			return nil, refuse(ErrInvalidTransition, "agent %s is %s", a.ID, a.Status)
		}
		a.Status = to
		return []event{agentEvent(*a, eventType)}, nil
	})
}

// changeAgent applies edit to an agent that is not revoked, in one
// transaction with its audit record and the events edit returns.
func (s *Service) changeAgent(ctx context.Context, p Principal, op Operation, id string,
	edit func(*store.Agent) ([]event, error)) (store.Agent, error) {
	return s.changeAgentTx(ctx, p, op, id,
		func(_ store.Tx, a *store.Agent, _ time.Time) ([]event, error) {
			return edit(a)
		})
}

// changeAgentTx is changeAgent for edits that also write inside tx.
func (s *Service) changeAgentTx(ctx context.Context, p Principal, op Operation, id string,
	edit func(store.Tx, *store.Agent, time.Time) ([]event, error)) (store.Agent, error) {
	if !ids.Valid(ids.Agent, id) {
		return store.Agent{}, refuse(ErrNotFound, "agent not found")
	}

	var a store.Agent
	err := s.orgWrite(ctx, p, op, id, func(tx store.Tx, now time.Time) error {
		var err error
		if a, err = lockAgent(ctx, tx, p.OrgID, id); err != nil {
			return err
		}
		if a.Status == store.AgentRevoked {
			return refuse(ErrInvalidTransition, "agent %s is revoked", a.ID)
		}
		events, err := edit(tx, &a, now)
		if err != nil {
			return err
		}
		a.UpdatedAt = now
		if err := tx.UpdateAgent(ctx, a); err != nil {
			return fmt.Errorf("update agent: %w", mapStoreErr(err, "agent"))
		}
		return s.record(ctx, tx, p, now,
			change{orgID: a.OrgID, action: op.String(), target: a.ID, events: events})
	})
	if err != nil {
		return store.Agent{}, err
	}
	return a, nil
}

// lockAgent reads an agent inside tx.
func lockAgent(ctx context.Context, tx store.Tx, orgID, id string) (store.Agent, error) {
	a, err := tx.GetAgent(ctx, orgID, id)
	if err != nil {
		return store.Agent{}, fmt.Errorf("get agent: %w", mapStoreErr(err, "agent"))
	}
	return a, nil
}

// RevokeAgent revokes an agent for good, together with its live client
// secrets and public keys. Revoked is terminal.
func (s *Service) RevokeAgent(ctx context.Context, p Principal, id string) (store.Agent, error) {
	if err := s.Permit(ctx, p, OpAgentRevoke, id); err != nil {
		return store.Agent{}, err
	}

	return s.changeAgentTx(ctx, p, OpAgentRevoke, id,
		func(tx store.Tx, a *store.Agent, now time.Time) ([]event, error) {
			a.Status = store.AgentRevoked
			creds, err := revokeCredentials(ctx, tx, *a, now)
			if err != nil {
				return nil, err
			}
			return append([]event{agentEvent(*a, "agent.revoked")}, creds...), nil
		})
}

package issuer

import (
	"context"
	"fmt"
	"time"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/secret"
	"github.com/agentidp/agentidp/internal/store"
)

// OrgInput describes a new organisation.
type OrgInput struct {
	Name string
	// TokenTTLSeconds is the lifetime of the access tokens of the
	// organisation's agents that set none of their own: 0 inherits the
	// deployment's default, otherwise MinTTL up to the deployment's
	// ceiling.
	TokenTTLSeconds int64
}

// OrgPatch lists the fields of an organisation to change; nil leaves a
// field as it is.
type OrgPatch struct {
	Name *string
	// TokenTTLSeconds sets the token lifetime as in OrgInput; 0 returns
	// to inheriting the deployment's.
	TokenTTLSeconds *int64
}

// CreateAdminKey creates a super-admin key named name and returns the key,
// which is shown once and stored only as its hash. `agentidp dev` uses it
// to bootstrap a fresh deployment.
func CreateAdminKey(ctx context.Context, st store.Store, h *secret.Hasher,
	name string) (key string, err error) {
	var p problems
	checkText(&p, "name", name, 1, MaxNameLen)
	if err := p.err(); err != nil {
		return "", fmt.Errorf("create admin key: %w", err)
	}

	now := store.Truncate(time.Now())
	id := ids.NewAt(ids.AdminKey, now)
	key = secret.NewKey(id)
	err = st.WithTx(ctx, func(tx store.Tx) error {
		return tx.CreateAdminKey(ctx, store.AdminKey{
			ID: id, Name: name, Hash: h.Hash(key), CreatedAt: now,
		})
	})
	if err != nil {
		return "", fmt.Errorf("create admin key: %w", err)
	}
	return key, nil
}

// adminWrite runs fn in one transaction on behalf of a super-admin caller
// whom Permit has already admitted.
func (s *Service) adminWrite(ctx context.Context, fn func(tx store.Tx, now time.Time) error) error {
	now := s.clock()
	return s.store.WithTx(ctx, func(tx store.Tx) error {
		return fn(tx, now)
	})
}

// CreateOrg creates an active organisation.
func (s *Service) CreateOrg(ctx context.Context, p Principal, in OrgInput) (store.Org, error) {
	if err := s.Permit(ctx, p, OpOrgCreate, ""); err != nil {
		return store.Org{}, err
	}
	var v problems
	checkText(&v, "name", in.Name, 1, MaxNameLen)
	ttl := tokenTTL(&v, in.TokenTTLSeconds, s.maxTTL)
	if err := v.err(); err != nil {
		return store.Org{}, err
	}

	var org store.Org
	err := s.adminWrite(ctx, func(tx store.Tx, now time.Time) error {
		org = store.Org{ID: ids.NewAt(ids.Org, now), Name: in.Name, Status: store.OrgActive,
			CreatedAt: now, UpdatedAt: now, TokenTTL: ttl}
		if err := tx.CreateOrg(ctx, org); err != nil {
			return fmt.Errorf("create organization: %w", mapStoreErr(err, "organization"))
		}
		return s.record(ctx, tx, p, now, orgChange(org, "org.create", "org.created"))
	})
	return org, err
}

// orgChange is the audit record and event of a change to an organisation.
func orgChange(org store.Org, action, eventType string) change {
	c := change{orgID: org.ID, action: action, target: org.ID}
	if eventType != "" {
		c.events = []event{{typ: eventType, subject: org.ID,
			payload: map[string]any{"org_id": org.ID}}}
	}
	return c
}

// ListOrgs lists organisations that are not deleted, by id.
func (s *Service) ListOrgs(ctx context.Context, p Principal, cursor string,
	limit int) (List[store.Org], error) {
	if err := s.Permit(ctx, p, OpOrgList, ""); err != nil {
		return List[store.Org]{}, err
	}
	var v problems
	limit = pageSize(&v, limit)
	checkCursor(&v, ids.Org, cursor)
	if err := v.err(); err != nil {
		return List[store.Org]{}, err
	}

	rows, err := s.store.ListOrgs(ctx, store.Page{After: cursor, Limit: limit + 1})
	if err != nil {
		return List[store.Org]{}, fmt.Errorf("list organizations: %w", err)
	}
	page := paginate(rows, limit, func(o store.Org) string { return o.ID })
	live := page.Items[:0:0]
	for _, o := range page.Items {
		if o.Status != store.OrgDeleted {
			live = append(live, o)
		}
	}
	page.Items = live
	return page, nil
}

// GetOrg returns an organisation that is not deleted.
func (s *Service) GetOrg(ctx context.Context, p Principal, id string) (store.Org, error) {
	if err := s.Permit(ctx, p, OpOrgRead, id); err != nil {
		return store.Org{}, err
	}
	return s.loadOrg(ctx, id)
}

// CurrentOrg returns the caller's own organisation.
func (s *Service) CurrentOrg(ctx context.Context, p Principal) (store.Org, error) {
	if err := s.Permit(ctx, p, OpOwnOrgRead, p.OrgID); err != nil {
		return store.Org{}, err
	}
	return s.loadOrg(ctx, p.OrgID)
}

// loadOrg reads an organisation, reporting a deleted one as absent.
func (s *Service) loadOrg(ctx context.Context, id string) (store.Org, error) {
	if !ids.Valid(ids.Org, id) {
		return store.Org{}, refuse(ErrNotFound, "organization not found")
	}
	org, err := s.store.GetOrg(ctx, id)
	if err != nil {
		return store.Org{}, fmt.Errorf("get organization: %w", mapStoreErr(err, "organization"))
	}
	if org.Status == store.OrgDeleted {
		return store.Org{}, refuse(ErrNotFound, "organization not found")
	}
	return org, nil
}

// lockOrg reads an organisation inside tx, reporting a deleted one as
// absent.
func lockOrg(ctx context.Context, tx store.Tx, id string) (store.Org, error) {
	if !ids.Valid(ids.Org, id) {
		return store.Org{}, refuse(ErrNotFound, "organization not found")
	}
	org, err := tx.GetOrg(ctx, id)
	if err != nil {
		return store.Org{}, fmt.Errorf("get organization: %w", mapStoreErr(err, "organization"))
	}
	if org.Status == store.OrgDeleted {
		return store.Org{}, refuse(ErrNotFound, "organization not found")
	}
	return org, nil
}

// UpdateOrg changes an organisation's name and token lifetime.
func (s *Service) UpdateOrg(ctx context.Context, p Principal, id string,
	in OrgPatch) (store.Org, error) {
	if err := s.Permit(ctx, p, OpOrgUpdate, id); err != nil {
		return store.Org{}, err
	}
	var v problems
	if in.Name != nil {
		checkText(&v, "name", *in.Name, 1, MaxNameLen)
	}
	var ttl time.Duration
	if in.TokenTTLSeconds != nil {
		ttl = tokenTTL(&v, *in.TokenTTLSeconds, s.maxTTL)
	}
	if err := v.err(); err != nil {
		return store.Org{}, err
	}

	return s.changeOrg(ctx, p, OpOrgUpdate, id, "org.updated", func(o *store.Org) error {
		if in.Name != nil {
			o.Name = *in.Name
		}
		if in.TokenTTLSeconds != nil {
			o.TokenTTL = ttl
		}
		return nil
	})
}

// SuspendOrg suspends an active organisation: its keys may still read but
// no longer write.
func (s *Service) SuspendOrg(ctx context.Context, p Principal, id string) (store.Org, error) {
	if err := s.Permit(ctx, p, OpOrgSuspend, id); err != nil {
		return store.Org{}, err
	}
	return s.moveOrg(ctx, p, OpOrgSuspend, id, store.OrgActive, store.OrgSuspended,
		"org.suspended")
}

// ReactivateOrg returns a suspended organisation to active.
func (s *Service) ReactivateOrg(ctx context.Context, p Principal, id string) (store.Org, error) {
	if err := s.Permit(ctx, p, OpOrgReactivate, id); err != nil {
		return store.Org{}, err
	}
	return s.moveOrg(ctx, p, OpOrgReactivate, id, store.OrgSuspended, store.OrgActive,
		"org.reactivated")
}

// DeleteOrg marks an organisation deleted: its keys stop authenticating and
// it is reported as absent from then on. Its rows and audit chain stay.
func (s *Service) DeleteOrg(ctx context.Context, p Principal, id string) (store.Org, error) {
	if err := s.Permit(ctx, p, OpOrgDelete, id); err != nil {
		return store.Org{}, err
	}
	return s.changeOrg(ctx, p, OpOrgDelete, id, "org.deleted", func(o *store.Org) error {
		o.Status = store.OrgDeleted
		return nil
	})
}

// moveOrg changes an organisation's status from one state to another.
func (s *Service) moveOrg(ctx context.Context, p Principal, op Operation, id string,
	from, to store.OrgStatus, eventType string) (store.Org, error) {
	return s.changeOrg(ctx, p, op, id, eventType, func(o *store.Org) error {
		if o.Status != from {
			return refuse(ErrInvalidTransition, "organization %s is %s", o.ID, o.Status)
		}
		o.Status = to
		return nil
	})
}

// changeOrg applies edit to an organisation in one transaction with its
// audit record and event, for a caller whom Permit has admitted to op.
func (s *Service) changeOrg(ctx context.Context, p Principal, op Operation, id,
	eventType string, edit func(*store.Org) error) (store.Org, error) {
	var org store.Org
	err := s.adminWrite(ctx, func(tx store.Tx, now time.Time) error {
		var err error
		if org, err = lockOrg(ctx, tx, id); err != nil {
			return err
		}
		if err := edit(&org); err != nil {
			return err
		}
		org.UpdatedAt = now
		if err := tx.UpdateOrg(ctx, org); err != nil {
			return fmt.Errorf("update organization: %w", mapStoreErr(err, "organization"))
		}
		return s.record(ctx, tx, p, now, orgChange(org, op.String(), eventType))
	})
	if err != nil {
		return store.Org{}, err
	}
	return org, nil
}

// CreateOrgKey creates an API key of an organisation on behalf of a
// super-admin, typically its first owner key.
func (s *Service) CreateOrgKey(ctx context.Context, p Principal, orgID string,
	in APIKeyInput) (NewAPIKey, error) {
	if err := s.Permit(ctx, p, OpOrgKeyCreate, orgID); err != nil {
		return NewAPIKey{}, err
	}
	if in.OperatorID != "" {
		return NewAPIKey{}, invalid("operator_id", "is not accepted here")
	}
	ttl, err := checkAPIKeyInput(in)
	if err != nil {
		return NewAPIKey{}, err
	}

	var out NewAPIKey
	err = s.adminWrite(ctx, func(tx store.Tx, now time.Time) error {
		if _, err := lockOrg(ctx, tx, orgID); err != nil {
			return err
		}
		out = newAPIKey(orgID, in, ttl, p, now, s.hasher)
		return s.insertAPIKey(ctx, tx, p, now, out.APIKey)
	})
	if err != nil {
		return NewAPIKey{}, err
	}
	return out, nil
}

package issuer

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/store"
)

func TestPolicies(t *testing.T) {
	admin := Principal{KeyID: "adm_x", Admin: true}
	org := func(r store.Role, st store.OrgStatus) Principal {
		return Principal{KeyID: "key_x", OrgID: "org_x", Role: r, OrgStatus: st}
	}
	tests := []struct {
		name string
		p    Principal
		op   Operation
		want error
	}{
		{"a super-admin creates organizations", admin, OpOrgCreate, nil},
		{"a super-admin does not register agents", admin, OpAgentCreate, ErrForbidden},
		{"a super-admin rotates signing keys", admin, OpSigningKeyRotate, nil},
		{"an owner does not rotate signing keys",
			org(store.RoleOwner, store.OrgActive), OpSigningKeyRotate, ErrForbidden},
		{"an owner does not list signing keys",
			org(store.RoleOwner, store.OrgActive), OpSigningKeyList, ErrForbidden},
		{"an owner does not create organizations",
			org(store.RoleOwner, store.OrgActive), OpOrgCreate, ErrForbidden},
		{"a viewer reads agents", org(store.RoleViewer, store.OrgActive), OpAgentRead, nil},
		{"a viewer reads the audit trail",
			org(store.RoleViewer, store.OrgActive), OpAuditList, nil},
		{"a viewer does not register agents",
			org(store.RoleViewer, store.OrgActive), OpAgentCreate, ErrForbidden},
		{"an admin registers agents", org(store.RoleAdmin, store.OrgActive), OpAgentCreate, nil},
		{"an admin creates keys", org(store.RoleAdmin, store.OrgActive), OpAPIKeyCreate, nil},
		{"a suspended organization reads",
			org(store.RoleOwner, store.OrgSuspended), OpAgentList, nil},
		{"a suspended organization does not write",
			org(store.RoleOwner, store.OrgSuspended), OpAgentCreate, ErrOrgSuspended},
		{"a role check comes before the suspension",
			org(store.RoleViewer, store.OrgSuspended), OpAgentCreate, ErrForbidden},
		{"an unknown role does nothing", org("root", store.OrgActive), OpAgentRead, ErrForbidden},
		{"an unknown operation is refused",
			org(store.RoleOwner, store.OrgActive), Operation(999), ErrForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := check(tc.p, tc.op)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}
}

func TestEveryOperationHasAPolicy(t *testing.T) {
	for op := Operation(1); op < opCount; op++ {
		pol := policies[op]
		require.NotEmpty(t, pol.action, "operation %d", op)
		require.True(t, pol.admin || rank(pol.role) > 0, "%s names no role", pol.action)
	}
}

func TestMayManage(t *testing.T) {
	tests := []struct {
		name   string
		caller store.Role
		target store.Role
		ok     bool
	}{
		{"an owner manages owners", store.RoleOwner, store.RoleOwner, true},
		{"an admin manages admins", store.RoleAdmin, store.RoleAdmin, true},
		{"an admin manages viewers", store.RoleAdmin, store.RoleViewer, true},
		{"an admin does not manage owners", store.RoleAdmin, store.RoleOwner, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := mayManage(Principal{OrgID: "org_x", Role: tc.caller}, tc.target)
			require.Equal(t, tc.ok, err == nil)
			if err != nil {
				require.ErrorIs(t, err, ErrForbidden)
			}
		})
	}
}

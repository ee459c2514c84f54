package rest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// operatorEnv is an organisation with an owner and an admin key.
type operatorEnv struct {
	*env
	owner, admin string
}

func newOperatorEnv(t *testing.T) operatorEnv {
	e := newEnv(t, openSQLite(t))
	org := e.org("Acme")
	return operatorEnv{env: e, owner: e.key(org, "owner"), admin: e.key(org, "admin")}
}

// op adds an operator of the given role with key and returns its id.
func (e operatorEnv) op(key, role string) string {
	return e.must(201, "POST", "/v1/operators", key, map[string]any{
		"name": "op", "email": role + "@example.com", "role": role})["id"].(string)
}

// apiKey creates an API key, bound to opID unless it is empty.
func (e operatorEnv) apiKey(key, role, opID string) map[string]any {
	return e.must(201, "POST", "/v1/api-keys", key,
		map[string]any{"role": role, "operator_id": opID, "name": "k"})
}

func TestOperatorRoles(t *testing.T) {
	e := newOperatorEnv(t)
	owner, admin, newOp, newKey := e.owner, e.admin, e.op, e.apiKey

	t.Run("an owner adds owners and an admin adds admins", func(t *testing.T) {
		newOp(owner, "owner")
		newOp(admin, "admin")
		newOp(admin, "viewer")
		list := e.must(200, "GET", "/v1/operators?limit=2", admin, nil)
		require.Len(t, list["items"], 2)
		require.NotEmpty(t, list["next_cursor"])
	})

	t.Run("an admin may not change an owner", func(t *testing.T) {
		op := newOp(owner, "owner")
		r := e.do("PATCH", "/v1/operators/"+op, admin, map[string]any{"role": "viewer"})
		require.Equal(t, 403, r.status)
		r = e.do("DELETE", "/v1/operators/"+op, admin, nil)
		require.Equal(t, 403, r.status)
	})

	t.Run("an admin may not promote to owner", func(t *testing.T) {
		op := newOp(admin, "viewer")
		r := e.do("PATCH", "/v1/operators/"+op, admin, map[string]any{"role": "owner"})
		require.Equal(t, 403, r.status)
		out := e.must(200, "PATCH", "/v1/operators/"+op, owner, map[string]any{"role": "owner"})
		require.Equal(t, "owner", out["role"])
	})

	t.Run("a key works with its operator's role at most", func(t *testing.T) {
		op := newOp(owner, "admin")
		k := newKey(owner, "admin", op)["key"].(string)
		e.must(201, "POST", "/v1/agents", k, map[string]any{"name": "a"})

		e.must(200, "PATCH", "/v1/operators/"+op, owner, map[string]any{"role": "viewer"})
		r := e.do("POST", "/v1/agents", k, map[string]any{"name": "b"})
		require.Equal(t, 403, r.status, "a demoted operator's key loses the role")
		e.must(200, "GET", "/v1/agents", k, nil)
	})
}

func TestOperatorAndKeyEnds(t *testing.T) {
	e := newOperatorEnv(t)
	owner, admin, newOp, newKey := e.owner, e.admin, e.op, e.apiKey

	t.Run("disabling an operator revokes its keys", func(t *testing.T) {
		op := newOp(owner, "admin")
		k := newKey(owner, "viewer", op)
		e.must(204, "DELETE", "/v1/operators/"+op, admin, nil)

		require.Equal(t, 401, e.do("GET", "/v1/org", k["key"].(string), nil).status)
		got := e.must(200, "GET", "/v1/operators/"+op, admin, nil)
		require.Equal(t, "disabled", got["status"])
		require.Equal(t, 409, e.do("DELETE", "/v1/operators/"+op, admin, nil).status)
		require.Equal(t, 409, e.do("PATCH", "/v1/operators/"+op, admin,
			map[string]any{"name": "x"}).status)
		keys := e.must(200, "GET", "/v1/api-keys?limit=200", admin, nil)["items"].([]any)
		for _, item := range keys {
			m := item.(map[string]any)
			if m["id"] == k["id"] {
				require.Equal(t, "revoked", m["status"])
			}
		}
		require.Equal(t, 409, e.do("POST", "/v1/api-keys", owner,
			map[string]any{"role": "viewer", "operator_id": op}).status)
	})

	t.Run("a revoked key stops working at once", func(t *testing.T) {
		k := newKey(admin, "viewer", "")
		out := e.must(200, "POST", "/v1/api-keys/"+k["id"].(string)+"/revoke", admin, nil)
		require.Equal(t, "revoked", out["status"])
		require.Equal(t, 401, e.do("GET", "/v1/org", k["key"].(string), nil).status)
	})

	t.Run("a key expires at its time", func(t *testing.T) {
		k := e.must(201, "POST", "/v1/api-keys", admin,
			map[string]any{"role": "viewer", "expires_in_seconds": 3600})
		require.NotEmpty(t, k["expires_at"])
		e.must(200, "GET", "/v1/org", k["key"].(string), nil)
		e.clock.Advance(3600e9)
		require.Equal(t, 401, e.do("GET", "/v1/org", k["key"].(string), nil).status)
	})
}

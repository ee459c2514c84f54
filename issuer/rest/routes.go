package rest

import (
	"net/http"
	"slices"
	"strings"

	"github.com/agentidp/agentidp/issuer"
)

// handlerFunc serves one route for an admitted caller. It writes the
// success response itself and returns any error for fail to answer.
type handlerFunc func(s *Server, w http.ResponseWriter, r *http.Request, p issuer.Principal) error

// route is one endpoint of the API.
type route struct {
	method string
	// path is a ServeMux path pattern, spelt as in api/openapi.yaml.
	path string
	// op is what the route does; zero marks a public route that needs no
	// key.
	op issuer.Operation
	// target names the path value that identifies the object acted on, for
	// the audit record of a denial; empty when there is none.
	target string
	handle handlerFunc
}

// routes is the route table: every endpoint the server registers. The
// tests compare it with the OpenAPI document in both directions.
var routes = []route{
	{"GET", "/v1/openapi.yaml", 0, "", (*Server).openAPI},

	{"POST", "/v1/orgs", issuer.OpOrgCreate, "", (*Server).createOrg},
	{"GET", "/v1/orgs", issuer.OpOrgList, "", (*Server).listOrgs},
	{"GET", "/v1/orgs/{org_id}", issuer.OpOrgRead, "org_id", (*Server).getOrg},
	{"PATCH", "/v1/orgs/{org_id}", issuer.OpOrgUpdate, "org_id", (*Server).updateOrg},
	{"POST", "/v1/orgs/{org_id}/suspend", issuer.OpOrgSuspend, "org_id", (*Server).suspendOrg},
	{"POST", "/v1/orgs/{org_id}/reactivate", issuer.OpOrgReactivate, "org_id",
		(*Server).reactivateOrg},
	{"DELETE", "/v1/orgs/{org_id}", issuer.OpOrgDelete, "org_id", (*Server).deleteOrg},
	{"POST", "/v1/orgs/{org_id}/keys", issuer.OpOrgKeyCreate, "org_id", (*Server).createOrgKey},

	{"GET", "/v1/signing-keys", issuer.OpSigningKeyList, "", (*Server).listSigningKeys},
	{"POST", "/v1/signing-keys/rotate", issuer.OpSigningKeyRotate, "",
		(*Server).rotateSigningKey},
	{"DELETE", "/v1/signing-keys/{kid}", issuer.OpSigningKeyRemove, "kid",
		(*Server).removeSigningKey},

	{"GET", "/v1/org", issuer.OpOwnOrgRead, "", (*Server).currentOrg},

	{"POST", "/v1/operators", issuer.OpOperatorCreate, "", (*Server).createOperator},
	{"GET", "/v1/operators", issuer.OpOperatorList, "", (*Server).listOperators},
	{"GET", "/v1/operators/{id}", issuer.OpOperatorRead, "id", (*Server).getOperator},
	{"PATCH", "/v1/operators/{id}", issuer.OpOperatorUpdate, "id", (*Server).updateOperator},
	{"DELETE", "/v1/operators/{id}", issuer.OpOperatorDelete, "id", (*Server).deleteOperator},

	{"POST", "/v1/api-keys", issuer.OpAPIKeyCreate, "", (*Server).createAPIKey},
	{"GET", "/v1/api-keys", issuer.OpAPIKeyList, "", (*Server).listAPIKeys},
	{"POST", "/v1/api-keys/{id}/revoke", issuer.OpAPIKeyRevoke, "id", (*Server).revokeAPIKey},

	{"POST", "/v1/agents", issuer.OpAgentCreate, "", (*Server).createAgent},
	{"GET", "/v1/agents", issuer.OpAgentList, "", (*Server).listAgents},
	{"GET", "/v1/agents/{id}", issuer.OpAgentRead, "id", (*Server).getAgent},
	{"PATCH", "/v1/agents/{id}", issuer.OpAgentUpdate, "id", (*Server).updateAgent},
	{"POST", "/v1/agents/{id}/suspend", issuer.OpAgentSuspend, "id", (*Server).suspendAgent},
	{"POST", "/v1/agents/{id}/reactivate", issuer.OpAgentReactivate, "id",
		(*Server).reactivateAgent},
	{"POST", "/v1/agents/{id}/revoke", issuer.OpAgentRevoke, "id", (*Server).revokeAgent},

	{"POST", "/v1/agents/{id}/secrets", issuer.OpSecretCreate, "id", (*Server).createSecret},
	{"GET", "/v1/agents/{id}/secrets", issuer.OpSecretList, "id", (*Server).listSecrets},
	{"POST", "/v1/agents/{id}/secrets/{secret_id}/revoke", issuer.OpSecretRevoke, "secret_id",
		(*Server).revokeSecret},
	{"POST", "/v1/agents/{id}/keys", issuer.OpAgentKeyCreate, "id", (*Server).addAgentKey},
	{"GET", "/v1/agents/{id}/keys", issuer.OpAgentKeyList, "id", (*Server).listAgentKeys},
	{"POST", "/v1/agents/{id}/keys/{kid}/revoke", issuer.OpAgentKeyRevoke, "kid",
		(*Server).revokeAgentKey},

	{"GET", "/v1/audit", issuer.OpAuditList, "", (*Server).listAudit},
}

// routeMux registers the route table, and a fallback that answers a 405
// problem for a known path asked with another method and a 404 problem for
// everything else.
func (s *Server) routeMux() *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.Handle(rt.method+" "+rt.path, s.endpoint(rt))
	}
	mux.Handle("/", s.fallback(mux))
	return mux
}

// endpoint serves one route: it admits the caller (unless the route is
// public) and runs the handler.
func (s *Server) endpoint(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p issuer.Principal
		if rt.op != 0 {
			var err error
			if p, r, err = s.admit(w, r, rt); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		if err := rt.handle(s, w, r, p); err != nil {
			s.fail(w, r, err)
		}
	})
}

// routeMethods are the methods of the route table, each asked once.
var routeMethods = func() []string {
	var out []string
	for _, rt := range routes {
		if !slices.Contains(out, rt.method) {
			out = append(out, rt.method)
		}
	}
	return out
}()

// fallback answers what no route matched. It asks mux which methods it
// would serve the path with, rather than registering a catch-all per
// path, since a catch-all for /v1/signing-keys/rotate would conflict
// with DELETE /v1/signing-keys/{kid}.
func (s *Server) fallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range routeMethods {
			probe := &http.Request{Method: m, URL: r.URL, Host: r.Host}
			if _, pattern := mux.Handler(probe); pattern != "/" && pattern != "" {
				allow = append(allow, m)
				// The metrics and the access log then name the path, as
				// they do for a request that was served.
				r.Pattern = pattern
			}
		}
		if len(allow) == 0 {
			s.fail(w, r, &httpError{kind: kindNotFound, detail: "no such route"})
			return
		}

		if slices.Contains(allow, "GET") {
			allow = append(allow, "HEAD")
		}
		slices.Sort(allow)
		s.fail(w, r, &httpError{kind: kindMethod, allow: strings.Join(allow, ", "),
			detail: "this path does not support method " + methodLabel(r.Method)})
	})
}

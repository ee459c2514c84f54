package main

import (
	"fmt"
	"io"
	"strings"
)

// printGuide tells a person how to reach and drive the dev instance. It
// never prints the super-admin key: the commands read it from
// bootstrap.json, which only the user can read (mode 0600).
func printGuide(w io.Writer, b bootstrap, bootstrapPath string) {
	var g strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&g, format+"\n", args...) }

	line("")
	line("AgentIdP dev is running. Stop it with Ctrl-C.")
	line("")
	line("  API        %s/v1", b.IssuerURL)
	line("  OAuth      %s/oauth2/token  /.well-known/openid-configuration", b.IssuerURL)
	if b.AuthzAddr != "" {
		line("  ext_authz  %s (gRPC over TLS: envoy.service.auth.v3.Authorization/Check)",
			b.AuthzAddr)
	}
	line("  ops        http://%s/healthz  /readyz  /metrics", b.MetricsAddr)
	line("  CA         %s", b.CACert)
	line("  bootstrap  %s (holds the super-admin key: keep it private)", bootstrapPath)
	line("")
	line("Drive it from another shell (python3 only picks fields out of the JSON):")
	line("")
	line(`  j() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }`)
	line("  B=%s", shellQuote(bootstrapPath))
	line(`  URL=$(j issuer_url <"$B"); CA=$(j ca_cert <"$B"); ADMIN=$(j admin_api_key <"$B")`)
	line(`  H='Content-Type: application/json'`)
	line("")
	line("  # 1. create an organisation (super-admin key)")
	line(`  ORG=$(curl -sSf --cacert "$CA" -H "Authorization: Bearer $ADMIN" -H "$H" \`)
	line(`    -d '{"name":"acme"}' "$URL/v1/orgs" | j id)`)
	line("  # 2. create an owner key for it (shown once)")
	line(`  KEY=$(curl -sSf --cacert "$CA" -H "Authorization: Bearer $ADMIN" -H "$H" \`)
	line(`    -d '{"role":"owner"}' "$URL/v1/orgs/$ORG/keys" | j key)`)
	line("  # 3. register an agent with the organisation's key")
	line(`  AGENT=$(curl -sSf --cacert "$CA" -H "Authorization: Bearer $KEY" -H "$H" \`)
	line(`    -d '{"name":"billing-bot","scopes":["invoices:read"]}' "$URL/v1/agents" | j id)`)
	line("  # 4. give the agent a client secret (shown once; kept in $SECRET)")
	line(`  SECRET=$(curl -sSf --cacert "$CA" -H "Authorization: Bearer $KEY" -X POST \`)
	line(`    "$URL/v1/agents/$AGENT/secrets" | j client_secret)`)
	line("  # 5. the agent gets an access token with it (OAuth client_credentials)")
	line(`  curl -sSf --cacert "$CA" -u "$AGENT:$SECRET" -d grant_type=client_credentials \`)
	line(`    "$URL/oauth2/token"`)
	line("")
	line("  # the agent's DID document and A2A agent card, readable by anyone")
	line(`  curl -sSf --cacert "$CA" "$URL/agents/$AGENT/did.json"`)
	line(`  curl -sSf --cacert "$CA" "$URL/agents/$AGENT/card"`)
	line("")
	line("  # OIDC discovery and the signing keys that verify the tokens")
	line(`  curl -sSf --cacert "$CA" "$URL/.well-known/openid-configuration"`)
	line(`  curl -sSf --cacert "$CA" "$URL/.well-known/jwks.json"`)
	line("")
	line("  # health, readiness and metrics (plain HTTP)")
	line(`  curl -sS http://%s/readyz`, b.MetricsAddr)
	line("")
	_, _ = io.WriteString(w, g.String())
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/agentidp/agentidp"

// pkg is the part of `go list -json` output these tests read.
type pkg struct {
	ImportPath string
	Name       string
	Doc        string
	Deps       []string
	Error      *struct{ Err string }
}

// goList runs `go list -json` with args from the module root.
func goList(t *testing.T, args ...string) []pkg {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok)
	root := filepath.Join(filepath.Dir(file), "..", "..")

	cmd := exec.CommandContext(t.Context(), "go", append([]string{"list", "-e", "-json"}, args...)...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())

	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			return pkgs
		}
		require.NoError(t, err)
		pkgs = append(pkgs, p)
	}
}

func TestEveryPackageHasADocComment(t *testing.T) {
	pkgs := goList(t, "./...")
	require.NotEmpty(t, pkgs)
	for _, p := range pkgs {
		if p.Error != nil && strings.Contains(p.Error.Err, "no non-test Go files") {
			continue
		}
		require.NotEmpty(t, p.Doc, "package %s has no package doc comment (add a doc.go)", p.ImportPath)
	}
}

// Drivers and backends, by import path prefix.
var (
	drivers  = []string{"github.com/jackc/", "modernc.org/", "github.com/lib/pq", "github.com/mattn/go-sqlite3"}
	backends = []string{module + "/internal/store/sqlite", module + "/internal/store/postgres"}
	// storeParts are the packages below internal/store: backends, the
	// shared SQL and the test helpers, but not the model itself.
	storeParts = []string{module + "/internal/store/"}
	pgx        = []string{"github.com/jackc/"}
	sqliteDrv  = []string{"modernc.org/"}
)

// and joins lists of forbidden imports.
func and(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func TestForbiddenImports(t *testing.T) {
	tests := []struct {
		name      string
		pkg       string
		forbidden []string
		// exact are packages forbidden themselves, not their subpackages.
		exact []string
	}{
		{"the store model imports no database driver",
			"internal/store", and(drivers, backends), nil},
		{"the shared SQL imports neither pgx nor the SQLite driver",
			"internal/store/sqlstore", and(drivers, backends), nil},
		{"the REST layer imports no backend or driver",
			"issuer/rest", and(drivers, backends), nil},
		{"the issuer's rules import no backend or driver",
			"issuer", and(drivers, backends), nil},
		{"configuration knows no subsystem",
			"internal/config", []string{module + "/internal/store", module + "/issuer"}, nil},
		{"telemetry knows no subsystem",
			"internal/telemetry", []string{module + "/internal/store", module + "/issuer"}, nil},
		{"the edge imports no store, driver or issuer package", "authz",
			and(drivers, backends, []string{module + "/internal/store", module + "/issuer"}), nil},
		{"the edge's revocation feed imports no backend or driver", "authz/revocation",
			and(drivers, backends, []string{module + "/issuer"}), nil},
		{"the edge's key sets read no store and no issuer", "authz/keyset",
			and(drivers, backends, []string{"database/sql", module + "/internal/store",
				module + "/issuer"}), nil},
		{"signing keys use the store model only", "internal/keys",
			and(drivers, storeParts, []string{module + "/issuer"}), nil},
		{"the audit writer uses the store model only", "internal/auditlog",
			and(drivers, storeParts), nil},
		{"the audit verifier uses the store model only", "internal/audit",
			and(drivers, storeParts), nil},
		{"DID documents use the store model only", "issuer/did",
			and(drivers, storeParts),
			[]string{module + "/issuer", module + "/issuer/rest", module + "/issuer/oauth"}},
		{"agent cards use the store model only", "issuer/agentcard",
			and(drivers, storeParts),
			[]string{module + "/issuer", module + "/issuer/rest", module + "/issuer/oauth"}},
		{"the load tools speak the outward contracts only", "internal/loadtest",
			[]string{module + "/issuer", module + "/authz", module + "/internal/store"}, nil},
		{"the fake issuer of the load tools is no issuer", "internal/loadtest/fakeissuer",
			[]string{module + "/issuer", module + "/authz", module + "/internal/store"}, nil},
		{"authzload speaks the outward contracts only", "cmd/authzload",
			[]string{module + "/issuer", module + "/authz", module + "/internal/store"}, nil},
		{"tokenload speaks the outward contracts only", "cmd/tokenload",
			[]string{module + "/issuer", module + "/authz", module + "/internal/store"}, nil},
		{"the conformance suite imports no driver or backend", "internal/store/storetest",
			and(drivers, backends), nil},
		{"the SQLite backend knows nothing of PostgreSQL", "internal/store/sqlite",
			and(pgx, []string{module + "/internal/store/postgres"}), nil},
		{"the PostgreSQL backend knows nothing of SQLite", "internal/store/postgres",
			and(sqliteDrv, []string{module + "/internal/store/sqlite"}), nil},
		{"the PostgreSQL test helper imports no backend", "internal/store/pgtest",
			and(sqliteDrv, backends), nil},
		{"TLS helpers know no subsystem",
			"internal/tlsutil", []string{module + "/internal/", module + "/issuer"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs := goList(t, "-json=ImportPath,Deps,Error", "./"+tt.pkg)
			require.Len(t, pkgs, 1)
			require.Nil(t, pkgs[0].Error, "go list %s", tt.pkg)
			for _, dep := range pkgs[0].Deps {
				require.NotContains(t, tt.exact, dep, "%s depends on %s, which it must never import",
					tt.pkg, dep)
				for _, bad := range tt.forbidden {
					require.False(t, dep == bad || strings.HasPrefix(dep, strings.TrimSuffix(bad, "/")+"/") ||
						(strings.HasSuffix(bad, "/") && strings.HasPrefix(dep, bad)),
						"%s depends on %s, which it must never import", tt.pkg, dep)
				}
			}
		})
	}
}

// The check above only means something if go list reports dependencies:
// the SQLite backend must be seen importing its driver.
func TestDependenciesAreSeen(t *testing.T) {
	pkgs := goList(t, "-json=ImportPath,Deps,Error", "./internal/store/sqlite")
	require.Len(t, pkgs, 1)
	require.Contains(t, pkgs[0].Deps, "modernc.org/sqlite")
}

// Test helpers that open real stores import both backends: no production
// package may depend on them.
func TestNoPackageImportsTestHelpers(t *testing.T) {
	helpers := []string{module + "/internal/store/testdb", module + "/internal/store/pgtest",
		module + "/internal/store/storetest", module + "/internal/testclock"}
	for _, p := range goList(t, "-json=ImportPath,Deps,Error", "./...") {
		if strings.HasPrefix(p.ImportPath, module+"/internal/store/") {
			continue // the helpers themselves and the backends' own suites
		}
		for _, h := range helpers {
			require.NotContains(t, p.Deps, h, "%s depends on the test helper %s", p.ImportPath, h)
		}
	}
}

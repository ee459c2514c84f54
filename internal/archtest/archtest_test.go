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
)

func TestForbiddenImports(t *testing.T) {
	tests := []struct {
		name      string
		pkg       string
		forbidden []string
	}{
		{"the store model imports no database driver",
			"internal/store", append(append([]string{}, drivers...), backends...)},
		{"the shared SQL imports neither pgx nor the SQLite driver",
			"internal/store/sqlstore", append(append([]string{}, drivers...), backends...)},
		{"the REST layer imports no backend or driver",
			"issuer/rest", append(append([]string{}, drivers...), backends...)},
		{"the issuer's rules import no backend or driver",
			"issuer", append(append([]string{}, drivers...), backends...)},
		{"configuration knows no subsystem",
			"internal/config", []string{module + "/internal/store", module + "/issuer"}},
		{"telemetry knows no subsystem",
			"internal/telemetry", []string{module + "/internal/store", module + "/issuer"}},
		{"the edge imports no store, driver or issuer package",
			"authz", append(append([]string{module + "/internal/store", module + "/issuer"},
				drivers...), backends...)},
		{"the edge's revocation feed imports no backend or driver",
			"authz/revocation", append(append([]string{module + "/issuer"}, drivers...),
				backends...)},
		{"TLS helpers know no subsystem",
			"internal/tlsutil", []string{module + "/internal/", module + "/issuer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs := goList(t, "-json=ImportPath,Deps,Error", "./"+tt.pkg)
			require.Len(t, pkgs, 1)
			require.Nil(t, pkgs[0].Error, "go list %s", tt.pkg)
			for _, dep := range pkgs[0].Deps {
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

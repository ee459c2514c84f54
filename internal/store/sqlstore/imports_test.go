package sqlstore_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Import path prefixes of the drivers and the backends.
const (
	pgx      = "github.com/jackc/"
	modernc  = "modernc.org/"
	internal = "github.com/agentidp/agentidp/internal/"
	postgres = internal + "store/postgres"
	sqlite   = internal + "store/sqlite"
)

// TestImports keeps the "must never import" lines of the doc comments of
// the storage packages that internal/archtest does not check (it checks
// store and sqlstore) true.
func TestImports(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found: cannot list dependencies")
	}
	tests := []struct {
		pkg       string
		forbidden []string
	}{
		{"store/storetest", []string{pgx, modernc, postgres, sqlite}},
		{"audit", []string{pgx, modernc, internal + "store/"}},
		{"store/sqlite", []string{pgx, postgres}},
		{"store/postgres", []string{modernc, sqlite}},
		{"store/pgtest", []string{modernc, postgres, sqlite}},
	}
	for _, tc := range tests {
		out, err := exec.CommandContext(t.Context(), goTool, "list", "-deps", internal+tc.pkg).CombinedOutput()
		require.NoError(t, err, string(out))
		for _, dep := range strings.Fields(string(out)) {
			for _, bad := range tc.forbidden {
				require.False(t, strings.HasPrefix(dep, bad), "%s imports %s", tc.pkg, dep)
			}
		}
	}
}

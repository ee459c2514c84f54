package keyset_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestImports keeps the package comment's promise: keyset imports no
// database driver, no store package and nothing of the issuer.
func TestImports(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found: cannot list dependencies")
	}
	const module = "github.com/agentidp/agentidp/"
	forbidden := []string{
		"github.com/jackc/", "modernc.org/", "github.com/lib/pq", "github.com/mattn/",
		"database/sql", module + "internal/store", module + "issuer",
	}

	out, err := exec.CommandContext(t.Context(), goTool, "list", "-deps",
		module+"authz/keyset").CombinedOutput()
	require.NoError(t, err, string(out))
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/lestrrat-go/jwx/v2/jwk", "dependencies are listed")
	for _, dep := range deps {
		for _, bad := range forbidden {
			require.False(t, dep == bad || strings.HasPrefix(dep, strings.TrimSuffix(bad, "/")+"/") ||
				(strings.HasSuffix(bad, "/") && strings.HasPrefix(dep, bad)),
				"keyset imports %s", dep)
		}
	}
}

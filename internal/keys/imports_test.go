package keys_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestImports keeps the package comment's promise: keys imports no
// database driver, no storage backend and nothing of the issuer.
func TestImports(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found: cannot list dependencies")
	}
	const module = "github.com/agentidp/agentidp/"
	forbidden := []string{
		"github.com/jackc/", "modernc.org/", "github.com/lib/pq", "github.com/mattn/",
		module + "internal/store/postgres", module + "internal/store/sqlite",
		module + "internal/store/sqlstore", module + "internal/store/pgtest",
		module + "internal/store/storetest", module + "issuer",
	}

	out, err := exec.CommandContext(t.Context(), goTool, "list", "-deps",
		module+"internal/keys").CombinedOutput()
	require.NoError(t, err, string(out))
	deps := strings.Fields(string(out))
	require.Contains(t, deps, module+"internal/store", "dependencies are listed")
	for _, dep := range deps {
		for _, bad := range forbidden {
			require.False(t, strings.HasPrefix(dep, bad), "keys imports %s", dep)
		}
	}
}

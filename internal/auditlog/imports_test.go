package auditlog_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestImports keeps the package comment's "must never import" true: the
// writer works on the store interface, whatever backend is behind it. Its
// tests open real backends; the package itself must not.
func TestImports(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found: cannot list dependencies")
	}
	const internal = "github.com/agentidp/agentidp/internal/"
	forbidden := []string{"github.com/jackc/", "modernc.org/", "github.com/lib/pq",
		"github.com/mattn/go-sqlite3", internal + "store/"}

	out, err := exec.CommandContext(t.Context(), goTool, "list", "-deps",
		internal+"auditlog").CombinedOutput()
	require.NoError(t, err, string(out))
	deps := strings.Fields(string(out))
	require.Contains(t, deps, internal+"store", "dependencies are listed")
	for _, dep := range deps {
		for _, bad := range forbidden {
			require.False(t, strings.HasPrefix(dep, bad), "auditlog imports %s", dep)
		}
	}
}

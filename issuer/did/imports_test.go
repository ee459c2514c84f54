package did_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestImports keeps the package comment's promise: did imports no
// database driver, no storage backend and neither the issuer's service
// layer nor its other transports.
func TestImports(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found: cannot list dependencies")
	}
	const module = "github.com/agentidp/agentidp/"
	prefixes := []string{
		"github.com/jackc/", "modernc.org/", "github.com/lib/pq", "github.com/mattn/",
		module + "internal/store/",
	}
	exact := []string{module + "issuer", module + "issuer/rest", module + "issuer/oauth"}

	out, err := exec.CommandContext(t.Context(), goTool, "list", "-deps",
		module+"issuer/did").CombinedOutput()
	require.NoError(t, err, string(out))
	deps := strings.Fields(string(out))
	require.Contains(t, deps, module+"internal/store", "dependencies are listed")
	for _, dep := range deps {
		for _, bad := range prefixes {
			require.False(t, strings.HasPrefix(dep, bad), "did imports %s", dep)
		}
		require.False(t, slices.Contains(exact, dep), "did imports %s", dep)
	}
}

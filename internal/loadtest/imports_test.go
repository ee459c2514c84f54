package loadtest_test

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The load tools measure the servers from the outside: neither they nor
// what they share may import server code, or they would measure (and
// trust) the code under test instead of its wire contract.
func TestLoadToolsImportNoServerCode(t *testing.T) {
	const module = "github.com/agentidp/agentidp"
	forbidden := []string{module + "/issuer", module + "/authz", module + "/internal/store"}

	for _, pkg := range []string{"./", "./fakeissuer", "../../cmd/authzload", "../../cmd/tokenload"} {
		cmd := exec.CommandContext(t.Context(), "go", "list", "-deps", "-test", pkg)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, stderr.String())

		deps := strings.Fields(string(out))
		require.Contains(t, deps, "github.com/stretchr/testify/require", "go list saw no deps")
		for _, dep := range deps {
			for _, bad := range forbidden {
				require.False(t, dep == bad || strings.HasPrefix(dep, bad+"/"),
					"%s depends on %s, which it must never import", pkg, dep)
			}
		}
	}
}

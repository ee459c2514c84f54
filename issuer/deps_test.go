package issuer_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The backends and drivers this package and rest must never import are
// checked by internal/archtest; what is particular to the service layer is
// checked here.

func TestIssuerDoesNotSpeakHTTP(t *testing.T) {
	out, err := exec.CommandContext(t.Context(), "go", "list", "-f", `{{join .Imports "\n"}}`,
		"github.com/agentidp/agentidp/issuer").Output()
	require.NoError(t, err)

	imports := strings.Fields(string(out))
	require.NotEmpty(t, imports)
	require.NotContains(t, imports, "net/http")
	require.NotContains(t, imports, "github.com/agentidp/agentidp/issuer/rest")
}

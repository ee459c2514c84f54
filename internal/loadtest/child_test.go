package loadtest_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/loadtest"
)

// TestMain makes the test binary a child when StartChild runs it with a
// hidden first argument.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "child-announce":
			loadtest.ExitWithParent(os.Stdin)
			fmt.Println("ready at 127.0.0.1:1")
			select {}
		case "child-silent":
			os.Exit(0)
		}
	}
	os.Exit(m.Run())
}

func TestStartChildReadsTheAnnouncement(t *testing.T) {
	c, line, err := loadtest.StartChild(t.Context(), "child-announce")
	require.NoError(t, err)
	require.Equal(t, "ready at 127.0.0.1:1", string(line))
	_, err = loadtest.CPUTime(c.PID())
	require.NoError(t, err)
	c.Stop()
}

func TestStartChildFailsOnASilentChild(t *testing.T) {
	_, _, err := loadtest.StartChild(t.Context(), "child-silent")
	require.ErrorContains(t, err, "exited without a word")
}

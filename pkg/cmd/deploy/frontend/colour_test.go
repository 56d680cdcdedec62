package frontend

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/empctl/empctl/pkg/cmdutil/cmdtest"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/envtest"
)

// ✓, the warning of a live release whose invalidation failed, and "live"
// are coloured on a terminal only, never with NO_COLOR or -o json.
func TestDeployFrontendColour(t *testing.T) {
	dist := t.TempDir()
	if err := os.WriteFile(filepath.Join(dist, "index.html"), []byte("<html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	build := cmdWithBuild(func(context.Context, string, io.Writer) (string, bool, error) { return dist, true, nil })
	t.Run("published", func(t *testing.T) {
		cmdtest.CheckColour(t, build, &envtest.Fake{Frontend: env.Frontend{Release: "r2", Files: 3}}, nil, "\x1b[32m✓\x1b[0m webapp release r2 is \x1b[32mlive\x1b[0m")
	})
	t.Run("invalidation failed", func(t *testing.T) {
		fake := &envtest.Fake{Frontend: env.Frontend{Release: "r2", Files: 3}, FrontendErr: errors.New("access denied")}
		cmdtest.CheckColour(t, build, fake, nil, "\x1b[33m!\x1b[0m webapp release r2 is live")
	})
}

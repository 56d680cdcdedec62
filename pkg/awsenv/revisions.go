package awsenv

import (
	"context"
	"fmt"
	"time"

	"github.com/empctl/empctl/pkg/ecsdeploy"
	"github.com/empctl/empctl/pkg/env"
)

// recentLook is how many of the newest task definition revisions status
// reads for the backend's recent releases.
const recentLook = 10

// addRevisions lists the backend's recent revisions that served in st; one
// that cannot be read is a warning, not a failed status.
func (e *Env) addRevisions(ctx context.Context, c ecsdeploy.Clients, st *env.Status) {
	served, err := ecsdeploy.ServedRevisions(ctx, c, e.service(), recentLook)
	if err != nil {
		st.Events = append([]env.Event{{Time: time.Now(), Kind: "warning", Message: fmt.Sprintf("could not list the backend's recent revisions: %v", err)}}, st.Events...)
		return
	}
	for _, r := range served {
		st.Revisions = append(st.Revisions, env.Revision{Version: r.Version, Revision: r.TaskDefinition, Served: r.Served, Live: r.TaskDefinition == st.Revision})
	}
}

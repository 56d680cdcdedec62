package ecsdeploy

import (
	"fmt"
	"strings"
	"time"

	"github.com/empctl/empctl/pkg/rollout"
)

// Outcome is how a rollout ended.
type Outcome string

// The outcomes of a rollout.
const (
	Completed  Outcome = "completed"   // the new revision serves, its deployment succeeded
	RolledBack Outcome = "rolled-back" // the circuit breaker (or someone) put an earlier revision back
	Failed     Outcome = "failed"      // the deployment failed and nothing was rolled back
	TimedOut   Outcome = "timed-out"   // the deployment did not finish in time; see Result.Rollback
)

// Result is what a rollout did.
type Result struct {
	Outcome      Outcome       `json:"outcome"`
	Service      string        `json:"service"`
	From         string        `json:"from"` // the task definition the service ran before
	To           string        `json:"to"`   // the task definition deployed
	Deployment   string        `json:"deployment,omitempty"`
	RolledBackTo int           `json:"rolledBackTo,omitempty"` // the revision serving after a rollback
	Reason       string        `json:"reason,omitempty"`       // the circuit breaker's or ECS's reason
	StoppedTasks []StoppedTask `json:"stoppedTasks,omitempty"` // tasks of the new revision that stopped
	Rollback     *RollbackInfo `json:"rollback,omitempty"`     // what happened after a timeout
	Duration     time.Duration `json:"duration"`
	// Strategy, Verdicts and Stage describe a progressive rollout: the
	// gate's decisions in order, and the stage whose decision ended it.
	Strategy rollout.Strategy  `json:"strategy,omitempty"`
	Verdicts []rollout.Verdict `json:"verdicts,omitempty"`
	Stage    rollout.Stage     `json:"stage,omitempty"`
}

// RollbackInfo is what a timed-out rollout did about it.
type RollbackInfo struct {
	Method  string  `json:"method"` // "stop-service-deployment", "update-service", or "none" (not asked for, or ECS was rolling back already: Reason says why)
	Outcome Outcome `json:"outcome,omitempty"`
	To      int     `json:"to,omitempty"`     // the revision rolled back to
	Reason  string  `json:"reason,omitempty"` // why none, or how it ended
}

// StoppedTask is a task of the new revision that stopped, with why.
type StoppedTask struct {
	ID            string          `json:"id"`
	StoppedReason string          `json:"stoppedReason"`
	Containers    []ContainerExit `json:"containers,omitempty"`
}

// ContainerExit is how one container of a stopped task ended.
type ContainerExit struct {
	Name     string `json:"name"`
	ExitCode *int32 `json:"exitCode,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

func (t StoppedTask) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "task %s stopped: %s", t.ID, t.StoppedReason)
	for _, c := range t.Containers {
		switch {
		case c.ExitCode != nil && c.Reason != "":
			fmt.Fprintf(&b, "; %s exited %d (%s)", c.Name, *c.ExitCode, c.Reason)
		case c.ExitCode != nil:
			fmt.Fprintf(&b, "; %s exited %d", c.Name, *c.ExitCode)
		case c.Reason != "":
			fmt.Fprintf(&b, "; %s: %s", c.Name, c.Reason)
		}
	}
	return b.String()
}

// Summary says in one paragraph how the rollout ended.
func (r Result) Summary() string {
	var b strings.Builder
	to := shortTaskDef(r.To)
	switch r.Outcome {
	case Completed:
		fmt.Fprintf(&b, "%s is on %s", r.Service, to)
	case RolledBack:
		fmt.Fprintf(&b, "rollout of %s rolled back to revision %d", to, r.RolledBackTo)
	case Failed:
		fmt.Fprintf(&b, "rollout of %s failed", to)
	case TimedOut:
		fmt.Fprintf(&b, "rollout of %s timed out after %s", to, r.Duration.Round(time.Second))
	}
	if r.Reason != "" {
		fmt.Fprintf(&b, ": %s", r.Reason)
	}
	if r.Stage != "" && r.Outcome != Completed {
		fmt.Fprintf(&b, " (decided at %s", r.Stage)
		if n := len(r.Verdicts); n > 0 && !r.Verdicts[n-1].Promote {
			fmt.Fprintf(&b, ": %s", r.Verdicts[n-1].Reason)
		}
		b.WriteString(")")
	}
	if rb := r.Rollback; rb != nil {
		switch {
		case rb.Method == "none" && rb.Outcome == "":
			fmt.Fprintf(&b, "; not rolled back: %s", rb.Reason)
		case rb.Method == "none" && rb.Outcome == Completed:
			fmt.Fprintf(&b, "; not rolled back by empctl: %s, and ECS rolled it back to revision %d", rb.Reason, rb.To)
		case rb.Outcome == Completed:
			fmt.Fprintf(&b, "; rolled back to revision %d", rb.To)
		default:
			fmt.Fprintf(&b, "; the rollback to revision %d %s", rb.To, rb.Outcome)
			if rb.Reason != "" {
				fmt.Fprintf(&b, ": %s", rb.Reason)
			}
		}
	}
	for _, t := range r.StoppedTasks {
		fmt.Fprintf(&b, "\n  %s", t)
	}
	return b.String()
}

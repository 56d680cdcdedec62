package stack

import (
	"fmt"
	"sort"

	"github.com/empctl/empctl/pkg/env"
)

// Status returns the stack's state.
func (s *Stack) Status() env.Status {
	s.mu.Lock()
	st := env.Status{Env: "local", Endpoint: s.endpoint, Deploying: s.deploying, Desired: s.opts.Replicas, Started: s.started, Targets: []env.Target{}}
	if s.current != nil {
		st.Version = s.current.Version
	}
	if s.previous != nil {
		st.PreviousVersion = s.previous.Version
	}
	reps := append([]*replica(nil), s.replicas...)
	run := s.prog
	s.mu.Unlock()
	if run != nil {
		st.Progressive = s.snapshot(run)
	}
	for _, r := range reps {
		state, _ := r.getState()
		if state == "stopped" {
			continue
		}
		t := env.Target{ID: r.id, Version: r.rel.Version, Zone: "local", Addr: r.addr, PID: r.pid(), State: state, Health: "unused", Started: r.started}
		if ts, ok := s.lb.State(r.id); ok {
			t.Health, t.InFlight = string(ts.Health), ts.InFlight
		}
		st.Targets = append(st.Targets, t)
	}
	sort.SliceStable(st.Targets, func(i, j int) bool { return st.Targets[i].Started.Before(st.Targets[j].Started) })
	st.Frontend = s.web.Current()
	st.FrontendReleases = s.web.Releases()
	return st
}

// PublishFrontend publishes the webapp build in dist and switches to it.
func (s *Stack) PublishFrontend(dist string) (env.Frontend, error) {
	info, err := s.web.Publish(dist)
	if err == nil && !info.Unchanged {
		s.emit("frontend", "", "", fmt.Sprintf("webapp release %s published (%d files, %d assets kept from the previous release)", info.Release, info.Files, info.Retained))
	}
	return info, err
}

// PlanFrontend says what PublishFrontend would do with dist, changing nothing.
func (s *Stack) PlanFrontend(dist string) (env.Frontend, error) { return s.web.Plan(dist) }

// RollbackFrontend switches the webapp back to a kept release (to, else the
// one live before the current).
func (s *Stack) RollbackFrontend(to string, dryRun bool) (env.Frontend, error) {
	info, err := s.web.Rollback(to, dryRun)
	if err == nil && !dryRun && !info.Unchanged {
		s.emit("frontend", "", "", fmt.Sprintf("webapp rolled back from release %s to %s", info.From, info.Release))
	}
	return info, err
}

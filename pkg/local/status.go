package local

import (
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
	s.mu.Unlock()
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
	st.Frontend = s.web.current()
	return st
}

package verify

import (
	"sync"
	"time"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/loadtest"
)

// weightLog records the production weight on the new version that
// progressive rollouts report in their progress events, for the report's
// chart.
type weightLog struct {
	mu  sync.Mutex
	pts []loadtest.WeightPoint
}

// tee records the weight of each event that carries one and passes every
// event on. The rollout and the kill report from different goroutines.
func (l *weightLog) tee(next func(env.Event)) func(env.Event) {
	return func(ev env.Event) {
		if ro := ev.Rollout; ro != nil {
			at := ev.Time
			if at.IsZero() {
				at = time.Now()
			}
			l.mu.Lock()
			n := len(l.pts)
			if n == 0 || l.pts[n-1].Weight != ro.Weight || l.pts[n-1].Stage != string(ro.Stage) {
				l.pts = append(l.pts, loadtest.WeightPoint{Time: at, Weight: ro.Weight, Stage: string(ro.Stage), Version: ev.Version})
			}
			l.mu.Unlock()
		}
		next(ev)
	}
}

func (l *weightLog) points() []loadtest.WeightPoint {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]loadtest.WeightPoint(nil), l.pts...)
}
